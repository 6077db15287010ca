"""Turn a chosen base and modules into the label, the warnings and the compounding sheet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from formulations.catalog import Catalog
from formulations.result import CompoundingSheet, CompoundingStep, IngredientLine, Text
from formulations.schema import BaseFormula, Module

# Skincare emulsions and gels are close to water; the sheet weighs, so grams = ml x density.
DENSITY_G_PER_ML = 1.0
PHASE_ORDER = ("water", "oil", "cool_down")
PHASE_NOTES: dict[str, tuple[str, str]] = {
    "water": ("Stir in gently until uniform.", "缓慢搅拌至均匀。"),
    "oil": ("Add slowly while stirring; homogenise 1 min.", "边搅拌边缓慢加入，均质1分钟。"),
    "cool_down": (
        "Add last, below 40 °C; stir gently without whipping in air.",
        "最后在40 °C以下加入，轻柔搅拌，避免混入空气。",
    ),
}


def target_ph(
    base: BaseFormula, modules: Sequence[Module], catalog: Catalog
) -> tuple[float, tuple[float, float]]:
    """The pH to adjust to: the base's own pH moved into the window every ingredient tolerates."""
    low, high = base.ph_adjustable
    base_ids = {c.id for c in base.composition}
    for module in modules:
        for component in module.composition:
            if component.id in base_ids or component.id == "water":
                continue
            ing_low, ing_high = catalog.ingredients[component.id].ph_range
            low, high = max(low, ing_low), min(high, ing_high)
    ph = min(max(base.ph, low), high)
    rounded = round(ph, 1)
    return (rounded if low <= rounded <= high else ph), (low, high)


def ingredient_lines(catalog: Catalog, totals: Mapping[str, float]) -> list[IngredientLine]:
    """Every ingredient, descending by weight (ties by INCI name), rounded to 0.0001%."""
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], catalog.ingredients[kv[0]].inci))
    return [
        IngredientLine(
            id=i,
            inci=catalog.ingredients[i].inci,
            name_zh=catalog.ingredients[i].name_zh,
            pct=round(pct, 4),
            functions=list(catalog.ingredients[i].functions),
        )
        for i, pct in ordered
        if pct > 0
    ]


def labels(lines: Sequence[IngredientLine]) -> tuple[str, str]:
    """The INCI label and the Chinese ingredient label, in descending order of weight."""
    return ", ".join(line.inci for line in lines), "、".join(line.name_zh for line in lines)


def warnings_for(
    catalog: Catalog, totals: Mapping[str, float], irritation: float, budget: float, area: str
) -> list[Text]:
    """Patch test always; sun protection, pregnancy and fragrance allergens when they apply."""
    used = [catalog.ingredients[i] for i, pct in totals.items() if pct > 0]
    out = [
        Text(
            code="PATCH_TEST",
            en=(
                "Patch test first: apply a little behind the ear or inside the forearm for 24-48 h"
                + (
                    "; this formula is near its irritation budget."
                    if irritation > 0.6 * budget
                    else "."
                )
            ),
            zh="首次使用前请做皮肤测试：在耳后或前臂内侧少量涂抹，观察24-48小时"
            + ("；本配方刺激性接近上限。" if irritation > 0.6 * budget else "。"),
        )
    ]
    photo = [ing for ing in used if "photosensitising" in ing.flags]
    if photo:
        names = ", ".join(ing.inci for ing in photo)
        names_zh = "、".join(ing.name_zh for ing in photo)
        out.append(
            Text(
                code="SUN_PROTECTION",
                en=f"Contains {names}: use sunscreen daily and avoid strong sun while using it.",
                zh=f"含有{names_zh}：使用期间白天请坚持防晒，避免强烈日晒。",
            )
        )
    if any("pregnancy_caution" in ing.flags for ing in used):
        out.append(
            Text(
                code="PREGNANCY",
                en="Not recommended during pregnancy or breastfeeding.",
                zh="孕期及哺乳期不建议使用。",
            )
        )
    allergens = [ing for ing in used if "fragrance_allergen" in ing.flags]
    if allergens:
        out.append(
            Text(
                code="FRAGRANCE_ALLERGENS",
                en="Contains fragrance allergens: "
                + ", ".join(ing.inci for ing in allergens)
                + ".",
                zh="含有香料致敏原：" + "、".join(ing.name_zh for ing in allergens) + "。",
            )
        )
    if area == "eye":
        out.append(
            Text(
                code="EYE_AREA",
                en="Apply around the eyes, not on the eyelid rim.",
                zh="涂抹于眼周，避开睫毛根部。",
            )
        )
    out.append(
        Text(
            code="SHELF_LIFE",
            en="Freshly compounded: keep cool and use within 3 months of opening.",
            zh="现场调配产品：请阴凉保存，开封后3个月内用完。",
        )
    )
    return out


def compounding_sheet(
    base: BaseFormula,
    modules: Sequence[Module],
    ph: float,
    window: tuple[float, float],
    bottle_ml: int,
) -> CompoundingSheet:
    """Grams of base and of each module for the bottle, in order of addition, with notes."""
    total_g = bottle_ml * DENSITY_G_PER_ML
    base_share = 100 - sum(m.inclusion_pct for m in modules)
    steps = [
        CompoundingStep(
            order=1,
            what=f"Base: {base.name}",
            what_zh=f"基底：{base.name_zh}",
            grams=round(total_g * base_share / 100, 2),
            note="Weigh into a sanitised beaker at room temperature.",
            note_zh="称入已消毒的烧杯，室温操作。",
        )
    ]
    ordered = sorted(modules, key=lambda m: (PHASE_ORDER.index(m.phase), m.id))
    for module in ordered:
        note, note_zh = PHASE_NOTES[module.phase]
        steps.append(
            CompoundingStep(
                order=len(steps) + 1,
                what=f"Module {module.id}: {module.name}",
                what_zh=f"模块 {module.id}：{module.name_zh}",
                grams=round(total_g * module.inclusion_pct / 100, 2),
                note=note,
                note_zh=note_zh,
            )
        )
    low, high = window
    steps.append(
        CompoundingStep(
            order=len(steps) + 1,
            what=f"Adjust pH to {ph:g} (allowed {low:g}-{high:g})",
            what_zh=f"调节pH至{ph:g}（允许范围{low:g}-{high:g}）",
            grams=None,
            note="Measure; add 10% citric acid or 10% sodium hydroxide solution dropwise.",
            note_zh="测量后逐滴加入10%柠檬酸或10%氢氧化钠溶液调节。",
        )
    )
    steps.append(
        CompoundingStep(
            order=len(steps) + 1,
            what="Fill and label with the SKU code and date",
            what_zh="灌装并贴上SKU编码与日期标签",
            grams=None,
            note="Fill the sanitised bottle; record the batch on the issuance.",
            note_zh="灌入已消毒的瓶中，并在出单记录中登记批次。",
        )
    )
    return CompoundingSheet(
        bottle_ml=bottle_ml, total_g=total_g, density_g_per_ml=DENSITY_G_PER_ML, steps=steps
    )
