"""Hash partitioning of an events folder by user, for the Dask propensity jobs (private helpers).

A user belongs to partition ``hash(user_id) % P`` (``pandas.util.hash_array``: SipHash with a
fixed key, the same on every machine and Python process). Partition ``p`` holds, for each event
table, the rows of its users (``TableSpec.user_column``; ``inviter_id`` for invites), so
:func:`models.propensity_features.build_features` runs on it unchanged. One block crosses users:
orders an invitee brought are credited to the inviter, so partition ``p`` also gets the invite
rows and the orders of every invitee with an inviter in ``p`` (those extra orders belong to users
outside ``p`` and count only as "brought"). Every piece keeps the folder's row order (files in
name order, rows in file order), so "the first invitation of an invitee" and every tie are the
same as on one machine, and the features are equal bit for bit.

The shuffle is two task layers: one task per Parquet file splits it into ``P`` pieces, one task
per partition concatenates its pieces. Only the invites are read twice (a first task maps each
invitee to the partitions of its inviters).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from distributed import Client, Future

from data.events import TABLES
from training.propensity_pipeline import REQUIRED_EVENTS, MissingEventTables, _seconds

Partition = dict[str, pa.Table]


def hash_users(user_ids: pa.Array | pa.ChunkedArray, key: str | None = None) -> np.ndarray:
    """A stable 64-bit hash of each user id (``key``: 16 characters, to draw other subsets)."""
    values = np.asarray(user_ids.to_numpy(zero_copy_only=False), dtype=object)
    if key is None:
        return np.asarray(pd.util.hash_array(values), dtype=np.uint64)
    return np.asarray(pd.util.hash_array(values, hash_key=key), dtype=np.uint64)


def partition_of(user_ids: pa.Array | pa.ChunkedArray, partitions: int) -> np.ndarray:
    """The partition of each user id, in ``[0, partitions)``."""
    distinct = pc.unique(user_ids)  # an event table repeats its users: hash each id once
    part = np.asarray(hash_users(distinct) % np.uint64(partitions), dtype=np.int64)
    return part[np.asarray(pc.index_in(user_ids, value_set=distinct).to_numpy(), dtype=np.int64)]


def event_files(folder: Path) -> dict[str, list[Path]]:
    """Parquet files per table: ``folder/<table>/**/*.parquet`` (in path order) or
    ``folder/<table>.parquet``.

    This is the layout ``skinlab simulate`` writes (one file per block of users) and
    :func:`training.propensity_pipeline.load_events` reads; files may hold any users.
    """
    files: dict[str, list[Path]] = {}
    for name in TABLES:
        single = folder / f"{name}.parquet"
        parts = [single] if single.is_file() else []
        if (folder / name).is_dir():  # load_events prefers the folder too
            parts = sorted((folder / name).rglob("*.parquet"))
        if parts:  # a table without files counts as no events, as in build_features
            files[name] = parts
    missing = [name for name in REQUIRED_EVENTS if not files.get(name)]
    if missing:
        raise MissingEventTables(
            f"{folder} has no {', '.join(missing)} table; found: {', '.join(files) or 'none'}.",
            details={"missing": missing, "found": list(files)},
        )
    return files


@dataclass(frozen=True)
class InviteRoutes:
    """Invitee ``i``'s inviters are in ``partitions[starts[i] : starts[i + 1]]``."""

    invitees: pa.Array
    starts: np.ndarray
    partitions: np.ndarray

    def extra_rows(self, keys: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
        """Rows whose key is an invitee, once per partition of its inviters, and the partition."""
        found = pc.fill_null(pc.index_in(keys.cast(pa.string()), value_set=self.invitees), -1)
        position = np.asarray(found.to_numpy(), dtype=np.int64)
        rows = np.flatnonzero(position >= 0)
        first, end = self.starts[position[rows]], self.starts[position[rows] + 1]
        repeat = end - first
        offset = np.arange(repeat.sum()) - np.repeat(np.cumsum(repeat) - repeat, repeat)
        return np.repeat(rows, repeat), self.partitions[np.repeat(first, repeat) + offset]


def invite_routes(paths: list[Path], partitions: int) -> InviteRoutes:
    """The :class:`InviteRoutes` of the invites files (empty without any)."""
    tables = [pq.read_table(path, columns=["inviter_id", "invitee_id"]) for path in paths]
    invites = pa.concat_tables(tables) if tables else None
    pairs = pd.DataFrame(
        {
            "invitee": [] if invites is None else invites["invitee_id"].to_numpy(False),
            "partition": [] if invites is None else partition_of(invites["inviter_id"], partitions),
        }
    ).drop_duplicates()
    pairs = pairs.sort_values(["invitee", "partition"], kind="stable")
    codes, invitees = pd.factorize(pairs["invitee"], sort=True)
    return InviteRoutes(
        pa.array(np.asarray(invitees, dtype=object), pa.string()),
        np.searchsorted(codes, np.arange(len(invitees) + 1)),
        pairs["partition"].to_numpy(np.int64),
    )


def split_file(name: str, path: Path, partitions: int, routes: InviteRoutes) -> list[pa.Table]:
    """The rows of one Parquet file for each partition, in file order."""
    table = _seconds(pq.read_table(path))
    n = table.num_rows
    if n == 0:
        return [table] * partitions
    rows = np.arange(n, dtype=np.int64)
    destination = partition_of(table[TABLES[name].user_column], partitions)
    invitee_column = {"orders": "user_id", "invites": "invitee_id"}.get(name)
    order = np.argsort(destination, kind="stable")  # each partition's rows in file order
    if invitee_column:
        extra_rows, extra_destination = routes.extra_rows(table[invitee_column])
        rows = np.concatenate([rows, extra_rows])
        destination = np.concatenate([destination, extra_destination])
        order = np.lexsort((rows, destination))
    rows, destination = rows[order], destination[order]
    once = np.r_[True, (rows[1:] != rows[:-1]) | (destination[1:] != destination[:-1])]
    rows, destination = rows[once], destination[once]  # a row sent to a partition twice: once
    bounds = np.searchsorted(destination, np.arange(partitions + 1))
    return [table.take(rows[bounds[p] : bounds[p + 1]]) for p in range(partitions)]


def assemble(pieces: dict[str, list[pa.Table]]) -> Partition:
    """One partition's tables from its pieces, in file order."""
    return {
        name: pa.concat_tables(parts, promote_options="default") for name, parts in pieces.items()
    }


def partition_events(client: Client, folder: Path, partitions: int) -> list[Future[Partition]]:
    """Futures of the ``partitions`` partitions (each a dict of event tables) of ``folder``.

    The workers read the files, so ``folder`` must be readable at the same path on every
    worker (a shared file system on a real cluster).
    """
    files = event_files(folder)
    routes = client.submit(invite_routes, files.get("invites", []), partitions)
    pieces: dict[str, list[list[Future[pa.Table]]]] = {}
    for name, paths in files.items():
        splits = [client.submit(split_file, name, path, partitions, routes) for path in paths]
        pieces[name] = [
            [client.submit(operator.getitem, split, p) for split in splits]
            for p in range(partitions)
        ]
    return [
        client.submit(assemble, {name: pieces[name][p] for name in files})
        for p in range(partitions)
    ]
