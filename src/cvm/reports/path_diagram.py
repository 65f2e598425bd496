"""The structural model's path diagram as an inline SVG, for the report and the dashboard.

Drawn from a fitted model's document (:func:`cvm.satisfaction.survey_model.model_overview`):
each construct a box (its name in the reader's language, R² inside the explained ones), each
path an arrow labelled ``coefficient [low, high]`` (the 95 % bootstrap interval). An arrow's
width grows with the coefficient's size; an arrow whose interval includes 0 is grey and dashed.

Layout: a construct's column is its depth in the causal order (0 for a construct no path enters,
else one more than the deepest construct pointing at it); the constructs of a column are stacked
and centred. Arrows run from the right edge of a box to the left edge of the next, their ends
spread along the target's edge so that converging arrows stay apart; each label sits 40 % of
the way along its arrow on a white ground.

Text is SVG ``<text>`` without a font of its own: the page's font stack draws it (Chinese
included), as for the report's other charts; colours are given as presentation attributes, not
CSS, so the PDF renderer reads them as the browser does.
"""

from __future__ import annotations

import math
from html import escape

from ..satisfaction.pls_model import construct_label
from ..satisfaction.wording import survey_text

__all__ = ["path_diagram_svg"]

#: the report charts' colours (Okabe & Ito 2008), as in :mod:`cvm.reports.charts`
_BLUE, _ORANGE, _GREY, _TEXT, _MUTED = "#0072B2", "#E69F00", "#999999", "#333333", "#666666"
_BOX_H, _ROW, _GAP, _MARGIN, _FONT, _SMALL = 46, 66, 230, 12, 13, 11


def _text_width(text: str, size: float) -> float:
    """Approximate drawn width: a CJK character one em, another character 0.6 em."""
    return sum(size if ord(c) > 0x2E7F else 0.6 * size for c in text)


def _number(value, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _depths(names: list[str], paths: list[dict]) -> dict[str, int]:
    depth = {n: 0 for n in names}
    for _ in names:  # the model is recursive: len(names) sweeps settle every depth
        for p in paths:
            depth[p["to"]] = max(depth[p["to"]], depth[p["from"]] + 1)
    return depth


def path_diagram_svg(model: dict, lang: str, *, chart_id: str = "survey-path") -> str:
    """The path diagram of ``model`` (a fitted model's document) in ``lang``, as an ``<svg>``
    element sized by its ``viewBox``."""
    constructs = model["constructs"]
    names = [c["name"] for c in constructs]
    paths = model["paths"]
    depth = _depths(names, paths)
    label = {n: construct_label(n, lang) for n in names}
    r2 = {c["name"]: c.get("r_squared") for c in constructs}
    width = {n: max(96.0, _text_width(label[n], _FONT) + 28) for n in names}
    columns = [[n for n in names if depth[n] == d] for d in range(max(depth.values()) + 1)]
    col_w = [max(width[n] for n in col) for col in columns]
    tallest = max(len(col) for col in columns)
    height = 2 * _MARGIN + (tallest - 1) * _ROW + _BOX_H + 24
    x0, box = float(_MARGIN), {}
    for d, col in enumerate(columns):
        top = _MARGIN + (tallest - len(col)) * _ROW / 2
        for k, n in enumerate(col):
            w = width[n]
            box[n] = (x0 + (col_w[d] - w) / 2, top + k * _ROW, w)
        x0 += col_w[d] + _GAP
    total_w = x0 - _GAP + _MARGIN
    title = survey_text(lang, "path_title")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total_w:.0f} {height:.0f}" '
           f'class="chart-svg" id="{escape(chart_id)}" role="img" aria-label="{escape(title)}" '
           f'style="max-width:{total_w:.0f}px">']
    # arrows first, boxes over their ends
    incoming: dict[str, list[dict]] = {n: [] for n in names}
    for p in paths:
        incoming[p["to"]].append(p)
    for n in names:  # ends spread along the target's left edge, in the sources' vertical order
        incoming[n].sort(key=lambda p: box[p["from"]][1])
    labels = []
    for p in paths:
        a, b = p["from"], p["to"]
        ax, ay, aw = box[a]
        bx, by, _ = box[b]
        k, count = incoming[b].index(p), len(incoming[b])
        spread = min(7.0, (_BOX_H - 10) / max(count - 1, 1))
        x1, y1 = ax + aw, ay + _BOX_H / 2
        x2, y2 = bx, by + _BOX_H / 2 + (k - (count - 1) / 2) * spread
        low, high = p.get("ci_lower"), p.get("ci_upper")
        weak = low is not None and high is not None and low <= 0 <= high
        colour = _GREY if weak else _TEXT
        stroke = 1.0 + 3.0 * min(1.0, abs(p["estimate"]))
        angle = math.atan2(y2 - y1, x2 - x1)
        head = 8.0 + stroke
        ex, ey = x2 - head * math.cos(angle), y2 - head * math.sin(angle)
        dash = ' stroke-dasharray="5 4"' if weak else ""
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" '
                   f'stroke="{colour}" stroke-width="{stroke:.2f}"{dash}/>')
        wing = head * 0.45
        pts = [(x2, y2), (ex - wing * math.sin(angle), ey + wing * math.cos(angle)),
               (ex + wing * math.sin(angle), ey - wing * math.cos(angle))]
        out.append('<polygon points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
                   + f'" fill="{colour}"/>')
        text = _number(p["estimate"], 3)
        if low is not None and high is not None:
            text += f" [{_number(low)}, {_number(high)}]"
        lx, ly = x1 + 0.4 * (x2 - x1), y1 + 0.4 * (y2 - y1)
        tw = _text_width(text, _SMALL) + 6
        labels.append(f'<rect x="{lx - tw / 2:.1f}" y="{ly - 8:.1f}" width="{tw:.1f}" '
                      f'height="15" fill="#ffffff" fill-opacity="0.9"/>'
                      f'<text x="{lx:.1f}" y="{ly + 4:.1f}" font-size="{_SMALL}" '
                      f'text-anchor="middle" fill="{colour}">{escape(text)}</text>')
    for n in names:
        x, y, w = box[n]
        explained = r2.get(n) is not None
        fill, edge = ("#fff4e0", _ORANGE) if explained else ("#e8f1f8", _BLUE)
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{_BOX_H}" rx="6" '
                   f'fill="{fill}" stroke="{edge}" stroke-width="1.5"/>')
        if explained:
            out.append(f'<text x="{x + w / 2:.1f}" y="{y + 19:.1f}" font-size="{_FONT}" '
                       f'text-anchor="middle" fill="{_TEXT}">{escape(label[n])}</text>'
                       f'<text x="{x + w / 2:.1f}" y="{y + 36:.1f}" font-size="{_SMALL}" '
                       f'text-anchor="middle" fill="{_MUTED}">R² = {_number(r2[n], 3)}</text>')
        else:
            out.append(f'<text x="{x + w / 2:.1f}" y="{y + _BOX_H / 2 + 5:.1f}" '
                       f'font-size="{_FONT}" text-anchor="middle" fill="{_TEXT}">'
                       f'{escape(label[n])}</text>')
    out += labels
    out.append(f'<text x="{_MARGIN}" y="{height - 8:.0f}" font-size="{_SMALL}" '
               f'fill="{_MUTED}">{escape(survey_text(lang, "path_note"))}</text>')
    out.append("</svg>")
    return "".join(out)
