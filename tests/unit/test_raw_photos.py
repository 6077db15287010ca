"""Raw photos are written as metadata-free JPEGs inside data_dir/raw and removed on request."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data.raw_photos import delete_raw_photos, purge_user_photos, save_raw_photo


def _pixels() -> np.ndarray:
    return np.full((80, 64, 3), (200, 150, 120), dtype=np.uint8)


def test_save_writes_a_jpeg_under_the_user_folder(tmp_path: Path) -> None:
    relative = save_raw_photo(tmp_path, _pixels(), user_id="wx_1", analysis_id="a1")
    assert relative == "raw/wx_1/a1.jpg"
    with Image.open(tmp_path / relative) as image:
        assert image.format == "JPEG"
        assert image.size == (64, 80)
        assert not image.getexif()


def test_anonymous_photos_get_their_own_folder(tmp_path: Path) -> None:
    relative = save_raw_photo(tmp_path, _pixels(), user_id=None, analysis_id="a1")
    assert relative == "raw/@anonymous/a1.jpg"


def test_delete_removes_files_and_empty_folders(tmp_path: Path) -> None:
    first = save_raw_photo(tmp_path, _pixels(), user_id="wx_1", analysis_id="a1")
    second = save_raw_photo(tmp_path, _pixels(), user_id="wx_1", analysis_id="a2")
    assert delete_raw_photos(tmp_path, [first]) == 1
    assert (tmp_path / "raw" / "wx_1").is_dir()
    assert delete_raw_photos(tmp_path, [second, second]) == 1
    assert not (tmp_path / "raw" / "wx_1").exists()


def test_purge_removes_orphans(tmp_path: Path) -> None:
    save_raw_photo(tmp_path, _pixels(), user_id="wx_1", analysis_id="a1")
    assert purge_user_photos(tmp_path, "wx_1") == 1
    assert purge_user_photos(tmp_path, "wx_1") == 0


@pytest.mark.parametrize("relative", ["raw/../secrets.txt", "../outside.jpg", "/etc/passwd"])
def test_paths_outside_the_raw_folder_are_refused(tmp_path: Path, relative: str) -> None:
    with pytest.raises(ValueError, match="outside"):
        delete_raw_photos(tmp_path, [relative])
