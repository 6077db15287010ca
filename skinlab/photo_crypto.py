"""Encryption at rest for kept face photos: AES-256-GCM with rotating keys.

A kept photo is written as one sealed file::

    b"SKLPHOTO" | version (1 byte) | key id (8 bytes) | nonce (12 bytes) | ciphertext + tag

The key id is the first 8 bytes of ``sha256("skinlab-photo-key:" + key)``, so it names a key
without revealing it and needs no separate configuration. The photo's path relative to the data
folder (``raw/<user>/<analysis>.jpg.enc``) is the associated data: a file copied under another
user's name or analysis does not decrypt. ``SKINLAB_PHOTO_KEY`` seals new files;
``SKINLAB_PHOTO_OLD_KEYS`` still open files sealed before a rotation, until
``skinlab photos rotate-key`` has re-sealed them under the current key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from skinlab.errors import SkinlabError

if TYPE_CHECKING:
    from skinlab.settings import Settings

MAGIC = b"SKLPHOTO"
FORMAT_VERSION = 1
KEY_BYTES = 32
KEY_ID_BYTES = 8
NONCE_BYTES = 12
HEADER_BYTES = len(MAGIC) + 1 + KEY_ID_BYTES + NONCE_BYTES
_KEY_ID_DOMAIN = b"skinlab-photo-key:"
NEW_KEY_HINT = "python -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())'"


class PhotoKeyMissing(SkinlabError):
    status = 500
    code = "PHOTO_KEY_MISSING"
    message = "No photo key is configured (SKINLAB_PHOTO_KEY), so kept photos cannot be read."
    message_zh = "未配置照片密钥（SKINLAB_PHOTO_KEY），无法读取保存的照片。"


class PhotoKeyUnknown(SkinlabError):
    status = 500
    code = "PHOTO_KEY_UNKNOWN"
    message = "The photo was sealed with a key that is not configured."
    message_zh = "照片使用的密钥未在配置中，无法解密。"
    hint = "Add the old key to SKINLAB_PHOTO_OLD_KEYS (the error names its key id)."
    hint_zh = "请将旧密钥加入 SKINLAB_PHOTO_OLD_KEYS（错误信息中给出了密钥编号）。"


class PhotoDecryptFailed(SkinlabError):
    status = 500
    code = "PHOTO_DECRYPT_FAILED"
    message = "The photo file does not decrypt: it was altered, moved or is not a sealed photo."
    message_zh = "照片文件无法解密：文件已被修改、移动，或不是加密照片。"


def parse_key(text: str) -> bytes:
    """Decode a base64 (standard or URL-safe) photo key and check it is 32 bytes.

    Raises
    ------
    ValueError
        When ``text`` is not base64 or not 32 bytes long; the message says how to make one.
    """
    cleaned = text.strip()
    try:
        key = base64.b64decode(cleaned.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ValueError(
            f"a photo key must be {KEY_BYTES} random bytes in base64 (make one with "
            f"{NEW_KEY_HINT}); 照片密钥必须是 {KEY_BYTES} 字节随机数的 base64 编码"
        )
    return key


def key_id(key: bytes) -> str:
    """The 16-hex-digit id of ``key`` written into every file it seals."""
    return hashlib.sha256(_KEY_ID_DOMAIN + key).digest()[:KEY_ID_BYTES].hex()


def is_sealed(blob: bytes) -> bool:
    """Whether ``blob`` starts like a sealed photo (not a proof that it decrypts)."""
    return blob.startswith(MAGIC) and len(blob) > HEADER_BYTES


def sealed_key_id(blob: bytes) -> str:
    """The key id in a sealed file's header."""
    if not is_sealed(blob):
        raise PhotoDecryptFailed(details={"reason": "not a sealed photo"})
    start = len(MAGIC) + 1
    return blob[start : start + KEY_ID_BYTES].hex()


@dataclass(frozen=True)
class PhotoKeyring:
    """The current key, which seals, and older keys, which only open.

    Parameters
    ----------
    current : bytes
        32-byte AES key for new files.
    old : tuple of bytes
        Keys of earlier rotations, tried by key id when a file names one of them.
    """

    current: bytes
    old: tuple[bytes, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> PhotoKeyring:
        """The keyring of ``SKINLAB_PHOTO_KEY`` and ``SKINLAB_PHOTO_OLD_KEYS``."""
        if settings.photo_key is None:
            raise PhotoKeyMissing()
        old = tuple(parse_key(k.get_secret_value()) for k in settings.photo_old_keys)
        return cls(parse_key(settings.photo_key.get_secret_value()), old)

    @property
    def current_id(self) -> str:
        """The id of the key that seals new files."""
        return key_id(self.current)

    def known_ids(self) -> list[str]:
        """Ids of every key that can open a file, the current one first."""
        return [key_id(key) for key in self._keys()]

    def seal(self, plaintext: bytes, *, context: str) -> bytes:
        """Encrypt ``plaintext`` under the current key, bound to ``context`` (the file's path)."""
        nonce = os.urandom(NONCE_BYTES)
        header = MAGIC + bytes([FORMAT_VERSION]) + bytes.fromhex(self.current_id) + nonce
        return header + AESGCM(self.current).encrypt(nonce, plaintext, header + context.encode())

    def open(self, blob: bytes, *, context: str) -> bytes:
        """Decrypt a sealed file, with whichever configured key its header names.

        Raises
        ------
        PhotoKeyUnknown
            When no configured key has the file's key id.
        PhotoDecryptFailed
            When the file is not sealed, was altered, or was sealed for another path.
        """
        wanted = sealed_key_id(blob)
        if blob[len(MAGIC)] != FORMAT_VERSION:
            raise PhotoDecryptFailed(details={"reason": f"unknown format {blob[len(MAGIC)]}"})
        key = next((k for k in self._keys() if key_id(k) == wanted), None)
        if key is None:
            raise PhotoKeyUnknown(details={"key_id": wanted, "known": self.known_ids()})
        header, body = blob[:HEADER_BYTES], blob[HEADER_BYTES:]
        nonce = header[-NONCE_BYTES:]
        try:
            return AESGCM(key).decrypt(nonce, body, header + context.encode())
        except InvalidTag as exc:
            raise PhotoDecryptFailed(details={"key_id": wanted}) from exc

    def _keys(self) -> Iterable[bytes]:
        yield self.current
        yield from self.old
