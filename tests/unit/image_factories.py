"""Builders of upload bytes for the decoding tests: pictures, crafted headers, animations, EXIF.

Imported by name (pytest puts this folder on ``sys.path``); kept out of conftest because only the
image tests use them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import image_bytes
import numpy as np
from image_bytes import encode
from numpy.typing import NDArray
from PIL import ExifTags, Image

from skinlab.settings import Settings

_FIELDS = Settings.model_fields
LIMITS: dict[str, Any] = {
    "max_bytes": _FIELDS["max_upload_bytes"].default,
    "max_pixels": _FIELDS["max_image_pixels"].default,
    "min_side": _FIELDS["min_image_side"].default,
}


def pattern(width: int = 160, height: int = 96) -> NDArray[np.uint8]:
    """A smooth picture whose four quadrants differ, so a wrong rotation or flip shows."""
    y, x = np.mgrid[0:height, 0:width]
    red = 40 + 180 * x / width
    green = 40 + 180 * y / height
    blue = np.where((x < width // 2) ^ (y < height // 2), 200.0, 50.0)
    return np.stack([red, green, blue], axis=-1).round().astype(np.uint8)


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) is patched to claim another size."""
    return image_bytes.jpeg_claiming(pattern(), width, height)


def animation(fmt: str, colours: tuple[str, ...] = ("red", "lime", "blue")) -> bytes:
    frames = [Image.new("RGB", (80, 80), colour) for colour in colours]
    options: dict[str, Any] = {"lossless": True} if fmt == "WEBP" else {}
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], **options)


def with_orientation(upright: NDArray[np.uint8], orientation: int) -> bytes:
    """A JPEG stored so that the EXIF ``orientation`` turns it back into ``upright``."""
    stored = {
        1: upright,
        3: np.rot90(upright, 2),
        6: np.rot90(upright, 1),
        8: np.rot90(upright, -1),
    }
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return encode(
        np.ascontiguousarray(stored.get(orientation, upright)), "JPEG", quality=95, exif=exif
    )


def flip_byte(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0xFF
    return bytes(changed)


ACCEPTED_FILES: dict[str, Callable[[], bytes]] = {
    "jpeg": lambda: encode(pattern(), "JPEG", quality=90),
    "jpeg-progressive": lambda: encode(pattern(), "JPEG", progressive=True),
    "png": lambda: encode(pattern(), "PNG"),
    "webp-lossy": lambda: encode(pattern(), "WEBP", quality=90),
    "webp-lossless": lambda: encode(pattern(), "WEBP", lossless=True),
}


def jpeg_with_damaged_exif() -> bytes:
    """A JPEG whose EXIF orientation entry points past the end of the EXIF block."""
    entry = struct.pack("<HHHII", 1, 0x0112, 3, 10, 5000)  # one entry: 10 SHORTs at offset 5000
    block = b"Exif\x00\x00II*\x00\x08\x00\x00\x00" + entry + b"\x00\x00\x00\x00"
    return encode(pattern(), "JPEG", exif=block)
