"""The API's request and response bodies (domain results are in ``models.results``).

``analysis_json`` is the one function that renders an analysis as JSON: the API returns it and
``skinlab analyze --json`` prints it, so both say exactly the same thing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from data.records import (
    CONSENT_VERSION_MAX_LENGTH,
    USER_ID_RULE,
    AnalysisRecord,
    is_valid_user_id,
)
from formulations.issue import Issued
from formulations.result import Formula
from models.results import Concern, SkinAnalysis

_CONSENT_WORDS = frozenset({"true", "1", "yes", "y", "on"})


def _check_user_id(value: str) -> str:
    if not is_valid_user_id(value):
        raise ValueError(USER_ID_RULE)
    return value


def _blank_is_none(value: object) -> object:
    # wx.uploadFile sends every formData key, so "no user" arrives as "".
    return None if isinstance(value, str) and not value.strip() else value


def _explicit_yes(value: object) -> bool:
    # Consent must be an explicit yes; anything else (missing, "false", "maybe") is no.
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in _CONSENT_WORDS


UserId = Annotated[
    str,
    AfterValidator(_check_user_id),
    Field(description=USER_ID_RULE, examples=["wx_3f9a1c7e"]),
]
Channel = Literal["miniprogram", "ba_tablet", "web", "api", "cli"]


class AnalyzeOptions(BaseModel):
    """The fields that come with a photo, in a form or a JSON body."""

    model_config = ConfigDict(extra="ignore")

    consent: Annotated[bool, BeforeValidator(_explicit_yes)] = Field(
        default=False,
        description="The person agrees to the analysis of this face photo: true, 1 or yes",
    )
    user_id: Annotated[UserId | None, BeforeValidator(_blank_is_none)] = Field(
        default=None, description="Pseudonymous id; with it the result joins the user's history"
    )
    overlays: bool = Field(default=False, description="Also return per-concern heatmap PNGs")
    channel: Channel = Field(default="api", description="Where the photo was taken")
    consent_keep_photo: Annotated[bool, BeforeValidator(_explicit_yes)] = Field(
        default=False,
        description="The person also agrees to the photo being kept (encrypted) for the "
        "retention period; kept only when the service allows it and a user_id is given",
    )
    consent_version: Annotated[str | None, BeforeValidator(_blank_is_none)] = Field(
        default=None,
        max_length=CONSENT_VERSION_MAX_LENGTH,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Version of the consent text shown; the service's current one if omitted",
    )


class AnalyzeJSONRequest(AnalyzeOptions):
    """``POST /analyze`` as JSON: the photo as base64 or as a data URL."""

    image_base64: str | None = Field(
        default=None,
        description="JPEG/PNG/WebP bytes as base64, or a data URL (data:image/jpeg;base64,...)",
    )


class AnalysisPublic(SkinAnalysis):
    """One analysis as the API returns it: the skin test plus who and when."""

    analysis_id: str
    user_id: str | None
    created_at: datetime


class ScoreChanges(BaseModel):
    """How each concern's score moved since the user's previous analysis."""

    analysis_id: str = Field(description="The previous analysis")
    created_at: datetime
    changes: dict[Concern, float] = Field(
        description="This score minus the previous one; negative means less of the concern"
    )


class AnalysisHistoryItem(AnalysisPublic):
    previous: ScoreChanges | None = Field(
        default=None, description="Comparison with the analysis before this one, if any"
    )


class AnalysisList(BaseModel):
    user_id: str
    count: int = Field(description="All analyses of the user, not only this page")
    data: list[AnalysisHistoryItem]


class DeleteResult(BaseModel):
    """What a deletion removed."""

    users: int = 0
    consents: int = 0
    analyses: int = 0
    raw_images: int = 0


class ConsentPublic(BaseModel):
    """One consent a user gave: for what, when, through which channel, to which text."""

    model_config = ConfigDict(from_attributes=True)

    purpose: str = Field(description="skin_analysis, or keep_raw_photo (the photo was kept)")
    granted_at: datetime
    source: str = Field(description="The channel: miniprogram, ba_tablet, web, api, cli")
    consent_version: str = Field(description="The consent text version shown")
    analysis_id: str | None = Field(description="The analysis it was given with")


class ConsentList(BaseModel):
    user_id: str
    data: list[ConsentPublic] = Field(description="Oldest first")


class UserDeleteResult(DeleteResult):
    """What erasing a user removed, card-offer contacts included."""

    card_contacts: int = 0


class ServedModelPublic(BaseModel):
    """Which version of one trained model answers now, and where it came from."""

    source: Literal["files", "registry"] = Field(
        description="files: SKINLAB_MODELS_DIR; registry: the MLflow champion"
    )
    version: str | None = Field(description="The version responses carry; None until loaded")
    registry_version: int | None = Field(description="The registered model's version number")


class VersionInfo(BaseModel):
    service: str = "skinlab"
    version: str
    model_version: str | None = Field(description="None while the models are loading")
    models: dict[str, str] = Field(description="Model name -> version or content hash")
    served_models: dict[str, ServedModelPublic] = Field(
        default_factory=dict, description="Model type (skin-heads, propensity) -> what serves"
    )
    catalog_version: str = Field(description="Formulation catalog version (content hash)")
    solver_version: str = Field(description="The MILP solver behind /formulate")


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "loading", "failed"]
    model_version: str | None = None
    reason: str | None = Field(default=None, description="Why the service is not ready")
    model_failures: dict[str, str] | None = Field(
        default=None,
        description="Model type -> why its registry champion could not be loaded; the model "
        "loaded before keeps answering",
    )


class ErrorDetail(BaseModel):
    code: str = Field(examples=["NO_FACE"])
    message: str
    message_zh: str
    hint: str | None = None
    hint_zh: str | None = None
    details: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


def public_analysis(
    analysis: SkinAnalysis, *, analysis_id: str, user_id: str | None, created_at: datetime
) -> AnalysisPublic:
    """Attach the identity of a stored (or CLI-run) analysis to its result."""
    return AnalysisPublic.model_validate(
        {
            **analysis.model_dump(),
            "analysis_id": analysis_id,
            "user_id": user_id,
            "created_at": created_at,
        }
    )


def record_to_public(record: AnalysisRecord) -> AnalysisPublic:
    """A stored analysis as the API returns it (stored results never carry overlays)."""
    return public_analysis(
        SkinAnalysis.model_validate(record.result),
        analysis_id=record.id,
        user_id=record.user_id,
        created_at=record.created_at,
    )


def history_item(record: AnalysisRecord, previous: AnalysisRecord | None) -> AnalysisHistoryItem:
    """One row of a user's history, with score changes against ``previous``."""
    current = record_to_public(record)
    comparison = None
    if previous is not None:
        before = SkinAnalysis.model_validate(previous.result).scores
        comparison = ScoreChanges(
            analysis_id=previous.id,
            created_at=previous.created_at,
            changes={
                concern: round(score.score - before[concern].score, 1)
                for concern, score in current.scores.items()
                if concern in before
            },
        )
    return AnalysisHistoryItem.model_validate({**current.model_dump(), "previous": comparison})


def analysis_json(analysis: AnalysisPublic) -> dict[str, Any]:
    """The JSON document for one analysis, shared by the API and ``skinlab analyze``."""
    return analysis.model_dump(mode="json")


class FormulateResponse(BaseModel):
    """A solved and checked formula: issued, or a preview (``issued`` false, nothing stored)."""

    sku: str
    issued: bool
    new_sku: bool | None = Field(
        description="True when this request created the SKU; null for a preview"
    )
    issuance_id: int | None
    formula: Formula
    timing_ms: dict[str, float]


class SkuPublic(BaseModel):
    """A SKU as stored: the formula as first issued."""

    code: str
    created_at: datetime
    catalog_version: str
    issuances: int = Field(description="How many times it was issued (up to 1000 counted)")
    formula: dict[str, Any]


def formulate_response(issued: Issued) -> FormulateResponse:
    """The response body of an issued formula (also printed by ``skinlab formulate``)."""
    return FormulateResponse(
        sku=issued.sku,
        issued=issued.issuance_id is not None,
        new_sku=issued.new_sku,
        issuance_id=issued.issuance_id,
        formula=issued.formula,
        timing_ms={
            "total": round(issued.timings.total * 1000, 3),
            "solve": round(issued.timings.solve * 1000, 3),
            "build": round(issued.timings.build * 1000, 3),
        },
    )
