"""Model cards written from what a training run measured, never typed by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from data.vocabulary import CONCERNS, PRIMARY_REGIONS

WHAT_EACH_SCORE_MEASURES = {
    "redness": "diffuse rise of CIELAB a* over cheeks and nose (erythema)",
    "spots": "compact dark, browner blobs in L*/b* (pigment spots, macules)",
    "wrinkles": "thin dark lines: Hessian ridge response of L* on forehead and under the eyes",
    "pores": "dense tiny dark points: fine L* residual on nose and cheeks",
    "acne": "compact red raised blobs: difference-of-Gaussians on a*",
    "oiliness": "specular shine: bright, low-chroma patches on the T-zone and cheeks",
    "dark_circles": "under-eye skin darker and bluer than the cheeks",
    "texture": "band-pass roughness and low-frequency unevenness of L*, a*, b*",
}


def _row(
    concern: str, held_out: dict[str, Any], sweep: dict[str, Any] | None, inv: dict[str, Any] | None
) -> str:
    cells = [
        concern,
        WHAT_EACH_SCORE_MEASURES[concern],
        ", ".join(PRIMARY_REGIONS[concern]),  # type: ignore[index]
        f"{held_out[concern]['spearman']:.3f}",
        f"{held_out[concern]['mae']:.1f}",
    ]
    if sweep is not None:
        within = sweep[concern].get("spearman_within_face", float("nan"))
        person = sweep[concern].get("spearman_within_person", float("nan"))
        cells += [
            f"{sweep[concern]['spearman']:.3f}",
            f"{person:.3f}",
            f"{within:.3f}",
            f"{sweep[concern]['tone_gap'] * 100:.0f}%",
        ]
    if inv is not None:
        cells.append(f"{inv['max_delta'][concern]:.1f}")
    return "| " + " | ".join(cells) + " |"


def _points(value: object) -> str:
    return f"{value:.2g} points" if isinstance(value, float) else "not measured"


def skin_model_card(manifest: dict[str, Any], behaviour: dict[str, Any] | None = None) -> str:
    """Markdown model card of the skin heads from their manifest and behavioural evaluation."""
    data = manifest["data"]
    parity = _points(manifest.get("onnx_parity_max_abs"))
    sweep = behaviour["sweep"] if behaviour else None
    inv = behaviour["invariance"] if behaviour else None
    header = "| concern | what it measures | scored in | ρ held-out | MAE held-out |"
    rule = "|---|---|---|---|---|"
    if sweep is not None:
        header += " ρ sweep pooled | ρ within person | ρ within face | tone gap |"
        rule += "---|---|---|---|"
    if inv is not None:
        header += " max Δ capture |"
        rule += "---|"
    rows = [_row(c, manifest["metrics"], sweep, inv) for c in CONCERNS]
    return "\n".join(
        [
            f"# Model card: skin heads {manifest['version']}",
            "",
            "**Trained on synthetic data only.** No labelled skin photos exist here, so every",
            "label comes from conditions painted at known severities onto real face photos",
            f"({', '.join(data['train_photos'])}) by `data/synth.py`, at random skin tones",
            "(ITA° -45 to 65) and random capture changes. Scores are therefore calibrated to",
            "those renderings, not to dermatologists' grades. Retrain with real graded photos",
            "(`skinlab train skin --real-photos DIR --grades CSV`) before clinical-style use.",
            "",
            "- Intended use: consumer skin-care guidance and product choice; not a diagnosis.",
            "- Output: per concern 0-100, higher = more of the concern; face score = mean of",
            "  the concern's primary regions.",
            f"- Held-out faces (other people): {', '.join(data['test_photos'])}; "
            f"{manifest['metrics']['n_faces']} synthetic test faces.",
            f"- Real graded photos used: {data.get('real_photos_used', 0)}.",
            f"- ONNX vs LightGBM largest difference: {parity}.",
            "",
            header,
            rule,
            *rows,
            "",
            "ρ sweep: each concern painted alone at severities 0-1 on held-out faces at four",
            "tones, pooled (a person's natural redness or shine counts against it) and within",
            "each face and tone (baseline held fixed); ρ within person: ρ within each person",
            "across all tones and severities, averaged over people; tone gap: relative MAE",
            "difference, lightest vs darkest tone; max Δ capture: largest score change of",
            "untouched faces under JPEG 70-95, ±15% light,",
            "±10° rotation and 0.8-1.25× scale.",
            "",
            "Known failure modes: make-up hides colour and texture; side light creates false",
            "wrinkles and shine; hair clips and glasses frames inside a region read as spots,",
            "wrinkles or texture; over-bright photos shift the colour scores (see max Δ);",
            "hair and beards missed by the skin mask read as spots/texture;",
            "heavy compression hides pores; real acne, melasma or rosacea look more varied than",
            "the renderings, so real-photo accuracy is unmeasured until graded photos exist.",
            "",
        ]
    )


def write_skin_model_card(
    directory: Path, manifest: dict[str, Any], behaviour: dict[str, Any] | None
) -> Path:
    """Write ``MODEL_CARD.md`` next to the heads and return its path."""
    path = directory / "MODEL_CARD.md"
    path.write_text(skin_model_card(manifest, behaviour), encoding="utf-8")
    return path
