"""Numbers, money, percentages and dates as the report shows them, in English or Chinese.

Every figure in the report goes through these functions, so a number reads the same in the written
summary, in the tables and on the charts.
"""

from __future__ import annotations

import datetime as dt
import math

__all__ = [
    "format_int",
    "format_number",
    "format_percent",
    "format_money",
    "money_digits",
    "format_compact",
    "format_date",
    "format_datetime",
    "round_step",
]

_MISSING = "–"


def _is_missing(value) -> bool:
    if value is None:
        return True
    import pandas as pd  # here, not at import: the command line's summary needs no pandas

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_int(value) -> str:
    """A whole number with thousands separators: ``1234567`` → ``'1,234,567'``."""
    if _is_missing(value):
        return _MISSING
    return f"{round(float(value)):,}"


def format_number(value, digits: int = 1) -> str:
    """A number with thousands separators and ``digits`` decimals: ``1234.56`` → ``'1,234.6'``."""
    if _is_missing(value):
        return _MISSING
    return f"{float(value):,.{digits}f}"


def format_percent(share, digits: int = 0) -> str:
    """A share (0–1) as a percentage: ``0.683`` → ``'68%'``.

    A share that would round to 0 % or 100 % without being exactly 0 or 1 gets up to three more
    decimals (``'0.4%'``, ``'99.7%'``, ``'0.03%'``).
    """
    if _is_missing(share):
        return _MISSING
    pct = round(float(share) * 100.0, 9)  # float sums of shares land a hair off 100
    text = f"{pct:.{digits}f}"
    if pct not in (0.0, 100.0):
        # a small group never reads as "0 %", a near-total one never as "100 %"
        extra = digits
        while extra < digits + 3 and float(text) in (0.0, 100.0):
            extra += 1
            text = f"{pct:.{extra}f}"
    return f"{text}%"


def format_money(value, symbol: str = "", digits: int | None = None) -> str:
    """An amount with the currency symbol and thousands separators: ``'¥1,234'``.

    Without ``digits``, amounts of 1,000 or more have no decimals and smaller amounts have two.
    """
    if _is_missing(value):
        return _MISSING
    value = float(value)
    if digits is None:
        digits = 0 if abs(value) >= 1000 else 2
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.{digits}f}"


def money_digits(amounts) -> int:
    """Decimals for a column of amounts: none when any reaches 1,000, else cents — one choice
    per column, so the decimal points line up.

    >>> money_digits([12.5, 999.99]), money_digits([12.5, 1000])
    (2, 0)
    """
    import pandas as pd

    values = pd.to_numeric(pd.Series(amounts), errors="coerce").abs()
    return 0 if len(values) and float(values.max()) >= 1000 else 2


def format_compact(value, lang: str = "en", symbol: str = "") -> str:
    """A short amount for sentences and chart labels.

    English uses k / M / B (``'$1.2M'``); Chinese uses 万 and 亿 (``'¥123.5万'``).
    """
    if _is_missing(value):
        return _MISSING
    value = float(value)
    sign = "-" if value < 0 else ""
    size = abs(value)
    if lang == "zh":
        steps = ((1e8, "亿"), (1e4, "万"))
    else:
        steps = ((1e9, "B"), (1e6, "M"), (1e3, "k"))
    for base, suffix in steps:
        if size >= base:
            scaled = size / base
            text = _significant(scaled)
            return f"{sign}{symbol}{text}{suffix}"
    if size >= 10 or size == int(size):
        return f"{sign}{symbol}{size:,.0f}"
    return f"{sign}{symbol}{size:.2f}".rstrip("0").rstrip(".")


def _significant(scaled: float) -> str:
    """Three significant figures, at most one trailing decimal place beyond them dropped."""
    if scaled >= 100:
        text = f"{scaled:,.0f}"
    elif scaled >= 10:
        text = f"{scaled:.1f}"
    else:
        text = f"{scaled:.2f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _to_datetime(value) -> dt.datetime | None:
    if _is_missing(value):
        return None
    if isinstance(value, str):
        import pandas as pd

        try:
            return pd.Timestamp(value).to_pydatetime()
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return None


def format_date(value, lang: str = "en") -> str:
    """A date: ``'2024-06-30'`` in English, ``'2024年6月30日'`` in Chinese."""
    moment = _to_datetime(value)
    if moment is None:
        return _MISSING if _is_missing(value) else str(value)
    if lang == "zh":
        return f"{moment.year}年{moment.month}月{moment.day}日"
    return moment.strftime("%Y-%m-%d")


def format_datetime(value, lang: str = "en") -> str:
    """A date and time to the minute, for the report's creation stamp."""
    moment = _to_datetime(value)
    if moment is None:
        return _MISSING if _is_missing(value) else str(value)
    return f"{format_date(moment, lang)} {moment:%H:%M}"


def round_step(span: float, n_steps: int) -> float:
    """The smallest 1, 2 or 5 × 10^k at least ``span / n_steps``: the width of histogram bins
    whose edges read as round numbers (0, 20, 40 … rather than 0, 291.1, 582.3 …).

    >>> round_step(8733, 30), round_step(1.2, 10), round_step(100, 10)
    (500.0, 0.2, 10.0)
    """
    raw = span / n_steps
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= raw * (1 - 1e-9))
