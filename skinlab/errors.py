"""Domain errors. Each carries a stable machine code, an HTTP status and bilingual messages.

Domain code raises these; ``serving`` turns them into responses in one place. Nothing here
imports a web framework.
"""

from __future__ import annotations

from typing import Any, ClassVar


class SkinlabError(Exception):
    """Base error: ``code`` is stable for clients, ``message``/``message_zh`` are for people."""

    status: ClassVar[int] = 400
    code: str = "BAD_REQUEST"
    message: str = "The request could not be processed."
    message_zh: str = "请求无法处理。"
    hint: str | None = None
    hint_zh: str | None = None

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        message_zh: str | None = None,
        hint: str | None = None,
        hint_zh: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        if code is not None:
            self.code = code
        if message is not None:
            self.message = message
        if message_zh is not None:
            self.message_zh = message_zh
        if hint is not None:
            self.hint = hint
        if hint_zh is not None:
            self.hint_zh = hint_zh
        self.details = details or {}
        super().__init__(f"{self.code}: {self.message}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON body clients receive under ``"error"``."""
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "message_zh": self.message_zh,
            "hint": self.hint,
            "hint_zh": self.hint_zh,
        }
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(SkinlabError):
    status = 422
    code = "INVALID_INPUT"
    message = "The request is not valid."
    message_zh = "请求内容无效。"


class ConsentRequired(SkinlabError):
    status = 400
    code = "CONSENT_REQUIRED"
    message = "Consent to analyse the face photo is required (send consent=true)."
    message_zh = "分析面部照片需要您的同意（请提交 consent=true）。"
    hint = "Ask the customer to agree to the photo analysis, then send consent=true."
    hint_zh = "请先征得顾客对照片分析的同意，再提交 consent=true。"


class InvalidImage(SkinlabError):
    status = 422
    code = "INVALID_IMAGE"
    message = "The file is not a readable JPEG, PNG or WebP image."
    message_zh = "文件不是可读取的 JPEG、PNG 或 WebP 图片。"
    hint = "Take a new photo or choose a JPEG/PNG/WebP file."
    hint_zh = "请重新拍照，或选择 JPEG/PNG/WebP 图片。"


class ImageTooLarge(SkinlabError):
    status = 422
    code = "IMAGE_TOO_LARGE"
    message = "The image is too large."
    message_zh = "图片太大。"
    hint = "Send a photo under 12 MB and 40 megapixels; the camera's normal setting is fine."
    hint_zh = "请上传小于 12 MB、4000 万像素以内的照片；相机的常规设置即可。"


class ImageTooSmall(SkinlabError):
    status = 422
    code = "IMAGE_TOO_SMALL"
    message = "The image is too small to analyse."
    message_zh = "图片尺寸太小，无法分析。"
    hint = "Use the camera's normal resolution."
    hint_zh = "请使用相机的常规分辨率。"


class QualityFailed(SkinlabError):
    """A photo that decodes but cannot be analysed reliably; ``code`` names the reason."""

    status = 422
    code = "POOR_QUALITY"


class NotFound(SkinlabError):
    status = 404
    code = "NOT_FOUND"
    message = "Not found."
    message_zh = "未找到。"


class InfeasibleFormula(SkinlabError):
    """No formula satisfies the request; ``details`` name the conflicts and the relaxations."""

    status = 422
    code = "INFEASIBLE_FORMULA"
    message = "No safe formula meets all of these requirements."
    message_zh = "没有同时满足这些要求的安全配方。"


class UnknownSku(SkinlabError):
    status = 404
    code = "UNKNOWN_SKU"
    message = "No SKU has this code."
    message_zh = "没有这个SKU编码。"


class CatalogInvalid(SkinlabError):
    """The ingredient catalog on disk breaks its schema or its rules (a deployment error)."""

    status = 500
    code = "CATALOG_INVALID"
    message = "The ingredient catalog is invalid."
    message_zh = "原料目录无效。"


class ModelUnavailable(SkinlabError):
    status = 503
    code = "MODEL_UNAVAILABLE"
    message = "The model is not loaded yet; try again shortly."
    message_zh = "模型尚未加载，请稍后重试。"


# The quality verdicts a customer can act on: code -> (English, Chinese, hint, Chinese hint).
QUALITY_MESSAGES: dict[str, tuple[str, str, str, str]] = {
    "NO_FACE": (
        "No face was found in the photo.",
        "照片中未检测到人脸。",
        "Face the camera with your whole face in the frame.",
        "请正对镜头，让整张脸都在画面内。",
    ),
    "MULTIPLE_FACES": (
        "More than one face is in the photo.",
        "照片中有多张人脸。",
        "Make sure only one person is in the frame.",
        "请确保画面中只有一个人。",
    ),
    "FACE_TOO_SMALL": (
        "The face is too small in the photo.",
        "照片中的人脸太小。",
        "Move closer so your face fills most of the frame.",
        "请靠近一些，让脸部占据画面的大部分。",
    ),
    "TOO_BLURRY": (
        "The photo is too blurry.",
        "照片太模糊。",
        "Hold the phone still, tap to focus on your face and retake the photo.",
        "请拿稳手机，点击脸部对焦后重新拍摄。",
    ),
    "TOO_DARK": (
        "The photo is too dark.",
        "照片太暗。",
        "Face a window or a bright, even light and retake the photo.",
        "请面向窗户或明亮均匀的光线，重新拍摄。",
    ),
    "OVEREXPOSED": (
        "The photo is overexposed (too bright).",
        "照片过曝（太亮）。",
        "Avoid direct sunlight or flash; use soft, even light.",
        "请避免阳光直射或闪光灯，使用柔和均匀的光线。",
    ),
    "HEAD_TURNED": (
        "The head is turned too far to the side or up/down.",
        "头部转动或俯仰角度过大。",
        "Look straight into the camera.",
        "请直视镜头。",
    ),
    "HEAD_TILTED": (
        "The head is tilted too far.",
        "头部倾斜过大。",
        "Keep your head upright and level.",
        "请保持头部端正、不要倾斜。",
    ),
}


def quality_error(code: str, details: dict[str, Any] | None = None) -> QualityFailed:
    """Build the 422 error for one quality verdict code from ``QUALITY_MESSAGES``."""
    en, zh, hint, hint_zh = QUALITY_MESSAGES[code]
    return QualityFailed(en, code=code, message_zh=zh, hint=hint, hint_zh=hint_zh, details=details)


def error_body(exc: SkinlabError) -> dict[str, Any]:
    """The whole JSON error document, ``{"error": {...}}``, printed alike by the API and the CLI."""
    return {"error": exc.to_dict()}
