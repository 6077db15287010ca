"""Raw photos are written sealed (never a readable image) inside data_dir/raw, and removed."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, UnidentifiedImageError

from data.raw_photos import (
    delete_raw_photos,
    purge_user_photos,
    read_raw_photo,
    reseal_raw_photo,
    save_raw_photo,
    stored_photo_files,
)
from skinlab.photo_crypto import PhotoDecryptFailed, PhotoKeyring, PhotoKeyUnknown, sealed_key_id

KEYRING = PhotoKeyring(b"\x07" * 32)


def _pixels() -> np.ndarray:
    # A gradient, so a plaintext JPEG would hold long recognisable runs.
    ramp = np.linspace(0, 255, 64, dtype=np.uint8)
    return np.stack([np.tile(ramp, (80, 1))] * 3, axis=-1)


def _save(data_dir: Path, user_id: str = "wx_1", analysis_id: str = "a1") -> str:
    return save_raw_photo(
        data_dir, _pixels(), user_id=user_id, analysis_id=analysis_id, keyring=KEYRING
    )


def test_the_file_on_disk_is_sealed_not_an_image(tmp_path: Path) -> None:
    relative = _save(tmp_path)
    assert relative == "raw/wx_1/a1.jpg.enc"
    on_disk = (tmp_path / relative).read_bytes()
    with pytest.raises(UnidentifiedImageError):
        Image.open(io.BytesIO(on_disk))
    jpeg = read_raw_photo(tmp_path, relative, KEYRING)
    assert jpeg[:2] == b"\xff\xd8"
    assert jpeg[200:264] not in on_disk  # no stretch of the plaintext is on disk


def test_read_round_trips_to_a_metadata_free_jpeg(tmp_path: Path) -> None:
    jpeg = read_raw_photo(tmp_path, _save(tmp_path), KEYRING)
    with Image.open(io.BytesIO(jpeg)) as image:
        assert image.format == "JPEG"
        assert image.size == (64, 80)
        assert not image.getexif()
        assert np.abs(np.asarray(image, dtype=int) - _pixels()).mean() < 3


def test_the_wrong_key_fails_clearly(tmp_path: Path) -> None:
    relative = _save(tmp_path)
    with pytest.raises(PhotoKeyUnknown):
        read_raw_photo(tmp_path, relative, PhotoKeyring(b"\x08" * 32))


def test_a_renamed_file_does_not_open(tmp_path: Path) -> None:
    relative = _save(tmp_path)
    moved = tmp_path / "raw" / "wx_2" / "a1.jpg.enc"
    moved.parent.mkdir(parents=True)
    (tmp_path / relative).rename(moved)
    with pytest.raises(PhotoDecryptFailed):
        read_raw_photo(tmp_path, "raw/wx_2/a1.jpg.enc", KEYRING)


def test_reseal_moves_old_and_plain_files_to_the_current_key(tmp_path: Path) -> None:
    relative = _save(tmp_path)
    plain = tmp_path / "raw" / "wx_1" / "legacy.jpg"
    Image.fromarray(_pixels()).save(plain, format="JPEG")
    rotated = PhotoKeyring(b"\x09" * 32, (KEYRING.current,))
    assert reseal_raw_photo(tmp_path, relative, rotated)
    assert reseal_raw_photo(tmp_path, "raw/wx_1/legacy.jpg", rotated)
    assert not reseal_raw_photo(tmp_path, relative, rotated)  # already current
    new_only = PhotoKeyring(b"\x09" * 32)
    for name in (relative, "raw/wx_1/legacy.jpg"):
        assert sealed_key_id((tmp_path / name).read_bytes()) == new_only.current_id
        assert read_raw_photo(tmp_path, name, new_only)[:2] == b"\xff\xd8"
    assert stored_photo_files(tmp_path) == ["raw/wx_1/a1.jpg.enc", "raw/wx_1/legacy.jpg"]


def test_delete_removes_files_and_empty_folders(tmp_path: Path) -> None:
    first, second = _save(tmp_path, analysis_id="a1"), _save(tmp_path, analysis_id="a2")
    assert delete_raw_photos(tmp_path, [first]) == 1
    assert (tmp_path / "raw" / "wx_1").is_dir()
    assert delete_raw_photos(tmp_path, [second, second]) == 1
    assert not (tmp_path / "raw" / "wx_1").exists()


def test_purge_removes_orphans(tmp_path: Path) -> None:
    _save(tmp_path)
    assert purge_user_photos(tmp_path, "wx_1") == 1
    assert purge_user_photos(tmp_path, "wx_1") == 0


@pytest.mark.parametrize("relative", ["raw/../secrets.txt", "../outside.jpg", "/etc/passwd"])
def test_paths_outside_the_raw_folder_are_refused(tmp_path: Path, relative: str) -> None:
    with pytest.raises(ValueError, match="outside"):
        delete_raw_photos(tmp_path, [relative])
    with pytest.raises(ValueError, match="outside"):
        read_raw_photo(tmp_path, relative, KEYRING)
