"""``skinlab keys create|revoke|list``: a key printed once, revocation, a list without secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from skinlab.api_keys import find_active_key
from skinlab.cli import app
from skinlab.db import make_engine, make_sessionmaker
from skinlab.settings import get_settings

runner = CliRunner()


def _active(key: str) -> bool:
    engine = make_engine(get_settings().database_url)
    with make_sessionmaker(engine)() as session:
        found = find_active_key(session, key) is not None
    engine.dispose()
    return found


def _create(*args: str) -> str:
    result = runner.invoke(app, ["keys", "create", *args])
    assert result.exit_code == 0, result.output
    (key,) = result.stdout.splitlines()  # only the key: `export K=$(skinlab keys create ...)`
    return key


def test_create_prints_only_the_key_which_then_works(cli_env: Path) -> None:
    result = runner.invoke(app, ["keys", "create", "--role", "admin", "--label", "ops laptop"])
    assert result.exit_code == 0, result.output
    (key,) = result.stdout.splitlines()
    assert key.startswith("skl_") and _active(key)
    assert "only this once" in result.stderr and "Authorization: Bearer" in result.stderr
    assert key.encode() not in (cli_env / "skinlab.db").read_bytes()


def test_a_store_key_names_its_store(cli_env: Path) -> None:
    key = _create("--role", "store", "--store", "sh-jingan-01")
    listed = json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)
    assert listed[0]["store_id"] == "sh-jingan-01" and listed[0]["role"] == "store"
    assert listed[0]["key_id"] == key.split("_")[1]


def test_inconsistent_or_unknown_roles_exit_2(cli_env: Path) -> None:
    for args, message in [
        (["--role", "store"], "needs a store id"),
        (["--role", "admin", "--store", "sh-01"], "only store keys"),
        (["--role", "store", "--store", "not a store"], "store_id must be"),
    ]:
        result = runner.invoke(app, ["keys", "create", *args])
        assert result.exit_code == 2, args
        assert message in result.stderr
    assert runner.invoke(app, ["keys", "create", "--role", "root"]).exit_code == 2


def test_revoke_ends_the_key_and_list_shows_when(cli_env: Path) -> None:
    key = _create("--role", "miniprogram")
    key_id = key.split("_")[1]
    result = runner.invoke(app, ["keys", "revoke", key_id])
    assert result.exit_code == 0, result.output
    assert f"revoked {key_id}" in result.stdout
    assert not _active(key)
    (row,) = json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)
    assert row["revoked_at"] is not None
    assert json.loads(runner.invoke(app, ["keys", "list", "--json", "--active"]).stdout) == []


def test_revoking_an_unknown_id_exits_2(cli_env: Path) -> None:
    result = runner.invoke(app, ["keys", "revoke", "000000000000"])
    assert result.exit_code == 2
    assert "no key" in result.stderr


def test_list_never_shows_keys_or_hashes(cli_env: Path) -> None:
    key = _create("--role", "data_scientist", "--label", "notebooks")
    for args in (["keys", "list"], ["keys", "list", "--json"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        secret = key.split("_", 2)[2]  # the random part may itself contain "_"
        assert secret not in result.stdout and "key_hash" not in result.stdout
        assert "notebooks" in result.stdout


def test_serve_tells_a_developer_how_to_make_the_first_key(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from skinlab.cli import _hint_at_keys

    _hint_at_keys(get_settings())  # not even migrated yet
    assert "skinlab keys create --role admin" in capsys.readouterr().err
    _create("--role", "admin")
    capsys.readouterr()
    _hint_at_keys(get_settings())
    assert capsys.readouterr().err == ""
