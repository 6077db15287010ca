"""Simulator, part 1: latent traits, joining, EBA touches, community membership, card purchases.

Arrays are indexed by the user's position in the block; times are float days since the window's
start (``config.start``); ``np.inf`` means "never (within the window)".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from data.events.specs import SOURCE_CHANNELS
from data.simulation_config import SimulationConfig
from data.vocabulary import CONCERNS

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]
Columns = dict[str, NDArray[np.generic]]


def sigmoid(x: Floats) -> Floats:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def gumbel_choice(rng: np.random.Generator, logits: Floats) -> Ints:
    """One category per row of ``logits`` (n, k), drawn with the Gumbel-max trick."""
    choice: Ints = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1).astype(np.int64)
    return choice


@dataclass
class People:
    """The per-user state of one block that the activity generators read."""

    engagement: Floats
    affluence: Floats
    sociability: Floats
    concern: Ints
    severity: Floats
    joined: Floats
    source: Ints
    city: Ints
    store: Ints
    store_share: Floats
    community_join: Floats
    community_leave: Floats
    alive_until: Floats
    first_card: Floats

    @property
    def size(self) -> int:
        return len(self.joined)

    def segments(self, horizon: float) -> tuple[Floats, Floats, Floats, Floats]:
        """Bounds of the time before, in and after the community, clipped to being a customer.

        Returns ``(a0, b0, b1, c1)``: before-community is ``[a0, b0)``, in-community ``[b0, b1)``
        and after-community ``[b1, c1)``; empty segments have equal bounds.
        """
        c1 = np.minimum(self.alive_until, horizon)
        b0 = np.minimum(self.community_join, c1)
        b1 = np.minimum(np.maximum(self.community_leave, b0), c1)
        return self.joined, b0, b1, c1


def retention_scale(target: float, effect: float, engagement: Floats) -> float:
    """Mean days in the community such that ``target`` of these members stay 365 days.

    Time in the community is exponential with mean ``scale * exp(effect * engagement)``; the scale
    is solved by bisection on the members' own engagement (joining selects engaged people, so
    the population's distribution would overstate retention).
    """
    z = np.sort(engagement)[:: max(1, len(engagement) // 4000)] if len(engagement) else np.zeros(1)
    lo, hi = 1.0, 1e6
    for _ in range(60):
        mid = (lo * hi) ** 0.5
        kept = float(np.mean(np.exp(-365.0 / (mid * np.exp(effect * z)))))
        lo, hi = (mid, hi) if kept < target else (lo, mid)
    return float((lo * hi) ** 0.5)


def draw_people(
    config: SimulationConfig, rng: np.random.Generator, n: int
) -> tuple[People, Columns]:
    """Traits, join day, channel, city and community membership; returns the touches table too."""
    pop, rec, com = config.population, config.recruitment, config.community
    horizon = float(config.days)
    corr = pop.trait_correlation
    ea, es, as_ = (
        corr["engagement_affluence"],
        corr["engagement_sociability"],
        corr["affluence_sociability"],
    )
    chol = np.linalg.cholesky(np.array([[1.0, ea, es], [ea, 1.0, as_], [es, as_, 1.0]]))
    traits = rng.standard_normal((n, 3)) @ chol.T
    engagement, affluence, sociability = traits[:, 0], traits[:, 1], traits[:, 2]
    mix = np.array([pop.concern_mix.get(c, 0.0) for c in CONCERNS])
    concern = rng.choice(len(CONCERNS), size=n, p=mix / mix.sum()).astype(np.int64)
    severity = rng.beta(*pop.severity_beta, size=n)
    joined = rng.random(n) * horizon

    channel_logits = np.log([pop.source_channel_mix[c] for c in SOURCE_CHANNELS])
    logits = np.broadcast_to(channel_logits, (n, len(SOURCE_CHANNELS))).copy()
    logits[:, SOURCE_CHANNELS.index("store")] += pop.store_affluence_effect * affluence
    source = gumbel_choice(rng, logits)
    city_names = list(pop.cities)
    city_logits = np.broadcast_to(np.log(list(pop.cities.values())), (n, len(city_names))).copy()
    tier1 = np.array([name in pop.tier1_cities for name in city_names])
    city_logits[:, tier1] += pop.tier1_affluence_effect * affluence[:, None]
    city = gumbel_choice(rng, city_logits)
    store = city * pop.stores_per_city + rng.integers(0, pop.stores_per_city, n)
    from_store = source == SOURCE_CHANNELS.index("store")
    store_share = sigmoid(
        config.purchases.store_order_share_logit
        + config.purchases.store_source_bonus * from_store
        + pop.store_affluence_effect * affluence
    )

    touches, join_logit = _recruitment_touches(config, rng, joined, engagement, from_store)
    join_logit += rec.join_base_logit + rec.store_join_bonus * from_store
    join_logit += rec.join_engagement_effect * engagement
    join_logit += rec.join_sociability_effect * sociability
    joins = rng.random(n) < sigmoid(join_logit)
    community_join = np.where(joins, joined + 1.0 + rng.exponential(rec.join_lag_days, n), np.inf)
    community_join[community_join >= horizon] = np.inf
    scale = retention_scale(
        com.retention_12m, com.retention_engagement_effect, engagement[np.isfinite(community_join)]
    )
    stay = rng.exponential(1.0, n) * scale * np.exp(com.retention_engagement_effect * engagement)
    community_leave = community_join + stay
    life = rng.exponential(1.0, n) * config.purchases.customer_life_days
    life *= np.exp(config.purchases.life_engagement_effect * engagement)
    alive_until = np.where(np.isfinite(community_join), community_leave, joined) + life

    people = People(
        engagement=engagement,
        affluence=affluence,
        sociability=sociability,
        concern=concern,
        severity=severity,
        joined=joined,
        source=source,
        city=city,
        store=store,
        store_share=store_share,
        community_join=community_join,
        community_leave=community_leave,
        alive_until=alive_until,
        first_card=np.full(n, np.inf),
    )
    people.first_card = _first_card(config, rng, people)
    return people, touches


def _recruitment_touches(
    config: SimulationConfig,
    rng: np.random.Generator,
    joined: Floats,
    engagement: Floats,
    from_store: Bools,
) -> tuple[Columns, Floats]:
    """The four EBA touches after the first order, and the log-odds they add to joining."""
    rec = config.recruitment
    n = len(joined)
    shipped = ~from_store
    call = rng.random(n) < rec.service_call_attempt
    call_reached = call & (rng.random(n) < rec.service_call_reach)
    message = shipped & (rng.random(n) < rec.logistics_message_sent)
    message_read = message & (rng.random(n) < rec.logistics_message_read)
    scan_p = sigmoid(logit(rec.qr_scan_probability) + rec.qr_scan_engagement_effect * engagement)
    scanned = shipped & (rng.random(n) < scan_p)
    day10 = rng.random(n) < rec.day10_call_attempt
    day10_reached = day10 & (rng.random(n) < rec.day10_call_reach)

    effects = rec.touch_effects
    join_logit = (
        effects["service_call"] * call_reached
        + effects["logistics_message"] * message_read
        + effects["qr_scan"] * scanned
        + effects["day10_call"] * day10_reached
    )
    happened = (call, message, scanned, day10)  # in EBA_TOUCHES order
    reached = (call_reached, message_read, scanned, day10_reached)
    delays = (
        rng.random(n),
        np.full(n, 3.0) + rng.random(n) * 0.5,
        3.0 + rng.exponential(2.0, n),
        np.full(n, 10.0) + rng.random(n) * 0.5,
    )
    users, times, kinds, outcomes = [], [], [], []
    for kind, (did, ok, delay) in enumerate(zip(happened, reached, delays, strict=True)):
        index = np.flatnonzero(did)
        users.append(index)
        times.append(joined[index] + delay[index])
        kinds.append(np.full(len(index), kind, dtype=np.int8))
        outcomes.append(np.where(ok[index], 0, 1).astype(np.int8))
    time = np.concatenate(times)
    keep = time < config.days
    touches: Columns = {
        "user": np.concatenate(users)[keep],
        "touched_at": time[keep],
        "touch": np.concatenate(kinds)[keep],
        "outcome": np.concatenate(outcomes)[keep],
    }
    return touches, np.asarray(join_logit, dtype=np.float64)


def _first_card(config: SimulationConfig, rng: np.random.Generator, people: People) -> Floats:
    """The first card purchase: a piecewise-constant hazard, higher while in the community."""
    card = config.card
    z_severity = (people.severity - 0.4) / 0.2
    rate = (card.base_rate_per_year / 365.0) * np.exp(
        card.affluence_effect * people.affluence
        + card.engagement_effect * people.engagement
        + card.sociability_effect * people.sociability
        + card.severity_effect * z_severity
        + card.store_preference_effect * (people.store_share - 0.3)
    )
    a0, b0, b1, c1 = people.segments(float(config.days))
    h_before = rate * (b0 - a0)
    h_in = rate * card.community_multiplier * (b1 - b0)
    h_after = rate * (c1 - b1)
    draw = rng.exponential(1.0, people.size)
    first = np.full(people.size, np.inf)
    before = draw < h_before
    first[before] = a0[before] + draw[before] / rate[before]
    inside = ~before & (draw < h_before + h_in)
    first[inside] = (
        b0[inside] + (draw - h_before)[inside] / (rate * card.community_multiplier)[inside]
    )
    after = ~before & ~inside & (draw < h_before + h_in + h_after)
    first[after] = b1[after] + (draw - h_before - h_in)[after] / rate[after]
    return first
