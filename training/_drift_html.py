"""The drift report as one self-contained HTML page: inline CSS and SVG, no scripts, no links."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

COLOURS = {"stable": "#2e7d32", "watch": "#f9a825", "drifted": "#c62828", "no_data": "#757575"}
RATING_TEXT = {
    "stable": "stable 稳定",
    "watch": "watch 关注",
    "drifted": "drifted 漂移",
    "no_data": "no data 无数据",
}
CSS = """
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
h1,h2{font-weight:600} table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right;font-size:14px}
th{background:#f5f5f5} td.name,th:first-child{text-align:left}
.badge{color:#fff;border-radius:4px;padding:1px 6px;font-size:13px;white-space:nowrap}
.charts{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid #eee;padding:6px} figcaption{font-size:13px}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
.warning{background:#fff3e0;border-left:4px solid #f9a825;padding:6px 10px}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px} dt{font-weight:600}
"""
REFERENCE_FILL, CURRENT_FILL = "#90a4ae", "#1565c0"


def _number(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.{digits}f}"
    return escape(str(value))


def _badge(rating: str) -> str:
    colour = COLOURS.get(rating, COLOURS["no_data"])
    text = escape(RATING_TEXT.get(rating, rating))
    return f'<span class="badge" style="background:{colour}">{text}</span>'


def _name(row: Mapping[str, Any]) -> str:
    label = row.get("label") or {}
    zh, en = label.get("zh"), label.get("en")
    parts = [f"<code>{escape(row['name'])}</code>"]
    if en and en != row["name"]:
        parts.append(escape(en))
    if zh and zh != row["name"]:
        parts.append(escape(zh))
    return "<br>".join(parts)


def _bin_labels(edges: Sequence[float]) -> list[str]:
    if not edges:
        return ["all", "NaN"]
    cuts = [_number(float(e)) for e in edges]
    return [f"≤{cuts[0]}", *(f"≤{c}" for c in cuts[1:]), f">{cuts[-1]}", "NaN"]


def bars_svg(row: Mapping[str, Any], width: int = 400, height: int = 150) -> str:
    """Paired bars: the reference's share (grey) and the current share (blue) per bin."""
    reference, current = row["shares_reference"], row["shares_current"]
    labels = _bin_labels(row["edges"])
    top = max([*reference, *current, 1e-9])
    slot = width / max(len(reference), 1)
    bar = slot * 0.38
    plot = height - 28
    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{escape(row["name"])}">'
    ]
    for index, (p, q) in enumerate(zip(reference, current, strict=False)):
        x = index * slot + slot * 0.1
        for offset, share, fill in ((0.0, p, REFERENCE_FILL), (bar, q, CURRENT_FILL)):
            h = plot * share / top
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{plot - h + 4:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{fill}"><title>{share:.3f}</title></rect>'
            )
        if index < len(labels):
            parts.append(
                f'<text x="{x + bar:.1f}" y="{height - 10}" font-size="8" '
                f'text-anchor="middle">{escape(labels[index])}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: Sequence[Mapping[str, Any]]) -> str:
    head = (
        "<tr><th>variable 变量</th><th>kind 类型</th><th>PSI</th><th>rating 评级</th>"
        "<th>KS</th><th>mean (training) 训练均值</th><th>mean (current) 当前均值</th>"
        "<th>n (training)</th><th>n (current)</th><th>missing 缺失</th></tr>"
    )
    body = [
        f'<tr><td class="name">{_name(r)}</td><td>{escape(r["kind"])}</td>'
        f"<td>{_number(r['psi'])}</td><td>{_badge(r['rating'])}</td>"
        f"<td>{_number(r.get('ks'))}</td><td>{_number(r['mean_reference'])}</td>"
        f"<td>{_number(r['mean_current'])}</td><td>{r['n_reference']}</td>"
        f"<td>{r['n_current']}</td><td>{r['missing_current']}</td></tr>"
        for r in rows
    ]
    return f'<table id="drift-table">{head}{"".join(body)}</table>'


def _facts(facts: Mapping[str, Any]) -> str:
    def text(value: Any) -> str:
        return escape(json.dumps(value, ensure_ascii=False, default=str))

    items = "".join(f"<dt>{escape(str(k))}</dt><dd>{text(v)}</dd>" for k, v in facts.items())
    return f"<dl>{items}</dl>"


def render_html(report: Mapping[str, Any]) -> str:
    """The report of :func:`training.drift.drift_report` as a page a person can read."""
    rows = report["variables"]
    summary = report["summary"]
    method = report["method"]
    thresholds = method["thresholds"]
    counts = " · ".join(f"{_badge(k)} {v}" for k, v in summary.items())
    charts = "".join(
        f"<figure>{bars_svg(r)}<figcaption>{_name(r)} — PSI {_number(r['psi'])} "
        f"{_badge(r['rating'])}</figcaption></figure>"
        for r in rows
    )
    warnings = "".join(
        f'<p class="warning">⚠ {escape(text)} 当前样本过少，评级可能夸大漂移。</p>'
        for text in report.get("warnings", [])
    )
    title = f"Drift report 漂移报告: {escape(report['model'])} {escape(report['model_version'])}"
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>{CSS}</style></head><body>
<h1>{title}</h1>
<p>Generated 生成时间 {escape(report["generated_at"])}. {counts}</p>
{warnings}
<h2>Data 数据</h2>
<h3>Training reference 训练参照</h3><p>{escape(report["reference"]["source"])}</p>
{_facts({"created_at": report["reference"]["created_at"], **report["reference"]["details"]})}
<h3>Current data 当前数据</h3><p>{escape(report["current"]["source"])}</p>
{_facts(report["current"]["details"])}
<h2>Method 方法</h2>
<p>PSI on the training deciles plus a missing-value bin; empty bins floored at
{method["epsilon"]}. Ratings 评级: PSI &lt; {thresholds["watch"]} stable 稳定,
{thresholds["watch"]}–{thresholds["drifted"]} watch 关注, &gt; {thresholds["drifted"]} drifted
漂移. Scores also get the Kolmogorov–Smirnov statistic (KS). 训练分位数分箱计算 PSI，
空箱以 {method["epsilon"]} 代替；评分另计 KS 统计量。</p>
<h2>Variables 变量</h2>
{_table(rows)}
<h2>Distributions 分布</h2>
<p class="legend"><span style="background:{REFERENCE_FILL}"></span>training 训练
<span style="background:{CURRENT_FILL}"></span>current 当前</p>
<div class="charts">{charts}</div>
</body></html>
"""
