"""Raw face photos on disk, kept only when ``settings.store_raw_images`` is on.

Photos are written as ``<data_dir>/raw/<user_id>/<analysis_id>.jpg``, re-encoded from the
decoded pixels so that EXIF metadata (GPS position, device serials) never reaches the disk.
Paths stored in the database are relative to ``data_dir`` so the folder can move.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

RAW_DIR_NAME = "raw"
# '@' is not allowed in user ids, so this folder can never collide with a user's.
ANONYMOUS_DIR_NAME = "@anonymous"
JPEG_QUALITY = 95


def save_raw_photo(
    data_dir: Path, rgb: NDArray[np.uint8], *, user_id: str | None, analysis_id: str
) -> str:
    """Write one photo as JPEG and return its path relative to ``data_dir``.

    Parameters
    ----------
    data_dir : Path
        The service data directory (``settings.data_dir``).
    rgb : ndarray of shape (height, width, 3), dtype uint8
        The decoded photo.
    user_id : str or None
        The validated pseudonymous user id; None files it under ``@anonymous``.
    analysis_id : str
        The analysis the photo belongs to; it names the file.

    Returns
    -------
    str
        ``raw/<user>/<analysis_id>.jpg``, with forward slashes.
    """
    relative = Path(RAW_DIR_NAME) / (user_id or ANONYMOUS_DIR_NAME) / f"{analysis_id}.jpg"
    target = _inside_raw_dir(data_dir, relative.as_posix())
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".jpg.partial")
    Image.fromarray(rgb).save(partial, format="JPEG", quality=JPEG_QUALITY)
    os.replace(partial, target)
    return relative.as_posix()


def delete_raw_photos(data_dir: Path, relative_paths: list[str]) -> int:
    """Delete stored photos (and folders left empty); return how many files were removed."""
    removed = 0
    for relative in relative_paths:
        path = _inside_raw_dir(data_dir, relative)
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed += 1
        with contextlib.suppress(OSError):  # other photos of the same user are still there
            path.parent.rmdir()
    return removed


def purge_user_photos(data_dir: Path, user_id: str) -> int:
    """Delete whatever is left in a user's photo folder (orphans of a crash); return the count."""
    folder = _inside_raw_dir(data_dir, f"{RAW_DIR_NAME}/{user_id}")
    if not folder.is_dir():
        return 0
    files = [path for path in folder.iterdir() if path.is_file()]
    for path in files:
        path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()
    return len(files)


def _inside_raw_dir(data_dir: Path, relative: str) -> Path:
    """Resolve ``relative`` under ``data_dir/raw``, refusing anything that escapes it."""
    raw_root = (data_dir / RAW_DIR_NAME).resolve()
    path = (data_dir / relative).resolve()
    if not path.is_relative_to(raw_root):
        raise ValueError(f"refusing a photo path outside {RAW_DIR_NAME}/: {relative!r}")
    return path
