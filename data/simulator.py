"""A seeded simulator of a skincare brand's private-domain history, for the propensity model.

It writes the event tables of :mod:`data.events` (users, orders, store visits, skin tests,
community activity, energy points, invites, content, EBA touches, card purchases) and, apart from
them, a ``latent_traits`` table of the ground truth that must only be used for evaluation.

The generative story (all parameters in ``training/configs/simulation.yaml``, which gives the
source or the assumption behind every number)
---------------------------------------------------------------------------------------------
1. Every user has four latent traits: *engagement*, *affluence*, *sociability* (KOC-ness), all
   standard normal and mildly correlated, and a *skin concern* (one of the eight ``/analyze``
   concerns) with a severity in [0, 1].
2. A user becomes known to the brand with a first order on a day uniform in the window, through a
   source channel (mini-program, e-commerce, store, live, or a friend's invite); affluent users
   come more often through stores and live more often in tier-1 cities.
3. After the first order the EBAs make the four recruitment touches: the first-order service
   call, the day-3 logistics message (shipped orders), the package-card QR scan (a customer
   action, more likely for engaged users) and the day-10 phone call. Each touch that reaches the
   customer adds log-odds to joining the WeCom community; store customers are added in person.
4. Members stay an exponential time whose scale is solved so that ``retention_12m`` (70%) of
   them are still in the community a year after joining; engaged members stay longer. After
   leaving (or after the first order for non-members) a customer stays alive (still buying) for
   an exponential lifetime.
5. Repeat orders are a Poisson process, ``community_rate_multiplier`` times faster while in the
   community; that makes members buy 3+ times in the window and others under 2, as known.
   Store orders average ~1,000 RMB and online ones ~100 RMB, higher for affluent users.
6. The monthly card (~12,000 RMB, so holders spend 10,000+) is bought at a hazard that rises with
   affluence, engagement, sociability, skin-concern severity and store preference, and is
   ``community_multiplier`` times higher while in the community. It renews at expiry with a
   probability rising with engagement and affluence; holders come for monthly spa services.
7. Members are active in some weeks (more if engaged): messages (more if sociable), check-ins,
   sign-ins, surveys, live sessions, with energy points for tasks and redemptions at thresholds;
   they post and forward content (sociable users far more) and invite friends (new users with
   source ``invite`` get an inviter, weighted toward sociable members). Skin tests come more often
   for worse skin and in the community, and score the user's main concern high.

Determinism: users are simulated in blocks of ``block_users``; block ``b`` draws from
``numpy.random.default_rng(SeedSequence([seed, b]))``, so a run is fixed by (config, users) and
the first users of a bigger run are those of a smaller one. Every step is vectorised over a block.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from data import _sim_activity, _sim_community, _sim_people
from data._sim_arrow import block_tables
from data._sim_stats import BlockStats, block_stats, summarise
from data.events import TABLES
from data.simulation_config import SimulationConfig
from skinlab.errors import InvalidInput

MAX_USERS = 10_000_000
SUMMARY_FILE = "summary.json"
# The event tables (data.events), then the hidden traits kept for evaluation only.
TABLE_NAMES = (*TABLES, "latent_traits")


class OutputNotEmpty(InvalidInput):
    code = "OUTPUT_NOT_EMPTY"
    message = "The output folder holds other files."
    message_zh = "输出文件夹中有其他文件。"


def simulate_block(
    config: SimulationConfig, block: int, n_users: int
) -> tuple[dict[str, pa.Table], BlockStats]:
    """Simulate users ``block * block_users`` onwards; returns Arrow tables and their statistics.

    Parameters
    ----------
    config : SimulationConfig
        The frozen parameters (``seed`` included).
    block : int
        Block index; with ``config.block_users`` it fixes the user ids and the random stream.
    n_users : int
        Users in this block, at most ``config.block_users``.
    """
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, block]))
    people, touches = _sim_people.draw_people(config, rng, n_users)
    orders = _sim_activity.orders(config, rng, people)
    cards = _sim_activity.cards(config, rng, people)
    covered_until = np.asarray(cards.pop("covered_until"), dtype=np.float64)
    visits = _sim_activity.store_visits(config, rng, people, covered_until)
    tests = _sim_activity.skin_tests(config, rng, people)
    activity, energy = _sim_community.community(config, rng, people)
    content = _sim_community.content(config, rng, people)
    # the first n rows of ``orders`` are each user's first order, in user order
    first_amount = np.asarray(orders["amount"][:n_users], dtype=np.float64)
    invites = _sim_community.invites(config, rng, people, first_amount)
    raw = {
        "orders": orders,
        "card_purchases": cards,
        "store_visits": visits,
        "skin_tests": tests,
        "community_activity": activity,
        "energy_points": energy,
        "content": content,
        "invites": invites,
        "eba_touches": touches,
    }
    stats = block_stats(config, people, raw)
    return block_tables(config, block, people, raw), stats


def _blocks(config: SimulationConfig, n_users: int) -> list[tuple[int, int]]:
    if not 1 <= n_users <= MAX_USERS:
        raise ValueError(f"users must be between 1 and {MAX_USERS:,}, not {n_users:,}")
    size = config.block_users
    return [(b, min(size, n_users - b * size)) for b in range(-(-n_users // size))]


def simulate(config: SimulationConfig, n_users: int) -> dict[str, pa.Table]:
    """Simulate ``n_users`` in memory (tests, small runs); tables keyed by name."""
    parts = [simulate_block(config, block, n)[0] for block, n in _blocks(config, n_users)]
    return {name: pa.concat_tables([part[name] for part in parts]) for name in TABLE_NAMES}


def _write_block(args: tuple[SimulationConfig, int, int, Path]) -> BlockStats:
    config, block, n_users, out = args
    tables, stats = simulate_block(config, block, n_users)
    for name, table in tables.items():
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / f"part-{block:05d}.parquet", compression="zstd")
    return stats


def write_simulation(
    config: SimulationConfig,
    n_users: int,
    out: Path,
    *,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> dict[str, object]:
    """Simulate ``n_users`` and write ``out/<table>/part-NNNNN.parquet``, one part per block.

    Parameters
    ----------
    config : SimulationConfig
        The frozen parameters.
    n_users : int
        1 to 10,000,000 users.
    out : Path
        Output folder. The run is written to a hidden sibling folder and swapped in at the end,
        so ``out`` holds one whole run (with ``summary.json``) or its previous content. An
        existing ``out`` is replaced only if it is empty or holds an earlier run.
    workers : int
        Processes simulating blocks in parallel (each block is independent).
    progress : callable, optional
        Called with the number of users just finished, once per block.

    Returns
    -------
    dict
        The summary: rows per table, seconds, and the statistics behind the known facts.
    """
    started = time.perf_counter()
    blocks = _blocks(config, n_users)
    if out.exists() and any(out.iterdir()) and not (out / SUMMARY_FILE).exists():
        raise OutputNotEmpty(
            f"{out} is not empty and holds no simulation ({SUMMARY_FILE}); choose another folder.",
            details={"out": str(out)},
        )
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        summary = _write_blocks(config, blocks, staging, workers, progress)
        summary["seconds"] = round(time.perf_counter() - started, 2)
        summary["seed"] = config.seed
        summary["window"] = [config.start.isoformat(), config.end.isoformat()]
        (staging / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
        _swap_in(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summary


def _swap_in(staging: Path, out: Path) -> None:
    """Replace ``out`` by ``staging`` with two renames (the old run is deleted afterwards)."""
    if out.exists():
        retired = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, retired)
        os.replace(staging, out)
        shutil.rmtree(retired)
    else:
        os.replace(staging, out)


def _write_blocks(
    config: SimulationConfig,
    blocks: list[tuple[int, int]],
    out: Path,
    workers: int,
    progress: Callable[[int], None] | None,
) -> dict[str, object]:
    jobs = [(config, block, n, out) for block, n in blocks]
    results: list[BlockStats] = []
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            for job, stats in zip(jobs, pool.map(_write_block, jobs), strict=True):
                results.append(stats)
                if progress:
                    progress(job[2])
    else:
        for job in jobs:
            results.append(_write_block(job))
            if progress:
                progress(job[2])
    return summarise(results)


def read_simulation(folder: Path, tables: tuple[str, ...] = TABLE_NAMES) -> dict[str, pa.Table]:
    """Read the partitioned Parquet a run wrote (one folder per table).

    Parquet has no second-resolution timestamps (they are stored as milliseconds), so times
    are cast back to ``timestamp[s]``, the unit of the event contract.
    """
    return {name: _seconds(pq.read_table(folder / name)) for name in tables}


def _seconds(table: pa.Table) -> pa.Table:
    fields = [
        pa.field(f.name, pa.timestamp("s"), f.nullable) if pa.types.is_timestamp(f.type) else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))
