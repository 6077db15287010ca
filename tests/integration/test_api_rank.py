"""``POST /rank`` and ``GET /users/{id}/profile`` on a simulated brand, checked by its tables."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from data.as_of import current_holders
from data.simulation_config import SimulationConfig
from data.simulator import write_simulation
from models.segments import SEGMENTS
from training.propensity_pipeline import load_events

USERS = 3000


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("events")
    write_simulation(SimulationConfig.load(), USERS, folder)
    return folder


@pytest.fixture
def rank_client(api: Callable[..., TestClient], events: Path) -> TestClient:
    return api(events_dir=events)


def _last_touches(folder: Path, before: datetime) -> dict[str, datetime]:
    touches = pq.read_table(folder / "eba_touches").to_pylist()
    last: dict[str, datetime] = {}
    for row in touches:
        if row["touched_at"] < before:
            last[row["user_id"]] = max(
                row["touched_at"], last.get(row["user_id"], row["touched_at"])
            )
    return last


def test_rank_never_lists_holders_or_recent_contacts(rank_client: TestClient, events: Path) -> None:
    response = rank_client.post("/rank", json={"top_k": 1000})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["events_source"] == "simulated"  # the simulator's summary.json is there
    as_of = datetime.fromisoformat(body["as_of"]).replace(tzinfo=None)
    tables = load_events(events)
    holders = set(current_holders(tables["card_purchases"], as_of).to_pylist())
    touched = _last_touches(events, as_of)
    cooldown = timedelta(days=body["excluded"]["cooldown_days"])
    listed = [user["user_id"] for user in body["users"]]
    assert len(listed) == 1000 and len(set(listed)) == 1000
    assert not holders & set(listed)
    assert all(u not in touched or touched[u] < as_of - cooldown for u in listed)
    # every joined user is either a candidate or excluded under exactly one rule
    joined = pc.sum(pc.less(tables["users"]["joined_at"], as_of)).as_py()
    excluded = body["excluded"]
    rules = ("card_holder", "contacted_recently", "contact_logged")
    assert body["candidates"] + sum(excluded[rule] for rule in rules) == joined
    assert excluded["card_holder"] == len(holders) > 0
    assert excluded["contacted_recently"] > 0


def test_rank_is_ordered_calibrated_and_explained(rank_client: TestClient) -> None:
    users = rank_client.post("/rank", json={"top_k": 20}).json()["users"]
    probabilities = [user["probability"] for user in users]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0 <= p <= 1 for p in probabilities)
    assert [user["rank"] for user in users] == list(range(1, 21))
    top = users[0]
    assert top["reasons"] and all(r["zh"] and r["en"] and r["log_odds"] > 0 for r in top["reasons"])
    assert set(top["value"]) == {
        "speech",
        "fission",
        "consumption",
        "participation",
        "content",
        "total",
    }
    assert all(0 <= v <= 100 for v in top["value"].values())


@pytest.mark.parametrize("segment", list(SEGMENTS))
def test_segment_filter_keeps_only_members_of_the_segment(
    rank_client: TestClient, segment: str
) -> None:
    body = rank_client.post("/rank", json={"top_k": 50, "segment": segment}).json()
    assert all(segment in [s["code"] for s in user["segments"]] for user in body["users"])
    assert body["excluded"]["outside_filter"] > 0


def test_store_and_city_filters(rank_client: TestClient) -> None:
    everyone = rank_client.post("/rank", json={"top_k": 1000}).json()["users"]
    store = next(user["store_id"] for user in everyone if user["store_id"])
    city = everyone[0]["city"]
    by_store = rank_client.post("/rank", json={"top_k": 1000, "store_id": store}).json()
    assert by_store["users"] and all(user["store_id"] == store for user in by_store["users"])
    by_city = rank_client.post("/rank", json={"top_k": 1000, "city": city}).json()
    assert by_city["users"] and all(user["city"] == city for user in by_city["users"])


def test_bad_queries_are_422_with_the_allowed_values(rank_client: TestClient) -> None:
    response = rank_client.post("/rank", json={"segment": "vip"})
    assert response.status_code == 422
    assert "koc_content" in response.text
    assert rank_client.post("/rank", json={"top_k": 0}).status_code == 422
    assert rank_client.post("/rank", json={"store_id": "../etc"}).status_code == 422


def test_profile_matches_the_ranking_and_flags_holders(
    rank_client: TestClient, events: Path
) -> None:
    first = rank_client.post("/rank", json={"top_k": 1}).json()
    top = first["users"][0]
    profile = rank_client.get(f"/users/{top['user_id']}/profile").json()
    assert profile["probability"] == top["probability"]
    assert profile["eligible"] is True and profile["card_holder"] is False
    assert profile["history"]["orders"]["orders_n"] >= 1
    holder = current_holders(
        load_events(events)["card_purchases"],
        datetime.fromisoformat(first["as_of"]).replace(tzinfo=None),
    ).to_pylist()[0]
    held = rank_client.get(f"/users/{holder}/profile").json()
    assert held["card_holder"] is True and held["eligible"] is False
    missing = rank_client.get("/users/nobody-here/profile")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "USER_NOT_FOUND"


def test_without_events_rank_says_how_to_load_them(
    api: Callable[..., TestClient], tmp_path: Path
) -> None:
    response = api(events_dir=tmp_path / "none").post("/rank", json={})
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "EVENTS_UNAVAILABLE" and error["message_zh"] and error["hint"]


def test_cooldown_and_moment_come_from_settings(
    api: Callable[..., TestClient], events: Path
) -> None:
    none_cooled = api(events_dir=events, rank_cooldown_days=0).post("/rank", json={}).json()
    assert none_cooled["excluded"]["contacted_recently"] == 0
    earlier = api(events_dir=events, rank_as_of=datetime(2025, 6, 1)).post("/rank", json={}).json()
    assert earlier["as_of"] == "2025-06-01T00:00:00+08:00"  # the brand's zone, stated


def test_new_events_rebuild_the_board(
    api: Callable[..., TestClient], events: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "events"
    shutil.copytree(events, folder)
    client = api(events_dir=folder)
    before = client.post("/rank", json={}).json()
    orders = pq.read_table(folder / "orders")
    cut = orders.filter(
        pc.less(
            orders["ordered_at"],
            datetime.fromisoformat(before["as_of"]).replace(tzinfo=None) - timedelta(days=60),
        )
    )
    shutil.rmtree(folder / "orders")
    pq.write_table(cut, folder / "orders.parquet")
    after = client.post("/rank", json={}).json()
    assert after["users"] != before["users"]


def test_a_logged_contact_takes_the_user_off_the_next_list(rank_client: TestClient) -> None:
    top = rank_client.post("/rank", json={"top_k": 1}).json()
    user = top["users"][0]["user_id"]
    logged = rank_client.post(
        f"/users/{user}/contacts",
        json={"channel": "wecom", "outcome": "interested", "store_id": "S001", "note": "试用装"},
    )
    assert logged.status_code == 201, logged.text
    assert logged.json()["user_id"] == user and logged.json()["contacted_at"]
    after = rank_client.post("/rank", json={"top_k": 1000}).json()
    assert user not in [u["user_id"] for u in after["users"]]
    assert after["excluded"]["contact_logged"] == 1
    assert after["candidates"] == top["candidates"] - 1
    profile = rank_client.get(f"/users/{user}/profile").json()
    assert profile["contact_logged"] is True and profile["eligible"] is False
    assert profile["contacts"][0]["outcome"] == "interested"
    listed = rank_client.get(f"/users/{user}/contacts").json()
    assert [c["channel"] for c in listed["data"]] == ["wecom"]


def test_contacts_are_validated_and_erased_with_the_user(rank_client: TestClient) -> None:
    bad = rank_client.post("/users/u1/contacts", json={"channel": "fax", "outcome": "reached"})
    assert bad.status_code == 422
    too_long = rank_client.post(
        "/users/u1/contacts", json={"channel": "phone", "outcome": "reached", "note": "x" * 501}
    )
    assert too_long.status_code == 422
    ok = rank_client.post("/users/u1/contacts", json={"channel": "phone", "outcome": "reached"})
    assert ok.status_code == 201
    erased = rank_client.delete("/users/u1")
    assert erased.status_code == 200 and erased.json()["card_contacts"] == 1
    assert rank_client.get("/users/u1/contacts").json()["data"] == []
    assert rank_client.delete("/users/u1").status_code == 404
