"""ITA° and its categories."""

from __future__ import annotations

import numpy as np
import pytest

from data.patches import patch_regions, skin_patch
from models.measures import compute_maps
from models.tone import ita_degrees, tone_category, tone_of


@pytest.mark.parametrize(
    ("ita", "category", "phototype"),
    [
        (60.0, "very_light", "I"),
        (50.0, "light", "II"),
        (30.0, "intermediate", "III"),
        (20.0, "tan", "IV"),
        (0.0, "brown", "V"),
        (-40.0, "dark", "VI"),
        (55.0, "light", "II"),  # bounds are exclusive on the light side
        (41.0, "intermediate", "III"),
    ],
)
def test_tone_category_follows_published_bounds(ita: float, category: str, phototype: str) -> None:
    assert tone_category(ita) == (category, phototype)


def test_ita_formula_matches_definition() -> None:
    assert ita_degrees(50.0, 20.0) == pytest.approx(0.0)
    assert ita_degrees(70.0, 20.0) == pytest.approx(45.0)
    assert ita_degrees(30.0, 20.0) == pytest.approx(-45.0)


@pytest.mark.parametrize("ita", [-40.0, -10.0, 20.0, 45.0, 60.0])
def test_measured_tone_recovers_patch_ita(ita: float) -> None:
    patch = skin_patch(128, ita, np.random.default_rng(1))
    mask = np.logical_or.reduce(list(patch_regions(128).values()))
    # As the analyzer does: the tone of the median skin colour the maps measured.
    tone = tone_of(*compute_maps(patch, mask).face_lab)
    assert tone.ita_deg == pytest.approx(ita, abs=3.0)
