"""Test data for the model tests: the CDNOW 1/10 sample and the donations data.

Data are read from ``tests/data`` (copies) or, failing that, from ``../shared/data`` beside the
checkout; a test that needs a file that is in neither place is skipped with the reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

TESTS = Path(__file__).resolve().parents[1]
CANDIDATES = {
    "CDNOW_sample.txt": [TESTS / "data", TESTS.parent / ".." / "shared" / "data" / "cdnow"],
    "donations.csv": [TESTS / "data", TESTS.parent / ".." / "shared" / "data"],
}

CALIBRATION_END = pd.Timestamp("1997-09-30")


def data_file(name: str) -> Path:
    for folder in CANDIDATES[name]:
        path = folder / name
        if path.exists():
            return path
    pytest.skip(f"{name} not found in tests/data or ../shared/data")


def cdnow_transactions() -> pd.DataFrame:
    raw = pd.read_csv(data_file("CDNOW_sample.txt"), sep=r"\s+", header=None,
                      names=["master_id", "sample_id", "date", "cds", "dollars"])
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    # same-day purchases by one customer are one transaction
    return raw.groupby(["sample_id", "date"], as_index=False)[["cds", "dollars"]].sum()


def cdnow_summary(end: pd.Timestamp = CALIBRATION_END) -> pd.DataFrame:
    """frequency / recency / T (weeks) and mean repeat spend over the calibration period."""
    tx = cdnow_transactions()
    first = tx.groupby("sample_id")["date"].min().rename("first")
    tx = tx.join(first, on="sample_id")
    cal = tx[tx["date"] <= end]
    repeat = cal[cal["date"] > cal["first"]]
    g = cal.groupby("sample_id")
    out = pd.DataFrame({
        "frequency": g.size() - 1,
        "recency": (g["date"].max() - g["first"].min()).dt.days / 7.0,
        "T": (end - g["first"].min()).dt.days / 7.0,
    })
    spend = repeat.groupby("sample_id")["dollars"].mean()
    out["monetary_value"] = spend.reindex(out.index).fillna(0.0)
    holdout = tx[tx["date"] > end].groupby("sample_id").size()
    out["holdout_frequency"] = holdout.reindex(out.index).fillna(0).astype(int)
    return out



def assert_sig(actual: float, published: str | float, digits: int = 3) -> None:
    """``actual`` rounds to the ``published`` figure (give it as a string to keep trailing
    zeros) at the precision it is published with, and agrees to ``digits`` significant figures."""
    text = published if isinstance(published, str) else repr(float(published))
    expected = float(text)
    decimals = len(text.split(".")[1]) if "." in text else 0
    assert round(actual, decimals) == pytest.approx(expected, abs=10 ** -decimals / 2 + 1e-12), (actual, expected)
    assert abs(actual - expected) <= 10 ** (np.floor(np.log10(abs(expected))) - digits + 1) * 0.5 + 10 ** -decimals / 2
