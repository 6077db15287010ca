"""The skin model card shows every sweep figure in its own column, read from the manifest."""

from __future__ import annotations

from typing import Any

from data.vocabulary import CONCERNS
from training.model_card import skin_model_card


def _manifest() -> dict[str, Any]:
    return {
        "version": "20990101000000",
        "data": {"train_photos": ["a.jpg"], "test_photos": ["b.jpg"], "real_photos_used": 0},
        "metrics": {
            "n_faces": 8,
            **{c: {"spearman": 0.5, "mae": 10.0} for c in CONCERNS},
        },
        "onnx_parity_max_abs": 1e-6,
    }


def _behaviour() -> dict[str, Any]:
    # distinct values per figure, so a swapped column shows
    sweep = {
        c: {
            "spearman": 0.811,
            "spearman_within_person": 0.922,
            "spearman_within_face": 0.977,
            "tone_gap": 0.33,
        }
        for c in CONCERNS
    }
    return {"sweep": sweep, "invariance": {"max_delta": dict.fromkeys(CONCERNS, 4.2)}}


def _table(card: str) -> list[list[str]]:
    rows = [line for line in card.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_within_person_rho_stands_beside_the_pooled_one() -> None:
    header, *rows = _table(skin_model_card(_manifest(), _behaviour()))
    pooled = header.index("ρ sweep pooled")
    assert header[pooled + 1] == "ρ within person"
    assert header[pooled + 2] == "ρ within face"
    assert len(rows) == len(CONCERNS)
    for row in rows:
        assert len(row) == len(header)
        assert (row[pooled], row[pooled + 1], row[pooled + 2]) == ("0.811", "0.922", "0.977")
        assert row[header.index("tone gap")] == "33%"
        assert row[header.index("max Δ capture")] == "4.2"


def test_within_person_rho_is_explained() -> None:
    card = " ".join(skin_model_card(_manifest(), _behaviour()).split())
    assert "ρ within person: ρ within each person across all tones and severities" in card


def test_a_manifest_without_the_figure_shows_nan_not_a_crash() -> None:
    behaviour = _behaviour()
    for figures in behaviour["sweep"].values():
        del figures["spearman_within_person"]
    header, *rows = _table(skin_model_card(_manifest(), behaviour))
    assert all(row[header.index("ρ within person")] == "nan" for row in rows)


def test_without_behaviour_only_the_held_out_columns_show() -> None:
    header, *_ = _table(skin_model_card(_manifest(), None))
    assert "ρ within person" not in header and header[-1] == "MAE held-out"
