"""The column machinery under the parsers (`cvm.ingest.parsed_column`): inputs of every kind,
missing values, quoting in reasons, the digit and group helpers, and the block-wise fast cast
with its halving, checked value by value against the pattern path."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cvm.ingest.parsed_column import (ParsedColumn, as_string_array, fast_cast, ints, is_missing,
                                      parse_column, present, quoted, reasons)
from cvm.ingest.values import parse_numbers


def test_parsed_column_is_frozen_and_sized():
    column = ParsedColumn(np.array([1.0, np.nan, 3.0]), np.array([None, "missing", None]))
    assert len(column) == 3
    assert column.ok.tolist() == [True, False, True]
    with pytest.raises(dataclasses.FrozenInstanceError):
        column.values = np.array([])


@pytest.mark.parametrize("values, expected", [
    (pa.chunked_array([["a"], [None, "b"]]), ["a", None, "b"]),
    (pa.chunked_array([], pa.string()), []),
    (pa.array(["x", "y", "x"]).dictionary_encode(), ["x", "y", "x"]),
    (pa.array([1.5, float("nan"), None]), ["1.5", None, None]),
    (pa.array([3, None], pa.int64()), ["3", None]),
    (pa.array(["a"], pa.large_string()), ["a"]),
    (["a", None, float("nan")], ["a", None, None]),
    (np.array(["a", None], dtype=object), ["a", None]),
    (pd.Series(["a", None, np.nan]), ["a", None, None]),
    ((v for v in ["g", None]), ["g", None]),  # no len(): read once
])
def test_as_string_array(values, expected):
    out = as_string_array(values)
    assert isinstance(out, pa.Array) and pa.types.is_string(out.type)
    assert out.to_pylist() == expected


def test_missing_quoting_and_the_group_helpers():
    assert is_missing(pa.array([None, "NA", "n/a", "--", "x", "0", "none"])).tolist() == [
        True, True, True, True, False, False, True]
    assert quoted(pa.array(["ab", "a\tb\x7f", "x" * 41, "y" * 40])).to_pylist() == [
        "'ab'", "'a b '", "'" + "x" * 40 + "…'", "'" + "y" * 40 + "'"]
    assert reasons("bad: ", pa.array(["q"]), " here").tolist() == ["bad: 'q' here"]
    assert ints(pa.array(["12", "", None, "007", "1"])).tolist() == [12, 0, 0, 7, 1]
    assert present(pa.array(["(", "", None, "ab"])).tolist() == [True, False, False, True]


@pytest.mark.parametrize("n, odd, unsettled", [
    # two blocks (65,536 and 4,464 rows) whose probes of 64 rows miss the bad values: the first
    # is halved down to blocks of 2,048 rows, the second to two blocks of 1,116 around 67,001
    (70_000, [1000, 2047, 2048, 40_001, 67_001], 3 * 2048 + 1116),
    # a second block of 4,098 rows: halved to 2,049, which is still above 2,048, so once more
    (69_634, [65_636], 1024),
    (5000, [4999], 5000),  # the probe of the only block reads the bad last row: none settled
    (3, [1], 3),
])
def test_fast_cast_settles_every_good_row_and_no_other(n, odd, unsettled):
    texts = [f"{i}.25" for i in range(n)]
    for i in odd:
        texts[i] = "¥1"
    raw = pa.array(texts)
    values, settled = fast_cast(raw, pa.float64(), np.float64, accept=np.isfinite)
    assert not settled[odd].any()
    assert n - settled.sum() == unsettled
    good = np.flatnonzero(settled)
    np.testing.assert_array_equal(values[good], np.arange(n)[good] + 0.25)
    parsed = parse_numbers(raw)
    expected = np.arange(n) + 0.25
    expected[odd] = 1.0
    np.testing.assert_array_equal(parsed.values, expected)
    assert parsed.ok.all()


def test_fast_cast_accepts_nulls_and_checks_with_accept():
    raw = pa.array(["1.5", None, "inf", "2"])
    values, settled = fast_cast(raw, pa.float64(), np.float64, accept=np.isfinite)
    assert settled.tolist() == [True, True, False, True]
    assert values[[0, 3]].tolist() == [1.5, 2.0]
    _, without = fast_cast(raw, pa.float64(), np.float64)
    assert without.tolist() == [True, True, True, True]
    _, refused = fast_cast(pa.array(["x"] * 100), pa.float64(), np.float64)
    assert refused.tolist() == [False] * 100


def test_parse_column_with_and_without_a_fast_path():
    def parse(distinct):
        return (np.array([len(v) for v in distinct.to_pylist()], dtype=float),
                np.array([None if v != "bad" else "no" for v in distinct.to_pylist()],
                         dtype=object))

    plain = parse_column(["ab", None, "bad", "ab"], parse, dtype=np.float64, null_value=-1.0)
    assert plain.values.tolist() == [2.0, -1.0, 3.0, 2.0]
    assert plain.errors.tolist() == [None, "missing", "no", None]

    def fast(raw):
        return fast_cast(raw, pa.float64(), np.float64, accept=np.isfinite)

    mixed = parse_column(["7", "", None, "bad", "x"], parse, dtype=np.float64, null_value=-1.0,
                         null_error="empty", fast=fast)
    # the probe of the block reads 'bad': every row goes to the pattern path
    assert mixed.values.tolist() == [1.0, -1.0, -1.0, 3.0, 1.0]
    assert mixed.errors.tolist() == [None, "empty", "empty", "no", None]
    clean = parse_column(["7", "8"], parse, dtype=np.float64, null_value=-1.0, fast=fast)
    assert clean.values.tolist() == [7.0, 8.0] and clean.errors.tolist() == [None, None]
