"""The training data of a model, summarised for drift reports (``drift_reference.json``).

For every variable: the interior cut points of its deciles (deduplicated, so a variable with a
large mass at one value gets fewer, wider bins and a constant one a single cut at its value),
the share of training values in each bin and among missing ones (NaN or infinite), 101
percentiles, mean and standard deviation, rounded to six significant digits. Training writes it
beside the model; :mod:`training.drift` compares current data with it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from skinlab.errors import ModelUnavailable

REFERENCE_FILE = "drift_reference.json"
BINS = 10
PERCENTILES = np.linspace(0.0, 100.0, 101)
Kind = Literal["feature", "score"]


class MissingReference(ModelUnavailable):
    code = "NO_DRIFT_REFERENCE"
    message = "The model has no training reference to compare with."
    message_zh = "该模型没有可供比较的训练参照分布。"
    hint = "Build it with `skinlab drift reference MODEL` (or retrain the model)."
    hint_zh = "请运行 `skinlab drift reference MODEL`（或重新训练模型）生成参照分布。"


def split_missing(values: ArrayLike) -> tuple[NDArray[np.float64], int, int]:
    """The finite values, how many were missing (NaN or infinite) and the total count."""
    array = np.asarray(values, dtype=np.float64).ravel()
    finite = np.isfinite(array)
    return array[finite], int((~finite).sum()), int(array.size)


def bin_shares(edges: tuple[float, ...], values: ArrayLike) -> NDArray[np.float64]:
    """Share of ``values`` in each bin ``(-inf, e0], (e0, e1], ..., (e_last, inf)``, then missing.

    Returns an array of ``len(edges) + 2`` shares summing to 1 (all zero for no values).
    """
    finite, missing, total = split_missing(values)
    index = np.searchsorted(np.asarray(edges, dtype=np.float64), finite, side="left")
    counts = np.bincount(index, minlength=len(edges) + 1).astype(np.float64)
    counts = np.append(counts, float(missing))
    return counts / total if total else counts


def compact(value: float) -> float:
    """``value`` rounded to six significant digits (keeps the JSON small)."""
    return float(f"{value:.6g}")


@dataclass(frozen=True)
class VariableReference:
    """One variable of the training data: its bins, their shares, percentiles and moments."""

    name: str
    kind: Kind
    n: int
    edges: tuple[float, ...]
    shares: tuple[float, ...]
    percentiles: tuple[float, ...]
    mean: float | None
    std: float | None
    label: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_values(
        cls,
        name: str,
        values: ArrayLike,
        *,
        kind: Kind = "feature",
        bins: int = BINS,
        label: Mapping[str, str] | None = None,
    ) -> VariableReference:
        """Summarise the training values of one variable, shape ``(n_samples,)``."""
        finite, _missing, total = split_missing(values)
        if finite.size:
            cuts = np.quantile(finite, np.linspace(0.0, 1.0, bins + 1)[1:-1])
            edges = tuple(compact(e) for e in np.unique(cuts))
            percentiles = tuple(compact(v) for v in np.percentile(finite, PERCENTILES))
            mean, std = compact(float(finite.mean())), compact(float(finite.std()))
        else:
            edges, percentiles, mean, std = (), (), None, None
        shares = tuple(compact(s) for s in bin_shares(edges, values))
        return cls(name, kind, total, edges, shares, percentiles, mean, std, dict(label or {}))


@dataclass(frozen=True)
class DriftReference:
    """The reference of one model: where it came from and every variable's summary."""

    model: str
    model_version: str
    source: str
    variables: dict[str, VariableReference]
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (what :meth:`save` writes)."""
        document = asdict(self)
        document["variables"] = [asdict(v) for v in self.variables.values()]
        return document

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> DriftReference:
        """Read back :meth:`to_dict`'s form."""
        variables = {
            v["name"]: VariableReference(
                name=v["name"],
                kind=v["kind"],
                n=int(v["n"]),
                edges=tuple(v["edges"]),
                shares=tuple(v["shares"]),
                percentiles=tuple(v["percentiles"]),
                mean=v["mean"],
                std=v["std"],
                label=dict(v.get("label", {})),
            )
            for v in document["variables"]
        }
        return cls(
            model=document["model"],
            model_version=document["model_version"],
            source=document["source"],
            variables=variables,
            created_at=document["created_at"],
            details=dict(document.get("details", {})),
        )

    def save(self, folder: Path) -> Path:
        """Write ``folder/drift_reference.json`` and return its path."""
        path = folder / REFERENCE_FILE
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), "utf-8")
        return path

    @classmethod
    def load(cls, folder: Path) -> DriftReference:
        """Read ``folder/drift_reference.json``.

        Raises
        ------
        MissingReference
            If the folder has no reference.
        """
        path = folder / REFERENCE_FILE
        if not path.is_file():
            raise MissingReference(f"{path} does not exist.")
        return cls.from_dict(json.loads(path.read_text("utf-8")))


def reference_from_columns(
    model: str,
    model_version: str,
    source: str,
    features: Mapping[str, ArrayLike],
    scores: Mapping[str, ArrayLike],
    *,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    details: Mapping[str, Any] | None = None,
) -> DriftReference:
    """The reference of a model from its training columns, each of shape ``(n_samples,)``."""
    labels = labels or {}
    groups: tuple[tuple[Kind, Mapping[str, ArrayLike]], ...] = (
        ("feature", features),
        ("score", scores),
    )
    variables = {
        name: VariableReference.from_values(name, values, kind=kind, label=labels.get(name))
        for kind, columns in groups
        for name, values in columns.items()
    }
    return DriftReference(model, model_version, source, variables, details=dict(details or {}))
