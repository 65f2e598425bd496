"""Fixtures for the model tests (data loading lives in ``model_data``)."""

from __future__ import annotations

import pandas as pd
import pytest

from model_data import cdnow_summary, data_file


@pytest.fixture(scope="session")
def cdnow() -> pd.DataFrame:
    return cdnow_summary()


@pytest.fixture(scope="session")
def donations() -> pd.DataFrame:
    return pd.read_csv(data_file("donations.csv"))
