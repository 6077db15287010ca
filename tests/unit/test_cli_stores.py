"""``skinlab stores add-key`` prints a new key once and stores only its hash."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from skinlab.cli import app
from skinlab.db import make_engine, make_sessionmaker
from skinlab.settings import get_settings
from skinlab.store_keys import StoreKeyRecord, verify_store_key

runner = CliRunner()


def test_add_key_prints_a_key_that_signs_in(cli_env: Path) -> None:
    result = runner.invoke(app, ["stores", "add-key", "sh-jingan-01"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert len(key) >= 20 and " " not in key
    assert "only this once" in result.stderr
    engine = make_engine(get_settings().database_url)
    with make_sessionmaker(engine)() as session:
        assert verify_store_key(session, "sh-jingan-01", key)
        (record,) = session.query(StoreKeyRecord).all()
        assert key not in record.key_hash
    engine.dispose()
    assert key.encode() not in (cli_env / "skinlab.db").read_bytes()


def test_each_call_adds_another_key(cli_env: Path) -> None:
    keys = [
        runner.invoke(app, ["stores", "add-key", "s1"]).stdout.strip().splitlines()[-1]
        for _ in range(2)
    ]
    assert keys[0] != keys[1]


def test_a_bad_store_id_exits_2(cli_env: Path) -> None:
    result = runner.invoke(app, ["stores", "add-key", "not a store"])
    assert result.exit_code == 2
    assert "store id" in result.stderr
