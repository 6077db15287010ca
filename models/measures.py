"""Skin measurements: physical quantities per face region that the learned heads turn into scores.

Every measurement is computed on the aligned face (eyes level, fixed inter-ocular distance, see
``models.regions.align_face``) so that scale and in-plane rotation drop out, and intensities are
expressed relative to the face's own median L* so that exposure changes largely cancel.

What each group of features measures (the head for a concern may use any of them):

- colour: region median a* (red-green) and its excess over the whole face, the share of pixels
  markedly redder than the face (erythema), and region L*/b* against the face (tone context).
- spots: a difference-of-Gaussians on L* (sigma 1.5 vs 6 px); dark compact blobs give negative
  responses (pigment spots, moles).
- pores: the fine residual L* - blur(L*, 1.2 px): pores are dense, tiny, dark points.
- acne: a difference-of-Gaussians on a* (sigma 2 vs 6 px): raised red papules are compact
  positive blobs, counted by how far they rise above each threshold (a graded share). Only blobs
  of at least ``ACNE_MIN_PIXELS`` above the weak threshold count: JPEG's chroma blocks leave
  specks of up to 18 px there on an untouched face at quality 70, a papule covers more.
- wrinkles: the largest Hessian eigenvalue of L* at 1.5 and 2.5 px: dark thin lines (valleys).
- oiliness: specular highlights, i.e. pixels far brighter than the region and less chromatic.
- dark circles: region L*, a*, b* against the cheeks (under-eyes darker/bluer/browner).
- texture: band-pass energy of L* (2-8 px) and low-frequency unevenness of L*, a*, b*.

Gaussian blurs of 4 px and wider run at half resolution (``_blur``): at a quarter of the cost,
within 0.2 of the full blur on a noisy field with a 10-unit step (``tests/unit/test_measures.py``).

Known failure modes: make-up hides colour and texture; strong side light creates false
wrinkles and shine; beards and hair that the skin mask misses read as spots/texture; heavy
JPEG compression removes pores. See the model card.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from models._stats import column_medians, median, uint8_quantile

ALIGNED_SIZE = 320
# Phone JPEGs keep chroma at half resolution (4:2:0) and quantise it hardest, so the acne filter
# starts at 2 px: finer "blobs" in a* are compression noise, not papules.
ACNE_INNER_SIGMA = 2.0
# Acne thresholds, in units of the face's chroma (see chroma_unit).
ACNE_WEAK, ACNE_STRONG = 2.5, 6.0
# Smallest blob above ACNE_WEAK that counts as a papule: 20 px of the aligned face, about 5 px
# (2.4 mm) across. Measured on the shipped frontal photos: untouched faces have specks of at most
# 7 px there, 18 px after JPEG quality 70; a papule painted at severity 0.2 covers 21-63 px.
ACNE_MIN_PIXELS = 20
# Share of the face's skin within 3 % of its brightest code value above which that top is a
# saturation plateau (natural highlights of the shipped photos hold 1-6 %).
PLATEAU_SHARE = 0.10
# Gaussian blurs at least this wide (in px of the aligned face) run at half resolution.
HALF_RESOLUTION_SIGMA = 4.0


@dataclass(frozen=True)
class FaceMaps:
    """Per-pixel response maps of one aligned face, shared by all regions.

    ``papules`` is ``acne`` with the specks (blobs above ``ACNE_WEAK`` smaller than
    ``ACNE_MIN_PIXELS``) held at the threshold, so they add nothing to the acne shares.
    """

    lab: NDArray[np.float32]
    spot: NDArray[np.float32]
    pore: NDArray[np.float32]
    acne: NDArray[np.float32]
    papules: NDArray[np.float32]
    ridge_fine: NDArray[np.float32]
    ridge_coarse: NDArray[np.float32]
    band: NDArray[np.float32]
    smooth: NDArray[np.float32]
    face_lab: tuple[float, float, float]
    unclipped: NDArray[np.bool_]


def to_lab(rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
    """CIELAB (D65) of an 8-bit RGB image, L* in 0-100 and a*, b* in about -128..127."""
    return np.asarray(cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB))


def _blur(channel: NDArray[np.float32], sigma: float) -> NDArray[np.float32]:
    """Gaussian blur; from ``HALF_RESOLUTION_SIGMA`` up it is taken at half resolution.

    A blur that wide has no detail finer than 2 px left to lose, and a quarter of the pixels
    with half the kernel is a quarter of the work. Halving by area averaging (a 2 px box,
    variance 1/4 px^2) and linear upsampling (a triangle 4 px wide, variance 2/3 px^2) blur too,
    so the half-resolution Gaussian makes up only the rest of ``sigma``.
    """
    if sigma < HALF_RESOLUTION_SIGMA:
        return np.asarray(cv2.GaussianBlur(channel, (0, 0), sigmaX=sigma, sigmaY=sigma))
    height, width = channel.shape
    half = cv2.resize(channel, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    inner = np.sqrt(sigma**2 - 0.25 - 2.0 / 3.0) / 2.0
    blurred = cv2.GaussianBlur(half, (0, 0), sigmaX=inner, sigmaY=inner)
    return np.asarray(cv2.resize(blurred, (width, height), interpolation=cv2.INTER_LINEAR))


def pixels(image: NDArray[np.float32], index: NDArray[np.intp]) -> NDArray[np.float32]:
    """The pixels at flat ``index`` (``np.flatnonzero(mask)``): ``image[mask]``, same order.

    Taking by index is several times faster than a boolean mask, most for the three-channel
    maps (about 0.02 instead of 0.2 ms for a region of a 320 px face).
    """
    return np.take(image.reshape(-1, *image.shape[2:]), index, axis=0)


def contrast_scale(face_l: float) -> float:
    """Factor that makes a lightness contrast comparable across skin tones.

    A pore, spot or line removes a share of the light the skin reflects; in CIELAB that share
    moves L* by about (L* + 16) / 3 times it, so contrasts are divided by the face's L* + 16
    (scaled to 1 at L* = 50).
    """
    return 66.0 / (max(face_l, 0.0) + 16.0)


def fill_outside(
    channel: NDArray[np.float32], skin: NDArray[np.bool_], sigma: float = 6.0
) -> NDArray[np.float32]:
    """Replace non-skin pixels by a smooth estimate of the surrounding skin.

    Normalised convolution: ``blur(x * m) / blur(m)``. Without it every filter below would see
    the dark edges of eyes, brows, nostrils and hair as spots, wrinkles or texture.
    """
    return _SkinFill(skin, sigma).fill(channel)


class _SkinFill:
    """``fill_outside`` for several channels under one mask: the mask's blur is computed once."""

    def __init__(self, skin: NDArray[np.bool_], sigma: float = 6.0) -> None:
        self.skin, self.sigma = skin, sigma
        self.weight = skin.astype(np.float32)
        self.spread = _blur(self.weight, sigma)
        self.reached = self.spread > 1e-3
        self.everywhere = bool(self.reached.all())

    def fill(self, channel: NDArray[np.float32]) -> NDArray[np.float32]:
        estimate = _blur(channel * self.weight, self.sigma) / np.maximum(self.spread, 1e-3)
        skin = self.skin
        if not self.everywhere:
            # Pixels too far from any skin take the skin's median (rare: only in the corners).
            fallback = median(channel[skin]) if skin.any() else median(channel.ravel())
            estimate = np.where(self.reached, estimate, fallback)
        return np.asarray(np.where(skin, channel, estimate), dtype=np.float32)


_ALONG_COLS = np.array([[-0.5, 0.0, 0.5]], np.float32)
_ALONG_ROWS = _ALONG_COLS.T.copy()


def _difference(image: NDArray[np.float32], kernel: NDArray[np.float32]) -> NDArray[np.float32]:
    return np.asarray(cv2.filter2D(image, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT))


def _dark_ridges(lightness: NDArray[np.float32], sigma: float) -> NDArray[np.float32]:
    """Largest Hessian eigenvalue (scale-normalised, valleys only) of the smoothed lightness.

    The Hessian is taken by central differences on a Gaussian blur with zero padding, as
    ``skimage.feature.hessian_matrix(use_gaussian_derivatives=False)`` does; OpenCV's float32
    blur makes it three times faster (values agree to about 1e-4 of their size).
    """
    smooth = np.asarray(
        cv2.GaussianBlur(
            lightness, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_CONSTANT
        ),
        dtype=np.float32,
    )
    # Central differences as np.gradient takes them inside the image ((f[i+1] - f[i-1]) / 2,
    # the same float32 result), by OpenCV in a fraction of the time; only the outermost two
    # pixels differ (np.gradient is one-sided there), and they are never skin.
    rows, cols = _difference(smooth, _ALONG_ROWS), _difference(smooth, _ALONG_COLS)
    h_rr, h_rc, h_cc = (
        _difference(rows, _ALONG_ROWS),
        _difference(rows, _ALONG_COLS),
        _difference(cols, _ALONG_COLS),
    )
    largest = (h_rr + h_cc) * 0.5 + np.sqrt(((h_rr - h_cc) * 0.5) ** 2 + h_rc**2)
    return np.asarray(np.maximum(largest, 0.0) * sigma**2, dtype=np.float32)


def compute_maps(rgb: NDArray[np.uint8], skin: NDArray[np.bool_]) -> FaceMaps:
    """Response maps of an aligned face.

    Parameters
    ----------
    rgb : ndarray of shape (size, size, 3), uint8
        The aligned face.
    skin : ndarray of shape (size, size), bool
        Skin pixels of the whole face; their median colour is the reference.

    Returns
    -------
    FaceMaps
    """
    lab = to_lab(rgb)
    reference = pixels(lab, np.flatnonzero(skin)) if skin.any() else lab.reshape(-1, 3)
    face_l, face_a, face_b = (float(v) for v in column_medians(reference))
    # Contrasts relative to the face's own lightness (see contrast_scale).
    lightness = fill_outside(lab[..., 0] * (contrast_scale(face_l)), skin)
    # A pixel saturated in every channel has no colour left: its a* and b* are filled in from
    # the skin around it, so a blown-out highlight does not leave a red rim for the acne filter.
    # Channel extremes with elementwise maximum/minimum: numpy's rgb.max(axis=2) over a last
    # axis of 3 took 2-3 ms per call on a 320 px face, a tenth of the whole measurement.
    brightest = np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])
    darkest = np.minimum(np.minimum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])
    white = _white_level(brightest, skin)
    unclipped = _unsaturated(brightest, white)
    coloured = skin & _unsaturated(darkest, white)
    measured = coloured if coloured.sum() >= 0.25 * skin.sum() else skin
    colour = _SkinFill(measured)
    red, yellow = colour.fill(lab[..., 1]), colour.fill(lab[..., 2])
    smooth = np.stack([_blur(lightness, 4.0), _blur(red, 4.0), _blur(yellow, 4.0)], axis=-1)
    acne = _blur(red, ACNE_INNER_SIGMA) - _blur(red, 6.0)
    return FaceMaps(
        lab=lab,
        spot=_blur(lightness, 1.5) - _blur(lightness, 6.0),
        pore=lightness - _blur(lightness, 1.2),
        acne=acne,
        papules=_without_specks(acne, skin, ACNE_WEAK * chroma_unit(face_a, face_b)),
        ridge_fine=_dark_ridges(lightness, 1.5),
        ridge_coarse=_dark_ridges(lightness, 2.5),
        band=_blur(lightness, 2.0) - _blur(lightness, 8.0),
        smooth=smooth,
        face_lab=(face_l, face_a, face_b),
        unclipped=unclipped,
    )


def chroma_unit(face_a: float, face_b: float) -> float:
    """The face's chroma / 20: exposure scales a* and b* together, dividing by it cancels that."""
    return max(float(np.hypot(face_a, face_b)), 4.0) / 20.0


def _without_specks(
    acne: NDArray[np.float32], skin: NDArray[np.bool_], threshold: float
) -> NDArray[np.float32]:
    """``acne`` with blobs above ``threshold`` smaller than ``ACNE_MIN_PIXELS`` held at it."""
    above = ((acne > threshold) & skin).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(above, connectivity=8)
    speck = stats[:, cv2.CC_STAT_AREA] < ACNE_MIN_PIXELS
    speck[0] = False
    return np.asarray(np.where(speck[labels], np.minimum(acne, threshold), acne), np.float32)


def _white_level(brightest: NDArray[np.uint8], skin: NDArray[np.bool_]) -> float:
    """The code value from which a pixel counts as saturated.

    ``brightest`` is each pixel's largest channel. White (248) unless the face's skin has a flat
    top: a tenth of it within 3 % of its brightest value, which is how a clipped photo looks
    after it was darkened (exposure compensation, a filter); then that plateau is saturated too,
    just below white.
    """
    if not skin.any():
        return 248.0
    top = brightest[skin]
    level = uint8_quantile(top, 0.999)
    start = level - max(2.0, 0.03 * level)
    if level >= 150 and float(np.mean(top >= start)) >= PLATEAU_SHARE:
        return min(start, 248.0)
    return 248.0


def _unsaturated(channel: NDArray[np.uint8], white: float) -> NDArray[np.bool_]:
    """Pixels (and their neighbours) whose ``channel`` stays below ``white``."""
    grown = cv2.dilate((channel >= white).astype(np.uint8), np.ones((3, 3), np.uint8))
    return np.asarray(grown == 0)
