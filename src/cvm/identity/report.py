"""The linkage report: one self-contained HTML page (inline CSS and SVG), English or Chinese.

It shows how many records went in and how many customers came out, how many customers each
pair of source systems shares, what changed against the previous linkage (merges, splits), the
records that could not be linked, and the match-weight chart: for each field and level of
agreement, how much evidence for (right, green) or against (left, red) a match it carries, in
bits (log₂ of m/u), as trained on this data.
"""

from __future__ import annotations

import html
import json

from ..workspace import Workspace

__all__ = ["render_linkage_report", "match_weight_svg"]

_TEXT = {
    "en": {
        "title": "Customer linkage report", "records": "Customer records",
        "linkable": "Records linked on", "customers": "Unified customers",
        "multi": "Customers with several records", "review": "Pairs to review",
        "merges": "Merges of earlier customers", "splits": "Records that left a customer",
        "rejected": "Records with nothing to link on",
        "engine": "Engine", "link": "Linkage", "seconds": "Seconds",
        "pairs_title": "Customers shared by source systems",
        "pair": "Sources", "shared": "Customers",
        "chart_title": "Match weights (bits of evidence; prior {prior:+.1f})",
        "chart_note": "Right of zero: evidence for a match; left: against. A pair's match "
                      "weight is the prior plus the weight of each field's level.",
        "events_title": "Changes against the previous linkage", "event": "Change",
        "customer": "Customer", "other": "Other id", "n": "Records",
        "merge": "merged into", "split": "records moved to",
        "rejects_title": "Records that could not be linked", "reason": "Reason",
        "source": "Source", "source_id": "Source id", "none": "None.",
        "decisions": "Decisions in force", "prevented": "Joins prevented by cannot-link",
        "conflicts": "Must-link refused because of a cannot-link",
    },
    "zh": {
        "title": "客户数据匹配报告", "records": "客户记录数", "linkable": "参与匹配的记录",
        "customers": "统一客户数", "multi": "含多条记录的客户", "review": "待人工复核的记录对",
        "merges": "已有客户合并次数", "splits": "移出原客户的记录", "rejected": "无可匹配信息的记录",
        "engine": "计算引擎", "link": "匹配批次", "seconds": "耗时（秒）",
        "pairs_title": "各来源系统之间共有的客户", "pair": "来源系统", "shared": "客户数",
        "chart_title": "匹配权重（证据比特数；先验 {prior:+.1f}）",
        "chart_note": "零右侧为支持同一客户的证据，左侧为反对的证据。一对记录的匹配权重等于先验加上各字段所处级别的权重。",
        "events_title": "与上次匹配相比的变化", "event": "变化", "customer": "客户",
        "other": "另一编号", "n": "记录数", "merge": "并入", "split": "部分记录移至",
        "rejects_title": "无法匹配的记录", "reason": "原因", "source": "来源",
        "source_id": "来源编号", "none": "无。", "decisions": "有效的人工决定",
        "prevented": "因“不可合并”而未合并的连接", "conflicts": "因“不可合并”而未执行的“必须合并”",
    },
}

_FIELDS_ZH = {"name": "姓名", "phone": "电话", "email": "邮箱", "birth_date": "出生日期",
              "national_id": "身份证号", "city": "城市", "gender": "性别"}

_LEVELS_ZH = {
    "same characters": "汉字相同", "same pinyin": "拼音相同",
    "surname and given name swapped": "姓与名颠倒",
    "the email of one spells the other's name": "一方邮箱拼出另一方姓名",
    "same surname, given name one letter off": "同姓，名差一个字母",
    "same surname, a given-name syllable the same": "同姓，名有一字同音",
    "Jaro-Winkler ≥ 0.9": "相似度 ≥ 0.9", "same number": "号码相同",
    "one digit wrong or swapped": "错一位或两位颠倒", "same address": "地址相同",
    "same user name": "用户名相同",
    "same name before @, another provider": "@前同为姓名，邮箱服务商不同",
    "one character off, not in the number after a name": "差一个字符（非姓名后的数字）",
    "same date": "日期相同",
    "one digit wrong or day/month swapped": "错一位或日月颠倒", "same year": "同年",
    "same id number": "号码相同", "same city": "城市相同", "same gender": "性别相同",
    "All other comparisons": "其他（不一致）",
}

_CSS = """
body{font-family:-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;
margin:2rem auto;max-width:960px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
.tiles{display:flex;flex-wrap:wrap;gap:.8rem}.tile{border:1px solid #ddd;border-radius:6px;
padding:.6rem 1rem;min-width:150px}.tile b{display:block;font-size:1.4rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border-bottom:1px solid #eee;
padding:.25rem .8rem;text-align:left}td.n,th.n{text-align:right}
.note{color:#666;font-size:.9rem}
@media print{body{margin:0}}
"""


def match_weight_svg(levels: list[dict], prior: float, lang: str = "en") -> str:
    """Horizontal bars: one per comparison level, weight in bits, zero in the middle."""
    rows = [lv for lv in levels if lv.get("match_weight") is not None]
    if not rows:
        return ""
    limit = max(5.0, max(abs(lv["match_weight"]) for lv in rows)) * 1.15  # room for the figures
    width, label_w, bar_h, gap = 900, 330, 16, 4
    half = (width - label_w - 20) / 2
    zero = label_w + half
    height = (bar_h + gap) * len(rows) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" font-size="12">']
    for i, lv in enumerate(rows):
        y = 10 + i * (bar_h + gap)
        w = lv["match_weight"]
        length = abs(w) / limit * half
        x = zero if w >= 0 else zero - length
        color = "#2e8b57" if w >= 0 else "#c0392b"
        if lang == "zh":
            field = _FIELDS_ZH.get(lv["comparison"], lv["comparison"])
            level = _LEVELS_ZH.get(lv["level"], lv["level"])
        else:
            field, level = lv["comparison"], lv["level"]
        label = html.escape(f"{field}: {level}")
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{x:.1f}" y="{y}" width="{max(length, 1):.1f}" height="{bar_h}" '
                     f'fill="{color}"><title>{label}: {w:+.2f}</title></rect>')
        tx = x + length + 4 if w >= 0 else x - 4
        anchor = "start" if w >= 0 else "end"
        parts.append(f'<text x="{tx:.1f}" y="{y + 12}" text-anchor="{anchor}" '
                     f'fill="#555">{w:+.1f}</text>')
    axis_y = height - 14
    parts.append(f'<line x1="{zero}" y1="4" x2="{zero}" y2="{axis_y}" stroke="#333"/>')
    for tick in (-limit, -limit / 2, 0, limit / 2, limit):
        tx = zero + tick / limit * half
        parts.append(f'<text x="{tx:.1f}" y="{height - 2}" text-anchor="middle" '
                     f'fill="#555">{tick:+.0f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_linkage_report(ws: Workspace, *, lang: str = "en") -> str:
    """The report of the workspace's last linkage."""
    if lang not in _TEXT:
        raise ValueError(f"language must be 'en' or 'zh', not {lang!r}")
    t = _TEXT[lang]
    row = ws.query("SELECT link_id, engine, summary, levels, prior_match_weight FROM "
                   "identity_links ORDER BY link_id DESC LIMIT 1")
    if not row:
        raise ValueError(f"workspace {ws.path} has no linkage yet: run `cvm link` first")
    link_id, engine, summary_text, levels_text, prior = row[0]
    s = json.loads(summary_text)
    levels = json.loads(levels_text)
    esc = html.escape
    decisions = ws.query("SELECT count(*) FROM (SELECT DISTINCT source_l, source_customer_id_l, "
                         "source_r, source_customer_id_r FROM identity_decisions)")[0][0]
    tiles = [(t["records"], s["records"]), (t["linkable"], s["linkable"]),
             (t["customers"], s["customers"]), (t["multi"], s["multi_record_customers"]),
             (t["review"], s["review_pairs"]), (t["merges"], s["merges"]),
             (t["splits"], s["splits"]), (t["rejected"], s["records"] - s["linkable"]),
             (t["decisions"], decisions)]
    out = [f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
           f'<meta charset="utf-8"><title>{esc(t["title"])}</title><style>{_CSS}</style>'
           f'</head><body><h1>{esc(t["title"])}</h1>',
           f'<p class="note">{esc(t["link"])} {link_id} · {esc(t["engine"])} {esc(engine)} · '
           f'{esc(t["seconds"])} {sum(s["seconds"].values()):.1f}</p><div class="tiles">']
    out += [f'<div class="tile">{esc(label)}<b>{value:,}</b></div>' for label, value in tiles]
    out.append("</div>")
    if s.get("prevented") or s.get("conflicts"):
        out.append(f'<p>{esc(t["prevented"])}: {s["prevented"]:,}; '
                   f'{esc(t["conflicts"])}: {s["conflicts"]:,}</p>')
    out.append(f'<h2>{esc(t["pairs_title"])}</h2>')
    if s["source_pairs"]:
        out.append(f'<table><tr><th>{esc(t["pair"])}</th><th class="n">{esc(t["shared"])}</th>'
                   "</tr>")
        out += [f'<tr><td>{esc(k)}</td><td class="n">{v:,}</td></tr>'
                for k, v in s["source_pairs"].items()]
        out.append("</table>")
    else:
        out.append(f"<p>{esc(t['none'])}</p>")
    out.append(f'<h2>{esc(t["chart_title"].format(prior=prior or 0.0))}</h2>')
    out.append(match_weight_svg(levels, prior or 0.0, lang))
    out.append(f'<p class="note">{esc(t["chart_note"])}</p>')
    events = ws.query("SELECT event, customer_id, other_id, records FROM identity_events "
                      "WHERE link_id = ? ORDER BY event, records DESC, customer_id LIMIT 50",
                      [link_id])
    out.append(f'<h2>{esc(t["events_title"])}</h2>')
    if events:
        out.append(f'<table><tr><th>{esc(t["customer"])}</th><th>{esc(t["event"])}</th>'
                   f'<th>{esc(t["other"])}</th><th class="n">{esc(t["n"])}</th></tr>')
        for event, cid, other, n in events:
            if event == "merge":  # other merged into cid
                out.append(f"<tr><td>{esc(other)}</td><td>{esc(t['merge'])}</td>"
                           f"<td>{esc(cid)}</td><td class='n'>{n:,}</td></tr>")
            else:
                out.append(f"<tr><td>{esc(cid)}</td><td>{esc(t['split'])}</td>"
                           f"<td>{esc(other)}</td><td class='n'>{n:,}</td></tr>")
        out.append("</table>")
    else:
        out.append(f"<p>{esc(t['none'])}</p>")
    rejects = ws.query("SELECT source, source_customer_id, reason FROM identity_rejects "
                       "ORDER BY source, source_customer_id LIMIT 50")
    out.append(f'<h2>{esc(t["rejects_title"])}</h2>')
    if rejects:
        out.append(f'<table><tr><th>{esc(t["source"])}</th><th>{esc(t["source_id"])}</th>'
                   f'<th>{esc(t["reason"])}</th></tr>')
        out += [f"<tr><td>{esc(a)}</td><td>{esc(b)}</td><td>{esc(c)}</td></tr>"
                for a, b, c in rejects]
        out.append("</table>")
    else:
        out.append(f"<p>{esc(t['none'])}</p>")
    out.append("</body></html>")
    return "\n".join(out)
