"""Simulator, part 4: turn one block's arrays into Arrow tables with the ``data.events`` schema."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data._sim_activity import CARD_SKU, SKUS_PER_CONCERN
from data._sim_people import Columns, People
from data.events.specs import (
    ACTIVITY_KINDS,
    CARD_KINDS,
    CONTENT_ACTIONS,
    EBA_TOUCHES,
    ENERGY_KINDS,
    ORDER_CHANNELS,
    SOURCE_CHANNELS,
    STORE_SERVICES,
    TOUCH_OUTCOMES,
)
from data.simulation_config import SimulationConfig
from data.vocabulary import CONCERNS

_SKUS = [f"SK-{c[:3].upper()}-{k + 1:02d}" for c in CONCERNS for k in range(SKUS_PER_CONCERN)]
SKU_NAMES = pa.array([*_SKUS, "CARD-12M"])
assert len(_SKUS) == CARD_SKU


def user_ids(indices: np.ndarray) -> pa.Array:
    """Pseudonymous ids ``u000000042`` for global user indices."""
    digits = pc.cast(pa.array(indices, pa.int64()), pa.string())
    return pc.binary_join_element_wise("u", pc.utf8_lpad(digits, width=9, padding="0"), "")


def _names(values: tuple[str, ...] | list[str], codes: np.ndarray) -> pa.Array:
    return pc.take(pa.array(values), pa.array(codes, pa.int32()))


def _store_ids(stores: np.ndarray) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(stores, pa.int64()), pa.string()), width=3, padding="0")
    ids = pc.binary_join_element_wise("S", digits, "")
    return pc.if_else(pa.array(stores < 0), pa.nulls(len(stores), pa.string()), ids)


class _Clock:
    """Float days since the window's start -> naive local timestamps (seconds)."""

    def __init__(self, config: SimulationConfig) -> None:
        self.epoch = (config.start - date(1970, 1, 1)).days * 86400
        self.horizon = float(config.days)

    def __call__(self, days: np.ndarray) -> pa.Array:
        finite = np.isfinite(days) & (days < self.horizon)
        seconds = np.floor(np.where(finite, days, 0.0) * 86400).astype(np.int64)
        array = pa.array(seconds + self.epoch, pa.int64(), mask=~finite)
        return array.cast(pa.timestamp("s"))


def block_tables(
    config: SimulationConfig, block: int, people: People, raw: dict[str, Columns]
) -> dict[str, pa.Table]:
    """All tables of one block; user ``i`` of the block is global user ``block*size + i``."""
    clock = _Clock(config)
    ids = user_ids(block * config.block_users + np.arange(people.size))

    def uid(local: np.ndarray) -> pa.Array:
        return pc.take(ids, pa.array(local, pa.int64()))

    cities = list(config.population.cities)
    tables: dict[str, pa.Table] = {
        "users": pa.table(
            {
                "user_id": ids,
                "joined_at": clock(people.joined),
                "city": _names(cities, people.city),
                "source_channel": _names(SOURCE_CHANNELS, people.source),
            }
        )
    }
    o = raw["orders"]
    c = raw["card_purchases"]
    n_orders, n_cards = len(o["user"]), len(c["user"])
    order_users = np.concatenate([o["user"], c["user"]])
    serial = pc.cast(pa.array(np.arange(n_orders + n_cards), pa.int64()), pa.string())
    tables["orders"] = pa.table(
        {
            "order_id": pc.binary_join_element_wise(f"o{block:05d}-", serial, ""),
            "user_id": uid(order_users),
            "ordered_at": clock(np.concatenate([o["ordered_at"], c["purchased_at"]])),
            "amount": pa.array(np.concatenate([o["amount"], c["amount"]]), pa.float64()),
            "channel": _names(
                ORDER_CHANNELS,
                np.concatenate([o["channel"], np.full(n_cards, ORDER_CHANNELS.index("store"))]),
            ),
            "items": pa.array(np.concatenate([o["items"], np.ones(n_cards, np.int32)]), pa.int64()),
            "sku": _names(
                SKU_NAMES.to_pylist(), np.concatenate([o["sku"], np.full(n_cards, CARD_SKU)])
            ),
            "store_id": _store_ids(np.concatenate([o["store"], c["store"]])),
        }
    )
    tables["card_purchases"] = pa.table(
        {
            "user_id": uid(c["user"]),
            "purchased_at": clock(c["purchased_at"]),
            "kind": _names(CARD_KINDS, c["kind"]),
            "amount": pa.array(c["amount"], pa.float64()),
            "months": pa.array(np.full(n_cards, config.card.months), pa.int64()),
            "store_id": _store_ids(c["store"]),
        }
    )
    v = raw["store_visits"]
    tables["store_visits"] = pa.table(
        {
            "user_id": uid(v["user"]),
            "visited_at": clock(v["visited_at"]),
            "store_id": _store_ids(v["store"]),
            "service": _names(STORE_SERVICES, v["service"]),
            "card_redeemed": pa.array(v["card_redeemed"], pa.bool_()),
        }
    )
    t = raw["skin_tests"]
    tests: dict[str, pa.Array] = {
        "user_id": uid(t["user"]),
        "tested_at": clock(t["tested_at"]),
        "channel": _names(("miniprogram", "store"), t["in_store"].astype(np.int8)),
    }
    for concern in CONCERNS:
        tests[f"{concern}_score"] = pa.array(t[f"{concern}_score"], pa.float64())
    tables["skin_tests"] = pa.table(tests)
    a = raw["community_activity"]
    tables["community_activity"] = pa.table(
        {
            "user_id": uid(a["user"]),
            "occurred_at": clock(a["occurred_at"]),
            "kind": _names(ACTIVITY_KINDS, a["kind"]),
            "count": pa.array(a["count"], pa.int64()),
        }
    )
    e = raw["energy_points"]
    tables["energy_points"] = pa.table(
        {
            "user_id": uid(e["user"]),
            "occurred_at": clock(e["occurred_at"]),
            "kind": _names(ENERGY_KINDS, e["kind"]),
            "points": pa.array(e["points"], pa.int64()),
            "tasks_completed": pa.array(e["tasks_completed"], pa.int64()),
        }
    )
    i = raw["invites"]
    tables["invites"] = pa.table(
        {
            "inviter_id": uid(i["inviter"]),
            "invitee_id": uid(i["user"]),
            "invited_at": clock(i["invited_at"]),
            "first_order_amount": pa.array(i["first_order_amount"], pa.float64()),
        }
    )
    k = raw["content"]
    tables["content"] = pa.table(
        {
            "user_id": uid(k["user"]),
            "occurred_at": clock(k["occurred_at"]),
            "action": _names(CONTENT_ACTIONS, k["action"]),
        }
    )
    x = raw["eba_touches"]
    tables["eba_touches"] = pa.table(
        {
            "user_id": uid(x["user"]),
            "touched_at": clock(x["touched_at"]),
            "touch": _names(EBA_TOUCHES, x["touch"]),
            "outcome": _names(TOUCH_OUTCOMES, x["outcome"]),
        }
    )
    tables["latent_traits"] = pa.table(
        {
            "user_id": ids,
            "engagement": pa.array(people.engagement),
            "affluence": pa.array(people.affluence),
            "sociability": pa.array(people.sociability),
            "skin_concern": _names(CONCERNS, people.concern),
            "concern_severity": pa.array(people.severity),
            "community_joined_at": clock(people.community_join),
            "community_left_at": clock(people.community_leave),
            "customer_until": clock(people.alive_until),
            "first_card_at": clock(people.first_card),
        }
    )
    return tables
