"""Plain names of the propensity features (English and Chinese) and per-user reasons.

A reason is a feature whose LightGBM contribution (``pred_contrib``, in log-odds) pushes a
user's score up the most; it is shown with the user's own value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from data.events.specs import ACTIVITY_KINDS, EBA_TOUCHES, ORDER_CHANNELS, SOURCE_CHANNELS
from data.vocabulary import CONCERN_NAMES_ZH, CONCERNS

_CHANNEL = {
    "miniprogram": ("mini-program", "小程序"),
    "ecommerce": ("e-commerce", "电商"),
    "store": ("store", "门店"),
    "live": ("live stream", "直播"),
    "invite": ("a friend's invitation", "好友邀请"),
}
_ACTIVITY = {
    "message": ("messages in the community", "社群发言次数"),
    "check_in": ("community check-ins", "社群打卡次数"),
    "sign_in": ("community sign-ins", "社群签到次数"),
    "survey": ("surveys answered", "参与问卷次数"),
    "live_session": ("live sessions joined", "参加直播次数"),
}
_TOUCH = {
    "service_call": ("first-order service call reached", "首单服务电话已接通"),
    "logistics_message": ("day-3 logistics message read", "第3天物流消息已读"),
    "qr_scan": ("package-card QR code scanned", "已扫包裹卡二维码"),
    "day10_call": ("day-10 phone call reached", "第10天回访电话已接通"),
}

FEATURE_NAMES: dict[str, tuple[str, str]] = {
    "tenure_days": ("days since joining the brand", "成为顾客的天数"),
    "city_tier1": ("lives in a tier-1 city", "一线城市"),
    "orders_days_since_last": ("days since the last order", "距上次下单天数"),
    "orders_days_since_first": ("days since the first order", "距首次下单天数"),
    "orders_n": ("orders so far", "累计订单数"),
    "orders_spend": ("total spend (RMB)", "累计消费金额(元)"),
    "orders_mean_amount": ("average order value (RMB)", "平均客单价(元)"),
    "orders_max_amount": ("largest order (RMB)", "最大单笔金额(元)"),
    "orders_n_30d": ("orders in the last 30 days", "近30天订单数"),
    "orders_n_90d": ("orders in the last 90 days", "近90天订单数"),
    "orders_spend_90d": ("spend in the last 90 days (RMB)", "近90天消费(元)"),
    "orders_trend": ("buying more often lately", "近期购买频率上升"),
    "visits_n": ("store visits", "到店次数"),
    "visits_n_90d": ("store visits in the last 90 days", "近90天到店次数"),
    "visits_spa_services": ("facials and spa treatments", "面部护理和水疗次数"),
    "visits_days_since_last": ("days since the last store visit", "距上次到店天数"),
    "cards_bought_before": ("monthly cards held before", "曾持有月卡次数"),
    "cards_days_since_last": ("days since the last monthly card", "距上次购买月卡天数"),
    "tests_n": ("skin tests taken", "皮肤测试次数"),
    "tests_days_since_last": ("days since the last skin test", "距上次皮肤测试天数"),
    "tests_last_worst_score": ("worst concern in the last skin test", "最近一次测肤最严重问题得分"),
    "community_events_30d": ("community activity, last 30 days", "近30天社群活跃次数"),
    "community_events_90d": ("community activity, last 90 days", "近90天社群活跃次数"),
    "community_trend": ("more active in the community lately", "近期社群活跃度上升"),
    "community_active_periods": ("weeks active in the community", "社群活跃周数"),
    "community_days_since_last": ("days since the last community activity", "距上次社群活跃天数"),
    "energy_earned": ("energy points earned", "累计获得能量值"),
    "energy_redeemed": ("energy points redeemed", "已兑换能量值"),
    "energy_balance": ("energy points balance", "能量值余额"),
    "energy_earned_90d": ("energy points earned, last 90 days", "近90天获得能量值"),
    "tasks_completed": ("community tasks completed", "完成社群任务数"),
    "invites_n": ("friends invited", "邀请好友数"),
    "invites_n_90d": ("friends invited, last 90 days", "近90天邀请好友数"),
    "invites_orders_brought": ("orders by invited friends", "好友带来的订单数"),
    "invites_spend_brought": ("spend by invited friends (RMB)", "好友带来的消费(元)"),
    "content_posts": ("posts (notes, reviews, photos)", "发布内容数"),
    "content_forwards": ("shares to friends or Moments", "转发分享次数"),
    "content_n_90d": ("posts and shares, last 90 days", "近90天发布和转发数"),
    "eba_touches_n": ("advisor touches after the first order", "首单后顾问触达次数"),
    **{f"source_{c}": (f"came through {en}", f"来源:{zh}") for c, (en, zh) in _CHANNEL.items()},
    **{
        f"orders_n_{c}": (f"orders via {_CHANNEL[c][0]}", f"{_CHANNEL[c][1]}订单数")
        for c in ORDER_CHANNELS
    },
    **{
        f"orders_spend_{c}": (f"spend via {_CHANNEL[c][0]} (RMB)", f"{_CHANNEL[c][1]}消费(元)")
        for c in ORDER_CHANNELS
    },
    **{f"community_{k}s": _ACTIVITY[k] for k in ACTIVITY_KINDS},
    **{f"eba_{t}_reached": _TOUCH[t] for t in EBA_TOUCHES},
    **{
        f"tests_last_{c}": (
            f"{c.replace('_', ' ')} in the last skin test",
            f"最近测肤{CONCERN_NAMES_ZH[c]}得分",
        )
        for c in CONCERNS
    },
}
assert set(SOURCE_CHANNELS) <= set(_CHANNEL)


def feature_label(name: str) -> dict[str, str]:
    """``{"en": ..., "zh": ...}`` for a feature column (its own name if it has no label)."""
    en, zh = FEATURE_NAMES.get(name, (name, name))
    return {"en": en, "zh": zh}


def top_reasons(
    contributions: np.ndarray,
    values: np.ndarray,
    feature_names: Sequence[str],
    k: int = 3,
) -> list[list[dict[str, Any]]]:
    """The ``k`` features that raise each user's score most, with their value and weight.

    Parameters
    ----------
    contributions : ndarray
        ``pred_contrib`` output, shape ``(n_samples, n_features + 1)`` (the last column is the
        bias and is ignored).
    values : ndarray
        The feature matrix, shape ``(n_samples, n_features)``.
    feature_names : sequence of str
        Column names, ``n_features`` of them.
    """
    effects = np.asarray(contributions)[:, : len(feature_names)]
    top = np.argsort(-effects, axis=1, kind="stable")[:, :k]
    out: list[list[dict[str, Any]]] = []
    for row, columns in enumerate(top):
        reasons = []
        for column in columns:
            if effects[row, column] <= 0:
                break  # only what pushes the score up is a reason to call
            name = feature_names[column]
            reasons.append(
                {
                    "feature": name,
                    **feature_label(name),
                    "value": round(float(values[row, column]), 2),
                    "log_odds": round(float(effects[row, column]), 4),
                }
            )
        out.append(reasons)
    return out
