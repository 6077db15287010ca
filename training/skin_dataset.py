"""Build training and evaluation tables for the skin heads from synthetic conditions.

One sample = a real source photo, moved to a random skin tone, painted with random conditions
at known severities (``data.synth``), put through a random capture change (``data.augment``),
then measured by the production pipeline (``models.measurement``). Each measured region becomes
one row; its labels are the painted severities of that region.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from data.augment import Perturbation, apply_perturbation
from data.photos import load_rgb
from data.synth import draw_conditions, shift_tone
from data.vocabulary import CONCERNS, REGIONS, Concern, Region
from models.measurement import FaceMeasurer
from models.regions import region_masks, skin_mask


@dataclass(frozen=True)
class SourceFace:
    """A real photo prepared for painting: region masks in its own coordinates."""

    name: str
    rgb: NDArray[np.uint8]
    masks: dict[Region, NDArray[np.bool_]]
    skin: NDArray[np.bool_]
    face: NDArray[np.bool_]
    inter_ocular_px: float


@dataclass(frozen=True)
class SampleSpec:
    """Everything random about one sample, so any sample can be rebuilt from its spec."""

    seed: int
    source: int
    ita_deg: float
    severities: dict[Concern, float]
    capture: Perturbation = field(default_factory=Perturbation)


@dataclass
class SkinTable:
    """Region rows: features, labels (0-100 per concern), and which sample/source/tone they are."""

    features: NDArray[np.float32]
    labels: NDArray[np.float32]
    regions: list[Region]
    sample: NDArray[np.int64]
    source: list[str]
    ita_deg: NDArray[np.float32]
    dropped: int = 0


# Faces narrower than this are upscaled before painting, so conditions keep their real size.
SOURCE_FACE_WIDTH = 280


def face_crops(measurer: FaceMeasurer, path: Path) -> list[tuple[str, NDArray[np.uint8]]]:
    """Every face of a photo as its own picture: the whole photo for a single large face,
    otherwise a crop around each face, upscaled to ``SOURCE_FACE_WIDTH`` if smaller."""
    photo = load_rgb(path)
    faces = measurer.detector.detect(photo)
    if len(faces) == 1 and faces[0].width >= SOURCE_FACE_WIDTH * 0.7:
        return [(path.stem, photo)]
    crops: list[tuple[str, NDArray[np.uint8]]] = []
    height, width = photo.shape[:2]
    for index, face in enumerate(faces):
        x0, y0, x1, y1 = face.box
        margin = 0.9 * face.width
        left, top = max(int(x0 - margin), 0), max(int(y0 - 1.2 * margin), 0)
        right, bottom = min(int(x1 + margin), width), min(int(y1 + margin), height)
        crop = photo[top:bottom, left:right]
        scale = max(1.0, SOURCE_FACE_WIDTH / max(face.width, 1.0))
        size = (round(crop.shape[1] * scale), round(crop.shape[0] * scale))
        crop = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
        crops.append((f"{path.stem}-face{index}", crop))
    return crops


def prepare_sources(measurer: FaceMeasurer, paths: Iterable[Path]) -> list[SourceFace]:
    """Detect and mask each face (and its mirror image) once; unusable faces are skipped."""
    sources: list[SourceFace] = []
    pictures = [crop for path in paths for crop in face_crops(measurer, path)]
    for stem, picture in pictures:
        for name, rgb in ((stem, picture), (f"{stem}-mirror", picture[:, ::-1].copy())):
            faces, landmarks = measurer.locate(rgb)
            if landmarks is None:
                continue
            points = landmarks.points[:, :2]
            right_eye, left_eye = faces[0].keypoints[0], faces[0].keypoints[1]
            hull = np.zeros(rgb.shape[:2], dtype=np.uint8)
            cv2.fillConvexPoly(hull, cv2.convexHull(points.astype(np.int32)), 1)
            sources.append(
                SourceFace(
                    name=name,
                    rgb=rgb,
                    masks=region_masks(rgb, points),
                    skin=skin_mask(rgb, points),
                    face=hull.astype(bool),
                    inter_ocular_px=float(np.linalg.norm(right_eye - left_eye)),
                )
            )
    return sources


def tone_target(ita_deg: float, yellowness: float = 18.0) -> tuple[float, float]:
    """The (L*, b*) with the given ITA° at a typical skin b*."""
    lightness = 50.0 + yellowness * math.tan(math.radians(ita_deg))
    return float(np.clip(lightness, 20.0, 85.0)), yellowness


def random_spec(seed: int, *, active: float = 0.5, augment: float = 0.6) -> SampleSpec:
    """A random sample: any source face (``source`` is taken modulo the number of faces), tone,
    each concern present with probability ``active``, and a capture change with probability
    ``augment`` (the rest are clean, so fine detail such as pores is learnt too)."""
    rng = np.random.default_rng(seed)
    severities: dict[Concern, float] = {
        c: float(rng.uniform(0.05, 1.0)) if rng.random() < active else 0.0 for c in CONCERNS
    }
    source = int(rng.integers(0, 1_000_000))
    ita = float(rng.uniform(-45.0, 65.0))
    capture = Perturbation.sample(rng) if rng.random() < augment else Perturbation()
    return SampleSpec(seed=seed, source=source, ita_deg=ita, severities=severities, capture=capture)


def render(
    spec: SampleSpec, source: SourceFace
) -> tuple[NDArray[np.uint8], dict[Concern, dict[Region, float]]]:
    """The photo of one sample and its region labels."""
    rng = np.random.default_rng(spec.seed + 7919)
    lightness, yellowness = tone_target(spec.ita_deg)
    toned = shift_tone(source.rgb, source.skin, lightness, yellowness, face=source.face)
    painted, labels = draw_conditions(
        toned, source.masks, spec.severities, inter_ocular_px=source.inter_ocular_px, rng=rng
    )
    return apply_perturbation(painted, spec.capture), labels


_worker: tuple[FaceMeasurer, list[SourceFace]] | None = None


def _init_worker(models_dir: Path, photos: list[Path]) -> None:
    global _worker
    measurer = FaceMeasurer(models_dir)
    _worker = (measurer, prepare_sources(measurer, photos))


def _measure_one(
    spec: SampleSpec,
) -> tuple[SampleSpec, str, NDArray[np.float32], list[Region], NDArray[np.float32]] | None:
    assert _worker is not None, "worker not initialised"
    measurer, sources = _worker
    source = sources[spec.source % len(sources)]
    image, labels = render(spec, source)
    measurement = measurer.measure(image)
    if measurement.features is None:
        return None
    rows = [[labels[c].get(region, 0.0) for c in CONCERNS] for region in measurement.regions]
    return (
        spec,
        source.name,
        measurement.features,
        list(measurement.regions),
        np.asarray(rows, dtype=np.float32),
    )


def _run(
    models_dir: Path, photos: list[Path], specs: list[SampleSpec], workers: int, desc: str
) -> Iterator[
    tuple[SampleSpec, str, NDArray[np.float32], list[Region], NDArray[np.float32]] | None
]:
    if workers <= 1:
        _init_worker(models_dir, photos)
        yield from tqdm(map(_measure_one, specs), total=len(specs), desc=desc, leave=False)
        return
    with ProcessPoolExecutor(
        workers, initializer=_init_worker, initargs=(models_dir, photos)
    ) as pool:
        yield from tqdm(
            pool.map(_measure_one, specs, chunksize=8), total=len(specs), desc=desc, leave=False
        )


def build_table(
    models_dir: Path,
    photos: list[Path],
    specs: list[SampleSpec],
    *,
    workers: int = 2,
    desc: str = "samples",
) -> SkinTable:
    """Render and measure every sample; photos where no face is found are counted as dropped.

    Parameters
    ----------
    models_dir : Path
        Folder with the face models.
    photos : list of Path
        Source photos; ``SampleSpec.source`` indexes their prepared faces (mirrors included).
    specs : list of SampleSpec
    workers : int
        Processes to use.
    desc : str
        Label of the progress bar.

    Returns
    -------
    SkinTable
    """
    features: list[NDArray[np.float32]] = []
    labels: list[NDArray[np.float32]] = []
    regions: list[Region] = []
    sample: list[int] = []
    source: list[str] = []
    ita: list[float] = []
    dropped = 0
    for result in _run(models_dir, photos, specs, workers, desc):
        if result is None:
            dropped += 1
            continue
        spec, name, rows, row_regions, row_labels = result
        features.append(rows)
        labels.append(row_labels)
        regions.extend(row_regions)
        sample.extend([spec.seed] * len(row_regions))
        source.extend([name] * len(row_regions))
        ita.extend([spec.ita_deg] * len(row_regions))
    n_features = features[0].shape[1] if features else 0
    return SkinTable(
        features=np.concatenate(features) if features else np.zeros((0, n_features), np.float32),
        labels=np.concatenate(labels) if labels else np.zeros((0, len(CONCERNS)), np.float32),
        regions=regions,
        sample=np.asarray(sample, dtype=np.int64),
        source=source,
        ita_deg=np.asarray(ita, dtype=np.float32),
        dropped=dropped,
    )


__all__ = [
    "REGIONS",
    "SampleSpec",
    "SkinTable",
    "SourceFace",
    "build_table",
    "prepare_sources",
    "random_spec",
    "render",
]
