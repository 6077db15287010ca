"""The brand's user segments, as written-down rules on the value scores of
:func:`models.value_score.value_scores`.

A dimension score is a percentile among the users active in that dimension (see
:mod:`models.value_score`), so a threshold of 80 reads "the top 20% of those who do it at all";
count thresholds are on the raw measures of the same window. Every number a rule uses is one of
the named constants below, and the rule texts of :data:`SEGMENTS` are written from them, so the
words and the code cannot disagree. A user may be in several segments, or in none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd

from skinlab.errors import InvalidInput

__all__ = [
    "REQUIRED_COLUMNS",
    "SEGMENTS",
    "Segment",
    "assign_segments",
    "interaction_score",
    "segments_of",
]

ATMOSPHERE_MIN_SPEECH = 80.0
ATMOSPHERE_MIN_PARTICIPATION = 50.0
WORD_OF_MOUTH_MIN_FISSION = 50.0
WORD_OF_MOUTH_MIN_INVITEE_ORDERS = 2
EXPERIENCE_MIN_SKIN_TESTS = 1
EXPERIENCE_MIN_EXPERIENCES = 3
"""Skin tests plus store services (consultation, skin test, facial, spa treatment)."""
EXPERIENCE_MIN_FEEDBACK = 2
"""Surveys answered plus posts (reviews, notes, photos)."""
BEST_BUYER_MIN_CONSUMPTION = 90.0
BEST_BUYER_MIN_ORDERS = 3
KOC_SPEND_MIN_CONSUMPTION = 90.0
KOC_SPEND_MIN_VOICE = 50.0
"""The higher of speech and content: a top buyer who is heard in the community."""
KOC_INTERACTION_MIN_SCORE = 85.0
KOC_INTERACTION_MIN_CONSUMPTION = 50.0
KOC_CONTENT_MIN_CONTENT = 80.0
KOC_CONTENT_MIN_POSTS = 3
KOC_CONTENT_MIN_ORDERS = 1
"""A key opinion *consumer* has bought in the window."""


class Segment(NamedTuple):
    """A segment's names and its rule in words, Chinese and English."""

    zh: str
    en: str
    rule_zh: str
    rule_en: str


SEGMENTS: dict[str, Segment] = {
    "community_atmosphere": Segment(
        "社群氛围组",
        "Community atmosphere makers",
        f"发言分 ≥ {ATMOSPHERE_MIN_SPEECH:g} 且参与分 ≥ {ATMOSPHERE_MIN_PARTICIPATION:g}",
        f"speech >= {ATMOSPHERE_MIN_SPEECH:g} and participation >= "
        f"{ATMOSPHERE_MIN_PARTICIPATION:g}: the loudest voices who also join the activities",
    ),
    "word_of_mouth_king": Segment(
        "口碑王",
        "Word-of-mouth kings",
        f"裂变分 ≥ {WORD_OF_MOUTH_MIN_FISSION:g} 且邀请的好友下单 ≥ "
        f"{WORD_OF_MOUTH_MIN_INVITEE_ORDERS} 笔",
        f"fission >= {WORD_OF_MOUTH_MIN_FISSION:g} and invitee_orders >= "
        f"{WORD_OF_MOUTH_MIN_INVITEE_ORDERS}: friends they brought keep buying",
    ),
    "experience_officer": Segment(
        "体验官",
        "Experience officers",
        f"测肤 ≥ {EXPERIENCE_MIN_SKIN_TESTS} 次，测肤与到店服务合计 ≥ "
        f"{EXPERIENCE_MIN_EXPERIENCES} 次，且问卷与发帖合计 ≥ {EXPERIENCE_MIN_FEEDBACK} 次",
        f"skin_tests >= {EXPERIENCE_MIN_SKIN_TESTS}, skin_tests + store_services >= "
        f"{EXPERIENCE_MIN_EXPERIENCES} and surveys + posts >= {EXPERIENCE_MIN_FEEDBACK}: "
        "they try the brand's tests and services and say what they think",
    ),
    "best_buyer": Segment(
        "最佳买家",
        "Best buyers",
        f"消费分 ≥ {BEST_BUYER_MIN_CONSUMPTION:g} 且下单 ≥ {BEST_BUYER_MIN_ORDERS} 笔",
        f"consumption >= {BEST_BUYER_MIN_CONSUMPTION:g} and orders >= "
        f"{BEST_BUYER_MIN_ORDERS}: top buyers who come back",
    ),
    "koc_spend": Segment(
        "高消费KOC候选",
        "KOC candidates by spend",
        f"消费分 ≥ {KOC_SPEND_MIN_CONSUMPTION:g} 且发言分或内容分 ≥ {KOC_SPEND_MIN_VOICE:g}",
        f"consumption >= {KOC_SPEND_MIN_CONSUMPTION:g} and max(speech, content) >= "
        f"{KOC_SPEND_MIN_VOICE:g}: top spenders who are heard",
    ),
    "koc_interaction": Segment(
        "高互动KOC候选",
        "KOC candidates by interaction",
        f"互动分（发言分与参与分的平均）≥ {KOC_INTERACTION_MIN_SCORE:g} 且消费分 ≥ "
        f"{KOC_INTERACTION_MIN_CONSUMPTION:g}",
        f"interaction (mean of speech and participation) >= {KOC_INTERACTION_MIN_SCORE:g} and "
        f"consumption >= {KOC_INTERACTION_MIN_CONSUMPTION:g}: the most active, and real customers",
    ),
    "koc_content": Segment(
        "内容KOC候选",
        "KOC candidates by content",
        f"内容分 ≥ {KOC_CONTENT_MIN_CONTENT:g}，发帖 ≥ {KOC_CONTENT_MIN_POSTS} 篇且下单 ≥ "
        f"{KOC_CONTENT_MIN_ORDERS} 笔",
        f"content >= {KOC_CONTENT_MIN_CONTENT:g}, posts >= {KOC_CONTENT_MIN_POSTS} and orders "
        f">= {KOC_CONTENT_MIN_ORDERS}: customers who create, not only forward",
    ),
}

REQUIRED_COLUMNS = (
    "speech",
    "fission",
    "consumption",
    "participation",
    "content",
    "invitee_orders",
    "orders",
    "skin_tests",
    "store_services",
    "surveys",
    "posts",
)


def interaction_score(values: pd.DataFrame) -> pd.Series:
    """The interaction score of each user: the mean of speech and participation, 0–100."""
    score: pd.Series = (values["speech"] + values["participation"]) / 2
    return score


_RULES: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "community_atmosphere": lambda v: (
        (v["speech"] >= ATMOSPHERE_MIN_SPEECH)
        & (v["participation"] >= ATMOSPHERE_MIN_PARTICIPATION)
    ),
    "word_of_mouth_king": lambda v: (
        (v["fission"] >= WORD_OF_MOUTH_MIN_FISSION)
        & (v["invitee_orders"] >= WORD_OF_MOUTH_MIN_INVITEE_ORDERS)
    ),
    "experience_officer": lambda v: (
        (v["skin_tests"] >= EXPERIENCE_MIN_SKIN_TESTS)
        & (v["skin_tests"] + v["store_services"] >= EXPERIENCE_MIN_EXPERIENCES)
        & (v["surveys"] + v["posts"] >= EXPERIENCE_MIN_FEEDBACK)
    ),
    "best_buyer": lambda v: (
        (v["consumption"] >= BEST_BUYER_MIN_CONSUMPTION) & (v["orders"] >= BEST_BUYER_MIN_ORDERS)
    ),
    "koc_spend": lambda v: (
        (v["consumption"] >= KOC_SPEND_MIN_CONSUMPTION)
        & (np.maximum(v["speech"], v["content"]) >= KOC_SPEND_MIN_VOICE)
    ),
    "koc_interaction": lambda v: (
        (interaction_score(v) >= KOC_INTERACTION_MIN_SCORE)
        & (v["consumption"] >= KOC_INTERACTION_MIN_CONSUMPTION)
    ),
    "koc_content": lambda v: (
        (v["content"] >= KOC_CONTENT_MIN_CONTENT)
        & (v["posts"] >= KOC_CONTENT_MIN_POSTS)
        & (v["orders"] >= KOC_CONTENT_MIN_ORDERS)
    ),
}


def assign_segments(values: pd.DataFrame) -> pd.DataFrame:
    """Which segments each user is in.

    Parameters
    ----------
    values : pandas.DataFrame
        Output of :func:`models.value_score.value_scores` (at least :data:`REQUIRED_COLUMNS`),
        shape ``(n_users, n_columns)``.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_users, len(SEGMENTS))``, one bool column per segment code in
        :data:`SEGMENTS` order, with the index of ``values``.

    Raises
    ------
    InvalidInput
        If ``values`` lacks a column a rule reads.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in values.columns]
    if missing:
        raise InvalidInput(
            f"value scores lack {', '.join(missing)}; needed: {', '.join(REQUIRED_COLUMNS)}",
            message_zh=f"价值分缺少列：{', '.join(missing)}",
        )
    numeric = values[list(REQUIRED_COLUMNS)].astype(np.float64)
    return pd.DataFrame(
        {code: rule(numeric).to_numpy(dtype=bool) for code, rule in _RULES.items()},
        index=values.index,
    )


def segments_of(row: pd.Series) -> list[str]:
    """The segment codes of one user, in :data:`SEGMENTS` order.

    ``row`` is a row of :func:`assign_segments` (bool per code) or of
    :func:`models.value_score.value_scores`, whose rules are then applied to it.
    """
    if all(code in row.index for code in SEGMENTS):
        flags = row[list(SEGMENTS)]
    else:
        flags = assign_segments(row.to_frame().T).iloc[0]
    return [code for code in SEGMENTS if bool(flags[code])]
