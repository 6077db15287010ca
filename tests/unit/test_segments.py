"""Segment rules: each boundary on hand-made value rows, and the shares on a simulated brand."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from data.simulation_config import SimulationConfig
from data.simulator import simulate
from models import segments as seg
from models.segments import REQUIRED_COLUMNS, SEGMENTS, assign_segments, segments_of
from models.value_score import DIMENSIONS, value_scores
from skinlab.errors import InvalidInput

# The smallest row in each segment: every rule's thresholds met exactly, everything else 0.
AT_THRESHOLD: dict[str, dict[str, float]] = {
    "community_atmosphere": {
        "speech": seg.ATMOSPHERE_MIN_SPEECH,
        "participation": seg.ATMOSPHERE_MIN_PARTICIPATION,
    },
    "word_of_mouth_king": {
        "fission": seg.WORD_OF_MOUTH_MIN_FISSION,
        "invitee_orders": seg.WORD_OF_MOUTH_MIN_INVITEE_ORDERS,
    },
    "experience_officer": {
        "skin_tests": seg.EXPERIENCE_MIN_SKIN_TESTS,
        "store_services": seg.EXPERIENCE_MIN_EXPERIENCES - seg.EXPERIENCE_MIN_SKIN_TESTS,
        "surveys": seg.EXPERIENCE_MIN_FEEDBACK,
    },
    "best_buyer": {
        "consumption": seg.BEST_BUYER_MIN_CONSUMPTION,
        "orders": seg.BEST_BUYER_MIN_ORDERS,
    },
    "koc_spend": {
        "consumption": seg.KOC_SPEND_MIN_CONSUMPTION,
        "speech": seg.KOC_SPEND_MIN_VOICE,
    },
    "koc_interaction": {
        "speech": seg.KOC_INTERACTION_MIN_SCORE,
        "participation": seg.KOC_INTERACTION_MIN_SCORE,
        "consumption": seg.KOC_INTERACTION_MIN_CONSUMPTION,
    },
    "koc_content": {
        "content": seg.KOC_CONTENT_MIN_CONTENT,
        "posts": seg.KOC_CONTENT_MIN_POSTS,
        "orders": seg.KOC_CONTENT_MIN_ORDERS,
    },
}
SIMULATED_USERS = 5000


def _values(*rows: dict[str, float]) -> pd.DataFrame:
    frame = pd.DataFrame([{c: 0.0 for c in REQUIRED_COLUMNS} | row for row in rows])
    return frame.set_axis([f"u{i}" for i in range(len(rows))]).rename_axis("user_id")


def _just_below(row: dict[str, float], column: str) -> dict[str, float]:
    step = 0.01 if column in DIMENSIONS else 1.0  # scores are continuous, raw measures counts
    return row | {column: row[column] - step}


def test_every_segment_has_names_and_a_rule_in_both_languages() -> None:
    assert set(AT_THRESHOLD) == set(SEGMENTS)
    for segment in SEGMENTS.values():
        assert segment.zh and segment.en and segment.rule_zh and segment.rule_en
    assert str(int(seg.BEST_BUYER_MIN_CONSUMPTION)) in SEGMENTS["best_buyer"].rule_en


@pytest.mark.parametrize("code", list(SEGMENTS))
def test_a_row_at_the_thresholds_is_in_and_one_step_below_any_is_out(code: str) -> None:
    row = AT_THRESHOLD[code]
    below = [_just_below(row, column) for column in row]
    flags = assign_segments(_values(row, *below))[code]
    assert flags.iloc[0]
    assert not flags.iloc[1:].any(), [c for c, f in zip(row, flags.iloc[1:], strict=True) if f]


def test_nobody_with_no_activity_is_in_a_segment() -> None:
    assert not assign_segments(_values({})).to_numpy().any()


def test_a_top_spender_is_a_koc_candidate_through_content_as_well_as_speech() -> None:
    row = {"consumption": seg.KOC_SPEND_MIN_CONSUMPTION, "content": seg.KOC_SPEND_MIN_VOICE}
    assert assign_segments(_values(row)).loc["u0", "koc_spend"]


def test_feedback_counts_posts_and_surveys_together() -> None:
    row = AT_THRESHOLD["experience_officer"] | {"surveys": 1.0, "posts": 1.0}
    assert assign_segments(_values(row)).loc["u0", "experience_officer"]


def test_a_user_can_be_in_several_segments_and_segments_of_lists_them() -> None:
    row = AT_THRESHOLD["koc_content"] | AT_THRESHOLD["koc_spend"] | AT_THRESHOLD["best_buyer"]
    values = _values(row)
    flags = assign_segments(values)
    assert list(flags.columns) == list(SEGMENTS) and (flags.dtypes == "bool").all()
    expected = ["best_buyer", "koc_spend", "koc_content"]
    assert segments_of(flags.iloc[0]) == expected
    assert segments_of(values.iloc[0]) == expected  # a row of value scores works too


def test_missing_columns_are_named() -> None:
    with pytest.raises(InvalidInput, match="posts"):
        assign_segments(_values({}).drop(columns=["posts"]))


def test_on_a_simulated_brand_every_segment_is_some_but_not_most_users() -> None:
    tables = simulate(SimulationConfig.load(), SIMULATED_USERS)
    shares = assign_segments(value_scores(tables, datetime(2026, 1, 1))).mean()
    assert ((shares >= 0.001) & (shares <= 0.5)).all(), shares.to_dict()
