"""Input tables for the models: declarative validation and compression to unique rows.

Each model declares the columns it reads and the rules they must satisfy as data (a tuple of
`Rule`); `read_table` checks them all in one place and reports the first offending row. The
likelihoods are then evaluated on the table of unique rows with a count per row (the same
likelihood, far fewer rows).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Rule", "read_table", "read_horizon", "compress", "RFStats", "rf_stats", "RF_RULES", "wsum"]

WEIGHTS = "weights"


def wsum(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """sum_i weights[i] * values[..., i], without BLAS: a BLAS dot wakes its thread pool on
    every call, which costs milliseconds per likelihood evaluation on a busy machine."""
    return np.einsum("...i,i->...", values, weights)


@dataclass(frozen=True)
class Rule:
    """A row-wise condition: ``bad(columns)`` returns a boolean mask of offending rows."""

    message: str
    bad: Callable[[dict[str, np.ndarray]], np.ndarray]
    columns: tuple[str, ...]


def _not_integer(v: np.ndarray) -> np.ndarray:
    return v != np.round(v)


def read_table(data, required: tuple[str, ...], rules: tuple[Rule, ...], *, model: str,
               optional: tuple[str, ...] = (WEIGHTS,)) -> dict[str, np.ndarray]:
    """Read ``required`` (and present ``optional``) columns as float arrays and check ``rules``.

    ``data`` is a pandas DataFrame or a mapping of column name to array. Raises ``ValueError``
    naming the column, the rule, how many rows break it and the first such row.
    """
    if not isinstance(data, (pd.DataFrame, Mapping)):
        raise TypeError(f"{model}: data must be a pandas DataFrame or a mapping of arrays, "
                        f"not {type(data).__name__}")
    present = set(data.columns) if isinstance(data, pd.DataFrame) else set(data.keys())
    missing = [c for c in required if c not in present]
    if missing:
        raise ValueError(f"{model}: missing column(s) {missing}; needs {list(required)}"
                         f" (optional: {list(optional)})")
    cols: dict[str, np.ndarray] = {}
    for name in required + tuple(c for c in optional if c in present):
        try:
            values = np.asarray(data[name], dtype=float).ravel()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{model}: column '{name}' is not numeric ({exc})") from None
        cols[name] = values
    lengths = {len(v) for v in cols.values()}
    if len(lengths) != 1:
        raise ValueError(f"{model}: columns have different lengths {sorted(lengths)}")
    if lengths.pop() == 0:
        raise ValueError(f"{model}: data has no rows")
    base_rules = tuple(
        Rule(f"'{name}' must be finite (no NaN or infinity)", lambda c, n=name: ~np.isfinite(c[n]), (name,))
        for name in cols
    )
    if WEIGHTS in cols:
        base_rules += (Rule("'weights' must be >= 0", lambda c: c[WEIGHTS] < 0, (WEIGHTS,)),)
    for rule in base_rules + rules:
        if not all(c in cols for c in rule.columns):
            continue
        with np.errstate(invalid="ignore"):
            bad = np.asarray(rule.bad(cols), dtype=bool)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            shown = ", ".join(f"{c}={cols[c][first]:g}" for c in rule.columns)
            raise ValueError(f"{model}: {rule.message}; {int(bad.sum())} row(s) break this, "
                             f"the first is row {first} ({shown})")
    if WEIGHTS in cols and not cols[WEIGHTS].sum() > 0:
        raise ValueError(f"{model}: 'weights' sum to zero")
    return cols


def compress(columns: list[np.ndarray], weights: np.ndarray | None = None):
    """Unique rows of ``columns`` with the summed weight of each.

    Returns ``(unique_columns, counts, inverse)`` where ``unique_columns[k][inverse]``
    reproduces ``columns[k]``.
    """
    n = len(columns[0])
    codes, _ = pd.factorize(columns[0])
    for col in columns[1:]:
        c2, u2 = pd.factorize(col)
        codes, _ = pd.factorize(codes.astype(np.int64) * max(len(u2), 1) + c2)
    inverse = codes.astype(np.intp)
    n_unique = int(inverse.max()) + 1 if n else 0
    first = np.empty(n_unique, dtype=np.intp)
    first[inverse[::-1]] = np.arange(n - 1, -1, -1)
    counts = np.bincount(inverse, weights=weights, minlength=n_unique).astype(float)
    return [col[first] for col in columns], counts, inverse


# --- frequency / recency / T tables (BG/NBD, MBG/NBD, Pareto/NBD) -------------------------

RF_REQUIRED = ("frequency", "recency", "T")
RF_RULES = (
    Rule("'frequency' must be >= 0", lambda c: c["frequency"] < 0, ("frequency",)),
    Rule("'frequency' must be a whole number of repeat purchases",
         lambda c: _not_integer(c["frequency"]), ("frequency",)),
    Rule("'recency' must be >= 0", lambda c: c["recency"] < 0, ("recency",)),
    Rule("'T' must be >= 0", lambda c: c["T"] < 0, ("T",)),
    Rule("'recency' (time from first to last purchase) must not exceed 'T' (time from first "
         "purchase to the end of the period)",
         lambda c: c["recency"] > c["T"] * (1 + 1e-12), ("recency", "T")),
    Rule("'recency' must be 0 when 'frequency' is 0 (no repeat purchase, so the last purchase "
         "is the first)", lambda c: (c["frequency"] == 0) & (c["recency"] != 0), ("frequency", "recency")),
    # a repeat purchase at the time of the first one is a time the model cannot produce; when
    # every repeat buyer has it the likelihood grows without bound and predictions become 0
    Rule("'recency' must be > 0 when 'frequency' > 0 (the last repeat purchase comes after the "
         "first purchase; purchases on the same day are one transaction)",
         lambda c: (c["frequency"] > 0) & (c["recency"] <= 0), ("frequency", "recency")),
)

HORIZON_RULES = (Rule("'t' (the prediction horizon) must be >= 0", lambda c: c["t"] < 0, ("t",)),)


def read_horizon(t, *, model: str) -> np.ndarray:
    """The prediction horizon ``t`` (a number or an array) as a float array of its shape, after
    the same checks as a table column: finite and >= 0 (the first bad entry is named)."""
    values = np.asarray(t, dtype=float)
    read_table({"t": values.ravel()}, ("t",), HORIZON_RULES, model=model, optional=())
    return values


@dataclass(frozen=True)
class RFStats:
    """Sufficient statistics of a frequency/recency/T table, compressed to unique rows.

    ``x_values`` are the distinct frequencies and ``x_index`` maps each row to its entry, so
    that terms depending on x alone are computed once per distinct x.
    """

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    weight: np.ndarray
    x_values: np.ndarray
    x_index: np.ndarray
    inverse: np.ndarray
    pair_x: np.ndarray
    pair_time: np.ndarray
    pair_index_recency: np.ndarray
    pair_index_T: np.ndarray

    @property
    def n_customers(self) -> float:
        return float(self.weight.sum())

    @property
    def x_weight(self) -> np.ndarray:
        return np.bincount(self.x_index, weights=self.weight, minlength=self.x_values.size)


def rf_stats(data, *, model: str, use_weights: bool = True) -> RFStats:
    cols = read_table(data, RF_REQUIRED, RF_RULES, model=model)
    weights = cols.get(WEIGHTS) if use_weights else None
    (x, t_x, T), counts, inverse = compress([cols["frequency"], cols["recency"], cols["T"]], weights)
    x_values, x_index = np.unique(x, return_inverse=True)
    (pair_x, pair_time), _, pair_inverse = compress([np.concatenate([x, x]), np.concatenate([t_x, T])])
    n = x.size
    return RFStats(x, t_x, T, counts, x_values, x_index.astype(np.intp), inverse,
                   pair_x, pair_time, pair_inverse[:n], pair_inverse[n:])
