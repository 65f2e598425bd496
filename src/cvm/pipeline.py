"""The analysis: workspace transactions → unified customers → features → segments → results.

:func:`analyse` runs the feature stage on the chosen engine and stores the run's results in the
workspace (a failed run is recorded as failed and leaves the previous results as they were).
:func:`run` is the one-command job: load sources, unify, analyse, write the results folder.

The run protocol: the run is recorded ``running`` with the process that owns it; its tables
are stored; the results folder (when asked for) is written beside its place and swapped in;
only then is the run marked ``complete``. A failure at any step marks it ``failed`` with the
reason and drops what it stored; a process killed at any step leaves it ``running`` with a
dead owner, which the next opening of the workspace marks ``interrupted``.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from . import __version__
from .config import AnalysisConfig, IngestOptions, Mapping
from .engine import Engine, duckdb_engine, get_engine
from .errors import CvmError
from .features.pareto import abc_classes, pareto_summary
from .features.rfm import money_column, money_score, scores, with_rfm_cell, with_rfm_score
from .features.rfm_schemes import RFMScheme, assign_segments, load_scheme, scheme_title
from .features.summary import customer_summary, purchase_days
from .identity import unify
from .ingest.load import LoadReport, load_customers, load_transactions
from .ingest.readers import source_name
from .insights.holdout import run_holdout
from .models.lifetime_value import clv_stage
from .schema import CREDIT_FIELDS
from .workspace import Workspace

__all__ = ["RunResult", "AnalysisError", "StageContext", "StageResult", "STAGES",
           "customer_features", "analyse", "run"]

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


class AnalysisError(CvmError, RuntimeError):
    """The analysis cannot run on this data (e.g. no transactions at all)."""


@dataclass
class StageContext:
    """What a later stage (CLV, lifecycle, composite value, matrix …) gets to work with."""

    ws: Workspace
    engine: Engine
    config: AnalysisConfig
    as_of: dt.date
    #: the unified transactions on the engine: customer_id, purchase_date, amount, margin, cost
    transactions: ir.Table
    #: the same grouped by customer and day, materialised once (:func:`purchase_days`)
    days: ir.Table


@dataclass
class StageResult:
    """A stage's output: the per-customer table with the stage's columns added (one row per
    customer, same order), extra result tables stored with the run as ``run_<id>_<name>``,
    and figures for the report (kept in the run summary under the stage's name)."""

    customers: pa.Table
    tables: dict[str, pa.Table] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    #: True when the stage appends rows (e.g. prospects from the customer list, who have no
    #: purchases): the rows it was given must come first, unchanged in order, the new rows after.
    adds_rows: bool = False


#: Stages run after RFM and ABC, in order: ``(name, function(ctx, customers) -> StageResult)``.
#: Each stage may read the columns earlier stages added and must work when they are absent.
#: Customer value (CLV) comes first: later stages read its ``probability_alive`` and ``clv``.
STAGES: list[tuple[str, Callable[[StageContext, pa.Table], StageResult]]] = [("clv", clv_stage)]


@dataclass
class RunResult:
    """A complete run: its id, the per-customer table, the segment summary and the figures."""

    run_id: int
    as_of: dt.date
    customers: pa.Table
    segments: pa.Table
    pareto: dict
    info: dict
    loads: list[LoadReport] = field(default_factory=list)

    def customers_frame(self):
        return self.customers.to_pandas(date_as_object=False)

    def segments_frame(self):
        return self.segments.to_pandas()


def customer_features(transactions: ir.Table, config: AnalysisConfig, *,
                      scheme: RFMScheme | None = None, days: ir.Table | None = None) -> ir.Table:
    """The whole feature stage as one Ibis expression: summary, RFM scores and segments, ABC.

    ``transactions`` has ``customer_id``, ``purchase_date``, ``amount``, ``margin`` and ``cost``;
    ``config.as_of`` must be set. ``days``, when given, is its purchase-day table
    (:func:`purchase_days`) already computed, and is used instead.
    """
    if config.as_of is None:
        raise ValueError("customer_features needs an as-of date")
    scheme = scheme or load_scheme(config.rfm.scheme)
    days = purchase_days(transactions) if days is None else days
    summary = customer_summary(days, as_of=config.as_of, window_days=config.window_days)
    value_column = "margin_total" if config.abc.measure == "margin" else "monetary_total"
    # The value ranking sorts every customer. Where the M score ranks the same column, it is
    # computed in the ranking's projection, so that the engine sorts once for both.
    shared = "m" not in config.rfm.breakpoints and money_column(config.rfm) == value_column
    t = scores(summary, config.rfm, "rf" if shared else "rfm")
    also = {"m_score": money_score(t, value_column)} if shared else None
    ranked = abc_classes(t, config.abc, value_column=value_column, also=also)
    scored = with_rfm_score(ranked, config.rfm)
    out = assign_segments(with_rfm_cell(scored), scheme)
    # columns in reading order: summary, scores, cell and segment, then value rank and class
    first = [*summary.columns, "r_score", "f_score", "m_score", "rfm_cell", "rfm_score",
             "rfm_segment"]
    return out.select(*first, *[c for c in out.columns if c not in first])


def segment_summary(features: ir.Table, value_column: str) -> ir.Table:
    """Per segment: customers, value and their shares, and average R, F and M."""
    n = features.count()
    total = features[value_column].fill_null(0.0).sum()
    g = features.group_by("rfm_segment").aggregate(
        customers=features.count(),
        value=features[value_column].fill_null(0.0).sum(),
        avg_recency_days=features.recency_days.mean(),
        avg_frequency=features.frequency.mean(),
        avg_monetary_total=features.monetary_total.mean(),
    )
    return g.mutate(
        customer_share=g.customers / n.as_scalar(),
        value_share=ibis.ifelse(total.as_scalar() != 0, g.value / total.as_scalar(), 0.0),
    )


def _transactions_for(engine: Engine, ws: Workspace) -> ir.Table:
    cols = "customer_id, purchase_date, amount, margin, cost, category"
    if engine.name == "duckdb":
        return engine.backend.sql(f"SELECT {cols} FROM unified_transactions")
    scratch = Path(tempfile.mkdtemp(prefix="cvm-txn-"))
    path = scratch / "transactions.parquet"
    ws.con.execute(f"COPY (SELECT {cols} FROM unified_transactions) TO '{path}' (FORMAT parquet)")
    return engine.read_parquet(path, "cvm_transactions")


def _purchase_days(engine: Engine, transactions: ir.Table) -> ir.Table:
    """The run's purchase-day table, computed once and cached."""
    return engine.cache(purchase_days(transactions))


def _as_of(ws: Workspace, config: AnalysisConfig) -> dt.date:
    if config.as_of is not None:
        return config.as_of
    last = ws.query("SELECT max(purchase_date) FROM transactions")[0][0]
    if last is None:
        raise AnalysisError(f"workspace {ws.path} holds no transactions: load a file first")
    return last


def analyse(ws: Workspace, config: AnalysisConfig | None = None, *, engine: str | Engine = "duckdb",
            progress: Progress | None = None, out: str | Path | None = None,
            loads: list[LoadReport] | None = None) -> RunResult:
    """Run the feature stage on the workspace's transactions and store the results.

    With ``out``, the results folder is part of the run: the run is complete only once the
    folder is in place, and a folder that cannot be written fails the run
    (:class:`cvm.results.ResultsError`). ``loads`` are reported in the folder's summary."""
    from .results import write_results

    config = config or AnalysisConfig()
    say = progress or (lambda _msg: None)
    scheme = load_scheme(config.rfm.scheme)
    as_of = _as_of(ws, config)
    config = config.with_as_of(as_of)
    eng = engine if isinstance(engine, Engine) else (
        duckdb_engine(ws.con) if engine == "duckdb" else get_engine(engine))
    run_id = ws.start_run(as_of=as_of, engine=eng.name, config=_config_dict(config))
    started = time.perf_counter()
    try:
        unify(ws)
        say("computing customer features")
        txns = _transactions_for(eng, ws)
        days = _purchase_days(eng, txns)
        expr = customer_features(txns, config, scheme=scheme, days=days)
        cached = eng.cache(expr)
        value_column = "margin_total" if config.abc.measure == "margin" else "monetary_total"
        customers = eng.to_arrow(cached.order_by("value_rank"))
        if customers.num_rows == 0:
            raise AnalysisError(
                f"no purchases on or before {as_of}"
                + (f" in the {config.window_days}-day window" if config.window_days else ""))
        if value_column == "margin_total" and not pc.count(customers.column(value_column)).as_py():
            raise AnalysisError("ABC by margin needs a margin or cost column in the transactions")
        segments = eng.to_arrow(segment_summary(cached, value_column))
        say("summarising segments")
        customers = _with_labels(customers, scheme, config.lang)
        customers = _with_attributes(ws, customers)
        segments = _ordered_segments(segments, scheme, config.lang)
        ctx = StageContext(ws, eng, config, as_of, txns, days)
        extra_tables: dict[str, pa.Table] = {}
        stage_summaries: dict[str, dict] = {}
        n_buyers = customers.num_rows
        for name, stage in STAGES:
            say(f"computing {name}")
            staged = stage(ctx, customers)
            _check_stage_rows(name, customers, staged)
            customers = staged.customers
            extra_tables.update(staged.tables)
            stage_summaries[name] = staged.summary
        extra_tables.update(run_holdout(ws, eng, txns, as_of, customers))
        # rows appended by stages (prospects) have no purchases: value figures use the buyers
        buyers = customers.slice(0, n_buyers)
        values = buyers.column(value_column).to_numpy(zero_copy_only=False)
        pareto = pareto_summary(values, buyers.column("abc_class").to_numpy(zero_copy_only=False),
                                config.abc)
        info = _run_info(ws, config, eng.name, scheme, buyers, time.perf_counter() - started)
        info["stages"] = stage_summaries
        # the files this run loaded itself (its load report); none when it analysed data
        # loaded before
        info["loaded_files"] = [r.file_id for r in loads or [] if r.file_id is not None]
        ws.store_run(run_id, as_of=as_of,
                     tables={"customers": customers, "segments": segments, **extra_tables},
                     summary={"pareto": pareto, "info": info})
        info["run_id"] = run_id
        result = RunResult(run_id, as_of, customers, segments, pareto, info, list(loads or []))
        if out is not None:
            say("writing results")
            ws.run_step(run_id, f"writing the results folder {Path(out).resolve()}")
            write_results(ws, result, out, lang=config.lang)
        ws.complete_run(run_id)
    except BaseException as exc:
        _record_failure(ws, run_id, exc)
        raise
    finally:
        _release(eng)
    return result


def _release(eng: Engine) -> None:
    """Drop the run's cached tables; a connection that failed with the run (a full disk) may
    refuse, and the run's own outcome is what to report."""
    try:
        eng.release()
    except Exception as exc:  # noqa: BLE001 - the tables go with the connection anyway
        log.warning("could not drop the run's cached tables: %s", exc)


def _record_failure(ws: Workspace, run_id: int, exc: BaseException) -> None:
    """Mark the run failed with the error; when even that cannot be written (a full disk), the
    run stays ``running`` with this process as its owner, and the next opening of the
    workspace after this process ends marks it interrupted."""
    try:
        ws.fail_run(run_id, f"{type(exc).__name__}: {exc}")
    except Exception as record_exc:  # noqa: BLE001 - the run's own error is the one to raise
        log.error("run %s failed (%s: %s) and the failure could not be recorded: %s",
                  run_id, type(exc).__name__, exc, record_exc)


def _check_stage_rows(name: str, before: pa.Table, out: StageResult) -> None:
    """A stage keeps every row in order; only a stage that says ``adds_rows`` may append."""
    n = before.num_rows
    if out.customers.num_rows != n and not (out.adds_rows and out.customers.num_rows > n):
        raise AnalysisError(f"stage {name} changed the number of customers")
    if out.adds_rows and not out.customers.column("customer_id").slice(0, n).equals(
            before.column("customer_id")):
        raise AnalysisError(f"stage {name} reordered the customers it was given")


def _config_dict(config: AnalysisConfig) -> dict:
    return asdict(config)


def _with_labels(customers: pa.Table, scheme: RFMScheme, lang: str) -> pa.Table:
    keys = customers.column("rfm_segment").to_pylist()
    labels = {s.key: s.label(lang) for s in scheme.segments}
    idx = customers.column_names.index("rfm_segment") + 1
    return customers.add_column(idx, "rfm_segment_label",
                                pa.array([labels.get(k, k) for k in keys], type=pa.string()))


def _with_attributes(ws: Workspace, customers: pa.Table) -> pa.Table:
    """Add the customer list's fields (name, city, owner, …) where a customer list was loaded."""
    if ws.count("source_customers") == 0:
        return customers
    # credit fields travel only when some customer list gives them (across linked records the
    # most cautious value wins: the lowest score, the most late payments and defaults)
    credit = [c for c in CREDIT_FIELDS if ws.query(
        f"SELECT count({c}) FROM source_customers")[0][0] > 0]
    ws.con.register("_cust", customers)
    try:
        return ws.arrow(
            """
            WITH attrs AS (
                SELECT x.customer_id, any_value(s.name) AS name, any_value(s.phone) AS phone,
                       any_value(s.email) AS email, any_value(s.city) AS city,
                       any_value(s.owner) AS owner, min(s.signup_date) AS signup_date,
                       min(s.credit_score) AS credit_score, max(s.late_payments) AS late_payments,
                       max(s.defaults) AS defaults, max(s.credit_limit_use) AS credit_limit_use
                FROM source_customers s JOIN xref x USING (source, source_customer_id)
                GROUP BY x.customer_id)
            SELECT c.*, a.name, a.phone, a.email, a.city, a.owner, a.signup_date{credit}
            FROM _cust c LEFT JOIN attrs a USING (customer_id) ORDER BY c.value_rank
            """.format(credit="".join(f", a.{c}" for c in credit)))
    finally:
        ws.con.unregister("_cust")


def _ordered_segments(segments: pa.Table, scheme: RFMScheme, lang: str) -> pa.Table:
    rows = {r["rfm_segment"]: r for r in segments.to_pylist()}
    out = []
    for seg in scheme.segments:
        r = rows.get(seg.key)
        out.append({
            "segment": seg.key,
            "label": seg.label(lang),
            "customers": int(r["customers"]) if r else 0,
            "customer_share": float(r["customer_share"]) if r else 0.0,
            "value": float(r["value"]) if r else 0.0,
            "value_share": float(r["value_share"]) if r else 0.0,
            "avg_recency_days": r["avg_recency_days"] if r else None,
            "avg_frequency": r["avg_frequency"] if r else None,
            "avg_monetary_total": r["avg_monetary_total"] if r else None,
        })
    return pa.Table.from_pylist(out, schema=pa.schema([
        ("segment", pa.string()), ("label", pa.string()), ("customers", pa.int64()),
        ("customer_share", pa.float64()), ("value", pa.float64()), ("value_share", pa.float64()),
        ("avg_recency_days", pa.float64()), ("avg_frequency", pa.float64()),
        ("avg_monetary_total", pa.float64()),
    ]))


def _run_info(ws: Workspace, config: AnalysisConfig, engine: str, scheme: RFMScheme,
              customers: pa.Table, seconds: float) -> dict:
    files = [
        {"file": name, "rows_read": read, "rows_loaded": loaded, "rows_rejected": rejected,
         "table": kind}
        for name, read, loaded, rejected, kind in ws.query(
            "SELECT name, rows_read, rows_loaded, rows_rejected, table_kind FROM files "
            "ORDER BY file_id")
    ]
    reasons = dict(ws.query("SELECT code, count(*) FROM rejects GROUP BY code ORDER BY 2 DESC"))
    tx_files = [f for f in files if f["table"] == "transactions"]
    prospects = ws.query(
        "SELECT count(DISTINCT x.customer_id) FROM source_customers s JOIN xref x "
        "USING (source, source_customer_id) WHERE x.customer_id NOT IN "
        "(SELECT DISTINCT customer_id FROM unified_transactions)")[0][0]
    # a scheme's note (what its segment names mean) in both languages, when it has one
    note = {"scheme_note": {"en": scheme.note("en"), "zh": scheme.note("zh")}} \
        if scheme.note_en else {}
    return {
        "as_of": config.as_of.isoformat(),
        "window": f"{config.window_days} days" if config.window_days else "all history",
        "window_days": config.window_days,
        "files": files,
        "rows_read": sum(f["rows_read"] for f in tx_files),
        "rows_loaded": sum(f["rows_loaded"] for f in tx_files),
        "rows_rejected": sum(f["rows_rejected"] for f in tx_files),
        "reject_reasons": reasons,
        "n_customers": customers.num_rows,
        "n_prospects": prospects,
        "total_value": float(pc.sum(customers.column("monetary_total")).as_py() or 0.0),
        "currency_symbol": "",
        "scheme": scheme.name,
        "scheme_title": scheme_title(scheme, config.lang),
        **note,
        "engine": engine,
        "created_at": dt.datetime.now().replace(microsecond=0).isoformat(),
        "cvm_version": __version__,
        "seconds": round(seconds, 3),
        "lang": config.lang,
    }


def run(transactions, *, workspace: str | Path | Workspace = "cvm.duckdb",
        out: str | Path | None = "cvm-results", customers=None,
        mapping: Mapping | None = None, options: IngestOptions | None = None,
        config: AnalysisConfig | None = None, engine: str = "duckdb",
        progress: Progress | None = None) -> RunResult:
    """Load the sources, analyse, and write the results folder (when ``out`` is given).

    ``transactions`` (and ``customers``) is a source or a list of sources; a source is a file
    path, a ``postgresql://`` URL, or a pandas or Polars DataFrame, Arrow table or Ibis table.
    """
    config = config or AnalysisConfig()
    say = progress or (lambda _msg: None)
    sources = _sources(transactions)
    new = not isinstance(workspace, Workspace) and str(workspace) != ":memory:" \
        and not Path(workspace).exists()
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    try:
        loads = []
        try:
            for src in _sources(customers) if customers is not None else []:
                say(f"loading customers {source_name(src)}")
                loads.append(load_customers(ws, src, mapping=mapping, options=options))
            for src in sources:
                say(f"loading {source_name(src)}")
                loads.append(load_transactions(ws, src, mapping=mapping, options=options,
                                               as_of=config.as_of))
        except BaseException:
            if new:  # an input that fails its checks leaves no workspace behind
                ws.close()
                _remove_workspace(Path(workspace))
            raise
        return analyse(ws, config, engine=engine, progress=progress, out=out, loads=loads)
    except BaseException as exc:
        # the failed run's tables on the engine are let go of now, while the workspace is open
        traceback.clear_frames(exc.__traceback__)
        raise
    finally:
        if not isinstance(workspace, Workspace):
            ws.close()


def _sources(given) -> list:
    """One source or a list (or tuple) of sources, as a list; a table is one source."""
    if isinstance(given, (list, tuple)):
        return list(given)
    return [given]


def _remove_workspace(path: Path) -> None:
    """Remove a workspace file this run created (and DuckDB's write-ahead log beside it)."""
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


# Lifecycle, composite value and the segment matrix (cvm.segments.stages). They read the CLV
# stage's columns when present, so they stay after it; lifecycle appends the prospects.
from .segments.stages import lifecycle_stage, matrix_stage, value_stage  # noqa: E402

STAGES += [("lifecycle", lifecycle_stage), ("value", value_stage), ("matrix", matrix_stage)]
