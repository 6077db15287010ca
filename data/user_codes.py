"""One integer code per user, shared by every event table, computed once when events load.

Every feature, value score and scoring board maps event rows to users. Done on the id strings,
that is a hash lookup per row per reduction (``pyarrow.compute.index_in``), repeated for every
snapshot: on a million users it was the largest cost of the propensity pipeline after LightGBM.
:func:`share_user_codes` replaces each event table's user-id columns (``Column.is_user_id``) by
dictionary columns whose dictionary is one array, the ``users`` table's ids followed by ids the
events name but ``users`` lacks. The strings behind them are unchanged, so every Arrow kernel
and every reader sees the same values; :func:`positions` maps such a column to output rows by
looking up the dictionary once (``len(dictionary)`` hashes) and gathering integers per row.

A dictionary column also holds a 4-byte code per row instead of the id's bytes and offset.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.events import TABLES

__all__ = [
    "dictionary_key",
    "plain",
    "plain_ids",
    "positions",
    "share_user_codes",
    "user_id_columns",
]


def user_id_columns(name: str) -> tuple[str, ...]:
    """The columns of table ``name`` that hold user ids (none for an unknown table)."""
    spec = TABLES.get(name)
    return () if spec is None else tuple(c.name for c in spec.columns if c.is_user_id)


def plain(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``values`` with a dictionary column decoded to its strings (others pass unchanged)."""
    return values.cast(values.type.value_type) if pa.types.is_dictionary(values.type) else values


def plain_ids(table: pa.Table) -> pa.Table:
    """``table`` with its dictionary-encoded columns decoded to strings (to write it out)."""
    fields = [
        f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def _chunks(column: pa.ChunkedArray) -> list[pa.Array]:
    return list(column.chunks) if column.num_chunks else [pa.array([], column.type)]


def _codes_in(column: pa.ChunkedArray, dictionary: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Position of each value of ``column`` in ``dictionary`` (-1 when absent), and the absent."""
    parts = []
    for chunk in _chunks(column):
        if pa.types.is_dictionary(chunk.type):
            # a Parquet page dictionary: look up its distinct values, not every row
            found = positions(chunk.dictionary, dictionary)
            indices = np.asarray(chunk.indices.fill_null(0).to_numpy(), dtype=np.int64)
            parts.append(found[indices] if len(found) else np.full(len(chunk), -1))
        else:
            parts.append(positions(chunk, dictionary))
    codes = np.concatenate(parts)
    missing = pc.unique(plain(column).filter(pa.array(codes < 0))) if (codes < 0).any() else None
    return codes, missing


def dictionary_key(array: pa.DictionaryArray) -> tuple[int, int, int]:
    """Identifies the dictionary an array's codes refer to (shared buffers, not equal values)."""
    dictionary = array.dictionary
    return dictionary.buffers()[1].address, dictionary.offset, len(dictionary)


def _on_shared_dictionary(
    values: pa.Array | pa.ChunkedArray, value_set: pa.DictionaryArray
) -> np.ndarray | None:
    chunks = _chunks(values) if isinstance(values, pa.ChunkedArray) else [values]
    key = dictionary_key(value_set)
    if not all(isinstance(c, pa.DictionaryArray) and dictionary_key(c) == key for c in chunks):
        return None
    first = np.full(key[2], -1, dtype=np.int64)
    wanted = np.asarray(value_set.indices.fill_null(0).to_numpy(), dtype=np.int64)
    first[wanted[::-1]] = np.arange(len(wanted) - 1, -1, -1)  # the first occurrence wins
    rows = [np.asarray(c.indices.fill_null(0).to_numpy(), dtype=np.int64) for c in chunks]
    return first[np.concatenate(rows)] if rows else np.zeros(0, dtype=np.int64)


def share_user_codes(tables: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
    """Every event table with its user-id columns dictionary-encoded on one shared dictionary.

    The ``users`` table passes unchanged: its ``user_id`` column starts the dictionary, so a
    user's code is their row in it. Row order, values and metadata are kept.
    """
    users = tables.get("users")
    known = (
        plain(users["user_id"]).combine_chunks() if users is not None else pa.array([], pa.string())
    )
    coded: dict[tuple[str, str], np.ndarray] = {}
    unknown: list[pa.Array] = []
    for name, table in tables.items():
        if name == "users":
            continue
        for column in user_id_columns(name):
            if column in table.column_names:
                coded[name, column], missing = _codes_in(table[column], known)
                if missing is not None:
                    unknown.append(missing)
    dictionary = known
    if unknown:
        extra = pc.unique(pa.chunked_array(unknown, pa.string()))
        dictionary = pa.concat_arrays([known, extra])
        for key, codes in coded.items():
            if (codes < 0).any():
                column = tables[key[0]][key[1]]
                codes[codes < 0] = len(known) + positions(plain(column), extra)[codes < 0]
    out = dict(tables)
    for (name, column), codes in coded.items():
        table = out[name]
        encoded = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), dictionary)
        field = table.schema.field(column).with_type(encoded.type)
        out[name] = table.set_column(table.schema.get_field_index(column), field, encoded)
    return out


def positions(values: pa.Array | pa.ChunkedArray, value_set: pa.Array) -> np.ndarray:
    """Position of each value in ``value_set``, -1 where absent (int64, one per value).

    A dictionary column is resolved through its dictionary: one lookup per distinct value; two
    columns on the same dictionary are matched on their integer codes alone.
    """
    if isinstance(value_set, pa.DictionaryArray):
        same = _on_shared_dictionary(values, value_set)
        if same is not None:
            return same
        value_set = value_set.dictionary_decode()
    if isinstance(values, pa.ChunkedArray) and pa.types.is_dictionary(values.type):
        return np.concatenate(
            [positions(chunk, value_set) for chunk in _chunks(values)] or [np.zeros(0, np.int64)]
        )
    if isinstance(values, pa.DictionaryArray):
        if len(values) < len(values.dictionary):  # fewer rows than distinct ids: decode them
            return positions(values.dictionary_decode(), value_set)
        found = positions(values.dictionary, value_set)
        indices = np.asarray(values.indices.fill_null(0).to_numpy(), dtype=np.int64)
        return found[indices] if len(found) else np.full(len(values), -1, dtype=np.int64)
    found = pc.fill_null(pc.index_in(values, value_set=value_set), -1)
    return np.asarray(found.to_numpy(), dtype=np.int64)
