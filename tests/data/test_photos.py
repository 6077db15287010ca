"""Contract on the shipped face photos: provenance recorded, files intact, roles disjoint."""

from __future__ import annotations

import hashlib

import yaml

from data.photos import FACES_DIR, load_rgb, shipped_photos


def test_every_photo_has_provenance_and_matching_hash() -> None:
    sources = yaml.safe_load((FACES_DIR / "SOURCES.yaml").read_text(encoding="utf-8"))
    listed = {entry["file"] for entry in sources["photos"]}
    on_disk = {p.name for p in FACES_DIR.iterdir() if p.suffix in {".jpg", ".png"}}
    assert listed == on_disk
    for entry in sources["photos"]:
        digest = hashlib.sha256((FACES_DIR / entry["file"]).read_bytes()).hexdigest()
        assert digest.startswith(entry["sha256_16"]), entry["file"]
        assert entry["package"] and entry["package_licence"]


def test_train_and_test_faces_are_different_people() -> None:
    train = {p.name for p in shipped_photos("synthetic-train")}
    test = {p.name for p in shipped_photos("synthetic-test")}
    assert train and test and not train & test


def test_validation_faces_are_neither_trained_on_nor_held_out() -> None:
    validation = {p.name for p in shipped_photos("synthetic-validation")}
    train = {p.name for p in shipped_photos("synthetic-train")}
    test = {p.name for p in shipped_photos("synthetic-test")}
    assert validation and not validation & (train | test)


def test_validation_faces_name_their_version_and_the_rights_to_the_picture() -> None:
    sources = yaml.safe_load((FACES_DIR / "SOURCES.yaml").read_text(encoding="utf-8"))
    for entry in sources["photos"]:
        uses = entry["use"] if isinstance(entry["use"], list) else [entry["use"]]
        if "synthetic-validation" in uses:
            assert "==" in entry["package"], entry["file"]
            assert entry["path_in_package"] and entry["image_rights"], entry["file"]
            assert entry["faces"] == 1, entry["file"]


def test_photos_load_as_rgb() -> None:
    groups = ("synthetic-train", "synthetic-test", "synthetic-validation")
    for path in (photo for group in groups for photo in shipped_photos(group)):
        image = load_rgb(path)
        assert image.ndim == 3 and image.shape[2] == 3 and image.dtype.name == "uint8"
