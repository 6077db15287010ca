"""Analyses: run the skin test on a photo, read one back, delete one."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, get_args

import numpy as np
from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from numpy.typing import NDArray
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.raw_photos import delete_raw_photos, save_raw_photo
from data.records import (
    CONSENT_VERSION_MAX_LENGTH,
    PURPOSE_KEEP_RAW_PHOTO,
    PURPOSE_SKIN_ANALYSIS,
    USER_ID_MAX_LENGTH,
    USER_ID_RULE,
    AnalysisRecord,
    ConsentRecord,
    ensure_user,
    erase_analysis,
    new_analysis_id,
)
from serving._submission import IMAGE_FIELD, JSON, MULTIPART, Submission, read_submission
from serving.analyzer_state import Analyzer
from serving.auth import require_area
from serving.deps import AnalyzerDep, SessionDep, SettingsDep
from serving.errors import AnalysisNotFound
from serving.schemas import (
    AnalysisPublic,
    AnalyzeJSONRequest,
    AnalyzeOptions,
    Channel,
    DeleteResult,
    ErrorBody,
    analysis_json,
    public_analysis,
    record_to_public,
)
from skinlab.db import utcnow
from skinlab.errors import InvalidImage
from skinlab.photo_crypto import PhotoKeyring
from skinlab.settings import Settings

router = APIRouter(tags=["analyses"], dependencies=[Depends(require_area("analyses"))])

AnalysisId = Annotated[uuid.UUID, Path(description="The analysis id returned by POST /analyze")]

_MULTIPART_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [IMAGE_FIELD, "consent"],
    "properties": {
        IMAGE_FIELD: {
            "type": "string",
            "format": "binary",
            "description": "The photo (JPEG, PNG or WebP), as wx.uploadFile sends it",
        },
        "consent": {
            "type": "string",
            "enum": ["true", "1", "yes"],
            "description": "The person agrees to the analysis of this face photo",
        },
        "user_id": {"type": "string", "maxLength": USER_ID_MAX_LENGTH, "description": USER_ID_RULE},
        "overlays": {"type": "string", "enum": ["true", "false"], "default": "false"},
        "channel": {"type": "string", "enum": list(get_args(Channel)), "default": "api"},
        "consent_keep_photo": {
            "type": "string",
            "enum": ["true", "false", "1", "0", "yes", "no"],
            "default": "false",
            "description": "The person also agrees to the photo being kept, encrypted, for the "
            "retention period (kept only when the service allows it and with a user_id)",
        },
        "consent_version": {
            "type": "string",
            "maxLength": CONSENT_VERSION_MAX_LENGTH,
            "pattern": r"^[A-Za-z0-9_.:-]+$",
            "description": "Version of the consent text shown (default: the service's current)",
        },
    },
}
_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        MULTIPART: {"schema": _MULTIPART_SCHEMA},
        JSON: {"schema": AnalyzeJSONRequest.model_json_schema()},
    },
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "CONSENT_REQUIRED: consent missing or not true"},
    413: {"model": ErrorBody, "description": "REQUEST_TOO_LARGE: body far over the photo limit"},
    415: {"model": ErrorBody, "description": "UNSUPPORTED_MEDIA_TYPE: not multipart or JSON"},
    422: {
        "model": ErrorBody,
        "description": "IMAGE_MISSING, INVALID_IMAGE, IMAGE_TOO_LARGE, IMAGE_TOO_SMALL, "
        "VALIDATION_ERROR, or a photo-quality code (NO_FACE, TOO_BLURRY, TOO_DARK...)",
    },
    503: {"model": ErrorBody, "description": "MODEL_UNAVAILABLE: models still loading"},
}


@router.post(
    "/analyze",
    status_code=201,
    response_model=AnalysisPublic,
    responses=_ERRORS,
    openapi_extra={"requestBody": _REQUEST_BODY},
)
async def analyze(
    request: Request, settings: SettingsDep, session: SessionDep, analyzer: AnalyzerDep
) -> JSONResponse:
    """Run the skin test on one face photo, sent as multipart (wx.uploadFile) or JSON base64."""
    submission = await read_submission(request, settings)
    public = await run_in_threadpool(_analyze_and_record, submission, settings, session, analyzer)
    return JSONResponse(
        analysis_json(public),
        status_code=201,
        headers={"Location": f"/analyses/{public.analysis_id}"},
    )


@router.get(
    "/analyses/{analysis_id}", response_model=AnalysisPublic, responses={404: {"model": ErrorBody}}
)
def get_analysis(analysis_id: AnalysisId, session: SessionDep) -> JSONResponse:
    """Read one stored analysis (without overlays, which are never stored)."""
    record = session.get(AnalysisRecord, str(analysis_id))
    if record is None:
        raise AnalysisNotFound()
    return JSONResponse(analysis_json(record_to_public(record)))


@router.delete("/analyses/{analysis_id}", responses={404: {"model": ErrorBody}})
def delete_analysis(
    analysis_id: AnalysisId, session: SessionDep, settings: SettingsDep
) -> DeleteResult:
    """Delete one analysis and its raw photo, if one was kept."""
    erasure = erase_analysis(session, str(analysis_id))
    if erasure is None:
        raise AnalysisNotFound()
    session.commit()
    removed = delete_raw_photos(settings.data_dir, erasure.raw_image_paths)
    return DeleteResult(analyses=erasure.analyses, raw_images=removed)


def _analyze_and_record(
    submission: Submission, settings: Settings, session: Session, analyzer: Analyzer
) -> AnalysisPublic:
    """Decode, analyse and store one photo (CPU and disk work, run off the event loop)."""
    rgb = _decode(submission, settings)
    options = submission.options
    analysis = analyzer.analyze(rgb, overlays=options.overlays)
    record = AnalysisRecord(
        id=new_analysis_id(),
        user_id=options.user_id,
        created_at=utcnow(),
        model_version=analysis.model_version,
        versions=analyzer.versions(),
        result=analysis.model_dump(mode="json", exclude={"overlays"}),
    )
    if options.user_id is not None and keeps_raw_photo(settings, options):
        record.raw_image_path = save_raw_photo(
            settings.data_dir,
            rgb,
            user_id=options.user_id,
            analysis_id=record.id,
            keyring=PhotoKeyring.from_settings(settings),
        )
    try:
        _store(session, record, options, settings.consent_text_version)
    except BaseException:
        if record.raw_image_path:
            delete_raw_photos(settings.data_dir, [record.raw_image_path])
        raise
    return public_analysis(
        analysis, analysis_id=record.id, user_id=record.user_id, created_at=record.created_at
    )


def keeps_raw_photo(settings: Settings, options: AnalyzeOptions) -> bool:
    """Whether this photo is kept: the setting, a retention period, a user who consented.

    Without a ``user_id`` no photo is kept: there would be no one to list it for, export it
    to or erase it for.
    """
    return (
        settings.store_raw_images
        and settings.retention_raw_photos_days > 0
        and options.consent_keep_photo
        and options.user_id is not None
    )


def _store(
    session: Session, record: AnalysisRecord, options: AnalyzeOptions, default_version: str
) -> None:
    """Commit the analysis, with the user and its consent records when there is a user id.

    One consent for the analysis, and one more for keeping the photo when it was kept.
    """
    purposes = [PURPOSE_SKIN_ANALYSIS] + ([PURPOSE_KEEP_RAW_PHOTO] if record.raw_image_path else [])
    for attempt in (1, 2):
        try:
            if options.user_id is not None:
                ensure_user(session, options.user_id)
                session.add_all(
                    ConsentRecord(
                        user_id=options.user_id,
                        purpose=purpose,
                        granted_at=record.created_at,
                        source=options.channel,
                        consent_version=options.consent_version or default_version,
                        analysis_id=record.id,
                    )
                    for purpose in purposes
                )
            session.add(record)
            session.commit()
            return
        except IntegrityError:
            # Two first analyses of a new user at once: the loser retries and finds the user.
            session.rollback()
            if attempt == 2:
                raise


def _decode(submission: Submission, settings: Settings) -> NDArray[np.uint8]:
    """The photo's pixels, via ``data.images`` (which enforces the size limits)."""
    from data.images import decode_base64_image, decode_image

    limits = {
        "max_bytes": settings.max_upload_bytes,
        "max_pixels": settings.max_image_pixels,
        "min_side": settings.min_image_side,
    }
    if submission.raw is not None:
        return decode_image(submission.raw, **limits).rgb
    if submission.base64_text is None:
        raise InvalidImage()
    return decode_base64_image(submission.base64_text, **limits).rgb
