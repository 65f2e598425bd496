"""The result of parsing a column of raw cells, and the column machinery shared by the parsers.

Parsers in :mod:`cvm.ingest.values` and :mod:`cvm.ingest.dates` take a column of strings (a
pyarrow string array or chunked array, a pandas Series, a NumPy array or a list of ``str`` /
``None``) and return a :class:`ParsedColumn`. They first try Arrow's strict C++ cast block by
block (:func:`fast_cast`) and send only the rest through a pattern path that parses each distinct
value once (:func:`parse_distinct`) with vectorised Arrow string functions; no parser loops over
rows in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "MISSING_TOKENS",
    "QUOTE_LIMIT",
    "ParsedColumn",
    "as_string_array",
    "fast_cast",
    "fold",
    "ints",
    "is_missing",
    "parse_column",
    "parse_distinct",
    "present",
    "quoted",
    "reasons",
]

MISSING_TOKENS: frozenset[str] = frozenset({"", "na", "n/a", "#n/a", "null", "none", "-", "--"})
"""Placeholders read as a missing value (after stripping, case-insensitively)."""

QUOTE_LIMIT = 40
"""Values quoted in a reason are cut to this many characters, followed by ``…``."""

_BLOCK = 1 << 16  # rows per block tried by the fast cast
_MIN_BLOCK = 2048  # a failing block is halved down to this size before it goes to the pattern path
_PROBE = 64  # rows sampled from a block to decide whether to try casting it


@dataclass(frozen=True)
class ParsedColumn:
    """A parsed column: one value and one reason (or ``None``) per input row.

    ``values`` is float64 for numbers (NaN where invalid), datetime64[us] for dates (NaT where
    invalid) and an object array of ``str`` for ids and text (``None`` where invalid or empty).
    ``errors`` is an object array holding ``None`` where the value was accepted and a short
    reason otherwise.

    >>> column = ParsedColumn(np.array([12.0, np.nan]), np.array([None, "not a number: 'x'"]))
    >>> column.ok
    array([ True, False])
    >>> len(column)
    2
    """

    values: np.ndarray
    errors: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask, ``True`` where the value was accepted."""
        return np.equal(self.errors, None)

    def __len__(self) -> int:
        return len(self.values)


def as_string_array(values: Any) -> pa.Array:
    """Return ``values`` as one contiguous Arrow string array (nulls kept).

    Non-string Arrow columns are cast to strings; float NaN counts as missing.

    >>> as_string_array(["a", None]).to_pylist()
    ['a', None]
    >>> as_string_array(pa.array([1.5, float("nan")])).to_pylist()
    ['1.5', None]
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    if not isinstance(values, pa.Array):
        values = pa.array(values, from_pandas=True)  # any iterable, generators included
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    if pa.types.is_floating(values.type):
        values = pc.if_else(pc.is_nan(values), pa.scalar(None, values.type), values)
    if not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    return values


def fold(text: pa.Array) -> pa.Array:
    """Strip surrounding whitespace and apply Unicode NFKC (full-width to half-width)."""
    return pc.utf8_trim_whitespace(pc.utf8_normalize(text, "NFKC"))


def is_missing(folded: pa.Array) -> np.ndarray:
    """Boolean mask of folded values that are a missing-value placeholder or null."""
    hit = pc.is_in(pc.utf8_lower(folded), value_set=pa.array(sorted(MISSING_TOKENS)))
    return pc.or_(hit, pc.is_null(folded)).to_numpy(zero_copy_only=False)


def quoted(raw: pa.Array) -> pa.Array:
    """Quote values for a reason: control characters blanked, cut to :data:`QUOTE_LIMIT`."""
    text = pc.replace_substring_regex(raw, r"[\x00-\x1f\x7f]", " ")
    cut = pc.utf8_slice_codeunits(text, 0, QUOTE_LIMIT)
    long = pc.greater(pc.utf8_length(text), QUOTE_LIMIT)
    cut = pc.if_else(long, pc.binary_join_element_wise(cut, "…", ""), cut)
    return pc.binary_join_element_wise("'", cut, "'", "")


def reasons(prefix: str, raw: pa.Array, suffix: str = "") -> np.ndarray:
    """Object array of ``prefix + quoted value + suffix``, e.g. ``not a number: '12x'``."""
    joined = pc.binary_join_element_wise(prefix, quoted(raw), suffix, "")
    return np.asarray(joined.to_numpy(zero_copy_only=False), dtype=object)


def ints(field: pa.Array) -> np.ndarray:
    """int64 NumPy array from a string array of ASCII digits; ``""`` and null become 0."""
    digits = pc.if_else(pc.equal(pc.utf8_length(field), 0), "0", field).fill_null("0")
    return pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)


def present(field: pa.Array) -> np.ndarray:
    """Boolean mask: the optional regex group matched something."""
    return pc.greater(pc.utf8_length(field), 0).fill_null(False).to_numpy(zero_copy_only=False)


def _casts(raw: pa.Array, target: pa.DataType) -> pa.Array | None:
    try:
        return pc.cast(raw, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def fast_cast(
    raw: pa.Array,
    target: pa.DataType,
    dtype: Any,
    accept: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cast ``raw`` to ``target`` with Arrow's strict parser, block by block.

    Returns the cast values (a NumPy array of ``dtype``) and a mask of rows that were settled:
    cast successfully (and passing ``accept``, if given) or null. Arrow's cast fails as a whole
    and a failing value costs about a microsecond, so each block is first probed with a sample
    of its rows: a block whose sample fails is left to the pattern path; a block whose sample
    casts but which fails as a whole is halved until the failing parts are small.
    """
    n = len(raw)
    out = np.empty(n, dtype=dtype)
    settled = np.zeros(n, dtype=bool)
    stack = []
    for start in range(0, n, _BLOCK):
        length = min(_BLOCK, n - start)
        sample = np.linspace(start, start + length - 1, min(_PROBE, length)).astype(np.int64)
        if _casts(raw.take(pa.array(sample)), target) is not None:
            stack.append((start, length))
    stack.reverse()
    while stack:
        start, length = stack.pop()
        cast = _casts(raw.slice(start, length), target)
        if cast is None:
            if length > _MIN_BLOCK:
                half = length // 2
                stack += [(start + half, length - half), (start, half)]
            continue
        block = np.asarray(cast.to_numpy(zero_copy_only=False), dtype=dtype)
        out[start : start + length] = block
        good = cast.is_null().to_numpy(zero_copy_only=False)
        settled[start : start + length] = good | (accept(block) if accept else True)
    return out, settled


def parse_distinct(
    raw: pa.Array,
    parse: Callable[[pa.Array], tuple[np.ndarray, np.ndarray]],
    null_value: Any,
    null_error: str | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Parse each distinct value of ``raw`` once with ``parse`` and map the results back.

    ``parse`` takes the distinct (non-null) values and returns their values and errors; null rows
    get ``null_value`` and ``null_error``.
    """
    encoded = pc.dictionary_encode(raw)
    distinct = encoded.dictionary
    values, errors = parse(distinct)
    values = np.append(values, np.array([null_value], dtype=values.dtype))
    errors = np.append(errors, np.array([null_error], dtype=object))
    index = encoded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False)
    return values[index], errors[index]


def parse_column(
    values: Any,
    parse: Callable[[pa.Array], tuple[np.ndarray, np.ndarray]],
    *,
    dtype: Any,
    null_value: Any,
    null_error: str | None = "missing",
    fast: Callable[[pa.Array], tuple[np.ndarray, np.ndarray]] | None = None,
) -> ParsedColumn:
    """Run the optional block-wise ``fast`` cast, then ``parse`` the distinct remaining values."""
    raw = as_string_array(values)
    n = len(raw)
    if fast is None:
        out, err = parse_distinct(raw, parse, null_value, null_error)
        return ParsedColumn(out.astype(dtype, copy=False), err)
    # Empty cells are the commonest thing the fast cast refuses; as nulls they cannot spoil a block.
    raw = pc.if_else(pc.equal(raw, ""), pa.scalar(None, raw.type), raw)
    out, settled = fast(raw)
    out = out.astype(dtype, copy=False)
    err = np.full(n, None, dtype=object)
    null = raw.is_null().to_numpy(zero_copy_only=False)
    out[null] = null_value
    err[null] = null_error
    rest = np.flatnonzero(~settled)
    if rest.size:
        rest_values, rest_errors = parse_distinct(
            raw.take(pa.array(rest)), parse, null_value, null_error
        )
        out[rest] = rest_values
        err[rest] = rest_errors
    return ParsedColumn(out, err)
