"""Decoding the images we accept: every pixel format ends as upright 8-bit RGB."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from image_bytes import encode, raw_png
from image_factories import (
    ACCEPTED_FILES,
    LIMITS,
    animation,
    pattern,
    with_orientation,
)
from PIL import Image

from data.images import DecodedImage, decode_image
from data.photos import FACES_DIR


def decode(data: bytes) -> DecodedImage:
    decoded = decode_image(data, **LIMITS)
    rgb = decoded.rgb
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    assert rgb.flags.c_contiguous
    return decoded


@pytest.mark.parametrize("name", ACCEPTED_FILES)
def test_accepted_formats_decode_to_the_picture(name: str) -> None:
    decoded = decode(ACCEPTED_FILES[name]())
    assert decoded.format == ("WEBP" if name.startswith("webp") else name.split("-")[0].upper())
    assert decoded.original_size == (160, 96) and decoded.frames == 1
    assert np.abs(decoded.rgb.astype(int) - pattern()).mean() < 4


def test_mpo_from_a_phone_decodes_its_first_image() -> None:
    frames = [Image.fromarray(pattern()), Image.new("RGB", (160, 96), "black")]
    decoded = decode(encode(frames[0], "MPO", save_all=True, append_images=frames[1:]))
    assert (decoded.format, decoded.frames) == ("MPO", 2)
    assert np.abs(decoded.rgb.astype(int) - pattern()).mean() < 4


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animations_decode_their_first_frame(fmt: str) -> None:
    decoded = decode(animation(fmt))
    assert (decoded.format, decoded.frames) == (fmt, 3)
    assert (decoded.rgb == (255, 0, 0)).all()


def test_cmyk_jpeg_with_adobe_marker_becomes_rgb() -> None:
    cmyk = Image.new("CMYK", (96, 96), (0, 255, 255, 0))  # pure red in print colours
    data = encode(cmyk, "JPEG", quality=95)
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.mode == "CMYK" and "adobe" in stored.info  # Adobe-inverted CMYK
    rgb = decode(data).rgb
    assert np.abs(rgb.astype(int) - (255, 0, 0)).max() <= 3


def test_sixteen_bit_grey_png_is_scaled_not_clipped() -> None:
    values = np.array([[0, 1000, 32768, 65535] * 24] * 80, dtype=np.uint16)
    data = encode(Image.fromarray(values), "PNG")
    rgb = decode(data).rgb
    assert rgb[0, :4, 0].tolist() == [0, 4, 128, 255]
    assert (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()


def test_sixteen_bit_rgb_png_is_scaled() -> None:
    pixel = struct.pack(">HHH", 0xFFFF, 0x8000, 0x0100)
    rows = b"".join(b"\x00" + pixel * 64 for _ in range(64))
    rgb = decode(raw_png(64, 64, bit_depth=16, colour_type=2, data=rows)).rgb
    assert rgb[0, 0].tolist() == [255, 128, 1]


def test_grayscale_photo_becomes_three_equal_channels() -> None:
    data = (FACES_DIR / "BWPictureHuman.jpg").read_bytes()
    decoded = decode(data)
    assert decoded.original_size == (2560, 1912) and decoded.rgb.shape == (1912, 2560, 3)
    assert (decoded.rgb[..., 0] == decoded.rgb[..., 2]).all()


def test_palette_png_keeps_its_colours() -> None:
    palette = Image.fromarray(pattern()).quantize(colors=16)
    expected = np.asarray(palette.convert("RGB"))
    assert (decode(encode(palette, "PNG")).rgb == expected).all()


def test_transparent_palette_entry_becomes_white() -> None:
    palette = Image.new("P", (80, 80), 1)
    palette.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
    palette.paste(0, (0, 0, 40, 80))
    rgb = decode(encode(palette, "PNG", transparency=0)).rgb
    assert (rgb[:, :40] == 255).all() and (rgb[:, 40:] == (200, 30, 30)).all()


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_is_composited_on_white(mode: str) -> None:
    rgba = np.zeros((80, 80, 4), dtype=np.uint8)
    rgba[..., :3] = 60
    rgba[:, 40:, 3] = 255  # right half opaque, left half fully transparent
    rgba[:40, :40, 3] = 128  # top-left half transparent
    image = Image.fromarray(rgba, "RGBA").convert(mode)
    rgb = decode(encode(image, "PNG")).rgb.astype(int)
    assert (rgb[40:, :40] == 255).all()
    assert (rgb[:, 40:] == 60).all()
    assert np.abs(rgb[:40, :40] - (60 * 128 + 255 * 127) / 255).max() <= 1


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_undone(orientation: int) -> None:
    upright = pattern()
    decoded = decode(with_orientation(upright, orientation))
    assert decoded.orientation_applied == orientation
    assert decoded.rgb.shape == upright.shape
    assert np.abs(decoded.rgb.astype(int) - upright).mean() < 4
    stored_width = 96 if orientation in (6, 8) else 160
    assert decoded.original_size[0] == stored_width


@pytest.mark.parametrize("orientation", [1, 0, 9])
def test_normal_or_invalid_orientation_is_left_alone(orientation: int) -> None:
    decoded = decode(with_orientation(pattern(), orientation))
    assert decoded.orientation_applied == 1
    assert np.abs(decoded.rgb.astype(int) - pattern()).mean() < 4


def test_decoded_pixels_belong_to_the_caller() -> None:
    decoded = decode(encode(pattern(), "PNG"))
    assert decoded.rgb.flags.writeable  # a copy, not a read-only view on Pillow's buffer
    decoded.rgb[0, 0] = 0
