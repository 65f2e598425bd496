"""Files for people are rounded to each figure's precision; the results folder keeps it all."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from cvm.results import write_table


def _table():
    return pa.table({
        "customer_id": ["00001", "C2"],
        "clv": [81.39726027397259, 1234.5678],
        "probability_alive": [0.123456789, 0.99999],
        "value_share": [0.3333333333, 0.6666666667],
        "recency_days": [12.6, 3.0],
        "composite_value": [81.39726027397259, 50.0],
        "frequency": pa.array([3, 1], pa.int64()),
    })


def test_a_csv_for_people_has_rounded_figures(tmp_path):
    path = tmp_path / "targets.csv"
    write_table(_table(), path)
    assert path.read_text(encoding="utf-8-sig").splitlines() == [
        '"customer_id","clv","probability_alive","value_share","recency_days",'
        '"composite_value","frequency"',
        '"00001",81.4,0.1235,0.3333,13,81.4,3',
        '"C2",1234.57,1,0.6667,3,50,1',
    ]


def test_a_workbook_for_people_has_rounded_figures(tmp_path):
    path = tmp_path / "targets.xlsx"
    write_table(_table(), path)
    sheet = pd.read_excel(path, dtype={"customer_id": str})
    assert sheet.to_dict("list") == {
        "customer_id": ["00001", "C2"], "clv": [81.4, 1234.57],
        "probability_alive": [0.1235, 1.0], "value_share": [0.3333, 0.6667],
        "recency_days": [13.0, 3.0], "composite_value": [81.4, 50.0], "frequency": [3, 1]}
