"""Why each module is in the formula, and why strong candidates are not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from formulations.catalog import Catalog
from formulations.index import PHASES, CatalogIndex
from formulations.needs import SKIN_TYPE_NAMES
from formulations.result import LeftOut, Text
from formulations.schema import Module

BENEFIT_NAMES: dict[str, tuple[str, str]] = {
    "redness": ("redness", "泛红"),
    "spots": ("spots and pigmentation", "色斑色沉"),
    "wrinkles": ("wrinkles", "皱纹"),
    "pores": ("pores", "毛孔"),
    "acne": ("acne", "痘痘"),
    "oiliness": ("oiliness", "出油"),
    "dark_circles": ("dark circles", "黑眼圈"),
    "texture": ("uneven texture", "肤质不均"),
    "dryness": ("dryness", "干燥缺水"),
    "sensitivity": ("sensitivity and barrier", "敏感与屏障"),
}
MAX_LEFT_OUT = 5
MIN_REASON_WEIGHT = 0.15


def module_reasons(
    catalog: Catalog,
    module: Module,
    benefits: Mapping[str, float],
    weights: Mapping[str, float],
    scores: Mapping[str, float] | None,
    bases: Mapping[str, tuple[str, str]] | None = None,
) -> list[Text]:
    """The needs a chosen module answers, strongest first, with the evidence for its actives.

    ``bases`` says, for needs without a score (dryness, sensitivity, focus), where the need came
    from, in English and Chinese; needs weighing less than ``MIN_REASON_WEIGHT`` are not named.
    """
    ranked = sorted(
        (b for b, v in benefits.items() if v > 0 and weights.get(b, 0) >= MIN_REASON_WEIGHT),
        key=lambda b: (-weights[b] * benefits[b], b),
    )
    actives = ", ".join(f"{catalog.ingredients[i].inci} {d:g}%" for i, d in module.actives.items())
    actives_zh = "、".join(
        f"{catalog.ingredients[i].name_zh} {d:g}%" for i, d in module.actives.items()
    )
    reasons: list[Text] = []
    for benefit in ranked[:3]:
        en, zh = BENEFIT_NAMES[benefit]
        score = (scores or {}).get(benefit)
        fallback = (bases or {}).get(benefit, ("you asked for it", "您的诉求"))
        basis = f"your score {score:.0f}/100" if score is not None else fallback[0]
        basis_zh = f"您的评分 {score:.0f}/100" if score is not None else fallback[1]
        reasons.append(
            Text(
                code=f"ANSWERS_{benefit.upper()}",
                en=f"For {en} ({basis}): {actives} meets {benefits[benefit]:.0%} of this need.",
                zh=f"针对{zh}（{basis_zh}）：{actives_zh}，满足该需求的{benefits[benefit]:.0%}。",
            )
        )
    for ingredient_id in module.actives:
        evidence = catalog.ingredients[ingredient_id].evidence
        if evidence:
            reasons.append(
                Text(
                    code="EVIDENCE",
                    en=f"{catalog.ingredients[ingredient_id].inci}: {evidence}",
                    zh=f"{catalog.ingredients[ingredient_id].name_zh}：{evidence}",
                )
            )
    return reasons


def left_out(
    catalog: Catalog,
    index: CatalogIndex,
    values: NDArray[np.float64],
    chosen: Sequence[int],
    excluded: Mapping[str, tuple[str, str]],
    ph: float,
    max_modules: int,
) -> list[LeftOut]:
    """The strongest modules not chosen (one per active family) and why."""
    chosen_families = {frozenset(catalog.modules[index.module_ids[r]].actives) for r in chosen}
    chosen_columns: NDArray[np.bool_] | None = None
    if chosen:
        chosen_columns = np.asarray((index.module_composition[list(chosen)] > 0).any(axis=0))
    out: list[LeftOut] = []
    seen: set[frozenset[str]] = set(chosen_families)
    for row in np.argsort(-values, kind="stable"):
        if len(out) >= MAX_LEFT_OUT or values[row] <= 0:
            break
        module = catalog.modules[index.module_ids[row]]
        family = frozenset(module.actives)
        if family in seen:
            continue
        seen.add(family)
        out.append(
            LeftOut(
                id=module.id,
                name=module.name,
                name_zh=module.name_zh,
                reason=_why_not(index, int(row), module, excluded, chosen_columns, ph, max_modules),
            )
        )
    return out


def _why_not(
    index: CatalogIndex,
    row: int,
    module: Module,
    excluded: Mapping[str, tuple[str, str]],
    chosen_columns: NDArray[np.bool_] | None,
    ph: float,
    max_modules: int,
) -> Text:
    if module.id in excluded:
        return Text(
            code="EXCLUDED",
            en=f"Excluded: {excluded[module.id][0]}.",
            zh=f"已排除：{excluded[module.id][1]}。",
        )
    present = index.module_composition[row] > 0
    if chosen_columns is not None and (index.incompatible[present][:, chosen_columns]).any():
        return Text(
            code="INCOMPATIBLE",
            en="Incompatible with an ingredient already in the formula.",
            zh="与配方中已有成分不相容。",
        )
    low, high = index.module_ph[row]
    if not low <= ph <= high:
        return Text(
            code="PH_WINDOW",
            en=f"Needs pH {low:g}-{high:g}; this formula is at pH {ph:g}.",
            zh=f"需要 pH {low:g}-{high:g}，本配方 pH 为 {ph:g}。",
        )
    phase = PHASES[index.module_phase[row]]
    return Text(
        code="LOWER_FIT",
        en=(
            f"Ranked lower: with at most {max_modules} modules, the room in the {phase} phase and "
            "the irritation and cost budgets, the chosen modules meet the needs better."
        ),
        zh=f"综合排序较低：在最多{max_modules}个模块、相容量、刺激与成本预算内，已选模块更能满足需求。",
    )


def need_bases(skin_type: str | None, sensitive: bool | None) -> dict[str, tuple[str, str]]:
    """Where the unscored needs come from, for the reasons' wording."""
    bases = {
        "dryness": (
            f"your skin type: {skin_type}" if skin_type else "a general need",
            f"您的肤质：{SKIN_TYPE_NAMES.get(skin_type, (skin_type,))[0]}"
            if skin_type
            else "基础需求",
        ),
        "sensitivity": (
            ("your skin is sensitive", "您的皮肤偏敏感")
            if sensitive
            else ("general barrier care", "日常屏障养护")
        ),
    }
    return bases
