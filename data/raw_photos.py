"""Raw face photos on disk, kept only with the setting, the person's consent, and encrypted.

A kept photo is re-encoded as JPEG from the decoded pixels, so that EXIF metadata (GPS position,
device serials) never reaches the disk, then sealed with AES-256-GCM (``skinlab.photo_crypto``)
and written as ``<data_dir>/raw/<user_id>/<analysis_id>.jpg.enc``. Paths stored in the database
are relative to ``data_dir`` so the folder can move; the relative path is also what the seal is
bound to, so a file renamed to another user or analysis no longer opens.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from skinlab.photo_crypto import PhotoKeyring, is_sealed, sealed_key_id

RAW_DIR_NAME = "raw"
SEALED_SUFFIX = ".jpg.enc"
JPEG_QUALITY = 95


def save_raw_photo(
    data_dir: Path,
    rgb: NDArray[np.uint8],
    *,
    user_id: str,
    analysis_id: str,
    keyring: PhotoKeyring,
) -> str:
    """Write one photo as a sealed JPEG and return its path relative to ``data_dir``.

    Parameters
    ----------
    data_dir : Path
        The service data directory (``settings.data_dir``).
    rgb : ndarray of shape (height, width, 3), dtype uint8
        The decoded photo.
    user_id : str
        The validated pseudonymous user id; it names the folder.
    analysis_id : str
        The analysis the photo belongs to; it names the file.
    keyring : PhotoKeyring
        Its current key seals the file.

    Returns
    -------
    str
        ``raw/<user>/<analysis_id>.jpg.enc``, with forward slashes.
    """
    relative = (Path(RAW_DIR_NAME) / user_id / f"{analysis_id}{SEALED_SUFFIX}").as_posix()
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=JPEG_QUALITY)
    _write_atomically(
        _inside_raw_dir(data_dir, relative), keyring.seal(buffer.getvalue(), context=relative)
    )
    return relative


def read_raw_photo(data_dir: Path, relative: str, keyring: PhotoKeyring) -> bytes:
    """The JPEG bytes of a kept photo, decrypted with whichever configured key sealed it.

    Raises
    ------
    FileNotFoundError
        When the file is gone.
    PhotoKeyUnknown, PhotoDecryptFailed
        When no configured key opens it (see ``skinlab.photo_crypto``).
    """
    return keyring.open(_inside_raw_dir(data_dir, relative).read_bytes(), context=relative)


def reseal_raw_photo(data_dir: Path, relative: str, keyring: PhotoKeyring) -> bool:
    """Re-encrypt one photo under the current key if an older key (or none) sealed it.

    Files written before encryption (plain JPEGs) are sealed in place. Returns whether the
    file was rewritten.
    """
    path = _inside_raw_dir(data_dir, relative)
    blob = path.read_bytes()
    if is_sealed(blob):
        if sealed_key_id(blob) == keyring.current_id:
            return False
        plaintext = keyring.open(blob, context=relative)
    else:
        plaintext = blob
    _write_atomically(path, keyring.seal(plaintext, context=relative))
    return True


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


def stored_photo_files(data_dir: Path) -> list[str]:
    """Every file under ``data_dir/raw``, as paths relative to ``data_dir``."""
    root = data_dir / RAW_DIR_NAME
    if not root.is_dir():
        return []
    return sorted(p.relative_to(data_dir).as_posix() for p in root.rglob("*") if p.is_file())


def _write_atomically(target: Path, blob: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(blob)
    os.replace(partial, target)


def _inside_raw_dir(data_dir: Path, relative: str) -> Path:
    """Resolve ``relative`` under ``data_dir/raw``, refusing anything that escapes it."""
    raw_root = (data_dir / RAW_DIR_NAME).resolve()
    path = (data_dir / relative).resolve()
    if not path.is_relative_to(raw_root):
        raise ValueError(f"refusing a photo path outside {RAW_DIR_NAME}/: {relative!r}")
    return path
