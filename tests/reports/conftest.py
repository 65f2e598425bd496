"""Synthetic inputs for the report: customer, segment and Pareto tables of the pipeline's shape."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cvm.schema import CUSTOMER_FEATURE_COLUMNS

AS_OF = dt.date(2024, 6, 30)

#: A few segments of the eleven-segment map, decided on R and F scores, in display order.
SEGMENT_LABELS = {
    "en": {"champions": "Champions", "loyal": "Loyal", "new": "New Customers",
           "at_risk": "At Risk", "hibernating": "Hibernating", "lost": "Lost"},
    "zh": {"champions": "重要价值客户", "loyal": "忠诚客户", "new": "新客户",
           "at_risk": "流失风险客户", "hibernating": "沉睡客户", "lost": "已流失客户"},
}


def _segment(r: np.ndarray, f: np.ndarray) -> np.ndarray:
    conditions = [(r >= 4) & (f >= 4), (r >= 3) & (f >= 3), (r >= 4), (r <= 2) & (f >= 3),
                  (r <= 2) & (f == 2)]
    return np.select(conditions, ["champions", "loyal", "new", "at_risk", "hibernating"], "lost")


def _scores(values: np.ndarray, ascending: bool = True) -> np.ndarray:
    """Quintile scores 1–5 by rank, ties broken by position (deterministic)."""
    order = pd.Series(values if ascending else -values).rank(method="first").to_numpy()
    return np.ceil(order / len(values) * 5).clip(1, 5).astype(np.int64)


def make_inputs(n_customers: int = 2_000, *, random_state: int = 0, lang: str = "en",
                clv: bool = False, symbol: str = "¥"):
    """(customers, segments, pareto, run_info) for ``n_customers`` synthetic customers."""
    rng = np.random.default_rng(random_state)
    n = n_customers
    frequency = rng.negative_binomial(1.2, 0.3, n)
    tenure = rng.integers(30, 731, n)
    recency = np.minimum((rng.beta(0.8, 2.0, n) * tenure).astype(np.int64), tenure)
    recency = np.where(frequency == 0, tenure, recency)
    days = frequency + 1
    average = rng.gamma(2.0, 60.0, n).round(2) + 5
    total = (average * days).round(2)
    customers = pd.DataFrame({
        "customer_id": [f"C{i:07d}" for i in range(n)],
        "first_purchase": pd.to_datetime(AS_OF) - pd.to_timedelta(tenure, unit="D"),
        "last_purchase": pd.to_datetime(AS_OF) - pd.to_timedelta(recency, unit="D"),
        "n_transactions": days + rng.integers(0, 2, n),
        "n_purchase_days": days,
        "frequency": frequency,
        "recency_days": recency,
        "tenure_days": tenure,
        "monetary_total": total,
        "monetary_avg": average,
        "repeat_monetary_avg": np.where(frequency > 0, average, 0.0),
        "margin_total": (total * 0.3).round(2),
    })
    r = _scores(recency.astype(float), ascending=False)
    f = _scores(frequency.astype(float))
    m = _scores(total)
    customers["r_score"], customers["f_score"], customers["m_score"] = r, f, m
    customers["rfm_cell"] = [f"{a}{b}{c}" for a, b, c in zip(r, f, m)]
    customers["rfm_score"] = ((r + f + m) / 3).round(2)
    segment = _segment(r, f)
    customers["rfm_segment"] = segment
    customers["rfm_segment_label"] = pd.Series(segment).map(SEGMENT_LABELS[lang]).to_numpy()
    order = np.argsort(-total, kind="stable")
    share = total / total.sum()
    cumulative = np.empty(n)
    cumulative[order] = np.cumsum(share[order])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    customers["abc_class"] = np.select([cumulative - share < 0.7, cumulative - share < 0.9],
                                       ["A", "B"], "C")
    customers["value_rank"] = rank
    customers["value_share"] = share
    customers["cumulative_value_share"] = cumulative
    assert list(customers.columns) == list(CUSTOMER_FEATURE_COLUMNS)
    if clv:
        customers["clv"] = (total * rng.uniform(0.2, 2.0, n)).round(2)
    return customers, segments_of(customers), pareto_of(customers), run_info_of(customers, symbol)


def segments_of(customers: pd.DataFrame) -> pd.DataFrame:
    n, total = len(customers), customers["monetary_total"].sum()
    grouped = customers.groupby("rfm_segment", sort=False).agg(
        label=("rfm_segment_label", "first"), customers=("customer_id", "size"),
        value=("monetary_total", "sum"), avg_recency_days=("recency_days", "mean"),
        avg_frequency=("frequency", "mean"), avg_monetary_total=("monetary_total", "mean"))
    order = [k for k in SEGMENT_LABELS["en"] if k in grouped.index]
    frame = grouped.loc[order].reset_index(names="segment")
    frame["customer_share"] = frame["customers"] / n
    frame["value_share"] = frame["value"] / total
    return frame[["segment", "label", "customers", "customer_share", "value", "value_share",
                  "avg_recency_days", "avg_frequency", "avg_monetary_total"]]


def pareto_of(customers: pd.DataFrame) -> dict:
    values = np.sort(customers["monetary_total"].to_numpy(float))[::-1]
    n, total = len(values), values.sum()
    x = np.concatenate([[0.0], np.arange(1, n + 1) / n])
    y = np.concatenate([[0.0], np.cumsum(values) / total])
    grid = np.linspace(0, 1, min(n, 200) + 1)
    lorenz = np.column_stack([grid, np.interp(grid, x, y)]).round(6).tolist()
    area = np.trapezoid(y, x)
    classes = []
    for cls in "ABC":
        part = customers[customers["abc_class"] == cls]
        classes.append({"class": cls, "customers": len(part), "customer_share": len(part) / n,
                        "value": float(part["monetary_total"].sum()),
                        "value_share": float(part["monetary_total"].sum() / total)})
    k = max(1, int(round(0.2 * n)))
    return {"basis": "value", "value_measure": "revenue", "thresholds": {"A": 0.7, "B": 0.9},
            "gini": float(2 * area - 1), "lorenz": lorenz, "classes": classes,
            "top_share": 0.2, "top_value_share": float(values[:k].sum() / total)}


def run_info_of(customers: pd.DataFrame, symbol: str = "¥") -> dict:
    return {
        "as_of": AS_OF, "window": "all history",
        "files": [{"file": "data/transactions_2023.csv", "rows_read": 40_210,
                   "rows_loaded": 40_180, "rows_rejected": 30},
                  {"file": "data/transactions_2024.csv", "rows_read": 21_005,
                   "rows_loaded": 20_990, "rows_rejected": 15}],
        "rows_read": 61_215, "rows_loaded": 61_170, "rows_rejected": 45,
        "reject_reasons": {"unparseable date": 21, "negative amount": 14,
                           "missing customer id": 7, "duplicate row": 3},
        "n_customers": len(customers), "total_value": float(customers["monetary_total"].sum()),
        "currency_symbol": symbol, "scheme": "std11", "scheme_title": "Eleven-segment RFM map",
        "engine": "duckdb", "created_at": dt.datetime(2024, 7, 1, 9, 30),
        "cvm_version": "0.1.0",
    }


@pytest.fixture(name="make_inputs", scope="session")
def make_inputs_fixture():
    """The synthetic-input factory: ``make_inputs(n, lang=..., clv=...)``."""
    return make_inputs
