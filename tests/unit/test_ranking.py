"""The ranking rules on a hand-built brand: who is excluded, the moment, the order, the filters."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest

from models.propensity_scorer import PropensityScorer
from models.ranking import RankQuery, UnknownSegment, build_board, end_of_data, rank_users
from skinlab.settings import SHIPPED_MODELS_DIR

T = pa.timestamp("s")


@pytest.fixture(scope="module")
def scorer() -> PropensityScorer:
    return PropensityScorer(SHIPPED_MODELS_DIR / "propensity")


def _brand() -> dict[str, pa.Table]:
    """Five users: a card holder, one touched 3 days and one 30 days before the end, two others."""
    users = ["holder", "touched3", "touched30", "buyer", "quiet"]
    return {
        "users": pa.table(
            {
                "user_id": users,
                "joined_at": pa.array([datetime(2025, 1, 1)] * 5, T),
                "city": ["Shanghai", "Shanghai", "Beijing", "Shanghai", "Beijing"],
                "source_channel": ["store", "store", "miniprogram", "store", "live"],
            }
        ),
        "orders": pa.table(
            {
                "user_id": ["holder", "touched3", "touched30", "buyer", "buyer", "buyer"],
                "ordered_at": pa.array([datetime(2025, 3, d) for d in (1, 2, 3, 4, 5, 6)], T),
                "amount": [1000.0, 120.0, 99.0, 900.0, 1100.0, 800.0],
                "channel": ["store", "miniprogram", "miniprogram", "store", "store", "store"],
                "store_id": ["S1", None, None, "S2", "S2", "S1"],
            }
        ),
        "card_purchases": pa.table(
            {
                "user_id": ["holder"],
                "purchased_at": pa.array([datetime(2025, 2, 1)], T),
                "kind": ["new"],
                "amount": [12000.0],
                "months": [12],
            }
        ),
        "eba_touches": pa.table(
            {
                "user_id": ["touched3", "touched30"],
                "touched_at": pa.array([datetime(2025, 6, 7), datetime(2025, 5, 11)], T),
                "touch": ["day10_call", "day10_call"],
                "outcome": ["reached", "reached"],
            }
        ),
        "store_visits": pa.table(
            {
                "user_id": ["quiet"],
                "visited_at": pa.array([datetime(2025, 6, 9, 18)], T),
                "store_id": ["S2"],
                "service": ["facial"],
            }
        ),
    }


def test_the_moment_defaults_to_midnight_after_the_last_event() -> None:
    assert end_of_data(_brand()) == datetime(2025, 6, 10)


def test_holders_and_recent_contacts_are_excluded_and_counted(scorer: PropensityScorer) -> None:
    board = build_board(_brand(), scorer, cooldown_days=14)
    ranking = rank_users(board, RankQuery(top_k=10))
    assert sorted(ranking.users.index) == ["buyer", "quiet", "touched30"]
    assert ranking.excluded == {
        "card_holder": 1,
        "contacted_recently": 1,
        "contact_logged": 0,
        "outside_filter": 0,
    }
    assert ranking.candidates == 3


def test_a_longer_cooldown_excludes_older_touches(scorer: PropensityScorer) -> None:
    board = build_board(_brand(), scorer, cooldown_days=60)
    ranking = rank_users(board, RankQuery())
    assert sorted(ranking.users.index) == ["buyer", "quiet"]
    assert ranking.excluded["contacted_recently"] == 2


def test_a_fixed_moment_ignores_later_events(scorer: PropensityScorer) -> None:
    # Before the card was bought the holder is a candidate; before the touches nobody is excluded.
    board = build_board(_brand(), scorer, as_of=datetime(2025, 1, 20))
    ranking = rank_users(board, RankQuery())
    assert ranking.excluded == {
        "card_holder": 0,
        "contacted_recently": 0,
        "contact_logged": 0,
        "outside_filter": 0,
    }
    assert board.frame["store_id"].isna().all()  # no visit or store order before that moment


def test_order_is_by_probability_and_top_k_cuts(scorer: PropensityScorer) -> None:
    board = build_board(_brand(), scorer)
    ranking = rank_users(board, RankQuery(top_k=2))
    assert len(ranking.users) == 2
    probabilities = ranking.users["probability"].tolist()
    assert probabilities == sorted(probabilities, reverse=True)
    assert ranking.candidates == 3  # top_k cuts the list, not the count


def test_home_store_and_city_filters(scorer: PropensityScorer) -> None:
    board = build_board(_brand(), scorer)
    assert board.frame.loc["buyer", "store_id"] == "S2"  # two orders at S2, one at S1
    by_store = rank_users(board, RankQuery(store_id="S2"))
    assert sorted(by_store.users.index) == ["buyer", "quiet"]
    assert by_store.excluded["outside_filter"] == 1
    by_city = rank_users(board, RankQuery(city="Beijing"))
    assert sorted(by_city.users.index) == ["quiet", "touched30"]


def test_an_unknown_segment_is_refused(scorer: PropensityScorer) -> None:
    board = build_board(_brand(), scorer)
    with pytest.raises(UnknownSegment):
        rank_users(board, RankQuery(segment="vip"))


def test_missing_model_files_are_reported(tmp_path: Path) -> None:
    from skinlab.errors import ModelUnavailable

    with pytest.raises(ModelUnavailable, match=r"propensity\.onnx"):
        PropensityScorer(tmp_path)


def test_contacts_logged_through_skinlab_are_excluded_once(scorer: PropensityScorer) -> None:
    board = build_board(_brand(), scorer)
    ranking = rank_users(board, RankQuery(), contacted={"buyer", "holder", "touched3", "ghost"})
    assert sorted(ranking.users.index) == ["quiet", "touched30"]
    # the holder and the touched user count under their first rule; an unknown id counts nowhere
    assert ranking.excluded["contact_logged"] == 1
    assert ranking.excluded["card_holder"] == 1 and ranking.excluded["contacted_recently"] == 1
