"""Parse the dates and timestamps people really write into ``datetime64[us]``.

:func:`parse_dates` accepts, after folding full-width characters (``２０２４／３／５``) and
stripping surrounding whitespace:

* ISO and year-first: ``2024-03-05``, ``2024-3-5``, ``2024/3/5``, ``2024.3.5``;
* eight digits, year first (the CDNOW format): ``20240305`` (also ``20240305.0``);
* Chinese: ``2024年3月5日`` (or ``号``), followed optionally by ``14时22分``, ``14点22分01秒``,
  ``下午2点`` or ``14:22``;
* day-dot-month: ``05.03.2024`` is always 5 March 2024 (day first, as everywhere dots are used);
* slash or dash with the year last: ``5/3/2024`` and ``5-3-2024``. The order is decided once
  per column, from all its values (see :class:`DateOrder`): a value whose first field is above
  12 (``25/03/2024``) can only be day/month/year, one whose second field is above 12
  (``03/25/2024``) only month/day/year. A column where no value decides is read as ``dayfirst``
  says (default: month/day/year, so ``5/3/2024`` is May 3). A value no order can read
  (``13/13/2024``) is an error whose reason says which reading was used;
* English month names: ``Mar 5, 2024``, ``March 5th 2024``, ``5 March 2024``, ``05-Mar-2024``,
  ``05Mar2024``, ``2024-Mar-05``, optionally after a weekday (``Tue, 05 Mar 2024``; the weekday
  is not checked);
* Excel serial day numbers: a plain number from 1 to 2958465 (9999-12-31) with an optional
  fraction of a day, counted from 1899-12-30 as Excel does (``45356`` is 2024-03-05 and
  ``45356.5`` is noon). Serials below 60 follow Excel's calendar, which has a 29 February 1900;
  serial 60 (that day) is an error. The fraction is rounded to the millisecond, as Excel shows it.

Any of the written forms may be followed by a time: ``14:22``, ``14:22:01``, ``14:22:01.123456``
(digits beyond the microsecond are dropped), ``2:22 PM``, ``下午 2:22``, the hour alone
(``2024-03-05 14``, as ISO 8601 allows), separated by a space or ``T``.

Time zones: ``Z``, ``UTC``, ``GMT`` and offsets (``+08:00``, ``+0800``, ``-05``) are accepted
and dropped, keeping the wall-clock time as written: ``2024-03-05T23:30:00+08:00`` is
2024-03-05 23:30. Purchases are counted by the calendar day on which they happened where they
happened; converting to UTC would move them across midnight.

Rejected, with a reason: impossible calendar dates and times (``2024-02-30``, month 13, 24:00),
years outside 1–9999, two-digit years (``05/03/24``, ``5-Mar-24``: the century and often the
order are guesses, reported as ``ambiguous two-digit year``) and anything else (``not a date``).
Missing values are reported as ``"missing"`` (see :data:`cvm.ingest.values.MISSING_TOKENS`).

Speed: a column of ISO dates or timestamps is cast by Arrow's strict C++ parser block by block;
only blocks holding other forms go through the pattern path, which parses each distinct value
once. Measured with 2 million rows on a 2-core machine that was busy with other work (load 5):
ISO dates about 25 million rows/s, ISO timestamps (all distinct) about 13 million, ISO
timestamps ending in ``Z`` about 3 million, dates in other forms with 1000 distinct values
10–14 million, Excel serials 8 million, and 2 million *distinct* timestamps in Chinese form
about 0.3 million rows/s (Arrow's regex extraction is the limit there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cvm.ingest.parsed_column import (
    ParsedColumn,
    fast_cast,
    fold,
    ints,
    is_missing,
    parse_column,
    present,
    reasons,
)

__all__ = ["EXCEL_SERIAL_MAX", "DateOrder", "ParsedDates", "parse_dates"]

EXCEL_SERIAL_MAX = 2958465
"""The largest Excel serial day number, 9999-12-31."""

_NAT = np.datetime64("NaT", "us")
_FIRST = np.datetime64("0001-01-01", "us")  # years 1 to 9999, as the pattern path accepts
_AFTER_LAST = np.datetime64("10000-01-01", "us")
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")

_MONTH = (
    r"(?P<mon>(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?))\.?"
)
_MONTH_ABBREVIATIONS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                        "dec"]
_WEEKDAY = (
    r"(?:(?i:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)\.?,?\s+)?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
_HALF_DAY = r"(?:(?P<half>[上下]午)\s*)?"
_ZONE = r"(?:\s*(?:Z|(?:(?i:UTC|GMT)\s*)?[+-]\d{2}(?::?\d{2})?|(?i:UTC|GMT)))?"


def _clock(separator: str) -> str:
    """An optional time of day after ``separator``: ``14``, ``14:22``, ``2:22:01.5 PM +08:00``."""
    return (
        rf"(?:{separator}{_HALF_DAY}(?P<H>\d{{1,2}})"
        r"(?::(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?)?"
        rf"(?:\s*(?P<ampm>(?i:[ap]\.?m\.?)))?{_ZONE})?$"
    )


_CHINESE_DATE = r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号號]"
_CHINESE_CLOCK = (
    rf"(?:\s*{_HALF_DAY}(?P<H>\d{{1,2}})\s*[时時点點]"
    r"(?:\s*(?P<M>\d{1,2})\s*分(?:\s*(?P<S>\d{1,2})\s*秒)?)?)?$"
)
_TIME = _clock(r"(?:T|\s+)")


@dataclass(frozen=True)
class _Form:
    """One written form: a regular expression with named groups, and how to read them.

    ``order`` is ``"ymd"`` (groups ``y``, ``m`` or ``mon``, ``d``), ``"either"`` (groups ``a``,
    ``b``, ``y``: month/day or day/month as ``dayfirst`` says) or ``"excel"`` (groups ``n``,
    ``f``).
    """

    pattern: str
    order: str = "ymd"


_FORMS: tuple[_Form, ...] = (
    _Form(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _TIME),
    _Form(r"^(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})" + _TIME),
    _Form(r"^(?P<y>\d{4})\.(?P<m>\d{1,2})\.(?P<d>\d{1,2})" + _TIME),
    _Form(r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})" + _TIME),
    _Form(r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})" + _TIME, "either"),
    _Form(r"^(?P<a>\d{1,2})-(?P<b>\d{1,2})-(?P<y>\d{4})" + _TIME, "either"),
    _Form(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:\.0+)?" + _TIME),
    _Form(_CHINESE_DATE + _clock(r"(?:T|\s*)")),
    _Form(_CHINESE_DATE + _CHINESE_CLOCK),
    _Form(rf"^{_WEEKDAY}{_MONTH}\s*(?P<d>\d{{1,2}}){_ORDINAL},?\s+(?P<y>\d{{4}})"
          + _clock(r"(?:T|,?\s+)")),
    _Form(rf"^{_WEEKDAY}(?P<d>\d{{1,2}}){_ORDINAL}[\s/-]*{_MONTH},?[\s/-]*(?P<y>\d{{4}})" + _TIME),
    _Form(rf"^(?P<y>\d{{4}})[\s/-]*{_MONTH}[\s/-]*(?P<d>\d{{1,2}})" + _TIME),
    _Form(r"^(?P<n>\d{1,7})(?:\.(?P<f>\d*))?$", "excel"),
)

_ANY_MONTH = _MONTH.replace("?P<mon>", "")
_TWO_DIGIT_YEAR = (
    r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2}(?:\D|$)"
    rf"|^{_WEEKDAY}\d{{1,2}}{_ORDINAL}[\s/-]*{_ANY_MONTH},?[\s/-]*\d{{2}}(?:\D|$)"
    rf"|^{_WEEKDAY}{_ANY_MONTH}\s*\d{{1,2}}{_ORDINAL},?\s+\d{{2}}(?:\D|$)"
    r"|^\d{2}\s*年"
)


@dataclass(frozen=True)
class DateOrder:
    """How a column's slash or dash dates with the year last (``05/04/2024``) are read, and why.

    ``dayfirst_example`` is the first value only day/month/year can read (``25/03/2024``),
    ``monthfirst_example`` the first only month/day/year can read (``03/25/2024``). One of them
    decides the column; both at once is a column that mixes the two orders (:attr:`mixed`);
    neither leaves the order to the ``dayfirst`` setting (``None``: not set, month first).

    >>> DateOrder(dayfirst_example="25/03/2024").describe()
    'day/month/year, decided from 25/03/2024'
    >>> DateOrder().describe()
    'month/day/year assumed: no value decides; pass --dayfirst for day/month/year'
    """

    dayfirst_example: str | None = None
    monthfirst_example: str | None = None
    setting: bool | None = None

    @property
    def mixed(self) -> bool:
        return self.dayfirst_example is not None and self.monthfirst_example is not None

    @property
    def dayfirst(self) -> bool:
        """The order used: as the values decide, else as set, else month first."""
        if self.dayfirst_example is not None and self.monthfirst_example is None:
            return True
        if self.monthfirst_example is not None and self.dayfirst_example is None:
            return False
        return bool(self.setting)

    def describe(self) -> str:
        order = "day/month/year" if self.dayfirst else "month/day/year"
        example = self.dayfirst_example if self.dayfirst else self.monthfirst_example
        if self.mixed:
            return f"{order} as set, although values of both orders occur"
        if example is not None:
            against = self.setting is not None and self.setting != self.dayfirst
            return (f"{order}, decided from {example}"
                    + (", not as the dayfirst option says" if against else ""))
        if self.setting is None:
            return f"{order} assumed: no value decides; pass --dayfirst for day/month/year"
        return f"{order} as the dayfirst option says: no value decides"


@dataclass(frozen=True)
class ParsedDates(ParsedColumn):
    """A parsed date column, with how its slash or dash dates were read (``order``; ``None``
    when it holds none)."""

    order: DateOrder | None = None


def _field(parts: pa.StructArray, name: str) -> pa.Array | None:
    index = parts.type.get_field_index(name)
    return parts.field(index) if index >= 0 else None


def _calendar(y, m, d, hour, minute, second, micro) -> tuple[np.ndarray, np.ndarray]:
    """Assemble datetime64[us] from integer parts; the mask says which parts form a real time."""
    ok = (y >= 1) & (y <= 9999) & (m >= 1) & (m <= 12) & (d >= 1)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    month = ((np.where(ok, y, 1970) - 1970) * 12 + np.where(ok, m, 1) - 1).astype("datetime64[M]")
    first = month.astype("datetime64[D]")
    ok &= d <= ((month + 1).astype("datetime64[D]") - first).astype(np.int64)
    day = first + np.where(ok, d - 1, 0).astype("timedelta64[D]")
    clock = ((hour * 60 + minute) * 60 + second) * 1_000_000 + micro
    values = day.astype("datetime64[us]") + np.where(ok, clock, 0).astype("timedelta64[us]")
    values[~ok] = _NAT
    return values, ok


def _clock_parts(parts: pa.StructArray) -> tuple[np.ndarray, ...]:
    """Hour (24-hour clock), minute, second and microsecond, and a mask of valid 12-hour use."""
    hour = ints(parts.field("H"))
    minute = ints(_field(parts, "M"))
    second = ints(_field(parts, "S"))
    fraction = _field(parts, "F")
    micro = np.zeros(len(parts), np.int64)
    if fraction is not None:
        micro = ints(pc.utf8_rpad(pc.utf8_slice_codeunits(fraction, 0, 6), 6, "0"))
    half = pc.utf8_lower(_field(parts, "half"))
    ampm = _field(parts, "ampm")
    if ampm is not None:
        half = pc.binary_join_element_wise(half, pc.utf8_lower(ampm), "")
    twelve = present(half)
    pm = pc.match_substring_regex(half, "p|下").fill_null(False).to_numpy(zero_copy_only=False)
    hour_ok = ~twelve | ((hour >= 1) & (hour <= 12))
    hour = np.where(twelve, hour % 12 + 12 * pm, hour)
    return hour, minute, second, micro, hour_ok


def _read_form(form: _Form, parts: pa.StructArray, dayfirst: bool) -> tuple[np.ndarray, ...]:
    """Datetimes and validity for values that matched ``form``."""
    if form.order == "excel":
        serial = ints(parts.field("n"))
        fraction = pc.binary_join_element_wise("0.", parts.field("f"), "0", "")
        fraction = pc.cast(fraction, pa.float64()).to_numpy(zero_copy_only=False)
        ok = (serial >= 1) & (serial <= EXCEL_SERIAL_MAX) & (serial != 60)
        days = np.where(serial < 60, serial + 1, serial)
        micro = np.rint(fraction * 86_400_000).astype(np.int64) * 1000
        values = (_EXCEL_EPOCH + np.where(ok, days, 0).astype("timedelta64[D]")).astype(
            "datetime64[us]"
        ) + micro.astype("timedelta64[us]")
        values[~ok] = _NAT
        return values, ok
    year = ints(parts.field("y"))
    day_field = _field(parts, "d")
    if form.order == "either":
        first, second = ints(parts.field("a")), ints(parts.field("b"))
        month, day = (second, first) if dayfirst else (first, second)
    elif day_field is not None and _field(parts, "mon") is not None:
        name = pc.utf8_slice_codeunits(pc.utf8_lower(parts.field("mon")), 0, 3)
        month = pc.index_in(name, value_set=pa.array(_MONTH_ABBREVIATIONS)).to_numpy(
            zero_copy_only=False
        ) + 1
        day = ints(day_field)
    else:
        month, day = ints(parts.field("m")), ints(day_field)
    hour, minute, second_, micro, hour_ok = _clock_parts(parts)
    values, ok = _calendar(year, month, day, hour, minute, second_, micro)
    ok &= hour_ok
    values[~ok] = _NAT
    return values, ok


def _date_order(raw: pa.Array, text: pa.Array, pending: np.ndarray,
                setting: bool | None) -> DateOrder | None:
    """Which order the values' slash or dash dates with the year last prove (first examples
    in the order given, which is the order of first appearance)."""
    where = np.flatnonzero(pending)
    first_fields, second_fields, hits = [], [], []
    for form in _FORMS:
        if form.order != "either" or not where.size:
            continue
        parts = pc.extract_regex(text.take(pa.array(where)), form.pattern)
        matched = parts.is_valid().to_numpy(zero_copy_only=False)
        parts = parts.filter(pa.array(matched))
        first_fields.append(ints(parts.field("a")))
        second_fields.append(ints(parts.field("b")))
        hits.append(where[matched])
    rows = np.concatenate(hits) if hits else np.empty(0, np.int64)
    if not rows.size:
        return None
    a, b = np.concatenate(first_fields), np.concatenate(second_fields)
    examples = []
    for proof in ((a > 12) & (a <= 31) & (b >= 1) & (b <= 12),
                  (b > 12) & (b <= 31) & (a >= 1) & (a <= 12)):
        found = rows[proof]
        examples.append(raw[int(found.min())].as_py() if found.size else None)
    return DateOrder(examples[0], examples[1], setting)


def _parse_date_text(raw: pa.Array, dayfirst: bool | None
                     ) -> tuple[np.ndarray, np.ndarray, DateOrder | None]:
    n = len(raw)
    values = np.full(n, _NAT)
    errors = np.full(n, None, dtype=object)
    text = fold(raw)
    missing = is_missing(text)
    errors[missing] = "missing"
    pending = ~missing
    order = _date_order(raw, text, pending, dayfirst)
    dayfirst = order.dayfirst if order is not None else bool(dayfirst)
    for form in _FORMS:
        where = np.flatnonzero(pending)
        if not where.size:
            break
        parts = pc.extract_regex(text.take(pa.array(where)), form.pattern)
        matched = parts.is_valid().to_numpy(zero_copy_only=False)
        if not matched.any():
            continue
        hits = where[matched]
        parsed, ok = _read_form(form, parts.filter(pa.array(matched)), dayfirst)
        values[hits[ok]] = parsed[ok]
        pending[hits] = False
        bad = hits[~ok]
        if bad.size:
            hint = ""
            if form.order == "either":
                hint = " (read as day/month/year)" if dayfirst else " (read as month/day/year)"
            errors[bad] = reasons("not a date: ", raw.take(pa.array(bad)), hint)
    rest = np.flatnonzero(pending)
    if rest.size:
        two_digit = pc.match_substring_regex(text.take(pa.array(rest)), _TWO_DIGIT_YEAR)
        two_digit = two_digit.to_numpy(zero_copy_only=False)
        rest_raw = raw.take(pa.array(rest))
        errors[rest] = np.where(
            two_digit,
            reasons("ambiguous two-digit year: ", rest_raw),
            reasons("not a date: ", rest_raw),
        )
    return values, errors, order


_ISO_ZONE = r"(:\d\d(?:\.\d+)?)" + _ZONE.removeprefix("(?:").removesuffix(")?") + "$"


def _in_range(values: np.ndarray) -> np.ndarray:
    return (values >= _FIRST) & (values < _AFTER_LAST)


def _fast_dates(raw: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Arrow's ISO 8601 cast; if a sample of the values it refuses all end in a time zone, they
    are retried once without it."""
    values, settled = fast_cast(raw, pa.timestamp("us"), "datetime64[us]", _in_range)
    rest = np.flatnonzero(~settled)
    sample = rest[np.linspace(0, rest.size - 1, min(64, rest.size)).astype(np.int64)]
    zoned = pc.match_substring_regex(raw.take(pa.array(sample)), _ISO_ZONE)
    if rest.size and pc.all(zoned).as_py():
        bare = pc.replace_substring_regex(raw.take(pa.array(rest)), _ISO_ZONE, r"\1")
        rest_values, rest_settled = fast_cast(bare, pa.timestamp("us"), "datetime64[us]", _in_range)
        values[rest[rest_settled]] = rest_values[rest_settled]
        settled[rest[rest_settled]] = True
    return values, settled


def parse_dates(values: Any, *, dayfirst: bool | None = None) -> ParsedDates:
    """Parse a column of dates or timestamps as people write them into ``datetime64[us]``.

    See the module docstring for every accepted form and the decisions on time zones, two-digit
    years and Excel serials. The order of slash or dash dates with the year last is decided
    from the column's values; ``dayfirst`` is used only where no value decides (``None``: month
    first). ``order`` on the result says which order was used and why.

    >>> column = parse_dates(["2024-03-05", "2024/3/5 14:22", "2024年3月5日", "20240305",
    ...                       "05.03.2024", "45356", "Mar 5, 2024", "2024-03-05T14:22:01+08:00"])
    >>> [str(value) for value in column.values]  # doctest: +NORMALIZE_WHITESPACE
    ['2024-03-05T00:00:00.000000', '2024-03-05T14:22:00.000000', '2024-03-05T00:00:00.000000',
     '2024-03-05T00:00:00.000000', '2024-03-05T00:00:00.000000', '2024-03-05T00:00:00.000000',
     '2024-03-05T00:00:00.000000', '2024-03-05T14:22:01.000000']
    >>> parse_dates(["5/3/2024"]).values, parse_dates(["5/3/2024"], dayfirst=True).values
    (array(['2024-05-03T00:00:00.000000'], dtype='datetime64[us]'),
     array(['2024-03-05T00:00:00.000000'], dtype='datetime64[us]'))
    >>> column = parse_dates(["05/04/2024", "25/03/2024"])
    >>> column.values, column.order.describe()
    (array(['2024-04-05T00:00:00.000000', '2024-03-25T00:00:00.000000'],
          dtype='datetime64[us]'), 'day/month/year, decided from 25/03/2024')
    >>> parse_dates(["", "2024-02-30", "13/13/2024", "05/03/24", "soon"]).errors.tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    ['missing', "not a date: '2024-02-30'", "not a date: '13/13/2024' (read as month/day/year)",
     "ambiguous two-digit year: '05/03/24'", "not a date: 'soon'"]
    """
    orders: list[DateOrder | None] = []

    def parse(distinct: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        parsed, errors, order = _parse_date_text(distinct, dayfirst)
        orders.append(order)
        return parsed, errors

    column = parse_column(values, parse, dtype="datetime64[us]", null_value=_NAT,
                          fast=_fast_dates)
    return ParsedDates(column.values, column.errors, orders[0] if orders else None)
