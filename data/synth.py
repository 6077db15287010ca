"""Synthetic ground truth: draw skin conditions at known severities onto real face photos.

There are no labelled skin photos here, so the skin heads learn from conditions this module
paints onto real faces (``data/faces``), region by region, at a severity in [0, 1]. The label of
a region is ``100 * severity * factor`` where ``factor`` (0.6-1.0) is how strongly the condition
was drawn there; regions where it was not drawn are labelled 0.

Each condition is drawn in CIELAB with sizes in units of the inter-ocular distance, so it looks
the same at every resolution, and with contrasts scaled to the face's own lightness so that a
condition on dark skin is as visible, relatively, as on light skin:

- redness: smooth blotchy rise of a* (and a slight fall of L*) over cheeks and nose.
- spots: brown macules, soft ellipses darker in L* and yellower in b*; count and contrast grow.
- wrinkles: thin dark curved lines across the forehead and under the eyes.
- pores: dense tiny dark points on the nose and cheeks.
- acne: red papules (a* blobs), pustules with a pale centre at higher severity.
- oiliness: specular shine, bright low-chroma blobs on the T-zone (cheeks for oily skin).
- dark_circles: darker, bluer under-eye skin, strongest near the lower lid.
- texture: mottled band-pass noise in L*, a*, b* over the whole face.

These are simplified renderings: they teach the heads what to measure, not what every real
presentation looks like. The model cards say so.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from numpy.typing import NDArray

from data.vocabulary import CONCERNS, PRIMARY_REGIONS, Concern, Region

Masks = dict[Region, NDArray[np.bool_]]
Lab = NDArray[np.float32]
RegionLabels = dict[Concern, dict[Region, float]]


def rgb_to_lab(rgb: NDArray[np.uint8]) -> Lab:
    """CIELAB float image (L* 0-100) of an 8-bit RGB image."""
    return np.asarray(cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB))


def lab_to_rgb(lab: Lab) -> NDArray[np.uint8]:
    """8-bit RGB of a CIELAB float image, clipped to the displayable range."""
    rgb = cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_LAB2RGB)
    return np.asarray(np.clip(rgb * 255.0 + 0.5, 0, 255), dtype=np.uint8)


def _soft(mask: NDArray[np.bool_], sigma: float) -> NDArray[np.float32]:
    blurred = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigmaX=sigma, sigmaY=sigma)
    return np.asarray(blurred, dtype=np.float32) * mask.astype(np.float32)


def _field(shape: tuple[int, int], sigma: float, rng: np.random.Generator) -> NDArray[np.float32]:
    """Smooth random field in [0, 1] with features about ``sigma`` pixels wide."""
    noise = rng.standard_normal(shape).astype(np.float32)
    smooth = np.asarray(cv2.GaussianBlur(noise, (0, 0), sigmaX=sigma, sigmaY=sigma), np.float32)
    low, high = float(smooth.min()), float(smooth.max())
    return np.asarray((smooth - low) / max(high - low, 1e-6), dtype=np.float32)


def _stamp(
    canvas: NDArray[np.float32], x: float, y: float, radius: float, weight: float, aspect: float
) -> None:
    """Add a soft elliptical blob (Gaussian profile) centred at (x, y) to ``canvas``."""
    h, w = canvas.shape
    reach = int(np.ceil(radius * 3 * max(aspect, 1.0))) + 1
    x0, x1 = max(int(x) - reach, 0), min(int(x) + reach + 1, w)
    y0, y1 = max(int(y) - reach, 0), min(int(y) + reach + 1, h)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    blob = np.exp(-(((xx - x) / (radius * aspect)) ** 2 + ((yy - y) / radius) ** 2) / 2)
    canvas[y0:y1, x0:x1] += weight * blob


def _points_in(mask: NDArray[np.bool_], count: int, rng: np.random.Generator) -> NDArray[np.int64]:
    ys, xs = np.nonzero(mask)
    if count <= 0 or ys.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    pick = rng.integers(0, ys.size, size=count)
    return np.stack([xs[pick], ys[pick]], axis=1)


def _union(masks: Masks, regions: tuple[Region, ...]) -> NDArray[np.bool_]:
    shape = next(iter(masks.values())).shape
    union = np.zeros(shape, dtype=bool)
    for region in regions:
        if region in masks:
            union |= masks[region]
    return union


class _Painter:
    """Draws conditions into one face's CIELAB image, in inter-ocular units ``unit``."""

    def __init__(self, lab: Lab, masks: Masks, unit: float, rng: np.random.Generator) -> None:
        self.lab, self.masks, self.unit, self.rng = lab, masks, unit, rng
        skin = _union(masks, tuple(masks))
        self.contrast = float(np.median(lab[..., 0][skin])) / 60.0 if skin.any() else 1.0

    def weights(self, concern: Concern) -> NDArray[np.float32]:
        """Per-pixel strength: each primary region gets a random factor in 0.6-1.0."""
        shape = self.lab.shape[:2]
        weight = np.zeros(shape, dtype=np.float32)
        self.factors: dict[Region, float] = {}
        for region in PRIMARY_REGIONS[concern]:
            if region not in self.masks or not self.masks[region].any():
                continue
            factor = float(self.rng.uniform(0.6, 1.0))
            self.factors[region] = factor
            weight = np.maximum(weight, factor * _soft(self.masks[region], 2.0 * self.unit))
        return weight

    def redness(self, s: float, weight: NDArray[np.float32]) -> None:
        blotch = 0.55 + 0.45 * _field(weight.shape, 9 * self.unit, self.rng)
        self.lab[..., 1] += s * 14.0 * weight * blotch
        self.lab[..., 0] -= s * 3.0 * self.contrast * weight * blotch

    def spots(self, s: float, weight: NDArray[np.float32]) -> None:
        canvas = np.zeros(weight.shape, dtype=np.float32)
        for x, y in _points_in(weight > 0.3, round(6 + 54 * s), self.rng):
            radius = float(self.rng.uniform(1.5, 4.0)) * self.unit
            depth = (5.0 + 13.0 * s) * float(self.rng.uniform(0.7, 1.2))
            _stamp(canvas, x, y, radius, depth, float(self.rng.uniform(0.8, 1.4)))
        canvas *= weight * (s > 0)
        self.lab[..., 0] -= canvas * self.contrast
        self.lab[..., 2] += 0.35 * canvas

    def wrinkles(self, s: float, weight: NDArray[np.float32]) -> None:
        canvas = np.zeros(weight.shape, dtype=np.uint8)
        plan: tuple[tuple[Region, int], ...] = (
            ("forehead", 2 + round(5 * s)),
            ("left_under_eye", 1 + round(3 * s)),
            ("right_under_eye", 1 + round(3 * s)),
        )
        for region, lines in plan:
            mask = self.masks.get(region)
            if mask is None or not mask.any():
                continue
            ys, xs = np.nonzero(mask)
            for row in np.linspace(0.2, 0.8, lines):
                y = float(np.percentile(ys, row * 100)) + self.rng.uniform(-2, 2) * self.unit
                x = np.linspace(xs.min(), xs.max(), 24)
                bend = self.rng.uniform(-4, 4) * self.unit * np.sin(np.linspace(0, np.pi, 24))
                pts = np.stack([x, y + bend], axis=1).astype(np.int32)
                width = max(1, round(self.unit * (1.0 + s)))
                cv2.polylines(canvas, [pts], False, 255, width, cv2.LINE_AA)
        line = cv2.GaussianBlur(canvas.astype(np.float32) / 255.0, (0, 0), 0.6 * self.unit + 0.3)
        depth = (6.0 + 16.0 * s) * self.contrast * (s > 0)
        self.lab[..., 0] -= depth * line * weight

    def pores(self, s: float, weight: NDArray[np.float32]) -> None:
        canvas = np.zeros(weight.shape, dtype=np.float32)
        area = float((weight > 0.3).sum())
        count = int(area * (0.004 + 0.03 * s) / max(self.unit**2, 0.25)) if s > 0 else 0
        for x, y in _points_in(weight > 0.3, count, self.rng):
            _stamp(canvas, x, y, 0.55 * self.unit + 0.2, 2.5 + 6.0 * s, 1.0)
        self.lab[..., 0] -= canvas * weight * self.contrast

    def acne(self, s: float, weight: NDArray[np.float32]) -> None:
        red = np.zeros(weight.shape, dtype=np.float32)
        pale = np.zeros(weight.shape, dtype=np.float32)
        for x, y in _points_in(weight > 0.3, round(1 + 14 * s) if s > 0 else 0, self.rng):
            radius = float(self.rng.uniform(2.0, 4.5)) * self.unit
            _stamp(red, x, y, radius, 10.0 + 16.0 * s, 1.0)
            if s > 0.5 and self.rng.random() < 0.4:
                _stamp(pale, x, y, radius / 3, 8.0, 1.0)
        self.lab[..., 1] += red * weight
        self.lab[..., 0] += (pale - 0.12 * red) * weight * self.contrast

    def oiliness(self, s: float, weight: NDArray[np.float32]) -> None:
        gloss = np.clip(_field(weight.shape, 5 * self.unit, self.rng) * 1.8 - 0.5, 0, 1) ** 1.5
        shine = s * weight * gloss
        self.lab[..., 0] += 32.0 * shine
        self.lab[..., 1:] *= (1.0 - 0.6 * shine)[..., None]

    def dark_circles(self, s: float, weight: NDArray[np.float32]) -> None:
        ys = np.arange(weight.shape[0], dtype=np.float32)[:, None]
        under = _union(self.masks, ("left_under_eye", "right_under_eye"))
        top = float(np.nonzero(under)[0].min()) if under.any() else 0.0
        fade = np.clip(1.0 - (ys - top) / (30.0 * self.unit), 0.6, 1.0)
        shade = s * np.clip(weight * 1.4, 0.0, 1.0) * fade
        self.lab[..., 0] -= 24.0 * shade * self.contrast
        self.lab[..., 2] -= 7.0 * shade
        self.lab[..., 1] += 1.5 * shade

    def texture(self, s: float, weight: NDArray[np.float32]) -> None:
        for channel, amplitude, sigma in (
            (0, 3.5, 2.0),
            (0, 2.5, 5.0),
            (1, 1.8, 6.0),
            (2, 1.8, 6.0),
        ):
            noise = _field(weight.shape, sigma * self.unit, self.rng)
            noise = (noise - noise.mean()) / max(float(noise.std()), 1e-6)
            scale = self.contrast if channel == 0 else 1.0
            self.lab[..., channel] += s * amplitude * noise * weight * scale


def draw_conditions(
    rgb: NDArray[np.uint8],
    masks: Masks,
    severities: dict[Concern, float],
    *,
    inter_ocular_px: float,
    rng: np.random.Generator,
) -> tuple[NDArray[np.uint8], RegionLabels]:
    """Paint each concern at its severity and return the image with per-region labels.

    Parameters
    ----------
    rgb : ndarray of shape (height, width, 3), uint8
        A real face photo.
    masks : dict of Region to ndarray of shape (height, width), bool
        Skin masks of the regions, in the photo's coordinates.
    severities : dict of Concern to float
        Severity in [0, 1] of each concern to draw; missing concerns are not drawn.
    inter_ocular_px : float
        Distance between the eye centres, which sets the size of everything drawn.
    rng : numpy.random.Generator
        Source of randomness; the same seed gives the same image.

    Returns
    -------
    image : ndarray of shape (height, width, 3), uint8
    labels : dict of Concern to dict of Region to float
        0-100 label of every region for every concern (0 where not drawn).
    """
    lab = rgb_to_lab(rgb)
    painter = _Painter(lab, masks, max(inter_ocular_px / 100.0, 0.3), rng)
    labels: RegionLabels = {c: {r: 0.0 for r in masks} for c in CONCERNS}
    draw: dict[Concern, Callable[[float, NDArray[np.float32]], None]] = {
        "redness": painter.redness,
        "spots": painter.spots,
        "wrinkles": painter.wrinkles,
        "pores": painter.pores,
        "acne": painter.acne,
        "oiliness": painter.oiliness,
        "dark_circles": painter.dark_circles,
        "texture": painter.texture,
    }
    for concern in CONCERNS:
        severity = float(np.clip(severities.get(concern, 0.0), 0.0, 1.0))
        if severity <= 0.0:
            continue
        weight = painter.weights(concern)
        draw[concern](severity, weight)
        for region, factor in painter.factors.items():
            labels[concern][region] = 100.0 * severity * factor
    return lab_to_rgb(lab), labels


def skin_likeness(lab: Lab, skin: NDArray[np.bool_]) -> NDArray[np.float32]:
    """How skin-coloured each pixel is (0-1), against the median colour of ``skin``.

    Eye whites, teeth, lips, hair and background score low, so a tone change spares them the
    way a darker- or lighter-skinned person's teeth and eyes would look.
    """
    med_l, med_a, med_b = np.median(lab[skin], axis=0)
    distance = (
        ((lab[..., 0] - med_l) / 22.0) ** 2
        + ((lab[..., 1] - med_a) / 7.0) ** 2
        + ((lab[..., 2] - med_b) / 8.0) ** 2
    )
    likeness = np.exp(-distance / 2.0).astype(np.float32)
    return np.asarray(cv2.GaussianBlur(likeness, (0, 0), 1.5), dtype=np.float32)


def shift_tone(
    rgb: NDArray[np.uint8],
    skin: NDArray[np.bool_],
    target_l: float,
    target_b: float,
    face: NDArray[np.bool_] | None = None,
) -> NDArray[np.uint8]:
    """Move the skin's median L*/b* to a target with a monotonic tone curve.

    Below the skin median L* is scaled (brows and hair stay darker than skin); above it the range
    up to white is compressed or stretched (teeth and eye whites stay bright). The change covers
    the face (``face``, feathered; the skin mask if not given) and skin-coloured pixels anywhere
    else (``skin_likeness``: ears, neck), leaving the background alone.
    """
    lab = rgb_to_lab(rgb)
    if not skin.any():
        return rgb
    med_l, _, med_b = np.median(lab[skin], axis=0)
    med_l = float(np.clip(med_l, 5.0, 95.0))
    area = skin if face is None else face
    feather = max(3.0, 0.04 * float(np.sqrt(area.sum())))
    hull = np.asarray(cv2.GaussianBlur(area.astype(np.float32), (0, 0), feather), np.float32)
    blend = np.clip(np.maximum(skin_likeness(lab, skin), hull * 1.5), 0.0, 1.0)[..., None]
    lightness = lab[..., 0]
    moved = lab.copy()
    moved[..., 0] = np.where(
        lightness <= med_l,
        lightness * (target_l / med_l),
        target_l + (lightness - med_l) * (100.0 - target_l) / (100.0 - med_l),
    )
    moved[..., 2] = lab[..., 2] + (target_b - med_b) * skin_likeness(lab, skin)
    return lab_to_rgb(lab * (1.0 - blend) + moved * blend)
