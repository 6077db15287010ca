"""Simulator, part 3: weekly community activity, energy points, content and invites (fission).

Community activity is written as one row per user, ISO-like week (counted from the window's
start) and kind, with the week's ``count`` and the week's *end* as its time, so point-in-time
features see a week only once it is over. Only complete weeks inside the window are written.
"""

from __future__ import annotations

import numpy as np

from data._sim_activity import events_in
from data._sim_people import Columns, Floats, Ints, People, sigmoid
from data.events.specs import ACTIVITY_KINDS, SOURCE_CHANNELS
from data.simulation_config import SimulationConfig

WEEK = 7.0
_WEEKLY_CAP = {"sign_in": 7, "check_in": 7}


def _member_weeks(people: People, horizon: float) -> tuple[Ints, Ints]:
    """Every (user, week) pair overlapping the user's time in the community."""
    _, b0, b1, _ = people.segments(horizon)
    first = np.floor(b0 / WEEK).astype(np.int64)
    last = np.minimum(np.ceil(b1 / WEEK), np.floor(horizon / WEEK)).astype(np.int64)
    weeks = np.maximum(last - first, 0)
    weeks[b1 <= b0] = 0
    users = np.repeat(np.arange(people.size), weeks)
    starts = np.repeat(np.cumsum(weeks) - weeks, weeks)
    week = first[users] + (np.arange(len(users)) - starts)
    return users, week


def community(
    config: SimulationConfig, rng: np.random.Generator, people: People
) -> tuple[Columns, Columns]:
    """Weekly activity counts and the energy points they earn (with redemptions)."""
    com = config.community
    horizon = float(config.days)
    users, week = _member_weeks(people, horizon)
    eng, soc = people.engagement[users], people.sociability[users]
    active = rng.random(len(users)) < sigmoid(
        com.weekly_active_logit + com.weekly_active_engagement_effect * eng
    )
    users, week, eng, soc = users[active], week[active], eng[active], soc[active]
    week_end = ((week + 1) * WEEK).astype(np.float64)

    rows_user, rows_time, rows_kind, rows_count = [], [], [], []
    points = np.zeros(len(users), np.int64)
    tasks = np.zeros(len(users), np.int64)
    for k, kind in enumerate(ACTIVITY_KINDS):
        log_rate = com.activity_engagement_effect * eng
        if kind == "message":
            log_rate = log_rate + com.message_sociability_effect * soc
        count = rng.poisson(com.weekly_rates[kind] * np.exp(log_rate))
        if kind in _WEEKLY_CAP:
            count = np.minimum(count, _WEEKLY_CAP[kind])
        if kind in com.points:
            points += com.points[kind] * count
            tasks += count
        keep = count > 0
        rows_user.append(users[keep])
        rows_time.append(week_end[keep])
        rows_kind.append(np.full(int(keep.sum()), k, np.int8))
        rows_count.append(count[keep].astype(np.int16))
    activity: Columns = {
        "user": np.concatenate(rows_user),
        "occurred_at": np.concatenate(rows_time),
        "kind": np.concatenate(rows_kind),
        "count": np.concatenate(rows_count),
    }
    return activity, _energy(config, rng, people, users, week_end, points, tasks)


def _energy(
    config: SimulationConfig,
    rng: np.random.Generator,
    people: People,
    users: Ints,
    week_end: Floats,
    points: Ints,
    tasks: Ints,
) -> Columns:
    """Earned rows per week, and redemptions whenever the balance passes another threshold.

    A user redeems at a crossing with a probability rising with engagement and then redeems all
    whole thresholds earned since the last redemption, so the balance never goes negative.
    """
    com = config.community
    earned = points > 0
    users, week_end, points, tasks = users[earned], week_end[earned], points[earned], tasks[earned]
    total = np.cumsum(points)
    new_user = np.r_[True, users[1:] != users[:-1]]
    group = np.cumsum(new_user) - 1
    before = (total - points)[new_user]
    balance = total - before[group]
    level = balance // com.redeem_threshold_points
    crossed = level > (balance - points) // com.redeem_threshold_points
    redeem_p = sigmoid(com.redeem_logit + 0.8 * people.engagement[users])
    redeems = crossed & (rng.random(len(users)) < redeem_p)
    r_users, r_level = users[redeems], level[redeems]
    previous = np.r_[0, r_level[:-1]]
    previous[np.r_[True, r_users[1:] != r_users[:-1]]] = 0
    r_time = week_end[redeems] + rng.random(len(r_users)) * 0.9
    inside = r_time < config.days
    redeemed = com.redeem_threshold_points * (r_level - previous)
    return {
        "user": np.concatenate([users, r_users[inside]]),
        "occurred_at": np.concatenate([week_end, r_time[inside]]),
        "kind": np.concatenate(
            [np.zeros(len(users), np.int8), np.ones(int(inside.sum()), np.int8)]
        ),
        "points": np.concatenate([points, redeemed[inside]]).astype(np.int32),
        "tasks_completed": np.concatenate([tasks, np.zeros(int(inside.sum()), np.int64)]).astype(
            np.int32
        ),
    }


def content(config: SimulationConfig, rng: np.random.Generator, people: People) -> Columns:
    """Posts and forwards while in the community; sociable users (KOCs) do far more."""
    com = config.community
    _, b0, b1, _ = people.segments(float(config.days))
    boost = np.exp(com.content_sociability_effect * people.sociability)
    post_users, post_times = events_in(rng, b0, b1, com.posts_per_week / WEEK * boost)
    fwd_users, fwd_times = events_in(
        rng, b0, b1, com.forwards_per_week / WEEK * boost * np.exp(0.3 * people.engagement)
    )
    return {
        "user": np.concatenate([post_users, fwd_users]),
        "occurred_at": np.concatenate([post_times, fwd_times]),
        "action": np.r_[np.zeros(len(post_users), np.int8), np.ones(len(fwd_users), np.int8)],
    }


def invites(
    config: SimulationConfig, rng: np.random.Generator, people: People, first_amount: Floats
) -> Columns:
    """Give each invite-sourced user an inviter who joined earlier in the block.

    Inviters are drawn with weight ``exp(effect * sociability)``, times ``invite_member_weight``
    for community members: word of mouth comes from sociable members (KOCs).
    """
    com = config.community
    invitees = np.flatnonzero(people.source == SOURCE_CHANNELS.index("invite"))
    weight = np.exp(com.invite_sociability_effect * people.sociability)
    weight *= np.where(np.isfinite(people.community_join), com.invite_member_weight, 1.0)
    order = np.argsort(people.joined, kind="stable")
    cumulative = np.cumsum(weight[order])
    eligible = np.searchsorted(people.joined[order], people.joined[invitees], side="left")
    invitees, eligible = invitees[eligible > 0], eligible[eligible > 0]
    pick = rng.random(len(invitees)) * cumulative[eligible - 1]
    position = np.minimum(np.searchsorted(cumulative, pick, side="right"), eligible - 1)
    return {
        "inviter": order[position],
        "user": invitees,
        "invited_at": people.joined[invitees],
        "first_order_amount": first_amount[invitees],
    }
