"""Read a workspace's stored results for the REST API and the dashboard, safely while runs write.

The server process owns the workspace file. Each request thread reads through its own DuckDB
cursor (a connection to the same database), so a run being written in the worker thread is
invisible until it commits: a reader sees the last complete run and never a half-written one.
A complete run's tables never change, so figures computed from them are cached by run id.

Later stages add per-customer columns (``probability_alive``, ``clv``, ``lifecycle_stage``,
``value_quadrant``, ``matrix_cell`` …) and run tables; everything here checks which are present
and reports a capability as ``available: false`` rather than failing when it is not.

>>> from cvm.workspace import Workspace
>>> reader = ResultsReader(Workspace(":memory:"))
>>> reader.latest_run() is None
True
"""

from __future__ import annotations

import math
import threading
from typing import Collection

from .. import insights
from ..errors import CvmError
from ..insights import BadQuery, NotFound, RunWording, StoredResults
from ..workspace import Workspace
from .listing import CustomerIndex
from .redaction import public_error

__all__ = ["ResultsReader", "NotFound", "BadQuery", "MaskedColumn", "CustomerQuery",
           "LIST_COLUMNS", "SEARCH_COLUMNS"]

#: Columns a customer list shows, in order, when the run has them.
LIST_COLUMNS = (
    "customer_id", "name", "phone", "email", "city", "owner", "rfm_segment", "rfm_segment_label",
    "abc_class", "value_rank", "lifecycle_stage", "value_quadrant", "matrix_cell",
    "recency_days", "frequency", "monetary_total", "last_purchase", "r_score", "f_score",
    "m_score", "probability_alive", "clv", "potential_value",
)
#: Columns a text search (``q``) looks in, when the run has them and the caller sees them.
SEARCH_COLUMNS = ("customer_id", "name", "phone", "email")
_FILTERS = {"segment": "rfm_segment", "cell": "matrix_cell", "stage": "lifecycle_stage",
            "abc": "abc_class", "quadrant": "value_quadrant"}
#: How many leading rows of a filtered, sorted customer list are remembered (as row ids)
_ORDER_ROWS = 5_000


class MaskedColumn(CvmError, PermissionError):
    """A sort by a column the caller sees masked (its order would give the values away)."""


class CustomerQuery:
    """Filters, sort and page of a customer list (all optional).

    ``masked`` names the columns the caller sees as ``***``: the text search skips them and a
    sort by one is refused, so that neither can tell what they hold.
    """

    def __init__(self, *, segment: str | None = None, cell: str | None = None,
                 stage: str | None = None, abc: str | None = None, quadrant: str | None = None,
                 clv_min: float | None = None, clv_max: float | None = None,
                 search: str | None = None, sort: str = "value_rank", descending: bool = False,
                 page: int = 1, page_size: int = 50, masked: Collection[str] = ()):
        self.equals = {k: v for k, v in (("segment", segment), ("cell", cell), ("stage", stage),
                                         ("abc", abc), ("quadrant", quadrant)) if v is not None}
        self.clv_min, self.clv_max = clv_min, clv_max
        self.search = search
        self.sort, self.descending = sort, descending
        self.page, self.page_size = page, page_size
        self.masked = frozenset(masked)

    def where(self, columns: set[str]) -> tuple[str, list]:
        clauses, params = [], []
        for key, value in self.equals.items():
            column = _FILTERS[key]
            if column not in columns:
                raise BadQuery(f"filter {key!r} needs the column {column!r}, which this run "
                               "does not have")
            clauses.append(f'"{column}" = ?')
            params.append(value)
        for bound, op in ((self.clv_min, ">="), (self.clv_max, "<=")):
            if bound is None:
                continue
            if "clv" not in columns:
                raise BadQuery("a CLV range needs the column 'clv': this run has no CLV yet")
            if not math.isfinite(bound):
                raise BadQuery("a CLV bound must be a finite number")
            clauses.append(f'"clv" {op} ?')
            params.append(bound)
        if self.search:
            text = [c for c in SEARCH_COLUMNS if c in columns and c not in self.masked]
            clauses.append("(" + " OR ".join(f'contains(lower(CAST("{c}" AS VARCHAR)), ?)'
                                            for c in text) + ")")
            params.extend([self.search.lower()] * len(text))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def order_by(self, columns: Collection[str]) -> str:
        """The ORDER BY clause (ties broken by row id), after checking the sort column."""
        if self.sort in self.masked:
            raise MaskedColumn(f"cannot sort by {self.sort!r}: it is masked for your role "
                               "(sorting by a personal field needs the analyst role)")
        if self.sort not in columns:
            raise BadQuery(f"cannot sort by {self.sort!r}: not a column of this run")
        return f'ORDER BY "{self.sort}" {"DESC" if self.descending else "ASC"} NULLS LAST, rowid'

    def key(self) -> tuple:
        return (tuple(sorted(self.equals.items())), self.clv_min, self.clv_max, self.search,
                tuple(sorted(self.masked)) if self.search else ())


class ResultsReader(StoredResults):
    """Read-only views of a workspace's runs for the API; thread-safe (one DuckDB cursor per
    thread). The figures come from :mod:`cvm.insights`, cached by run."""

    def __init__(self, ws: Workspace):
        super().__init__(ws)
        self._indexes: dict[int, CustomerIndex] = {}
        self._index_lock = threading.Lock()

    # -- aggregates ------------------------------------------------------------------------

    def overview(self, run_id: int, lang: str = "en") -> dict:
        return self.cached(("overview", run_id, lang),
                           lambda: insights.overview(self, run_id, lang))

    def segments(self, run_id: int, scheme: str | None = None, lang: str = "en") -> dict:
        return self.cached(("segments", run_id, scheme, lang),
                           lambda: insights.segments(self, run_id, scheme, lang))

    def matrix(self, run_id: int, lang: str = "en") -> dict:
        return self.cached(("matrix", run_id, lang), lambda: insights.matrix(self, run_id, lang))

    def funnel(self, run_id: int, lang: str = "en") -> dict:
        return self.cached(("funnel", run_id, lang), lambda: insights.funnel(self, run_id, lang))

    def flows(self, from_run: int, to_run: int) -> dict:
        return self.cached(("flows", from_run, to_run),
                           lambda: insights.flows(self, from_run, to_run))

    def history_flows(self, run_id: int) -> dict:
        return self.cached(("history_flows", run_id),
                           lambda: insights.history_flows(self, run_id))

    def clv_validation(self, run_id: int) -> dict:
        return self.cached(("clv_validation", run_id),
                           lambda: insights.clv_validation(self, run_id))

    def cohorts(self, run_id: int, source: str = "purchases", by: str = "all") -> dict:
        return self.cached(("cohorts", run_id, source, by),
                           lambda: insights.cohorts(self, run_id, source, by))

    def clv(self, run_id: int, lang: str = "en") -> dict:
        return self.cached(("clv", run_id, lang), lambda: insights.clv(self, run_id, lang))

    def alerts(self, run_id: int | None, lang: str = "en") -> list[dict]:
        return insights.alerts(self, run_id, lang, error_text=public_error)

    # -- customers -------------------------------------------------------------------------

    def customers(self, run_id: int, query: CustomerQuery, lang: str = "en") -> dict:
        """One page of customers, filtered and sorted, with the total count; segment labels in
        ``lang``."""
        cols = self.columns(run_id)
        where, params = query.where(set(cols))
        order = query.order_by(cols)
        show = [c for c in LIST_COLUMNS if c in cols]
        table = f'"{Workspace.run_table(run_id, "customers")}"'
        direction = "DESC" if query.descending else "ASC"
        select = ", ".join(f'"{c}"' for c in show)
        offset = (query.page - 1) * query.page_size
        end = offset + query.page_size
        index = self._index(run_id)
        if index.can_answer(query):
            # the first _ORDER_ROWS row ids of this filter and order, found once in memory
            ids, total = self.cached(("order", run_id, query.key(), query.sort, direction),
                                     lambda: _as_list(index.row_ids(query, _ORDER_ROWS)))
        else:
            total = self.cached(("count", run_id, query.key()), lambda: self.scalar(
                f"SELECT count(*) FROM {table}{where}", params))
            ids = self.cached(("order", run_id, query.key(), query.sort, direction), lambda: [
                r[0] for r in self.cursor().execute(
                    f"SELECT rowid FROM {table}{where} {order} LIMIT {_ORDER_ROWS}",
                    params).fetchall()]) if end <= _ORDER_ROWS else None
        if end > _ORDER_ROWS:  # deep pages: one query
            rows = self.rows(f"SELECT {select} FROM {table}{where} {order} LIMIT ? OFFSET ?",
                             params + [query.page_size, offset])
        else:
            # each page reads only its own rows, by row id
            wanted = ids[offset:end]
            found = {r.pop("_row"): r for r in self.rows(
                f"SELECT rowid AS _row, {select} FROM {table} WHERE rowid = ANY(?)", [wanted])
                } if wanted else {}
            rows = [found[i] for i in wanted]
        if "rfm_segment_label" in show:
            rows = RunWording(self, run_id, lang).segment_rows(
                rows, key="rfm_segment", label="rfm_segment_label")
        return {"run_id": run_id, "total": total, "page": query.page,
                "page_size": query.page_size, "columns": show, "rows": rows}

    def warm(self, run_id: int | None = None) -> None:
        """Build the list index of a run (default: the latest) ahead of its first request."""
        run_id = run_id if run_id is not None else self.latest_run()
        if run_id is not None:
            self._index(run_id).warm()

    def _index(self, run_id: int) -> CustomerIndex:
        """The in-memory list index of a run (kept for the two runs asked for last)."""
        columns = self.columns(run_id)
        with self._index_lock:
            index = self._indexes.pop(run_id, None)
            if index is None:
                index = CustomerIndex(self.ws.con.cursor(), f'"{Workspace.run_table(run_id, "customers")}"',
                                      columns)
            self._indexes[run_id] = index
            while len(self._indexes) > 2:
                self._indexes.pop(next(iter(self._indexes)))
            return index

    def export_rows(self, run_id: int, query: CustomerQuery, *, limit: int | None = None,
                    lang: str = "en"):
        """Every customer matching the filters (sorted), as a DuckDB result to stream; segment
        labels in ``lang``."""
        cols = self.columns(run_id)
        where, params = query.where(set(cols))
        order = query.order_by(cols)
        show = [c for c in LIST_COLUMNS if c in cols]
        labels = RunWording(self, run_id, lang).segment_labels()
        select, label_params = [], []
        for c in show:
            if c == "rfm_segment_label" and labels:
                cases = " ".join("WHEN ? THEN ?" for _ in labels)
                select.append(f'CASE "rfm_segment" {cases} ELSE "rfm_segment_label" END '
                              'AS "rfm_segment_label"')
                label_params += [x for pair in labels.items() for x in pair]
            else:
                select.append(f'"{c}"')
        params = label_params + params
        sql = f'SELECT {", ".join(select)} FROM "{Workspace.run_table(run_id, "customers")}"{where} {order}'
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        cur = self.ws.con.cursor()
        return cur, cur.execute(sql, params)

    def customer(self, run_id: int, customer_id: str, lang: str = "en") -> dict:
        return insights.customer_360(self, run_id, customer_id, lang)


def _as_list(found) -> tuple[list[int], int]:
    ids, total = found
    return ids.tolist(), total
