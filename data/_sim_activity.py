"""Simulator, part 2: the events each user's traits and state produce (orders, cards, visits,
skin tests, community activity, energy points, content, invites).

Every generator is vectorised over the block: counts are Poisson draws over each user's
time segments and event times are uniform within them.
"""

from __future__ import annotations

import numpy as np

from data._sim_people import Columns, Floats, Ints, People, logit, sigmoid
from data.events.specs import ORDER_CHANNELS, SOURCE_CHANNELS, STORE_SERVICES
from data.simulation_config import SimulationConfig
from data.vocabulary import CONCERNS

SKUS_PER_CONCERN = 5
CARD_SKU = len(CONCERNS) * SKUS_PER_CONCERN  # the index after the product SKUs
_WALK_IN_SERVICES = np.array([0.30, 0.20, 0.25, 0.10, 0.15])  # STORE_SERVICES order


def events_in(
    rng: np.random.Generator, start: Floats, end: Floats, rate: Floats
) -> tuple[Ints, Floats]:
    """Poisson events at ``rate`` per day in each ``[start, end)``: (user index, time) sorted."""
    length = np.maximum(end - start, 0.0)
    counts = rng.poisson(rate * length)
    users = np.repeat(np.arange(len(start)), counts)
    times = start[users] + rng.random(len(users)) * length[users]
    return users, times


def _severity_z(people: People) -> Floats:
    return (people.severity - 0.4) / 0.2


def orders(config: SimulationConfig, rng: np.random.Generator, people: People) -> Columns:
    """First orders, repeat orders (faster while in the community) and card orders."""
    buy = config.purchases
    horizon = float(config.days)
    a0, b0, b1, c1 = people.segments(horizon)
    rate = (buy.repeat_rate_per_year / 365.0) * np.exp(
        buy.repeat_engagement_effect * people.engagement
        + buy.repeat_severity_effect * _severity_z(people)
    )
    parts = [
        events_in(rng, a0, b0, rate),
        events_in(rng, b0, b1, rate * buy.community_rate_multiplier),
        events_in(rng, b1, c1, rate),
    ]
    repeat_users = np.concatenate([users for users, _ in parts])
    repeat_times = np.concatenate([times for _, times in parts])
    first_users = np.arange(people.size)
    users = np.concatenate([first_users, repeat_users])
    times = np.concatenate([people.joined, repeat_times])

    online = np.array([SOURCE_CHANNELS.index(c) for c in ("miniprogram", "ecommerce", "live")])
    preferred = np.where(np.isin(people.source, online), people.source, 0)
    from_store = people.source == SOURCE_CHANNELS.index("store")
    first_store = from_store[first_users]
    repeat_store = rng.random(len(repeat_users)) < people.store_share[repeat_users]
    in_store = np.concatenate([first_store, repeat_store])
    channel = np.where(in_store, ORDER_CHANNELS.index("store"), preferred[users])

    # lognormal noise with mean 1, times an affluence factor rescaled to mean 1 within each
    # channel group, so the channel means are the configured ones whoever buys there
    lift = np.exp(buy.amount_affluence_effect * people.affluence[users])
    for group in (in_store, ~in_store):
        if group.any():
            lift[group] /= lift[group].mean()
    noise = np.exp(buy.amount_sigma * rng.standard_normal(len(users)) - buy.amount_sigma**2 / 2)
    amount = np.where(in_store, buy.store_mean_rmb, buy.online_mean_rmb) * lift * noise
    unit = np.where(in_store, buy.store_unit_rmb, buy.online_unit_rmb)
    items = 1 + rng.poisson(np.maximum(amount / unit - 1.0, 0.0))
    concern = np.where(
        rng.random(len(users)) < buy.sku_matches_concern,
        people.concern[users],
        rng.integers(0, len(CONCERNS), len(users)),
    )
    sku = concern * SKUS_PER_CONCERN + rng.integers(0, SKUS_PER_CONCERN, len(users))
    return {
        "user": users,
        "ordered_at": times,
        "channel": channel.astype(np.int8),
        "amount": np.round(amount, 2),
        "items": items.astype(np.int32),
        "sku": sku.astype(np.int16),
        "store": np.where(in_store, people.store[users], -1),
    }


def cards(config: SimulationConfig, rng: np.random.Generator, people: People) -> Columns:
    """New cards at ``people.first_card`` and renewals at each expiry, while in the window."""
    card = config.card
    horizon = float(config.days)
    term = card.months * 365.25 / 12
    renew_p = sigmoid(
        logit(card.renewal_probability)
        + card.renewal_engagement_effect * people.engagement
        + card.renewal_affluence_effect * people.affluence
    )
    holder = np.flatnonzero(people.first_card < horizon)
    time = people.first_card[holder]
    users, times, kinds, covered = [holder], [time], [np.zeros(len(holder), np.int8)], []
    cover_end = time + term
    active = holder
    while True:
        renews = (cover_end < horizon) & (rng.random(len(active)) < renew_p[active])
        covered.append(cover_end)
        if not renews.any():
            break
        active, time = active[renews], cover_end[renews]
        users.append(active)
        times.append(time)
        kinds.append(np.ones(len(active), np.int8))
        cover_end = time + term
    user = np.concatenate(users)
    price = card.price_mean_rmb * np.exp(
        card.price_sigma * rng.standard_normal(len(user)) - card.price_sigma**2 / 2
    )
    # coverage of each holder: from the first card to the end of the last renewal
    last_end = np.full(people.size, -np.inf)
    for index, end in zip(users, covered, strict=True):
        last_end[index] = np.maximum(last_end[index], end)
    return {
        "user": user,
        "purchased_at": np.concatenate(times),
        "kind": np.concatenate(kinds),
        "amount": np.round(price, 0),
        "store": people.store[user],
        "covered_until": last_end,
    }


def store_visits(
    config: SimulationConfig, rng: np.random.Generator, people: People, covered_until: Floats
) -> Columns:
    """Walk-in visits of store-minded customers, and monthly spa services of card holders."""
    buy, card = config.purchases, config.card
    horizon = float(config.days)
    a0, _, _, c1 = people.segments(horizon)
    rate = (buy.store_visits_per_year / 365.0) * (people.store_share / 0.3)
    rate *= np.exp(0.3 * people.engagement)
    walk_users, walk_times = events_in(rng, a0, c1, rate)
    walk_service = rng.choice(len(STORE_SERVICES), size=len(walk_users), p=_WALK_IN_SERVICES)
    start = np.where(np.isfinite(people.first_card), people.first_card, horizon)
    end = np.minimum(np.maximum(covered_until, start), horizon)
    spa_rate = np.full(people.size, card.spa_visits_per_month / 30.44)
    spa_users, spa_times = events_in(rng, start, end, spa_rate)
    spa_service = np.where(
        rng.random(len(spa_users)) < 0.6,
        STORE_SERVICES.index("spa_treatment"),
        STORE_SERVICES.index("facial"),
    )
    users = np.concatenate([walk_users, spa_users])
    return {
        "user": users,
        "visited_at": np.concatenate([walk_times, spa_times]),
        "store": people.store[users],
        "service": np.concatenate([walk_service, spa_service]).astype(np.int8),
        "card_redeemed": np.concatenate(
            [np.zeros(len(walk_users), bool), np.ones(len(spa_users), bool)]
        ),
    }


def skin_tests(config: SimulationConfig, rng: np.random.Generator, people: People) -> Columns:
    """Skin tests, more often in the community and for worse skin; the main concern scores high."""
    buy = config.purchases
    a0, b0, b1, c1 = people.segments(float(config.days))
    rate = (buy.skin_tests_per_year / 365.0) * np.exp(
        0.5 * people.engagement + buy.skin_test_severity_effect * (_severity_z(people) - 1.0)
    )
    parts = [
        events_in(rng, a0, b0, rate),
        events_in(rng, b0, b1, rate * buy.skin_test_community_multiplier),
        events_in(rng, b1, c1, rate),
    ]
    users = np.concatenate([u for u, _ in parts])
    base = 25.0 + 10.0 * rng.standard_normal((people.size, len(CONCERNS)))
    base[np.arange(people.size), people.concern] += 60.0 * people.severity
    scores = base[users] + 5.0 * rng.standard_normal((len(users), len(CONCERNS)))
    columns: Columns = {
        "user": users,
        "tested_at": np.concatenate([t for _, t in parts]),
        "in_store": rng.random(len(users)) < 0.5 * people.store_share[users],
    }
    for k, concern in enumerate(CONCERNS):
        columns[f"{concern}_score"] = np.round(np.clip(scores[:, k], 0.0, 100.0), 1)
    return columns
