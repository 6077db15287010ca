"""The BA page's monthly-card panel: cut-offs on the page, and the signed-in tablet's API calls."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from data.simulation_config import SimulationConfig
from data.simulator import write_simulation
from serving.ba.card_levels import HIGH_LIFT
from skinlab.store_keys import add_store_key

BA_HEADERS = {"X-Requested-With": "skinlab-ba"}


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("events")
    write_simulation(SimulationConfig.load(), 600, folder)
    return folder


def _signed_in(client: TestClient, store_id: str) -> TestClient:
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        key = add_store_key(session, store_id)
        session.commit()
    client.headers.pop("Authorization", None)  # the session cookie alone, as on the tablet
    response = client.post(
        "/ba/sign-in", data={"store_id": store_id, "store_key": key}, follow_redirects=False
    )
    assert response.status_code == 303
    return client


def _page_card(client: TestClient) -> dict[str, object]:
    page = client.get("/ba/")
    assert page.status_code == 200
    found = re.search(r'<script id="ba-card" type="application/json">(.*?)</script>', page.text)
    assert found, "the page carries the panel's cut-offs"
    return dict(json.loads(found.group(1)))


def test_the_page_carries_cut_offs_from_the_model(api: Callable[..., TestClient]) -> None:
    card = _page_card(_signed_in(api(), "sh-01"))
    cutoffs = card["cutoffs"]
    assert isinstance(cutoffs, dict)
    assert cutoffs["high"] == pytest.approx(HIGH_LIFT * cutoffs["base_rate"])
    assert cutoffs["medium"] == pytest.approx(cutoffs["base_rate"])
    assert card["value_keys"][-1] == "total"  # type: ignore[index]


def test_without_a_propensity_model_the_page_still_opens(
    api: Callable[..., TestClient], tmp_path: Path
) -> None:
    card = _page_card(_signed_in(api(models_dir=tmp_path / "no-models"), "sh-01"))
    assert card["cutoffs"] is None  # the panel then shows percentages without words


def test_a_signed_in_tablet_reads_and_logs_its_own_customers(
    api: Callable[..., TestClient], events: Path
) -> None:
    admin = api(events_dir=events)
    ranked = admin.post("/rank", json={"top_k": 100}).json()["users"]
    user = next(u for u in ranked if u["store_id"])
    tablet = _signed_in(api(events_dir=events), user["store_id"])

    profile = tablet.get(f"/users/{user['user_id']}/profile", headers=BA_HEADERS)
    assert profile.status_code == 200 and profile.json()["eligible"]
    logged = tablet.post(
        f"/users/{user['user_id']}/contacts",
        json={"channel": "store", "outcome": "interested", "note": "下次再聊"},
        headers=BA_HEADERS,
    )
    assert logged.status_code == 201 and logged.json()["store_id"] == user["store_id"]
    after = tablet.get(f"/users/{user['user_id']}/profile", headers=BA_HEADERS).json()
    assert not after["eligible"] and after["contact_logged"]

    other = next(u for u in ranked if u["store_id"] and u["store_id"] != user["store_id"])
    refused = tablet.get(f"/users/{other['user_id']}/profile", headers=BA_HEADERS)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "OTHER_STORE"
    unknown = tablet.get("/users/ph:nobody/profile", headers=BA_HEADERS)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "USER_NOT_FOUND"
