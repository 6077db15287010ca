"""Sealing kept photos: AES-GCM round trip, key ids, rotation keys, and every way to fail."""

from __future__ import annotations

import base64

import pytest

from skinlab.photo_crypto import (
    HEADER_BYTES,
    PhotoDecryptFailed,
    PhotoKeyring,
    PhotoKeyUnknown,
    key_id,
    parse_key,
    sealed_key_id,
)

OLD, NEW, OTHER = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32
CONTEXT = "raw/wx_1/a1.jpg.enc"
PLAINTEXT = b"\xff\xd8\xff\xe0 a face, as JPEG bytes \xff\xd9" * 10


def test_seal_and_open_round_trip_and_hide_the_plaintext() -> None:
    keyring = PhotoKeyring(NEW)
    sealed = keyring.seal(PLAINTEXT, context=CONTEXT)
    assert keyring.open(sealed, context=CONTEXT) == PLAINTEXT
    assert b"a face" not in sealed and not sealed[HEADER_BYTES:].startswith(b"\xff\xd8")
    assert sealed_key_id(sealed) == key_id(NEW) == keyring.current_id
    assert sealed != keyring.seal(PLAINTEXT, context=CONTEXT)  # a fresh nonce each time


def test_old_keys_open_files_sealed_before_a_rotation() -> None:
    sealed = PhotoKeyring(OLD).seal(PLAINTEXT, context=CONTEXT)
    assert PhotoKeyring(NEW, (OLD,)).open(sealed, context=CONTEXT) == PLAINTEXT


def test_an_unknown_key_is_named_by_its_id() -> None:
    sealed = PhotoKeyring(OLD).seal(PLAINTEXT, context=CONTEXT)
    with pytest.raises(PhotoKeyUnknown) as caught:
        PhotoKeyring(NEW, (OTHER,)).open(sealed, context=CONTEXT)
    assert caught.value.details["key_id"] == key_id(OLD)
    assert caught.value.message_zh


@pytest.mark.parametrize(
    "spoil",
    [
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),  # a flipped bit in the tag
        lambda b: b[:HEADER_BYTES] + bytes([b[HEADER_BYTES] ^ 1]) + b[HEADER_BYTES + 1 :],
        lambda b: b[: HEADER_BYTES - 1] + bytes([b[HEADER_BYTES - 1] ^ 1]) + b[HEADER_BYTES:],
        lambda b: b[:-20],
    ],
    ids=["tag", "ciphertext", "nonce", "cut"],
)
def test_an_altered_file_does_not_open(spoil: object) -> None:
    keyring = PhotoKeyring(NEW)
    sealed = keyring.seal(PLAINTEXT, context=CONTEXT)
    with pytest.raises(PhotoDecryptFailed):
        keyring.open(spoil(sealed), context=CONTEXT)  # type: ignore[operator]


def test_a_file_moved_to_another_user_does_not_open() -> None:
    keyring = PhotoKeyring(NEW)
    sealed = keyring.seal(PLAINTEXT, context=CONTEXT)
    with pytest.raises(PhotoDecryptFailed):
        keyring.open(sealed, context="raw/wx_2/a1.jpg.enc")


def test_a_plain_jpeg_is_not_a_sealed_photo() -> None:
    with pytest.raises(PhotoDecryptFailed):
        PhotoKeyring(NEW).open(PLAINTEXT, context=CONTEXT)


def test_keys_are_32_bytes_of_base64() -> None:
    assert parse_key(base64.b64encode(NEW).decode()) == NEW
    assert parse_key(base64.urlsafe_b64encode(b"\xfb" * 32).decode()) == b"\xfb" * 32
    for bad in ("", "not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(ValueError, match="32 random bytes"):
            parse_key(bad)
