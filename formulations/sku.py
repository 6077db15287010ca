"""SKU codes: the same formula is always the same code.

A formula is normalised to its recipe (base id, sorted module ids, target pH to 0.1) and its
composition (every ingredient's % w/w rounded to 1e-4); the code is ``SK`` followed by the first
10 base-32 characters (50 bits) of the SHA-256 of that normal form. For 20,000 SKUs the chance
that any two share a code is about 2e-7; the registry still refuses a collision rather than merge
two formulas (``SkuRegistry.issue``), and ``code_for`` can lengthen the code if one ever occurs.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence

CODE_PREFIX = "SK"
CODE_CHARS = 10


def normal_form(
    base_id: str, module_ids: Sequence[str], ph: float, composition: Mapping[str, float]
) -> str:
    """The canonical JSON text of a formula, independent of order and float noise."""
    return json.dumps(
        {
            "base": base_id,
            "modules": sorted(module_ids),
            "ph": f"{ph:.1f}",
            "composition": {
                i: f"{pct:.4f}" for i, pct in sorted(composition.items()) if pct > 5e-5
            },
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def formula_hash(normal: str) -> str:
    """The full SHA-256 hex digest of a normal form (stored to detect code collisions)."""
    return hashlib.sha256(normal.encode()).hexdigest()


def code_for(normal: str, chars: int = CODE_CHARS) -> str:
    """The SKU code of a normal form: ``SK`` + ``chars`` base-32 characters."""
    digest = hashlib.sha256(normal.encode()).digest()
    return CODE_PREFIX + base64.b32encode(digest).decode()[:chars]
