"""Decoding uploads: a malformed-upload corpus built by factories, plus base64 and data URLs.

Every bad upload must raise exactly the expected ``SkinlabError`` subclass, never anything else.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from image_bytes import encode, random_bytes, raw_png
from image_factories import (
    ACCEPTED_FILES,
    LIMITS,
    animation,
    flip_byte,
    jpeg_claiming,
    jpeg_with_damaged_exif,
    pattern,
)
from PIL import Image

from data.images import decode_base64_image, decode_image
from skinlab.errors import ImageTooLarge, ImageTooSmall, InvalidImage, SkinlabError


def _truncations() -> list[Any]:
    cases = []
    for name, factory in ACCEPTED_FILES.items():
        for cut in (12, 0.25, 0.5, 0.9, -2, -1):
            cases.append(pytest.param(factory, cut, id=f"{name}-cut{cut}"))
    return cases


def _cut(data: bytes, cut: float) -> bytes:
    if isinstance(cut, float):
        return data[: int(len(data) * cut)]
    return data[:cut]


# --- malformed uploads ---------------------------------------------------------------------------

BAD_UPLOADS: list[Any] = [
    pytest.param(lambda: b"", InvalidImage, id="zero-bytes"),
    *[pytest.param(lambda s=s: random_bytes(s), InvalidImage, id=f"random-{s}") for s in range(4)],
    pytest.param(
        lambda: random_bytes(7, prefix=b"\xff\xd8\xff\xe0"),
        InvalidImage,
        id="jpeg-magic-then-noise",
    ),
    pytest.param(
        lambda: random_bytes(8, prefix=b"\x89PNG\r\n\x1a\n"),
        InvalidImage,
        id="png-magic-then-noise",
    ),
    pytest.param(
        lambda: random_bytes(9, prefix=b"RIFF\x00\x10\x00\x00WEBPVP8 "),
        InvalidImage,
        id="webp-magic-then-noise",
    ),
    pytest.param(lambda: b"hello, this is not a photo\n" * 20, InvalidImage, id="text"),
    pytest.param(
        lambda: b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>",
        InvalidImage,
        id="svg",
    ),
    pytest.param(lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", InvalidImage, id="pdf-header"),
    pytest.param(lambda: encode(pattern(), "PDF"), InvalidImage, id="pdf"),
    pytest.param(
        lambda: b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64),
        InvalidImage,
        id="heic",
    ),
    pytest.param(lambda: encode(pattern(), "GIF"), InvalidImage, id="gif"),
    pytest.param(lambda: animation("GIF"), InvalidImage, id="gif-animated"),
    pytest.param(lambda: encode(pattern(), "BMP"), InvalidImage, id="bmp"),
    pytest.param(lambda: encode(pattern(), "TIFF"), InvalidImage, id="tiff"),
    pytest.param(lambda: encode(pattern(), "ICO"), InvalidImage, id="ico"),
    pytest.param(lambda: encode(pattern(), "PPM"), InvalidImage, id="ppm"),
    pytest.param(lambda: encode(pattern(), "TGA"), InvalidImage, id="tga"),
    pytest.param(lambda: encode(pattern(), "JPEG2000"), InvalidImage, id="jpeg2000"),
    pytest.param(lambda: flip_byte(encode(pattern(), "PNG"), 60), InvalidImage, id="png-bad-crc"),
    pytest.param(lambda: raw_png(100, 100, data=b"\x00" * 50), InvalidImage, id="png-short-data"),
    pytest.param(lambda: raw_png(60_000, 60_000), ImageTooLarge, id="png-claims-60000x60000"),
    pytest.param(
        lambda: raw_png(10_000, 10_000), ImageTooLarge, id="png-claims-100mp-pillow-warns"
    ),
    pytest.param(lambda: raw_png(8_000, 6_000), ImageTooLarge, id="png-claims-48mp"),
    pytest.param(lambda: raw_png(1, 50_000_000), ImageTooLarge, id="png-claims-a-thin-line"),
    pytest.param(
        lambda: jpeg_claiming(60_000, 60_000), ImageTooLarge, id="jpeg-claims-60000x60000"
    ),
    pytest.param(lambda: jpeg_claiming(9_000, 5_000), ImageTooLarge, id="jpeg-claims-45mp"),
    pytest.param(lambda: encode(pattern(32, 32), "PNG"), ImageTooSmall, id="png-32x32"),
    pytest.param(lambda: encode(pattern(400, 20), "JPEG"), ImageTooSmall, id="jpeg-strip"),
    pytest.param(lambda: encode(Image.new("RGB", (1, 1)), "WEBP"), ImageTooSmall, id="webp-1x1"),
]


def _assert_raises_exactly(
    expected: type[SkinlabError], call: Callable[[], object]
) -> SkinlabError:
    with pytest.raises(SkinlabError) as caught:
        call()
    assert type(caught.value) is expected
    assert caught.value.code == expected.code and caught.value.status == 422
    return caught.value


@pytest.mark.parametrize(("factory", "expected"), BAD_UPLOADS)
def test_bad_uploads_raise_the_right_error(
    factory: Callable[[], bytes], expected: type[SkinlabError]
) -> None:
    _assert_raises_exactly(expected, lambda: decode_image(factory(), **LIMITS))


@pytest.mark.parametrize(("factory", "cut"), _truncations())
def test_truncated_files_are_invalid(factory: Callable[[], bytes], cut: float) -> None:
    data = factory()
    decode_image(data, **LIMITS)  # the whole file is fine
    _assert_raises_exactly(InvalidImage, lambda: decode_image(_cut(data, cut), **LIMITS))


@pytest.mark.parametrize(
    ("factory", "named"),
    [
        (lambda: encode(pattern(), "GIF"), "GIF"),
        (lambda: encode(pattern(), "BMP"), "BMP"),
        (lambda: encode(pattern(), "TIFF"), "TIFF"),
        (lambda: b"%PDF-1.7\n", "PDF"),
        (lambda: b"\x00\x00\x00\x18ftypheic" + bytes(32), "HEIC"),
        (lambda: encode(pattern(), "PNG")[:30], "PNG"),
    ],
    ids=["gif", "bmp", "tiff", "pdf", "heic", "truncated-png"],
)
def test_refusals_name_what_was_received(factory: Callable[[], bytes], named: str) -> None:
    error = _assert_raises_exactly(InvalidImage, lambda: decode_image(factory(), **LIMITS))
    assert named in error.message and error.details["format"] == named


def test_byte_limit_reports_the_sizes() -> None:
    data = encode(pattern(), "PNG")
    limits = LIMITS | {"max_bytes": len(data) - 1}
    error = _assert_raises_exactly(ImageTooLarge, lambda: decode_image(data, **limits))
    assert error.details == {"bytes": len(data), "max_bytes": len(data) - 1}


def test_pixel_limit_is_checked_from_the_header() -> None:
    bomb = raw_png(8_000, 6_000)
    assert len(bomb) < 100
    error = _assert_raises_exactly(ImageTooLarge, lambda: decode_image(bomb, **LIMITS))
    assert error.details["pixels"] == 48_000_000
    assert error.details["max_pixels"] == LIMITS["max_pixels"]


def test_damaged_exif_never_escapes_as_a_warning() -> None:
    # pytest turns warnings into errors, as python -W error would: still a SkinlabError.
    _assert_raises_exactly(InvalidImage, lambda: decode_image(jpeg_with_damaged_exif(), **LIMITS))


def test_damaged_exif_is_skipped_under_normal_warning_filters() -> None:
    with pytest.warns(UserWarning):
        decoded = decode_image(jpeg_with_damaged_exif(), **LIMITS)
    assert decoded.orientation_applied == 1 and decoded.rgb.shape == (96, 160, 3)


# --- base64 ---------------------------------------------------------------------------------------

PNG_BYTES = encode(pattern(), "PNG")
PNG_B64 = base64.b64encode(PNG_BYTES).decode()


@pytest.mark.parametrize(
    "text",
    [
        PNG_B64,
        f"data:image/png;base64,{PNG_B64}",
        f"DATA:image/PNG;base64,{PNG_B64}",
        f"data:image/jpeg;name=x.png;base64,{PNG_B64}",
        f"  {PNG_B64}\n",
        "\n".join(PNG_B64[i : i + 76] for i in range(0, len(PNG_B64), 76)),
        PNG_B64.rstrip("="),
        base64.urlsafe_b64encode(PNG_BYTES).decode(),
    ],
    ids=[
        "plain",
        "data-url",
        "data-url-upper",
        "data-url-params",
        "spaces",
        "mime-lines",
        "unpadded",
        "urlsafe",
    ],
)
def test_base64_variants_decode(text: str) -> None:
    decoded = decode_base64_image(text, **LIMITS)
    assert decoded.format == "PNG" and (decoded.rgb == pattern()).all()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", InvalidImage),
        ("   ", InvalidImage),
        ("not base64 at all!", InvalidImage),
        ("@@@@", InvalidImage),
        ("abcde", InvalidImage),
        ("ÿÿÿÿ", InvalidImage),
        (base64.b64encode(b"just some text").decode(), InvalidImage),
        ("data:image/png;base64,", InvalidImage),
        ("data:image/png;base64,###", InvalidImage),
        (f"data:image/png,{PNG_B64}", InvalidImage),
        (f"data:text/plain;base64,{PNG_B64}", InvalidImage),
        ("data:image/png;base64", InvalidImage),
        (base64.b64encode(encode(pattern(), "GIF")).decode(), InvalidImage),
        (base64.b64encode(encode(pattern(20, 20), "PNG")).decode(), ImageTooSmall),
        ("A" * (LIMITS["max_bytes"] * 4 // 3 + 100), ImageTooLarge),
    ],
    ids=[
        "empty",
        "blank",
        "prose",
        "symbols",
        "bad-length",
        "non-ascii",
        "not-an-image",
        "empty-data-url",
        "data-url-bad-payload",
        "data-url-not-base64",
        "data-url-not-image",
        "data-url-without-comma",
        "gif",
        "too-small",
        "too-long",
    ],
)
def test_bad_base64_raises_the_right_error(text: str, expected: type[SkinlabError]) -> None:
    _assert_raises_exactly(expected, lambda: decode_base64_image(text, **LIMITS))
