"""Safe decoding of uploaded photos: JPEG (and MPO, as phones save JPEG), PNG and WebP to RGB.

Uploads are untrusted, so every failure is a :class:`~skinlab.errors.SkinlabError` (422), never
a Pillow exception. Pillow is lazy: ``Image.open`` parses the header only, so the byte count,
the pixel count and the shortest side are checked before any pixel memory is allocated.
Truncated files are refused (``ImageFile.LOAD_TRUNCATED_IMAGES`` stays off) and PNG chunk CRCs
are verified, because a photo that is half grey would be scored as if it were skin.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import ExifTags, Image, ImageOps

from skinlab.errors import ImageTooLarge, ImageTooSmall, InvalidImage

__all__ = ["ACCEPTED_FORMATS", "DecodedImage", "decode_base64_image", "decode_image"]

ACCEPTED_FORMATS = ("JPEG", "MPO", "PNG", "WEBP")
# The JPEG plugin opens MPO files itself, so Pillow never tries another parser on an upload.
_PLUGINS = ["JPEG", "PNG", "WEBP"]
# Names given to refused files when Pillow's own signature check recognises them.
_NAMED_FORMATS = ("GIF", "BMP", "TIFF", "ICO", "PSD", "JPEG2000", "AVIF", "QOI")
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
# Malformed files make Pillow's plugins raise any of these; all mean "not a readable image".
# Warning: under an "error" filter (our tests, python -W error) Pillow's UserWarnings about
# damaged metadata arrive as exceptions.
_PILLOW_ERRORS: tuple[type[Exception], ...] = (
    Warning,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    struct.error,
)

# Pillow only warns for images between MAX_IMAGE_PIXELS and twice that. As an error the warning
# is caught below; warnings.catch_warnings() per call would not be thread-safe under a server.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


@dataclass(frozen=True)
class DecodedImage:
    """A decoded upload.

    Attributes
    ----------
    rgb : ndarray of shape (height, width, 3), uint8
        Upright (EXIF orientation applied), C-contiguous, alpha composited on white.
    format : str
        Pillow's name of the file format: ``JPEG``, ``MPO``, ``PNG`` or ``WEBP``.
    original_size : tuple of int
        ``(width, height)`` as stored in the file, before the EXIF rotation.
    orientation_applied : int
        The EXIF orientation tag (1-8) that was undone; 1 when there was none.
    frames : int
        Frames in the file (animations, MPO); only the first is decoded.
    """

    rgb: NDArray[np.uint8]
    format: str
    original_size: tuple[int, int]
    orientation_applied: int
    frames: int


def decode_image(raw: bytes, *, max_bytes: int, max_pixels: int, min_side: int) -> DecodedImage:
    """Decode an uploaded JPEG, PNG or WebP file to upright 8-bit RGB.

    Parameters
    ----------
    raw : bytes
        The file as uploaded.
    max_bytes : int
        Largest accepted file size.
    max_pixels : int
        Largest accepted ``width * height``, checked from the header before decoding.
    min_side : int
        Smallest accepted width or height in pixels.

    Returns
    -------
    DecodedImage

    Raises
    ------
    InvalidImage
        Empty, unknown, refused (GIF, HEIC...), truncated or corrupt files.
    ImageTooLarge
        More than ``max_bytes`` bytes or ``max_pixels`` pixels (decompression bombs included).
    ImageTooSmall
        A side shorter than ``min_side``.
    """
    if not raw:
        raise InvalidImage("The file is empty.", details={"bytes": 0})
    if len(raw) > max_bytes:
        raise ImageTooLarge(details={"bytes": len(raw), "max_bytes": max_bytes})
    with _open(raw, max_pixels) as image:
        file_format = str(image.format)
        width, height = image.size
        if width * height > max_pixels:
            raise ImageTooLarge(
                details={
                    "width": width,
                    "height": height,
                    "pixels": width * height,
                    "max_pixels": max_pixels,
                }
            )
        if min(width, height) < min_side:
            raise ImageTooSmall(details={"width": width, "height": height, "min_side": min_side})
        if file_format == "PNG":
            _verify_png(raw, max_pixels)
        try:
            frames = int(getattr(image, "n_frames", 1))
            image.load()
            orientation = _orientation(image)
            upright = ImageOps.exif_transpose(image) if orientation != 1 else image
            rgb = _to_rgb(upright or image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooLarge(details={"max_pixels": max_pixels}) from exc
        except _PILLOW_ERRORS as exc:
            raise _damaged(file_format) from exc
    return DecodedImage(
        rgb=rgb,
        format=file_format,
        original_size=(width, height),
        orientation_applied=orientation,
        frames=frames,
    )


def decode_base64_image(
    text: str, *, max_bytes: int, max_pixels: int, min_side: int
) -> DecodedImage:
    """Decode a base64 photo, plain or as a ``data:image/...;base64,`` URL.

    Parameters
    ----------
    text : str
        Standard or URL-safe base64; whitespace and missing padding are tolerated.
    max_bytes, max_pixels, min_side : int
        As for :func:`decode_image`; ``max_bytes`` limits the decoded size.

    Returns
    -------
    DecodedImage

    Raises
    ------
    InvalidImage
        Not base64, or a data URL that is not a base64 image.
    ImageTooLarge, ImageTooSmall
        As for :func:`decode_image`.
    """
    payload = "".join(_base64_payload(text.strip()).split())
    if not payload:
        raise InvalidImage("The image is empty.", details={"bytes": 0})
    # Four characters carry three bytes: refuse an oversized string before decoding it.
    if len(payload) // 4 * 3 > max_bytes + 2:
        raise ImageTooLarge(details={"bytes": len(payload) // 4 * 3, "max_bytes": max_bytes})
    payload = payload.replace("-", "+").replace("_", "/")
    payload += "=" * (-len(payload) % 4)
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidImage(
            "The image is not valid base64.", hint="Send the file's bytes base64-encoded."
        ) from exc
    return decode_image(raw, max_bytes=max_bytes, max_pixels=max_pixels, min_side=min_side)


def _base64_payload(text: str) -> str:
    """The base64 part of a data URL (``data:image/png;base64,...``), or ``text`` itself."""
    if text[:5].lower() != "data:":
        return text
    header, comma, payload = text.partition(",")
    media, *parameters = header[5:].split(";")
    if not comma or not parameters or parameters[-1].strip().lower() != "base64":
        raise InvalidImage("A data URL must be base64-encoded (data:image/jpeg;base64,...).")
    if media and not media.strip().lower().startswith("image/"):
        raise InvalidImage(f"The data URL holds {media.strip()!r}, not an image.")
    return payload


def _open(raw: bytes, max_pixels: int) -> Image.Image:
    """``Image.open`` restricted to the accepted formats, with every failure translated."""
    try:
        return Image.open(io.BytesIO(raw), formats=_PLUGINS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(details={"max_pixels": max_pixels}) from exc
    except _PILLOW_ERRORS as exc:
        raise _unreadable(raw) from exc


def _verify_png(raw: bytes, max_pixels: int) -> None:
    """Check every PNG chunk's CRC up to IEND: Pillow decodes a PNG that stops after its data."""
    with _open(raw, max_pixels) as image:
        try:
            image.verify()
            # verify() stops at the IEND header, so a file cut inside the last CRC passes it.
            if _PNG_END not in raw:
                raise OSError("the PNG ends before its IEND chunk")
        except _PILLOW_ERRORS as exc:
            raise _damaged("PNG") from exc


def _unreadable(raw: bytes) -> InvalidImage:
    """The error for a file Pillow could not open, naming what it looks like when known."""
    kind = _sniff(raw)
    if kind is None:
        return InvalidImage()
    if kind in ACCEPTED_FORMATS:
        return _damaged(kind)
    return InvalidImage(
        f"{kind} files are not accepted; send a JPEG, PNG or WebP photo.",
        details={"format": kind},
    )


def _damaged(file_format: str) -> InvalidImage:
    """The error for a file of an accepted format that cannot be read to the end."""
    name = "WebP" if file_format == "WEBP" else file_format
    return InvalidImage(
        f"The {name} file is damaged or incomplete.", details={"format": file_format}
    )


def _sniff(raw: bytes) -> str | None:
    """What the first bytes say the file is (for messages only; Pillow does the parsing)."""
    head = raw[:64]
    if head[4:8] == b"ftyp" and head[8:12] in {b"heic", b"heix", b"hevc", b"heim", b"heis"}:
        return "HEIC"
    if head.startswith(b"%PDF"):
        return "PDF"
    if b"<svg" in raw[:1024].lower():
        return "SVG"
    Image.init()
    for name in (*_PLUGINS, *_NAMED_FORMATS):
        factory_and_accept = Image.OPEN.get(name)
        if factory_and_accept is None or factory_and_accept[1] is None:
            continue
        try:
            if factory_and_accept[1](head[:16]):
                return name
        except _PILLOW_ERRORS:
            continue
    return None


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation tag, 1 when absent, invalid or in an unreadable EXIF block."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except _PILLOW_ERRORS:
        # A damaged EXIF block should not cost the customer a photo that decodes fine.
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _to_rgb(image: Image.Image) -> NDArray[np.uint8]:
    """8-bit RGB pixels: 16-bit scaled, CMYK/grey/palette converted, alpha over white."""
    if image.mode in _SIXTEEN_BIT_MODES:
        return _sixteen_bit_grey_to_rgb(image)
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        composed = Image.new("RGBA", image.size, (255, 255, 255, 255))
        composed.alpha_composite(image.convert("RGBA"))
        image = composed
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    return np.array(rgb, dtype=np.uint8, order="C")


def _sixteen_bit_grey_to_rgb(image: Image.Image) -> NDArray[np.uint8]:
    """Scale 16-bit grey to 0-255 (65535 -> 255), where Pillow's convert would clip at 255."""
    values = np.clip(np.asarray(image).astype(np.int64), 0, 65535)
    grey = ((values * 255 + 32767) // 65535).astype(np.uint8)
    transparent = image.info.get("transparency")
    if isinstance(transparent, int):
        grey[values == transparent] = 255
    return np.ascontiguousarray(np.repeat(grey[:, :, np.newaxis], 3, axis=2))
