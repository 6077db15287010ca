"""Simulator, part 5: per-block sufficient statistics and the run summary (the known facts)."""

from __future__ import annotations

import numpy as np

from data._sim_people import Columns, People
from data.events.specs import EBA_TOUCHES, ORDER_CHANNELS, SOURCE_CHANNELS
from data.simulation_config import SimulationConfig

BlockStats = dict[str, float]
_YEAR = 365.0


def block_stats(config: SimulationConfig, people: People, raw: dict[str, Columns]) -> BlockStats:
    """Sums and counts from one block; :func:`summarise` turns the totals into the summary."""
    horizon = float(config.days)
    n = people.size
    member = np.isfinite(people.community_join)
    orders, cards = raw["orders"], raw["card_purchases"]
    per_user = np.bincount(orders["user"], minlength=n) + np.bincount(cards["user"], minlength=n)
    store = orders["channel"] == ORDER_CHANNELS.index("store")
    spend = np.bincount(orders["user"], weights=orders["amount"], minlength=n)
    spend += np.bincount(cards["user"], weights=cards["amount"], minlength=n)
    holder = np.zeros(n, bool)
    holder[cards["user"]] = True
    year_ago = member & (people.community_join <= horizon - _YEAR)
    retained = year_ago & (people.community_leave > people.community_join + _YEAR)

    touches = raw["eba_touches"]
    scanned = np.zeros(n, bool)
    called = np.zeros(n, bool)
    kind, reached = touches["touch"], touches["outcome"] == 0
    scanned[touches["user"][kind == EBA_TOUCHES.index("qr_scan")]] = True
    called[touches["user"][(kind == EBA_TOUCHES.index("service_call")) & reached]] = True
    shipped = people.source != SOURCE_CHANNELS.index("store")
    rows = {f"rows.{name}": float(len(columns["user"])) for name, columns in raw.items()}
    rows["rows.orders"] += len(cards["user"])
    return {
        "users": float(n),
        "members": float(member.sum()),
        "orders.members": float(per_user[member].sum()),
        "orders.others": float(per_user[~member].sum()),
        "retention.eligible": float(year_ago.sum()),
        "retention.retained": float(retained.sum()),
        "amount.store.sum": float(orders["amount"][store].sum()),
        "amount.store.count": float(store.sum()),
        "amount.online.sum": float(orders["amount"][~store].sum()),
        "amount.online.count": float((~store).sum()),
        "holders": float(holder.sum()),
        "holders.spend": float(spend[holder].sum()),
        "holders.members": float((holder & member).sum()),
        "others.spend": float(spend[~holder].sum()),
        "scan.yes": float((shipped & scanned).sum()),
        "scan.yes.joined": float((shipped & scanned & member).sum()),
        "scan.no": float((shipped & ~scanned).sum()),
        "scan.no.joined": float((shipped & ~scanned & member).sum()),
        "call.yes": float(called.sum()),
        "call.yes.joined": float((called & member).sum()),
        "call.no": float((~called).sum()),
        "call.no.joined": float((~called & member).sum()),
        "rows.users": float(n),
        "rows.latent_traits": float(n),
        **rows,
    }


def _ratio(a: float, b: float, digits: int = 3) -> float | None:
    return round(a / b, digits) if b else None


def summarise(blocks: list[BlockStats]) -> dict[str, object]:
    """The run summary: rows per table and the statistics behind each known fact."""
    t: dict[str, float] = {}
    for stats in blocks:
        for key, value in stats.items():
            t[key] = t.get(key, 0.0) + value
    others = t["users"] - t["members"]
    return {
        "users": int(t["users"]),
        "rows": {
            k.removeprefix("rows."): int(v) for k, v in sorted(t.items()) if k.startswith("rows.")
        },
        "community_share": _ratio(t["members"], t["users"]),
        "mean_orders_members": _ratio(t["orders.members"], t["members"], 2),
        "mean_orders_others": _ratio(t["orders.others"], others, 2),
        "community_retention_12m": _ratio(t["retention.retained"], t["retention.eligible"]),
        "mean_order_rmb_online": _ratio(t["amount.online.sum"], t["amount.online.count"], 1),
        "mean_order_rmb_store": _ratio(t["amount.store.sum"], t["amount.store.count"], 1),
        "card_holder_share": _ratio(t["holders"], t["users"], 4),
        "mean_spend_rmb_card_holders": _ratio(t["holders.spend"], t["holders"], 0),
        "mean_spend_rmb_others": _ratio(t["others.spend"], t["users"] - t["holders"], 0),
        "card_holders_in_community": _ratio(t["holders.members"], t["holders"]),
        "join_rate_qr_scanned": _ratio(t["scan.yes.joined"], t["scan.yes"]),
        "join_rate_not_scanned": _ratio(t["scan.no.joined"], t["scan.no"]),
        "join_rate_service_call_reached": _ratio(t["call.yes.joined"], t["call.yes"]),
        "join_rate_service_call_missed": _ratio(t["call.no.joined"], t["call.no"]),
    }
