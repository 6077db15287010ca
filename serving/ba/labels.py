"""Every word the BA page shows, in Chinese (first) and English.

The templates render the chosen language; the same table goes to the page as JSON so the
language switch re-renders labels without a reload. ``{n}``-style fields are filled in by ba.js.
"""

from __future__ import annotations

from typing import Literal, get_args

from data.vocabulary import CONCERN_NAMES_ZH, CONCERNS
from formulations.needs import SKIN_TYPE_NAMES
from formulations.schema import PRODUCT_TYPE_NAMES
from models.value_score import DIMENSIONS, TOTAL

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)

# key: (Chinese, English)
_LABELS: dict[str, tuple[str, str]] = {
    "app_title": ("肌肤检测与定制配方", "Skin test and custom formula"),
    "store": ("门店", "Store"),
    "sign_out": ("退出登录", "Sign out"),
    "lang_switch": ("English", "中文"),
    "sign_in_title": ("门店登录", "Store sign-in"),
    "store_id": ("门店编号", "Store id"),
    "store_key": ("门店密钥", "Store key"),
    "sign_in": ("登录", "Sign in"),
    "sign_in_failed": ("门店编号或密钥不正确。", "Wrong store id or key."),
    "sign_in_help": (
        "密钥由管理员用 skinlab stores add-key 生成，只显示一次。",
        "An administrator creates keys with skinlab stores add-key; each is shown once.",
    ),
    "step_customer": ("顾客", "Customer"),
    "step_photo": ("拍照", "Photo"),
    "step_results": ("结果", "Results"),
    "step_formula": ("配方", "Formula"),
    "customer_title": ("查找或新建顾客", "Find or add a customer"),
    "phone": ("手机号", "Phone number"),
    "customer_id": ("或顾客编号", "or customer id"),
    "find": ("查找", "Find"),
    "phone_not_stored": (
        "手机号不会被保存，只保存由它生成的加密编号。",
        "The phone number is not stored, only an id derived from it with a secret key.",
    ),
    "customer_new": ("新顾客：首次检测。", "New customer: first skin test."),
    "customer_known": ("老顾客：已有 {n} 次检测。", "Returning customer: {n} skin tests so far."),
    "customer_needed": ("请输入手机号或顾客编号。", "Enter a phone number or a customer id."),
    "consent_title": ("拍照同意", "Consent"),
    "consent_text": (
        "顾客同意拍摄面部照片用于肌肤分析。照片不保存；结果按顾客编号保存，可随时删除。",
        "The customer agrees to a photo of their face for the skin test. The photo is not kept;"
        " results are kept under the customer id and can be erased at any time.",
    ),
    "consent_needed": ("请先勾选顾客同意，再拍照。", "Tick the customer's consent first."),
    "camera_open": ("打开相机", "Open camera"),
    "camera_switch": ("切换前/后摄像头", "Switch front/rear camera"),
    "capture": ("拍照", "Take photo"),
    "upload": ("上传照片", "Upload a photo"),
    "camera_unavailable": ("无法使用相机，请上传照片。", "No camera here: upload a photo."),
    "guide_dark": ("光线偏暗：请面向窗户或明亮光源。", "Too dark: face a window or bright light."),
    "guide_bright": ("光线过强：请避开直射光。", "Too bright: step out of direct light."),
    "guide_moving": ("请保持不动，画面在晃动。", "Hold still: the picture is moving."),
    "guide_blurry": (
        "画面不够清晰：请擦拭镜头、保持不动，点屏幕对焦。",
        "Not sharp: wipe the lens, hold still, tap the screen to focus.",
    ),
    "guide_hint": ("提示（仅供参考）", "Hint only"),
    "guide_measures": (
        "亮度 {light}/255 · 清晰度 {sharpness}",
        "light {light}/255 · sharpness {sharpness}",
    ),
    "guide_ok": (
        "光线和清晰度合适：请正对镜头，整张脸在框内，保持不动。",
        "Light and sharpness look fine: look straight at the camera, whole face in the frame,"
        " hold still.",
    ),
    "analyzing": ("正在分析照片…", "Analysing the photo…"),
    "compressed": ("照片已压缩至 {kb} KB", "Photo compressed to {kb} KB"),
    "photo_refused": ("这张照片无法分析", "This photo cannot be analysed"),
    "retake": ("重新拍照", "Retake"),
    "results_title": ("检测结果", "Results"),
    "overlay": ("在脸上显示", "Show on the face"),
    "overlay_none": ("无", "None"),
    "overlay_missing": ("此项没有区域图。", "No map for this concern."),
    "scores_title": ("各项评分（0–100，越高越明显）", "Scores (0–100, higher = more of it)"),
    "skin_type": ("肤质", "Skin type"),
    "sensitive": ("偏敏感", "sensitive"),
    "tone": ("肤色", "Skin tone"),
    "change_title": ("与上次检测相比", "Since the previous test"),
    "change_none": ("首次检测，暂无对比。", "First test: nothing to compare with yet."),
    "better": ("改善", "better"),
    "worse": ("加重", "worse"),
    "same": ("持平", "same"),
    "to_formula": ("查看推荐配方", "See the proposed formula"),
    "formula_title": ("推荐配方", "Proposed formula"),
    "product_type": ("产品类型", "Product type"),
    "exclude": ("排除成分", "Exclude an ingredient"),
    "exclude_placeholder": ("成分名、INCI 或中文名", "name, INCI or 中文名"),
    "add": ("添加", "Add"),
    "remove": ("移除", "Remove"),
    "base_choice": ("基底", "Base"),
    "base_auto": ("自动：最适合顾客的基底", "Automatic: the best fit"),
    "fragrance_free": ("无香精", "Fragrance-free"),
    "pregnancy_safe": ("孕期可用", "Pregnancy-safe"),
    "price_cap": ("价格上限（元）", "Price cap (RMB)"),
    "bottle": ("瓶装容量", "Bottle size"),
    "resolve": ("按新要求重新计算", "Re-solve with these choices"),
    "solving": ("正在计算配方…", "Solving the formula…"),
    "base": ("基底", "Base"),
    "modules": ("功效模块", "Modules"),
    "price": ("零售价", "Retail price"),
    "warnings": ("注意事项", "Warnings"),
    "infeasible_title": ("无法同时满足所有要求", "These requirements cannot all be met"),
    "conflicts": ("相互冲突的要求", "Conflicting requirements"),
    "smallest_relaxation": ("最小调整建议", "Smallest change that works"),
    "apply_relaxation": ("采用此建议并重新计算", "Apply it and re-solve"),
    "confirm": ("确认配方，生成产品编号", "Confirm and issue the SKU"),
    "sku": ("产品编号", "SKU"),
    "sheet_open": ("打开调配单", "Open the compounding sheet"),
    "print": ("打印", "Print"),
    "sheet_title": ("调配单", "Compounding sheet"),
    "col_step": ("步骤", "Step"),
    "col_what": ("内容", "What"),
    "col_grams": ("克数", "Grams"),
    "col_note": ("说明", "Note"),
    "label_zh": ("成分表", "Ingredients"),
    "customer": ("顾客", "Customer"),
    "date": ("日期", "Date"),
    "monthly_title": ("月卡推荐", "Monthly card"),
    "card_loading": ("正在读取月卡推荐…", "Loading the monthly-card details…"),
    "verdict_recommend": ("推荐沟通", "Worth offering"),
    "verdict_recommend_note": (
        "办卡可能性不低于平均顾客，且近期未沟通过，可以向顾客介绍月卡。",
        "At least as likely as the average customer, and not approached lately: offer the card.",
    ),
    "verdict_low": ("暂不优先", "Not a priority"),
    "verdict_low_note": (
        "办卡可能性低于平均顾客；顾客主动问起时再介绍即可。",
        "Less likely than the average customer: mention the card if the customer asks.",
    ),
    "verdict_holder": ("已是月卡会员", "Already a card holder"),
    "verdict_holder_note": ("无需推荐月卡。", "No need to offer the card."),
    "verdict_contacted": ("近期已沟通", "Contacted recently"),
    "verdict_contacted_note": (
        "冷却期内已沟通过月卡，请勿重复推荐。",
        "Already approached about the card within the cool-down: please do not offer it again.",
    ),
    "verdict_no_data": ("暂无数据", "No data"),
    "verdict_other_store": ("其他门店的顾客", "Another store's customer"),
    "no_events": ("暂无该顾客的消费与社群记录。", "No purchases or community activity on record."),
    "other_store": (
        "该顾客的会员档案属于其他门店，本店暂时无法查看其月卡推荐，敬请谅解。",
        "This customer's membership belongs to another store, so their monthly-card details"
        " cannot be shown here. Sorry.",
    ),
    "events_unavailable": (
        "顾客数据尚未导入，暂时无法给出月卡推荐。",
        "Customer data has not been loaded yet, so there is no monthly-card advice.",
    ),
    "card_error": ("月卡推荐暂时无法显示。", "The monthly-card details cannot be shown now."),
    "probability": ("90 天内办卡可能性", "Chance of buying a card within 90 days"),
    "level_high": ("高", "High"),
    "level_medium": ("中", "Medium"),
    "level_low": ("低", "Low"),
    "lift": ("约为平均顾客的 {x} 倍", "{x}× the average customer"),
    "levels_note": (
        "高：不低于平均顾客的 3 倍；中：不低于平均；低：低于平均（平均 {base}%）。",
        "High: at least 3× the average customer; medium: at least average; low: below"
        " (average {base}%).",
    ),
    "as_of": ("数据截至 {date}", "Data as of {date}"),
    "reasons_title": ("提高可能性的主要因素", "What raises the chance most"),
    "reasons_none": ("暂无明显的加分因素。", "Nothing stands out."),
    "value_title": ("顾客价值分（0–100）", "Value score (0–100)"),
    "segments_title": ("顾客分群", "Segments"),
    "segments_none": ("未归入任何分群。", "In no segment."),
    "contact_title": ("记录沟通结果", "Log the conversation"),
    "outcome": ("沟通结果", "Outcome"),
    "o_reached": ("已介绍月卡", "Told about the card"),
    "o_interested": ("有兴趣", "Interested"),
    "o_declined": ("顾客拒绝", "Declined"),
    "o_bought": ("已办卡", "Bought a card"),
    "o_not_reached": ("未能沟通", "Could not talk about it"),
    "contact_note": ("备注（可选）", "Note (optional)"),
    "contact_save": ("保存记录", "Save"),
    "last_contact": ("上次记录", "Last logged"),
    "next_customer": ("下一位顾客", "Next customer"),
    "error_generic": ("出错了，请重试。", "Something went wrong; please try again."),
    "network_error": ("网络连接失败，请检查网络后重试。", "Network error: check and retry."),
    "signed_out": ("登录已过期，请重新登录。", "Signed out: please sign in again."),
    # Concerns, skin types, tones and product types, as the API names them.
    **{f"c_{c}": (CONCERN_NAMES_ZH[c], c.replace("_", " ").capitalize()) for c in CONCERNS},
    "tone_very_light": ("非常白皙", "very light"),
    "tone_light": ("白皙", "light"),
    "tone_intermediate": ("中等", "intermediate"),
    "tone_tan": ("小麦色", "tan"),
    "tone_brown": ("棕色", "brown"),
    "tone_dark": ("深色", "dark"),
}

CONCERN_KEYS = CONCERNS
# Skin and product type names come from the domain, so the page and the API's messages agree.
_LABELS |= {f"t_{key}": names for key, names in SKIN_TYPE_NAMES.items()}
_LABELS |= {f"p_{key}": names for key, names in PRODUCT_TYPE_NAMES.items()}
_LABELS |= {f"v_{key}": (dim.zh, dim.en) for key, dim in (DIMENSIONS | {"total": TOTAL}).items()}
VALUE_KEYS = (*DIMENSIONS, "total")
# The outcomes a BA picks from, most common first (the API's words: data.contacts).
CONTACT_OUTCOMES = ("reached", "interested", "declined", "bought", "not_reached")
PRODUCT_TYPES = (
    "serum",
    "essence",
    "toner",
    "gel",
    "lotion",
    "cream",
    "rich_cream",
    "eye_cream",
    "sleeping_mask",
)
BOTTLE_SIZES = (30, 50, 100)


def labels_for(lang: Lang) -> dict[str, str]:
    """Every label in ``lang`` (empty where English uses the API's own words instead)."""
    index = LANGS.index(lang)
    return {key: pair[index] for key, pair in _LABELS.items()}


def all_labels() -> dict[Lang, dict[str, str]]:
    """The whole table, for the page's language switch."""
    return {lang: labels_for(lang) for lang in LANGS}


def parse_lang(value: str | None) -> Lang:
    """``en`` if asked for, else Chinese (the default)."""
    return "en" if value == "en" else "zh"
