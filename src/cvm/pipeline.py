"""The analysis: load → unify → stages → store.

:func:`analyse` unifies the workspace's customers, runs the stages (:mod:`cvm.stages`; by
default :data:`cvm.stages.DEFAULT_STAGES`) on the chosen engine and stores the run's results in
the workspace (a failed run is recorded as failed and leaves the previous results as they
were). :func:`run` is the one-command job: load sources, analyse, write the results folder.
What each stage computes lives with the stage (:mod:`cvm.stages.contract`); this module orders
the steps and records the run.

The run protocol: the run is recorded ``running`` with the process that owns it; its tables
are stored; the results folder (when asked for) is written beside its place and swapped in;
only then is the run marked ``complete``. A failure at any step marks it ``failed`` with the
reason and drops what it stored; a process killed at any step leaves it ``running`` with a
dead owner, which the next opening of the workspace marks ``interrupted``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from . import __version__
from .config import AnalysisConfig, IngestOptions, Mapping
from .engine import Engine, get_engine, is_spark, return_free_memory
from .features.rfm_schemes import load_scheme, scheme_title
from .features.summary import purchase_days
from .identity import unify
from .ingest.load import LoadReport, load_customers, load_transactions
from .ingest.readers import source_name
from .insights.holdout import run_holdout
from .stages import Stage, money, run_stages
from .stages.contract import (AnalysisError, StageContext, check_rows, collect_customers,
                              ordered_customers)
from .workspace import ROW_GROUP_ROWS, Workspace

__all__ = ["RunResult", "AnalysisError", "analyse", "run"]

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class RunResult:
    """A complete run: its id, the per-customer table, the segment summary and the figures.

    The per-customer table of a run whose stages all ran on the engine is not brought into
    this process: ``customers`` reads it from the workspace when first asked for."""

    run_id: int
    as_of: dt.date
    _customers: pa.Table | Callable[[], pa.Table]
    segments: pa.Table
    pareto: dict
    info: dict
    loads: list[LoadReport] = field(default_factory=list)
    #: the rows of the per-customer table (buyers and the prospects the stages append)
    customer_rows: int | None = None
    #: the table as one Parquet file on this machine, in the engine's scratch folder, when the
    #: run wrote it so (a run with a results folder, in this process or on DuckDB): the folder
    #: takes that file (:func:`cvm.results.place_file`)
    customer_file: Path | None = None

    def __post_init__(self):
        if self.customer_rows is None:
            self.customer_rows = self.customers.num_rows

    @property
    def customers(self) -> pa.Table:
        if callable(self._customers):
            self._customers = self._customers()
        return self._customers

    @property
    def customers_here(self) -> bool:
        """Whether the per-customer table is in this process already."""
        return not callable(self._customers)

    def customer_batches(self, rows: int = 200_000):
        """The per-customer table as Arrow record batches of at most ``rows`` rows, read from
        the workspace a batch at a time when it is not in this process yet."""
        if self.customers_here:
            yield from self.customers.to_batches(max_chunksize=rows)
            return
        empty = True
        for batch in self._customers(batches=rows):
            empty = False
            yield batch
        if empty:  # no rows: one empty batch, for the files' headers
            yield pa.RecordBatch.from_pylist([], schema=self.customer_schema)

    @property
    def customer_schema(self) -> pa.Schema:
        """The per-customer table's schema (without reading the table)."""
        return self._customers.schema

    def customers_frame(self, columns: Sequence[str] | None = None):
        """The per-customer table as a DataFrame; only ``columns`` when given (read alone from
        the workspace when the table is not in this process)."""
        if columns is None:
            return self.customers.to_pandas(date_as_object=False)
        if self.customers_here:
            return self.customers.select(list(columns)).to_pandas(date_as_object=False)
        return self._customers(columns=columns).to_pandas(date_as_object=False)

    def segments_frame(self):
        return self.segments.to_pandas()


class _StoredCustomers:
    """The run's per-customer table as the workspace stored it, read on demand (the workspace
    opened again, read-only, once the run's own connection is closed), with its schema."""

    def __init__(self, ws: Workspace, run_id: int, schema: pa.Schema):
        self.path, self.ws, self.schema = ws.path, ws, schema
        self.table = Workspace.run_table(run_id, "customers")

    def __call__(self, batches: int | None = None, columns: Sequence[str] | None = None):
        import duckdb

        try:
            return self._read(self.ws, batches, columns)
        except duckdb.ConnectionException:
            if self.path == ":memory:":
                raise AnalysisError("the run's workspace was in memory and is closed: its "
                                    "per-customer table is gone") from None
            ws = Workspace(self.path, read_only=True)
            if batches is None:
                with ws:
                    return self._read(ws, None, columns)
            return self._batches_then_close(ws, batches)

    def _batches_then_close(self, ws: Workspace, rows: int):
        with ws:
            yield from self._read(ws, rows)

    def _read(self, ws: Workspace, batches: int | None, columns: Sequence[str] | None = None):
        schema = self.schema if columns is None else pa.schema(
            [self.schema.field(c) for c in columns])
        names = ", ".join(f'"{c}"' for c in schema.names)
        sql = f'SELECT {names} FROM "{self.table}"'
        if batches is None:
            return ws.arrow(sql).cast(schema)
        reader = ws.con.execute(sql).to_arrow_reader(batches)
        return (batch.cast(schema) for batch in reader)


def _as_of(ws: Workspace, config: AnalysisConfig) -> dt.date:
    if config.as_of is not None:
        return config.as_of
    last = ws.query("SELECT max(purchase_date) FROM transactions")[0][0]
    if last is None:
        raise AnalysisError(f"workspace {ws.path} holds no transactions: load a file first")
    return last


#: above this many transactions a run on DuckDB keeps its customer table on the engine
#: (``keep_on_engine``), where DuckDB holds it within its streaming memory limit
#: (:func:`cvm.engine.duckdb_streaming_memory_limit`) and spills the rest to disk, instead of
#: in this process, where it takes about 0.7 GB per million customers and each stage's working
#: set beside it. At 10M transactions (2.5M customers) the customer table kept here took
#: 127 s and 5.50 GiB, kept on the engine within 3 GB 175 s and 4.77 GiB: below this size
#: the run in this process is the faster
ON_ENGINE_TRANSACTIONS = 20_000_000


def analyse(ws: Workspace, config: AnalysisConfig | None = None, *, engine: str | Engine = "duckdb",
            progress: Progress | None = None, out: str | Path | None = None,
            loads: list[LoadReport] | None = None,
            stages: Sequence[Stage] | None = None, spark_sources: Sequence | None = None,
            customers_csv: bool | None = None, keep_on_engine: bool | None = None) -> RunResult:
    """Run the stages on the workspace's transactions and store the results.

    ``stages`` is the list of stages to run, in order (default :func:`cvm.stages.run_stages`:
    :data:`cvm.stages.DEFAULT_STAGES` and any registered). With ``out``, the results folder is
    part of the run: the run is complete only once the folder is in place, and a folder that
    cannot be written fails the run (:class:`cvm.results.ResultsError`). ``loads`` are reported
    in the folder's summary. ``spark_sources`` (:class:`cvm.spark.sources.SparkSource`, read by
    the cluster) take the place of the workspace's transactions on the Spark engine.
    ``customers_csv`` forces the folder's ``customers.csv`` on or off (default: up to
    :data:`cvm.results.CUSTOMERS_CSV_MAX` customers, or ``CVM_CUSTOMERS_CSV``).
    ``keep_on_engine`` keeps the customer table on the engine for the stages that allow it
    (``Stage.on_engine``; default: on an engine that runs functions away from this process,
    Spark, and on DuckDB above :data:`ON_ENGINE_TRANSACTIONS` transactions, where DuckDB then
    keeps to its streaming memory limit for the whole run); the run summary then names the
    first stage that needed it here (``customers_collected_for``)."""
    from .results import write_results

    config = config or AnalysisConfig()
    stages = run_stages() if stages is None else tuple(stages)
    say = progress or (lambda _msg: None)
    eng = engine if isinstance(engine, Engine) else get_engine(engine, ws.con)
    outside = _outside_transactions(eng, spark_sources) if spark_sources else None
    as_of = config.as_of or (outside["last"] if outside else _as_of(ws, config))
    if as_of is None:
        raise AnalysisError("the Spark sources hold no valid transactions")
    config = config.with_as_of(as_of)
    run_id = ws.start_run(as_of=as_of, engine=eng.name, config=config.stored())
    started = time.perf_counter()
    limits = ExitStack()
    try:
        unify(ws)
        txns = outside["table"] if outside else eng.transactions(ws)
        unpriced, purchases = (outside["unpriced"], outside["rows"]) if outside \
            else money.amounts_missing(ws)
        if unpriced:  # a purchase log without amounts: each purchase line counts as one unit
            txns = money.counted_transactions(txns)
        # on Spark the customer table stays on the cluster for as long as the stages allow,
        # on DuckDB above a size (from here on, the purchase days it caches too)
        if keep_on_engine is None:
            keep_on_engine = eng.batches_apart or purchases > ON_ENGINE_TRANSACTIONS
        if keep_on_engine:
            limits.enter_context(eng.streaming_memory())
        ctx = StageContext(ws, eng, config, as_of, txns, eng.cache(purchase_days(txns)))
        customers = pa.table({"customer_id": pa.array([], pa.string())})
        tables: dict[str, pa.Table] = {}
        figures: dict = {}
        stage_summaries: dict[str, dict] = {}
        on_engine = keep_on_engine and not unpriced
        collected_for = None
        for i, stage in enumerate(stages):
            say("computing customer features" if i == 0 else f"computing {stage.name}")
            if on_engine and stage.on_engine:
                staged = stage.run_on_engine(ctx, None if i == 0 else customers)
            else:
                if on_engine:
                    on_engine = False
                    collected_for = stage.name
                    if i:
                        customers = collect_customers(eng, customers)
                staged = stage.run(ctx, customers)
                check_rows(stage.name, customers, staged)
            customers = staged.customers
            eng.release_unused(customers, ctx.transactions, ctx.days)
            if unpriced:
                customers = money.between_stages(stage.name, customers,
                                                 config.clv.horizon_days)
            tables.update(staged.tables)
            figures.update(staged.run_summary)
            if staged.summary:
                stage_summaries[stage.name] = staged.summary
            if i == 0:
                say("summarising segments")
        # every stage ran on the engine: the customer table is written there and the
        # workspace reads it from the files; this process gets only its figures
        files = _written_customers(eng, customers) if on_engine else None
        if unpriced:
            scheme = load_scheme(config.rfm.scheme)
            labels = {g.key: g.label(config.lang) for g in scheme.segments}
            customers = money.without_money(customers, scheme, labels, config.rfm.weights)
            tables["segments"] = money.segment_rows(_buyers(customers), scheme, config.lang)
            money.unpriced_summaries(stage_summaries, tables)
        columns = customers.columns if files else customers.column_names
        tables.update(run_holdout(ws, eng, txns, as_of, columns, ctx.days,
                                  first_purchase=outside["first"] if outside else None))
        buyers = files["buyers"] if files else _buyer_figures(customers)
        info = _run_info(ws, config, eng.name, buyers, time.perf_counter() - started,
                         spark_sources or (), eng.settings())
        info["stages"] = stage_summaries
        if keep_on_engine:  # the first stage that needed the customer table in this process
            info["customers_collected_for"] = collected_for
            # the largest per-customer results single queries brought here (the model fits'
            # and checks' inputs, when the table itself stayed on the engine)
            info["customers_brought_here"] = {"rows": eng.customer_rows_here,
                                              "columns": eng.customer_columns_here,
                                              # the largest result collected through the
                                              # driver (aggregates, on Spark)
                                              "collected_rows": eng.rows_collected}
        if unpriced:  # no revenue to total or to concentrate
            info["total_value"] = None
            figures["pareto"] = {"value_measure": "revenue", "gini": None, "lorenz": [],
                                 "classes": [], "top_share": 0.2, "top_value_share": None}
            info["amounts"] = {"missing": unpriced, "transactions": purchases,
                               "note": money.money_note(unpriced, purchases, "en"),
                               "note_zh": money.money_note(unpriced, purchases, "zh")}
        # the files this run loaded itself (its load report); none when it analysed data
        # loaded before
        info["loaded_files"] = [r.file_id for r in loads or [] if r.file_id is not None]
        staged = None  # the last stage's result holds the table too
        if files is None and out is not None and ws.path != ":memory:":
            # a run with a results folder writes the table once as Parquet, here: the workspace
            # stores it from that file and the folder takes it too (a second name of the file,
            # or a copy on another file system), and the table leaves this process before the
            # workspace reads it
            files = _parquet_here(eng, customers)
            customers = None
            return_free_memory()
        if files:
            ws.store_run(run_id, as_of=as_of, tables=tables, summary={**figures, "info": info},
                         files={"customers": (files["path"], files["schema"])})
            customers = _StoredCustomers(ws, run_id, files["schema"])
        else:
            ws.store_run(run_id, as_of=as_of, tables={"customers": customers, **tables},
                         summary={**figures, "info": info})
        info["run_id"] = run_id
        result = RunResult(run_id, as_of, customers, tables.get("segments", pa.table({})),
                           figures.get("pareto", {}), info, list(loads or []),
                           customer_rows=files["rows"] if files else None,
                           customer_file=files.get("here") if files else None)
        if out is not None:
            say("writing results")
            ws.run_step(run_id, f"writing the results folder {Path(out).resolve()}")
            write_results(ws, result, out, lang=config.lang, customers_csv=customers_csv)
            result.customer_file = None  # in the scratch folder, which goes with the engine
        ws.complete_run(run_id)
    except BaseException as exc:
        _record_failure(ws, run_id, exc)
        raise
    finally:
        _release(eng)
        limits.close()
    return result


def _written_customers(eng: Engine, customers) -> dict:
    """The customer table on the engine written as Parquet there (on Spark by the executors,
    into the engine's scratch folder), with its schema and the figures the run records of it:
    its rows and its buyers' count and spend (one aggregate). DuckDB writes one file on this
    machine, which a results folder takes as it is (``here``); Spark's folder of part files
    is written into the results folder from the workspace instead."""
    path = eng.scratch_path("customers")
    eng.write_parquet(ordered_customers(customers), path)
    # without first purchase dates every row is a buyer's (as for the table here, _buyers)
    bought = customers.first_purchase.notnull() if "first_purchase" in customers.columns \
        else customers.customer_id.notnull()
    figures = eng.to_arrow(customers.aggregate(
        rows=customers.count(), buyers=bought.sum(),
        spend=customers.monetary_total.sum(where=bought))).to_pylist()[0]
    written = {"path": path, "schema": customers.schema().to_pyarrow(),
               "rows": int(figures["rows"]),
               "buyers": (int(figures["buyers"] or 0), float(figures["spend"] or 0.0))}
    if eng.writes_one_file:  # one file on this machine, which the results folder takes too
        written["here"] = path
    return written




def _parquet_here(eng: Engine, customers: pa.Table) -> dict:
    """The customer table in this process written as Parquet into the engine's scratch folder
    (the file a results folder copies: ``here``), with its schema and rows.

    In row groups of DuckDB's size (:data:`ROW_GROUP_ROWS`), which the workspace reads in
    parallel: at 1M customers storing the table took 5.0 s from one row group, 2.9 s from
    eight."""
    import pyarrow.parquet as pq

    path = eng.scratch_path("customers")
    pq.write_table(customers, path, row_group_size=ROW_GROUP_ROWS)
    return {"path": path, "here": path, "schema": customers.schema, "rows": customers.num_rows}


def _buyer_figures(customers: pa.Table) -> tuple[int, float]:
    """The buyers' count and their spend."""
    buyers = _buyers(customers)
    return buyers.num_rows, float(pc.sum(buyers.column("monetary_total")).as_py() or 0.0)


def _buyers(customers: pa.Table) -> pa.Table:
    """The rows with purchases (rows that stages append, the prospects, have none)."""
    if "first_purchase" not in customers.column_names \
            or not customers.column("first_purchase").null_count:
        return customers  # every row a buyer: the table itself, not a copy of it
    return customers.filter(pc.is_valid(customers.column("first_purchase")))


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


def _outside_transactions(eng: Engine, sources: Sequence) -> dict:
    """Transactions read by the Spark cluster (:mod:`cvm.spark.sources`): their union on the
    engine, kept in the executors' memory, and the figures a run needs of them (one aggregate:
    first and last purchase date, rows, rows without an amount)."""
    table = sources[0].table
    for source in sources[1:]:
        table = table.union(source.table)
    table = eng.cache(table)
    figures = eng.to_arrow(table.aggregate(
        first=table.purchase_date.min(), last=table.purchase_date.max(), rows=table.count(),
        priced=table.amount.count())).to_pylist()[0]
    return {"table": table, "first": figures["first"], "last": figures["last"],
            "rows": int(figures["rows"]), "unpriced": int(figures["rows"] - figures["priced"])}


def _run_info(ws: Workspace, config: AnalysisConfig, engine: str, buyers: tuple[int, float],
              seconds: float, spark_sources: Sequence = (), settings: dict | None = None
              ) -> dict:
    """The run's record: files and rejects, buyers and their spend (``buyers``: their count
    and spend), settings, engine, time
    (with the Spark sources the cluster read, which the workspace does not hold, and the
    engine's :meth:`~cvm.engine.Engine.settings`)."""
    settings = settings or {}
    scheme = load_scheme(config.rfm.scheme)
    files = [
        {"file": name, "rows_read": read, "rows_loaded": loaded, "rows_rejected": rejected,
         "table": kind}
        for name, read, loaded, rejected, kind in ws.query(
            "SELECT name, rows_read, rows_loaded, rows_rejected, table_kind FROM files "
            "WHERE table_kind IN ('transactions', 'customers', 'interactions') ORDER BY file_id")
    ]
    # the reasons of the rejected transaction rows that rows_rejected counts (each file's own
    # rejects, a customer list's or a service log's too, are in its load report)
    reasons = dict(ws.query(
        "SELECT code, count(*) FROM rejects WHERE file_id IN (SELECT file_id FROM files WHERE "
        "table_kind = 'transactions') GROUP BY code ORDER BY 2 DESC"))
    for source in spark_sources:
        files.append({"file": source.name, "rows_read": source.rows_read,
                      "rows_loaded": source.rows_loaded, "rows_rejected": source.rows_rejected,
                      "table": "transactions"})
        for code, n in source.reasons.items():
            reasons[code] = reasons.get(code, 0) + n
    tx_files = [f for f in files if f["table"] == "transactions"]
    # (without a customer list there are none: the query would still read every transaction)
    prospects = ws.query(
        "SELECT count(DISTINCT x.customer_id) FROM source_customers s JOIN xref x "
        "USING (source, source_customer_id) WHERE x.customer_id NOT IN "
        "(SELECT DISTINCT customer_id FROM unified_transactions)")[0][0] \
        if ws.query("SELECT EXISTS (SELECT 1 FROM source_customers)")[0][0] else 0
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
        "n_customers": buyers[0],
        "n_prospects": prospects,
        "total_value": buyers[1],
        "currency_symbol": "",
        "scheme": scheme.name,
        "scheme_title": scheme_title(scheme, config.lang),
        **note,
        "engine": engine,
        **settings,
        "created_at": dt.datetime.now().replace(microsecond=0).isoformat(),
        "cvm_version": __version__,
        "seconds": round(seconds, 3),
        "lang": config.lang,
    }


def run(transactions, *, workspace: str | Path | Workspace = "cvm.duckdb",
        out: str | Path | None = "cvm-results", customers=None,
        mapping: Mapping | None = None, options: IngestOptions | None = None,
        config: AnalysisConfig | None = None, engine: str = "duckdb",
        progress: Progress | None = None, stages: Sequence[Stage] | None = None,
        interactions=None, customers_csv: bool | None = None) -> RunResult:
    """Load the sources, analyse, and write the results folder (when ``out`` is given).

    ``transactions`` (and ``customers``, and ``interactions``: service logs,
    :func:`cvm.interactions.load_interactions`) is a source or a list of sources; a source is
    a file path, a ``postgresql://`` URL, or a pandas or Polars DataFrame, Arrow table or Ibis
    table. ``stages`` and ``customers_csv`` as for :func:`analyse`.

    On the Spark engine (``engine="spark"``), transactions that Spark reads itself — Parquet or
    CSV paths and globs, ``table:NAME`` from the session's catalog, a Spark DataFrame or an
    Ibis table on Spark — are read by the cluster and never copied into the workspace, which
    then keeps only the run's records and results (:mod:`cvm.spark.sources`).
    """
    config = config or AnalysisConfig()
    say = progress or (lambda _msg: None)
    sources = _sources(transactions)
    if _read_by_spark(engine, sources):
        return _run_on_spark(sources, workspace=workspace, out=out, customers=customers,
                             interactions=interactions, mapping=mapping, options=options,
                             config=config, progress=progress, stages=stages,
                             customers_csv=customers_csv)
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
            for src in _sources(interactions) if interactions is not None else []:
                from .interactions import load_interactions

                say(f"loading contacts {source_name(src)}")
                loads.append(load_interactions(ws, src, options=options, as_of=config.as_of))
        except BaseException:
            if new:  # an input that fails its checks leaves no workspace behind
                ws.close()
                _remove_workspace(Path(workspace))
            raise
        return_free_memory()  # the files' parsed columns are gone; their memory goes back
        return analyse(ws, config, engine=engine, progress=progress, out=out, loads=loads,
                       stages=stages, customers_csv=customers_csv)
    except BaseException as exc:
        # the failed run's tables on the engine are let go of now, while the workspace is open
        traceback.clear_frames(exc.__traceback__)
        raise
    finally:
        if not isinstance(workspace, Workspace):
            ws.close()


def _read_by_spark(engine, sources: list) -> bool:
    """Whether a run on ``engine`` reads ``sources`` on the Spark cluster: the engine is Spark
    and Spark reads every one of them (else they are loaded into the workspace first)."""
    from .spark.sources import is_spark_source, is_spark_path

    return is_spark(engine) and bool(sources) and all(
        is_spark_source(s) or is_spark_path(s) for s in sources)


def _run_on_spark(sources: list, *, workspace, out, customers, interactions, mapping, options,
                  config: AnalysisConfig, progress, stages,
                  customers_csv: bool | None = None) -> RunResult:
    """:func:`run` with the transactions read by the Spark cluster."""
    from .engine import spark_engine
    from .spark.sources import spark_transactions

    if _sources(customers) != [None] and _sources(customers) or \
            _sources(interactions) != [None] and _sources(interactions):
        raise AnalysisError("customer lists and service logs are loaded into the workspace: "
                            "with transactions read by Spark, run without them (or use "
                            "--engine duckdb)")
    say = progress or (lambda _msg: None)
    eng = spark_engine()
    read = []
    for src in sources:
        say(f"reading {source_name(src) if isinstance(src, (str, Path)) else 'a Spark table'} "
            "on Spark")
        read.append(spark_transactions(eng, src, mapping=mapping, options=options,
                                       as_of=config.as_of))
    loads = [LoadReport(file=r.name, table="transactions", rows_read=r.rows_read,
                        rows_loaded=r.rows_loaded, rows_rejected=r.rows_rejected,
                        reasons=dict(r.reasons), columns=r.columns) for r in read]
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    try:
        return analyse(ws, config, engine=eng, progress=progress, out=out, loads=loads,
                       stages=stages, spark_sources=read, customers_csv=customers_csv)
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
