"""Expert grades for real photos: the CSV a brand supplies to retrain the skin heads.

Format (UTF-8, header required)::

    file,redness,spots,wrinkles,pores,acne,oiliness,dark_circles,texture
    a001.jpg,35,60,,20,0,55,40,30

``file`` is relative to the photo folder; every other column is a concern graded 0-100 (higher =
more of the concern, as in the API). An empty cell means "not graded" and that concern simply
learns nothing from the photo. Unknown columns are an error, so a typo is not silently ignored.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from data.vocabulary import CONCERNS, Concern
from skinlab.errors import InvalidInput


@dataclass(frozen=True)
class GradedPhoto:
    """One photo with its face-level grades (only the graded concerns)."""

    path: Path
    grades: dict[Concern, float]
    line: int


@dataclass(frozen=True)
class RowError:
    """Why one CSV line (1 = header) was rejected."""

    line: int
    file: str
    reason: str


@dataclass(frozen=True)
class GradesReport:
    """Accepted photos and rejected lines; good rows are kept whatever the bad rows are."""

    photos: list[GradedPhoto]
    errors: list[RowError]


class GradesFileError(InvalidInput):
    """The file as a whole cannot be read (no header, wrong columns, not UTF-8)."""

    code = "INVALID_GRADES_FILE"
    message_zh = "评分文件无法读取（缺少表头、列名错误或不是 UTF-8 编码）。"


def _parse_grade(text: str) -> float | None:
    if text.strip() == "":
        return None
    value = float(text)
    if not math.isfinite(value) or not 0.0 <= value <= 100.0:
        raise ValueError(f"grade {text!r} is outside 0-100")
    return value


def read_grades(csv_path: Path, photo_dir: Path) -> GradesReport:
    """Read and validate a grades CSV against a folder of photos.

    Parameters
    ----------
    csv_path : Path
        The grades file.
    photo_dir : Path
        Folder the ``file`` column is relative to.

    Returns
    -------
    GradesReport
        Every line is either accepted or reported with its line number and reason.

    Raises
    ------
    GradesFileError
        When the header is missing or names unknown columns.
    """
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise GradesFileError(f"cannot read {csv_path}: {error}") from error
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    if "file" not in header:
        raise GradesFileError("the header must contain a 'file' column")
    unknown = sorted(set(header) - {"file", *CONCERNS})
    if unknown:
        raise GradesFileError(f"unknown columns {unknown}; allowed: file, {', '.join(CONCERNS)}")
    photos: list[GradedPhoto] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    root = photo_dir.resolve()
    for line, row in enumerate(reader, start=2):
        name = (row.get("file") or "").strip()
        path = (photo_dir / name).resolve()
        reason = None
        if not name:
            reason = "empty file name"
        elif root not in path.parents:
            reason = "file is outside the photo folder"
        elif name in seen:
            reason = "file listed twice"
        elif not path.is_file():
            reason = "file not found"
        grades: dict[Concern, float] = {}
        if reason is None:
            try:
                for concern in CONCERNS:
                    value = _parse_grade(row.get(concern) or "")
                    if value is not None:
                        grades[concern] = value
            except ValueError as error:
                reason = str(error)
        if reason is None and not grades:
            reason = "no concern is graded"
        if reason is not None:
            errors.append(RowError(line=line, file=name, reason=reason))
            continue
        seen.add(name)
        photos.append(GradedPhoto(path=path, grades=grades, line=line))
    return GradesReport(photos=photos, errors=errors)
