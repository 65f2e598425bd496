"""The in-memory list index gives exactly the order SQL gives (nulls last, ties by row id),
for every sort column, direction and filter, across the boundary to SQL-served deep pages."""

from __future__ import annotations

import pytest

from cvm.api import reader as reader_module
from cvm.api.reader import CustomerQuery, ResultsReader
from cvm.workspace import Workspace

from .server import build_workspace


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    path, _, _ = build_workspace(tmp_path_factory.mktemp("listing"), customers=300)
    ws = Workspace(path)
    yield ResultsReader(ws)
    ws.close()


def _sql_ids(reader, run, query) -> list[str]:
    where, params = query.where(set(reader.columns(run)))
    direction = "DESC" if query.descending else "ASC"
    return [r["customer_id"] for r in reader.rows(
        f'SELECT customer_id FROM "run_{run}_customers"{where} '
        f'ORDER BY "{query.sort}" {direction} NULLS LAST, rowid', params)]


@pytest.mark.parametrize("sort", ["monetary_total", "recency_days", "frequency", "value_rank",
                                  "clv", "last_purchase", "r_score"])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("filters", [{}, {"abc": "B"}, {"segment": "hibernating"},
                                     {"stage": "churned", "abc": "C"}, {"clv_min": 50.0}])
def test_index_pages_match_sql(reader, monkeypatch, sort, descending, filters):
    run = reader.latest_run()
    cols = reader.columns(run)
    if sort not in cols or any(k == "stage" for k in filters) and "lifecycle_stage" not in cols \
            or "clv_min" in filters and "clv" not in cols:
        pytest.skip("this run does not have the column")
    monkeypatch.setattr(reader_module, "_ORDER_ROWS", 45)  # pages past 45 rows come from SQL
    expected = _sql_ids(reader, run, CustomerQuery(sort=sort, descending=descending, **filters))
    got, page = [], 1
    while True:
        q = CustomerQuery(sort=sort, descending=descending, page=page, page_size=20, **filters)
        assert reader._index(run).can_answer(q)
        answer = reader.customers(run, q)
        assert answer["total"] == len(expected)
        if not answer["rows"]:
            break
        got += [r["customer_id"] for r in answer["rows"]]
        page += 1
    assert got == expected


def test_unknown_filter_value_is_an_empty_list(reader):
    run = reader.latest_run()
    answer = reader.customers(run, CustomerQuery(segment="no-such-segment"))
    assert answer["total"] == 0 and answer["rows"] == []
