"""Skin type and the sensitive flag, from the concern scores (rules, not a learned model).

- oily: the T-zone (forehead, nose, chin) and the cheeks both shine (T >= 45 and U >= 35);
- combination: the T-zone shines but the cheeks do not (T >= 45, U < 35, or T - U >= 20 with
  T >= 35);
- dry: little shine anywhere (T < 25 and U < 20) with rough, uneven texture (texture >= 40);
- normal: everything else.
- sensitive: diffuse redness (redness score >= 50).

Dryness is not measured directly (a photo cannot see water loss); rough texture without shine
is the proxy. The thresholds are product rules to tune with the brand's BAs.
"""

from __future__ import annotations

from data.vocabulary import T_ZONE, U_ZONE, Region
from models.results import ConcernScore, SkinType, SkinTypeName


def _zone_mean(score: ConcernScore, zone: tuple[Region, ...]) -> float:
    values = [score.regions[r] for r in zone if r in score.regions]
    return sum(values) / len(values) if values else score.score


def classify_skin_type(
    oiliness: ConcernScore, texture: ConcernScore, redness: ConcernScore
) -> SkinType:
    """Apply the documented rules to the oiliness, texture and redness scores."""
    t_zone = _zone_mean(oiliness, T_ZONE)
    u_zone = _zone_mean(oiliness, U_ZONE)
    reasons: list[str] = [f"T-zone shine {t_zone:.0f}, cheek shine {u_zone:.0f}"]
    kind: SkinTypeName
    if t_zone >= 45 and u_zone >= 35:
        kind = "oily"
    elif (t_zone >= 45 and u_zone < 35) or (t_zone >= 35 and t_zone - u_zone >= 20):
        kind = "combination"
    elif t_zone < 25 and u_zone < 20 and texture.score >= 40:
        kind = "dry"
        reasons.append(f"little shine with uneven texture {texture.score:.0f}")
    else:
        kind = "normal"
    sensitive = redness.score >= 50
    if sensitive:
        reasons.append(f"diffuse redness {redness.score:.0f} suggests sensitive skin")
    return SkinType(
        type=kind,
        sensitive=sensitive,
        t_zone_oiliness=round(t_zone, 1),
        u_zone_oiliness=round(u_zone, 1),
        reasons=reasons,
    )
