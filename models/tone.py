"""Skin tone: Individual Typology Angle (ITA°) from CIELAB, its category and a Fitzpatrick estimate.

ITA° = atan2(L* - 50, b*) in degrees (Chardon et al., 1991). The category bounds are the
published ones (Del Bino & Bernerd, 2013): very light > 55 ≥ light > 41 ≥ intermediate > 28 ≥
tan > 10 ≥ brown > -30 ≥ dark. The Fitzpatrick mapping from ITA is approximate; it is an
estimate for product choice, not a clinical phototype.
"""

from __future__ import annotations

import math

from models.results import Fitzpatrick, SkinTone, ToneCategory

# (lower bound exclusive, category, Fitzpatrick estimate), lightest first.
_ITA_TABLE: tuple[tuple[float, ToneCategory, Fitzpatrick], ...] = (
    (55.0, "very_light", "I"),
    (41.0, "light", "II"),
    (28.0, "intermediate", "III"),
    (10.0, "tan", "IV"),
    (-30.0, "brown", "V"),
    (-math.inf, "dark", "VI"),
)


def ita_degrees(lightness: float, yellowness: float) -> float:
    """Individual Typology Angle of one CIELAB colour.

    Parameters
    ----------
    lightness : float
        L* in 0-100.
    yellowness : float
        b*; atan2 keeps the angle defined when b* is 0.

    Returns
    -------
    float
        ITA in degrees, from -90 to 90 for b* > 0.
    """
    return math.degrees(math.atan2(lightness - 50.0, yellowness))


def tone_category(ita: float) -> tuple[ToneCategory, Fitzpatrick]:
    """Map ITA° to its published category and a Fitzpatrick estimate."""
    for bound, category, phototype in _ITA_TABLE:
        if ita > bound:
            return category, phototype
    return _ITA_TABLE[-1][1], _ITA_TABLE[-1][2]


def tone_of(lightness: float, red_green: float, yellowness: float) -> SkinTone:
    """Skin tone of the median CIELAB colour of the skin (``FaceMaps.face_lab`` holds it).

    Parameters
    ----------
    lightness, red_green, yellowness : float
        Median L* (0-100), a* and b* of the skin pixels.

    Returns
    -------
    SkinTone
    """
    ita = ita_degrees(lightness, yellowness)
    category, phototype = tone_category(ita)
    return SkinTone(
        ita_deg=round(ita, 2),
        category=category,
        fitzpatrick_estimate=phototype,
        lab=(round(lightness, 2), round(red_green, 2), round(yellowness, 2)),
    )
