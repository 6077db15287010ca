"""A corpus of malformed photo uploads for ``POST /analyze``, generated, never stored as files.

Each entry is an :class:`Upload`: how to send it (multipart file, JSON base64, or a raw request
of some other shape) and the bytes. The families: files cut at many offsets, flipped bytes,
empty, zero and random bytes, wrong or foreign magic numbers, headers claiming huge sizes
(decompression bombs), unusual pixel formats (CMYK, 16-bit, grey, palette, alpha), animations,
broken EXIF, damaged JPEG tables, other formats (GIF, BMP, TIFF, HEIC, PDF, SVG), base64 garbage
and multipart requests of the wrong shape. Imported by name (pytest puts this folder on
``sys.path``), like ``tests/unit/image_factories.py``.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import image_bytes
import numpy as np
from image_bytes import encode, png_chunk, random_bytes, raw_png
from numpy.typing import NDArray
from PIL import ExifTags, Image

Via = Literal["multipart", "json", "raw"]
MULTIPART_BOUNDARY = "skinlab-fuzz-boundary"


@dataclass(frozen=True)
class Upload:
    """One request to ``POST /analyze``.

    ``multipart`` sends ``payload`` as the file field ``field_name`` (with ``consent=true`` unless
    ``form`` says otherwise); ``json`` sends ``{"image_base64": text, "consent": true}``;
    ``raw`` sends ``payload`` as the whole body with ``content_type``.
    """

    name: str
    payload: bytes
    via: Via = "multipart"
    field_name: str = "image"
    filename: str = "photo.jpg"
    content_type: str = "image/jpeg"
    form: dict[str, str] = field(default_factory=lambda: {"consent": "true"})
    text: str = ""


def picture(width: int = 160, height: int = 120) -> NDArray[np.uint8]:
    """A smooth gradient with a bright disc: decodes to something, scores as no face."""
    y, x = np.mgrid[0:height, 0:width]
    disc = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (min(width, height) / 3) ** 2
    red = 60 + 150 * x / width + 30 * disc
    green = 50 + 120 * y / height + 30 * disc
    blue = np.full_like(red, 90.0) + 40 * disc
    return np.stack([red, green, blue], axis=-1).clip(0, 255).round().astype(np.uint8)


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) claims another size."""
    return image_bytes.jpeg_claiming(picture(), width, height)


def webp_claiming(width: int, height: int) -> bytes:
    """An extended WebP (VP8X) whose canvas claims another size (24-bit fields, minus one)."""
    data = bytearray(encode(picture(), "WEBP", lossless=True, exif=_exif(1)))
    vp8x = data.index(b"VP8X")
    data[vp8x + 12 : vp8x + 18] = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(
        3, "little"
    )
    return bytes(data)


def _exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return exif


def _flip(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0xFF
    return bytes(changed)


def _segment_body(data: bytes, marker: bytes) -> tuple[int, int]:
    """Start and end of the first JPEG segment with ``marker`` (after its length field)."""
    start = data.index(marker) + 4
    length = struct.unpack(">H", data[start - 2 : start])[0]
    return start, start + length - 2


def _overwrite(data: bytes, start: int, end: int, fill: int) -> bytes:
    return data[:start] + bytes([fill]) * (end - start) + data[end:]


def _animation(fmt: str, **options: Any) -> bytes:
    frames = [Image.fromarray(picture()).rotate(angle) for angle in (0, 90, 180)]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], **options)


def _tiff_header(byte_order: bytes) -> bytes:
    return byte_order + (b"*\x00" if byte_order == b"II" else b"\x00*") + b"\x08\x00\x00\x00"


def valid_files() -> dict[str, bytes]:
    """The accepted formats, well formed: the material the damage families start from."""
    rgb = picture()
    return {
        "jpeg": encode(rgb, "JPEG", quality=90),
        "jpeg-progressive": encode(rgb, "JPEG", quality=85, progressive=True),
        "png": encode(rgb, "PNG"),
        "webp-lossy": encode(rgb, "WEBP", quality=80),
        "webp-lossless": encode(rgb, "WEBP", lossless=True),
    }


TRUNCATION_FRACTIONS = (0.01, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.75, 0.9, 0.97, 0.995)
TRUNCATION_OFFSETS = (1, 2, 3, 8, 12, 20, 33)


def truncated() -> Iterator[Upload]:
    for name, data in valid_files().items():
        cuts = {int(len(data) * f) for f in TRUNCATION_FRACTIONS} | set(TRUNCATION_OFFSETS)
        cuts |= {len(data) - 1, len(data) - 2}
        for cut in sorted(cuts):
            yield Upload(f"{name}-cut-at-{cut}", data[:cut])


def corrupted() -> Iterator[Upload]:
    for name, data in valid_files().items():
        for fraction in (0.02, 0.1, 0.3, 0.5, 0.8, 0.95):
            position = max(2, int(len(data) * fraction))
            yield Upload(f"{name}-flip-at-{position}", _flip(data, position))
    jpeg = valid_files()["jpeg"]
    for marker, fill in [(b"\xff\xc4", 0xFF), (b"\xff\xc4", 0x00), (b"\xff\xc4", 0x11)]:
        start, end = _segment_body(jpeg, marker)
        yield Upload(f"jpeg-huffman-table-filled-{fill:02x}", _overwrite(jpeg, start, end, fill))
    dht_start, _ = _segment_body(jpeg, b"\xff\xc4")
    counts = bytearray(jpeg)
    counts[dht_start + 1 : dht_start + 17] = b"\xff" * 16  # code counts far past 256 symbols
    yield Upload("jpeg-huffman-counts-overflow", bytes(counts))
    for fill in (0x00, 0xFF):
        start, end = _segment_body(jpeg, b"\xff\xdb")
        yield Upload(f"jpeg-quant-table-filled-{fill:02x}", _overwrite(jpeg, start, end, fill))
    sos = jpeg.index(b"\xff\xda")
    yield Upload("jpeg-without-scan", jpeg[:sos] + b"\xff\xd9")
    yield Upload("jpeg-without-huffman-tables", jpeg.replace(b"\xff\xc4", b"\xff\xfe", 4))
    sof_start, _ = _segment_body(jpeg, b"\xff\xc0")
    no_components = bytearray(jpeg)
    no_components[sof_start + 5] = 0
    yield Upload("jpeg-frame-with-zero-components", bytes(no_components))
    yield Upload(
        "jpeg-frame-with-9-bit-precision", jpeg[:sof_start] + b"\x09" + jpeg[sof_start + 1 :]
    )
    yield Upload("jpeg-scan-garbage", jpeg[: sos + 20] + random_bytes(3, 2000) + b"\xff\xd9")
    yield Upload("jpeg-twice", jpeg + jpeg)
    yield Upload("jpeg-with-trailing-garbage", jpeg + random_bytes(4, 500))
    png = valid_files()["png"]
    idat = png.index(b"IDAT")
    yield Upload(
        "png-bad-idat-crc", png[: idat + 10] + b"\x00" + png[idat + 11 :], filename="p.png"
    )
    yield Upload("png-without-iend", png[:-12], filename="p.png")
    yield Upload(
        "png-idat-not-zlib",
        raw_png(80, 80, data=b"")[:33]
        + png_chunk(b"IDAT", random_bytes(5, 400))
        + png_chunk(b"IEND", b""),
        filename="p.png",
    )
    yield Upload("png-too-little-data", raw_png(80, 80, data=b"\x00" * 100), filename="p.png")
    yield Upload(
        "png-bad-bit-depth", raw_png(80, 80, bit_depth=7, data=b"\x00" * 20000), filename="p.png"
    )
    yield Upload(
        "png-bad-colour-type",
        raw_png(80, 80, colour_type=5, data=b"\x00" * 20000),
        filename="p.png",
    )
    yield Upload(
        "png-interlace-method-9",
        raw_png(80, 80)[:28] + b"\x09" + raw_png(80, 80)[29:],
        filename="p.png",
    )


def empty_and_random() -> Iterator[Upload]:
    yield Upload("empty-file", b"")
    yield Upload("one-zero-byte", b"\x00")
    yield Upload("kilobyte-of-zeros", b"\x00" * 1024)
    yield Upload("megabyte-of-0xff", b"\xff" * (1 << 20))
    yield Upload("newline", b"\n")
    for seed, size in enumerate((1, 7, 64, 512, 4096, 65536, 300_000)):
        yield Upload(f"random-{size}-bytes", random_bytes(seed, size))
    magics = {
        "jpeg-soi": b"\xff\xd8\xff",
        "jpeg-soi-app0": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
        "png-signature": b"\x89PNG\r\n\x1a\n",
        "png-signature-ihdr": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "riff-webp": b"RIFF\x00\x10\x00\x00WEBPVP8 ",
        "riff-webp-vp8l": b"RIFF\x00\x10\x00\x00WEBPVP8L",
        "riff-webp-vp8x": b"RIFF\x00\x10\x00\x00WEBPVP8X",
        "gif": b"GIF89a",
        "bmp": b"BM",
        "tiff-le": _tiff_header(b"II"),
        "tiff-be": _tiff_header(b"MM"),
        "heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
    }
    for seed, (name, magic) in enumerate(magics.items(), start=100):
        yield Upload(f"{name}-then-random", magic + random_bytes(seed, 3000))
        yield Upload(f"{name}-alone", magic)


def wrong_magic() -> Iterator[Upload]:
    files = valid_files()
    jpeg, png, webp = files["jpeg"], files["png"], files["webp-lossy"]
    yield Upload("png-body-jpeg-magic", b"\xff\xd8\xff\xe0" + png[4:])
    yield Upload("jpeg-body-png-magic", b"\x89PNG\r\n\x1a\n" + jpeg[8:])
    yield Upload("webp-body-jpeg-magic", b"\xff\xd8\xff\xe0" + webp[4:])
    yield Upload("jpeg-without-soi", jpeg[2:])
    yield Upload("png-without-signature", png[8:], filename="p.png")
    yield Upload("webp-riff-says-wave", webp[:8] + b"WAVE" + webp[12:])
    yield Upload("webp-riff-size-huge", webp[:4] + b"\xff\xff\xff\xff" + webp[8:])
    yield Upload("webp-riff-size-zero", webp[:4] + b"\x00\x00\x00\x00" + webp[8:])
    yield Upload("png-named-jpeg", png, filename="photo.jpg", content_type="image/jpeg")
    yield Upload("jpeg-as-text-plain", jpeg, filename="notes.txt", content_type="text/plain")
    yield Upload("jpeg-as-octet-stream", jpeg, filename="", content_type="application/octet-stream")


def huge_claims() -> Iterator[Upload]:
    yield Upload("png-100000-square", raw_png(100_000, 100_000), filename="p.png")
    yield Upload("png-1-by-100000", raw_png(1, 100_000), filename="p.png")
    yield Upload("png-100000-by-64", raw_png(100_000, 64), filename="p.png")
    yield Upload("png-2pow31-wide", raw_png(2**31 - 1, 64), filename="p.png")
    yield Upload("png-4294967295-wide", raw_png(2**32 - 1, 2**32 - 1), filename="p.png")
    yield Upload("png-zero-size", raw_png(0, 0), filename="p.png")
    yield Upload(
        "png-16bit-rgba-30000",
        raw_png(30_000, 30_000, bit_depth=16, colour_type=6),
        filename="p.png",
    )
    bomb_rows = 7000
    bomb = raw_png(7000, bomb_rows, colour_type=0, data=b"\x00" * (7001 * bomb_rows))
    yield Upload("png-decompression-bomb-49mp", bomb, filename="p.png")
    yield Upload("jpeg-65535-square", jpeg_claiming(65535, 65535))
    yield Upload("jpeg-zero-width", jpeg_claiming(0, 96))
    yield Upload("jpeg-1-by-65535", jpeg_claiming(1, 65535))
    yield Upload("jpeg-claims-8000x6000", jpeg_claiming(8000, 6000))
    yield Upload("webp-canvas-16m-square", webp_claiming(16_000_000, 16_000_000))
    yield Upload("webp-canvas-1-by-1", webp_claiming(1, 1))
    yield Upload("png-tiny-2x2", encode(picture(2, 2), "PNG"), filename="p.png")
    yield Upload("jpeg-tiny-63x200", encode(picture(63, 200), "JPEG"))


def pixel_formats() -> Iterator[Upload]:
    rgb = picture()
    grey16 = (np.linspace(0, 65535, 160 * 120).reshape(120, 160)).astype(np.uint16)
    rgba = np.dstack([rgb, np.tile(np.linspace(0, 255, 160, dtype=np.uint8), (120, 1))])
    yield Upload("cmyk-jpeg", encode(Image.fromarray(rgb).convert("CMYK"), "JPEG"))
    yield Upload("grey-jpeg", encode(Image.fromarray(rgb).convert("L"), "JPEG"))
    yield Upload("grey-png", encode(Image.fromarray(rgb).convert("L"), "PNG"), filename="p.png")
    yield Upload("grey16-png", encode(Image.fromarray(grey16), "PNG"), filename="p.png")
    rows = b"".join(b"\x00" + b"\xff\xff\x80\x00\x01\x00" * 96 for _ in range(96))
    yield Upload("rgb48-png", raw_png(96, 96, bit_depth=16, data=rows), filename="p.png")
    yield Upload("bilevel-png", encode(Image.fromarray(rgb).convert("1"), "PNG"), filename="p.png")
    palette = Image.fromarray(rgb).quantize(colors=8)
    yield Upload("palette-png", encode(palette, "PNG"), filename="p.png")
    yield Upload(
        "palette-transparent-png", encode(palette, "PNG", transparency=0), filename="p.png"
    )
    yield Upload("rgba-png", encode(Image.fromarray(rgba, "RGBA"), "PNG"), filename="p.png")
    yield Upload(
        "la-png", encode(Image.fromarray(rgba, "RGBA").convert("LA"), "PNG"), filename="p.png"
    )
    yield Upload("rgba-webp", encode(Image.fromarray(rgba, "RGBA"), "WEBP"), filename="p.webp")
    yield Upload(
        "fully-transparent-png", encode(Image.new("RGBA", (96, 96)), "PNG"), filename="p.png"
    )
    yield Upload("black-jpeg", encode(Image.new("RGB", (96, 96)), "JPEG"))
    yield Upload("white-png", encode(Image.new("RGB", (96, 96), "white"), "PNG"), filename="p.png")
    yield Upload("animated-gif", _animation("GIF"), filename="a.gif", content_type="image/gif")
    yield Upload("animated-webp", _animation("WEBP", lossless=True), filename="a.webp")
    yield Upload("apng", _animation("PNG"), filename="a.png", content_type="image/png")
    yield Upload(
        "mpo",
        encode(
            Image.fromarray(rgb), "MPO", save_all=True, append_images=[Image.new("RGB", (160, 120))]
        ),
    )
    yield Upload(
        "arithmetic-free-lossless-webp-tiny", encode(picture(64, 64), "WEBP", lossless=True)
    )


def broken_exif() -> Iterator[Upload]:
    rgb = picture()
    for orientation in (0, 9, 255, 65535, -1):
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = orientation % 65536
        yield Upload(f"jpeg-exif-orientation-{orientation}", encode(rgb, "JPEG", exif=exif))
    for orientation in (3, 6, 8, 5, 7):
        yield Upload(
            f"webp-exif-orientation-{orientation}", encode(rgb, "WEBP", exif=_exif(orientation))
        )
        yield Upload(
            f"png-exif-orientation-{orientation}",
            encode(rgb, "PNG", exif=_exif(orientation)),
            filename="p.png",
        )
    entry = struct.pack("<HHHII", 1, 0x0112, 3, 10, 5000)  # 10 SHORTs stored past the block
    yield Upload(
        "jpeg-exif-pointer-past-end",
        encode(rgb, "JPEG", exif=b"Exif\x00\x00II*\x00\x08\x00\x00\x00" + entry + b"\x00" * 4),
    )
    text_orientation = struct.pack("<HHHI4s", 1, 0x0112, 2, 4, b"six\x00")  # ASCII, not SHORT
    yield Upload(
        "jpeg-exif-orientation-as-text",
        encode(
            rgb,
            "JPEG",
            exif=b"Exif\x00\x00II*\x00\x08\x00\x00\x00" + text_orientation + b"\x00" * 4,
        ),
    )
    many = struct.pack("<H", 0xFFFF)  # an IFD that claims 65535 entries
    yield Upload(
        "jpeg-exif-ifd-65535-entries",
        encode(rgb, "JPEG", exif=b"Exif\x00\x00II*\x00\x08\x00\x00\x00" + many),
    )
    yield Upload(
        "jpeg-exif-not-tiff", encode(rgb, "JPEG", exif=b"Exif\x00\x00" + random_bytes(9, 200))
    )
    loop = struct.pack("<HHHII", 1, 0x8769, 4, 1, 8)  # an EXIF sub-IFD pointing at itself
    yield Upload(
        "jpeg-exif-ifd-loop",
        encode(rgb, "JPEG", exif=b"Exif\x00\x00II*\x00\x08\x00\x00\x00" + loop + b"\x00" * 4),
    )


def other_formats() -> Iterator[Upload]:
    rgb = picture()
    yield Upload("gif", encode(rgb, "GIF"), filename="p.gif", content_type="image/gif")
    yield Upload("bmp", encode(rgb, "BMP"), filename="p.bmp", content_type="image/bmp")
    yield Upload("tiff", encode(rgb, "TIFF"), filename="p.tiff", content_type="image/tiff")
    yield Upload(
        "tiff-float",
        encode(Image.fromarray(rgb[..., 0].astype(np.float32)), "TIFF"),
        filename="p.tif",
    )
    yield Upload("ico", encode(rgb, "ICO"), filename="p.ico")
    yield Upload("ppm", encode(rgb, "PPM"), filename="p.ppm")
    yield Upload(
        "pdf-header", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", filename="p.pdf"
    )
    yield Upload(
        "svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="9999" height="9999"/>',
        filename="p.svg",
    )
    yield Upload("html", b"<!doctype html><img src=x onerror=alert(1)>", filename="p.html")
    yield Upload("json-text", b'{"image": "not really"}', filename="p.json")
    yield Upload(
        "heic-brand",
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + random_bytes(7, 800),
        filename="p.heic",
    )
    yield Upload(
        "avif-brand",
        b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + random_bytes(8, 800),
        filename="p.avif",
    )
    yield Upload("zip", b"PK\x03\x04" + random_bytes(10, 500), filename="p.zip")
    yield Upload("utf16-text", "照片".encode("utf-16"), filename="照片.jpg")


def base64_bodies() -> Iterator[Upload]:
    png = valid_files()["png"]
    encoded = base64.b64encode(png).decode()
    texts = {
        "b64-not-base64": "!!!! this is not base64 ####",
        "b64-one-char": "A",
        "b64-bad-padding": encoded[:-2] + "=" * 5,
        "b64-random-bytes": base64.b64encode(random_bytes(11, 3000)).decode(),
        "b64-truncated-png": encoded[: len(encoded) // 2],
        "b64-text-data-url": "data:text/plain;base64,aGVsbG8gd29ybGQ=",
        "b64-data-url-not-base64": "data:image/png," + encoded,
        "b64-data-url-empty": "data:image/png;base64,",
        "b64-data-url-no-comma": "data:image/png;base64",
        "b64-data-url-no-media": "data:;base64," + encoded[:100],
        "b64-unicode": "照片" * 50,
        "b64-nul-and-controls": "\x00\x01\x02" * 40,
        "b64-whitespace-only": " \n\t " * 10,
        "b64-gif": base64.b64encode(encode(picture(), "GIF")).decode(),
        "b64-bomb-png": base64.b64encode(raw_png(100_000, 100_000)).decode(),
        "b64-urlsafe-garbage": "-_" * 300,
        "b64-long-garbage": "@" * 200_000,
    }
    for name, text in texts.items():
        yield Upload(name, b"", via="json", text=text)


def _json_body(value: Any) -> bytes:
    return json.dumps(value).encode()


def request_shapes() -> Iterator[Upload]:
    """Requests whose body is the wrong shape for ``/analyze`` (sent as is, with this type)."""
    jpeg = valid_files()["jpeg"]
    yield Upload("multipart-field-named-photo", jpeg, field_name="photo")
    yield Upload("multipart-field-named-file", jpeg, field_name="file")
    yield Upload("multipart-without-consent", jpeg, form={})
    yield Upload("multipart-consent-false", jpeg, form={"consent": "false"})
    yield Upload("multipart-consent-garbage", jpeg, form={"consent": "\x00\xff"})
    yield Upload("multipart-bad-user-id", jpeg, form={"consent": "true", "user_id": "13812345678"})
    yield Upload("multipart-long-user-id", jpeg, form={"consent": "true", "user_id": "u" * 500})
    yield Upload("multipart-bad-channel", jpeg, form={"consent": "true", "channel": "fax"})
    yield Upload("multipart-overlays-maybe", jpeg, form={"consent": "true", "overlays": "maybe"})
    raw: dict[str, tuple[bytes, str]] = {
        "form-urlencoded": (b"consent=true&image=abc", "application/x-www-form-urlencoded"),
        "text-plain": (b"consent=true", "text/plain"),
        "jpeg-body": (jpeg, "image/jpeg"),
        "multipart-without-boundary": (jpeg, "multipart/form-data"),
        "multipart-garbage": (
            random_bytes(12, 2000),
            f"multipart/form-data; boundary={MULTIPART_BOUNDARY}",
        ),
        "multipart-unclosed": (
            f'--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="image"; '
            'filename="a.jpg"\r\n\r\n'.encode()
            + jpeg[:500],
            f"multipart/form-data; boundary={MULTIPART_BOUNDARY}",
        ),
        "json-not-json": (b"{image_base64: nope", "application/json"),
        "json-not-utf8": (b'{"image_base64": "\xff\xfe", "consent": true}', "application/json"),
        "json-array": (_json_body([1, 2, 3]), "application/json"),
        "json-null": (b"null", "application/json"),
        "json-image-is-number": (
            _json_body({"image_base64": 12, "consent": True}),
            "application/json",
        ),
        "json-image-is-list": (
            _json_body({"image_base64": ["a"], "consent": True}),
            "application/json",
        ),
        "json-consent-string": (
            _json_body({"image_base64": "AAAA", "consent": "sure"}),
            "application/json",
        ),
        "json-without-image": (_json_body({"consent": True}), "application/json"),
        "json-without-consent": (_json_body({"image_base64": "AAAA"}), "application/json"),
        "json-extra-fields": (
            _json_body({"image_base64": "AAAA", "consent": True, "x": 1}),
            "application/json",
        ),
        "json-deeply-nested": (b"[" * 5000 + b"]" * 5000, "application/json"),
        "problem-json": (
            _json_body({"image_base64": "AAAA", "consent": True}),
            "application/problem+json",
        ),
        "empty-body-json": (b"", "application/json"),
        "empty-body-multipart": (b"", f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"),
        "no-content-type": (jpeg, ""),
    }
    for name, (body, content_type) in raw.items():
        yield Upload(name, body, via="raw", content_type=content_type)
    two_files = (
        _part("image", jpeg, "a.jpg") + _part("image", jpeg, "b.jpg") + _part("consent", b"true")
    )
    yield Upload(
        "multipart-two-images",
        two_files + _closing(),
        via="raw",
        content_type=f"multipart/form-data; boundary={MULTIPART_BOUNDARY}",
    )
    yield Upload(
        "multipart-image-as-text-field",
        _part("image", b"/9j/4AAQSkZJRg==") + _part("consent", b"true") + _closing(),
        via="raw",
        content_type=f"multipart/form-data; boundary={MULTIPART_BOUNDARY}",
    )
    many_fields = b"".join(_part(f"f{i}", b"x") for i in range(40)) + _part("image", jpeg, "a.jpg")
    yield Upload(
        "multipart-forty-fields",
        many_fields + _closing(),
        via="raw",
        content_type=f"multipart/form-data; boundary={MULTIPART_BOUNDARY}",
    )


def _part(name: str, body: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return (
        f"--{MULTIPART_BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        + body
        + b"\r\n"
    )


def _closing() -> bytes:
    return f"--{MULTIPART_BOUNDARY}--\r\n".encode()


def malformed_uploads() -> list[Upload]:
    """The whole corpus, in a fixed order; names are unique."""
    families = (
        truncated,
        corrupted,
        empty_and_random,
        wrong_magic,
        huge_claims,
        pixel_formats,
        broken_exif,
        other_formats,
        base64_bodies,
        request_shapes,
    )
    corpus = [upload for family in families for upload in family()]
    names = [upload.name for upload in corpus]
    assert len(names) == len(set(names)), "corpus names must be unique"
    return corpus
