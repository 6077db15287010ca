"""Random but plausible formulation requests, for the solver's tests and benchmark."""

from __future__ import annotations

from typing import Any, get_args

import numpy as np

from data.vocabulary import CONCERNS
from formulations.catalog import Catalog
from formulations.needs import Exclusion, FormulationNeeds, SkinType
from formulations.schema import Benefit


def random_needs(
    rng: np.random.Generator, catalog: Catalog, *, hard: bool = True
) -> FormulationNeeds:
    """One request: random scores, skin type and product; with ``hard``, also the constraints
    people add (exclusions, allergies, pregnancy safety, a price cap, a required ingredient,
    stock-outs), each with a fixed probability, so infeasible requests occur too."""
    values: dict[str, Any] = {
        "scores": {c: round(float(rng.uniform(0, 100)), 1) for c in CONCERNS},
        "skin_type": str(rng.choice(get_args(SkinType))),
        "sensitive": bool(rng.random() < 0.3),
        "product_type": str(rng.choice(sorted({b.product_type for b in catalog.bases.values()}))),
        "bottle_ml": int(rng.choice([30, 50, 100])),
    }
    if rng.random() < 0.3:
        values["focus"] = [str(rng.choice(get_args(Benefit)))]
    if hard:
        if rng.random() < 0.3:
            values["exclusions"] = sorted({str(e) for e in rng.choice(get_args(Exclusion), size=2)})
        if rng.random() < 0.2:
            values["pregnancy_safe"] = True
        actives = sorted({a for m in catalog.modules.values() for a in m.actives})
        if rng.random() < 0.2 and actives:
            values["avoid"] = [str(rng.choice(actives))]
        if rng.random() < 0.15 and actives:
            values["include"] = [{"ingredient": str(rng.choice(actives))}]
        if rng.random() < 0.2:
            values["price_cap_rmb"] = round(float(rng.uniform(20, 400)), 0)
        if rng.random() < 0.1:
            values["markets"] = ["CN", "EU"]
        if rng.random() < 0.15 and catalog.modules:
            ids = sorted(catalog.modules)
            values["out_of_stock"] = [str(i) for i in rng.choice(ids, size=min(20, len(ids)))]
    return FormulationNeeds.model_validate(values)
