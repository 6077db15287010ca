"""The expert-grades CSV: good rows kept, each bad row reported with its line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.grades import GradesFileError, read_grades


def _write(tmp_path: Path, text: str, photos: tuple[str, ...] = ("a.jpg", "b.jpg")) -> Path:
    for name in photos:
        (tmp_path / name).write_bytes(b"\xff\xd8fake")
    csv_path = tmp_path / "grades.csv"
    csv_path.write_text(text, encoding="utf-8")
    return csv_path


def test_good_rows_are_kept_and_bad_rows_reported(tmp_path: Path) -> None:
    csv_path = _write(
        tmp_path,
        "file,redness,spots\n"
        "a.jpg,30,\n"
        "missing.jpg,10,10\n"
        "b.jpg,130,5\n"
        "a.jpg,20,20\n"
        "b.jpg,,\n"
        "../outside.jpg,1,1\n"
        "b.jpg,abc,1\n",
    )
    report = read_grades(csv_path, tmp_path)
    assert [p.path.name for p in report.photos] == ["a.jpg"]
    assert report.photos[0].grades == {"redness": 30.0}
    reasons = {e.line: e.reason for e in report.errors}
    assert reasons[3] == "file not found"
    assert "outside 0-100" in reasons[4]
    assert reasons[5] == "file listed twice"
    assert reasons[6] == "no concern is graded"
    assert reasons[7] == "file is outside the photo folder"
    assert "could not convert" in reasons[8]


@pytest.mark.parametrize(
    ("header", "message"),
    [("name,redness\n", "'file' column"), ("file,redness,redniss\n", "unknown columns")],
)
def test_bad_header_rejects_the_file(tmp_path: Path, header: str, message: str) -> None:
    with pytest.raises(GradesFileError, match=message):
        read_grades(_write(tmp_path, header + "a.jpg,1\n"), tmp_path)


def test_byte_order_mark_from_excel_is_accepted(tmp_path: Path) -> None:
    csv_path = _write(tmp_path, "\ufefffile,acne\na.jpg,55\n")
    assert read_grades(csv_path, tmp_path).photos[0].grades == {"acne": 55.0}
