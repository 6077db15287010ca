"""Bytes of crafted image files, shared by the decoding tests and the malformed-upload corpus.

Imported by name (``tests/`` is on ``sys.path`` because ``tests/conftest.py`` lives there).
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image


def encode(image: Image.Image | NDArray[np.uint8], fmt: str, **options: Any) -> bytes:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def raw_png(
    width: int, height: int, *, bit_depth: int = 8, colour_type: int = 2, data: bytes = b""
) -> bytes:
    """A PNG written chunk by chunk: tiny files may claim any size (decompression bombs)."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(data))
        + png_chunk(b"IEND", b"")
    )


def jpeg_claiming(picture: NDArray[np.uint8], width: int, height: int) -> bytes:
    """``picture`` as a JPEG whose frame header (SOF0) is patched to claim another size."""
    data = bytearray(encode(picture, "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def random_bytes(seed: int, size: int = 2048, prefix: bytes = b"") -> bytes:
    return prefix + np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()
