"""Fill a formulation request from a stored skin test (``analysis_id``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from data.records import AnalysisRecord
from formulations.needs import FormulationNeeds
from skinlab.errors import InvalidInput, NotFound


class AnalysisNotFound(NotFound):
    code = "ANALYSIS_NOT_FOUND"
    message = "No analysis has this id (it may have been deleted)."
    message_zh = "未找到该测肤记录（可能已被删除）。"


def needs_with_analysis(
    session: Session, needs: FormulationNeeds
) -> tuple[FormulationNeeds, str | None]:
    """The needs with scores, skin type and sensitivity taken from the analysis they name.

    Values given explicitly in the request win over the analysis, except scores: giving both
    scores and an analysis is ambiguous and refused. Returns the needs and the skin model version
    that produced the scores (``None`` without an analysis).

    Raises
    ------
    AnalysisNotFound
        The analysis does not exist.
    InvalidInput
        ``CONTRADICTORY_NEEDS``: scores and an analysis id were both given, or the analysis
        belongs to another user than ``user_id``.
    """
    if needs.analysis_id is None:
        return needs, None
    if needs.scores is not None:
        raise InvalidInput(
            "Give either scores or an analysis_id, not both.",
            code="CONTRADICTORY_NEEDS",
            message_zh="请只提供评分或测肤记录编号之一。",
        )
    record = session.get(AnalysisRecord, needs.analysis_id)
    if record is None:
        raise AnalysisNotFound(details={"analysis_id": needs.analysis_id})
    if needs.user_id is not None and record.user_id not in (None, needs.user_id):
        raise InvalidInput(
            "This analysis belongs to another user.",
            code="CONTRADICTORY_NEEDS",
            message_zh="该测肤记录属于其他用户。",
        )
    result = record.result
    scores = {concern: float(item["score"]) for concern, item in result["scores"].items()}
    skin = result.get("skin_type", {})
    filled = needs.model_copy(
        update={
            "scores": scores,
            "skin_type": needs.skin_type or skin.get("type"),
            "sensitive": needs.sensitive if needs.sensitive is not None else skin.get("sensitive"),
            "user_id": needs.user_id or record.user_id,
        }
    )
    return FormulationNeeds.model_validate(filled.model_dump()), record.model_version
