"""Store keys rank and profile only their own store's customers (``POST /rank``, profiles)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from data.simulation_config import SimulationConfig
from data.simulator import write_simulation

KeyFactory = Callable[..., str]


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("events")
    write_simulation(SimulationConfig.load(), 2000, folder)
    return folder


def test_a_store_key_ranks_and_profiles_only_its_own_customers(
    api: Callable[..., TestClient], key_factory: KeyFactory, events: Path
) -> None:
    admin = api(events_dir=events)
    everyone = admin.post("/rank", json={"top_k": 500, "reasons": 0})
    assert everyone.status_code == 200, everyone.text
    stores = Counter(u["store_id"] for u in everyone.json()["users"] if u["store_id"])
    (own, _), (other, _) = stores.most_common(2)
    store_key = {"Authorization": f"Bearer {key_factory(admin, 'store', store_id=own)}"}

    mine = admin.post("/rank", json={"top_k": 500, "reasons": 0}, headers=store_key)
    assert mine.status_code == 200, mine.text
    assert mine.json()["users"] and {u["store_id"] for u in mine.json()["users"]} == {own}
    asked = admin.post("/rank", json={"store_id": own, "reasons": 0}, headers=store_key)
    assert asked.status_code == 200
    refused = admin.post("/rank", json={"store_id": other}, headers=store_key)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "OTHER_STORE"

    users = everyone.json()["users"]
    own_user = next(u["user_id"] for u in users if u["store_id"] == own)
    other_user = next(u["user_id"] for u in users if u["store_id"] == other)
    assert admin.get(f"/users/{own_user}/profile", headers=store_key).status_code == 200
    other_profile = admin.get(f"/users/{other_user}/profile", headers=store_key)
    assert other_profile.json()["error"]["code"] == "OTHER_STORE"


@pytest.mark.parametrize("role", ["data_scientist", "admin"])
def test_analysts_rank_every_store(
    api: Callable[..., TestClient], key_factory: KeyFactory, events: Path, role: str
) -> None:
    client = api(role=role, events_dir=events)
    response = client.post("/rank", json={"top_k": 200, "reasons": 0})
    assert response.status_code == 200, response.text
    assert len({u["store_id"] for u in response.json()["users"]}) > 1
