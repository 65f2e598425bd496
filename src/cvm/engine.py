"""Where table computations run: DuckDB (default, embedded) or Apache Spark (local or cluster).

This is the only module that knows which engine is in use. Every computation on tables in cvm is
one Ibis expression; an :class:`Engine` turns canonical tables into Ibis tables on its backend and
runs expressions to Arrow. Spark is an optional extra, imported lazily.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import tempfile
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from .config import ConfigError
from .errors import CvmError

__all__ = [
    "ENGINES",
    "TRANSACTION_COLUMNS",
    "Engine",
    "LinkageBackend",
    "MissingExtraError",
    "duckdb_engine",
    "configure_duckdb",
    "duckdb_memory_limit",
    "duckdb_streaming_memory_limit",
    "duckdb_memory_limited",
    "duckdb_temp_directory",
    "duckdb_threads",
    "duckdb_streaming_threads",
    "duckdb_threads_limited",
    "get_engine",
    "is_spark",
    "linkage_backend",
    "return_free_memory",
    "spark_engine",
]

log = logging.getLogger(__name__)

ENGINES = ("duckdb", "spark")

#: The columns of the unified transactions a run reads.
TRANSACTION_COLUMNS = ("customer_id", "purchase_date", "amount", "margin", "cost", "category")


class MissingExtraError(CvmError, ImportError):
    """An optional part of cvm is used without its packages installed."""


@dataclass
class Engine:
    """An Ibis backend plus the few operations that differ between engines."""

    name: str
    backend: Any
    _scratch: Path | None = field(default=None, repr=False)
    _scratch_cleanup: weakref.finalize | None = field(default=None, repr=False, compare=False)
    _cached: list = field(default_factory=list, repr=False)
    #: the Parquet files :meth:`map_batches` and :meth:`cache` wrote on DuckDB, by the name of
    #: the view reading each (:meth:`release_unused` removes those no kept expression reads)
    _batch_files: dict = field(default_factory=dict, repr=False)
    #: whether :meth:`cache` writes Parquet files (DuckDB under its streaming limit)
    _cache_as_files: bool = field(default=False, repr=False)
    #: on Spark, force tables handed to the engine through Arrow batches (True) or through
    #: Parquet scratch files (False); ``None`` decides by the master (:attr:`shares_files`)
    ship_arrow: bool | None = field(default=None, repr=False)
    #: the most rows, and the most columns, of the per-customer results (rows with a
    #: ``customer_id`` column) that single queries brought to this process (:meth:`to_arrow`)
    customer_rows_here: int = field(default=0, repr=False)
    customer_columns_here: int = field(default=0, repr=False)
    #: the most rows one result collected through Spark's driver had (the results that are not
    #: rows per customer: aggregates); 0 on DuckDB, where nothing is collected so
    rows_collected: int = field(default=0, repr=False)

    def table(self, data: pa.Table, name: str) -> ibis.Table:
        """Make an Arrow table available to this engine as an Ibis table.

        On Spark in local mode the table goes through a Parquet file in the engine's scratch
        folder (exact dates and decimals, and Spark reads it in parallel). On a cluster the
        executors cannot see this machine's files, so the table is handed to the session as
        Arrow record batches (``createDataFrame``) and Spark ships it with the tasks."""
        if self.name == "duckdb":
            return self.backend.create_table(name, data, temp=True, overwrite=True)
        if not self.shares_files:
            return self._from_arrow(data, name)
        import pyarrow.parquet as pq

        path = self._scratch_file(name)
        pq.write_table(data, path)
        return self.backend.read_parquet(str(path), table_name=name)

    @property
    def shares_files(self) -> bool:
        """Whether the engine's workers read this process's files: always on DuckDB; on Spark
        only with a ``local`` master (a cluster's executors run elsewhere)."""
        if self.name != "spark":
            return True
        if self.ship_arrow is not None:
            return not self.ship_arrow
        return spark_session().sparkContext.master.startswith("local")

    def _from_arrow(self, data: pa.Table, name: str) -> ibis.Table:
        """An Arrow table as a temporary view of the Spark session, sent as Arrow batches."""
        spark_session().createDataFrame(data).createOrReplaceTempView(name)
        return self.backend.table(name)

    def transactions(self, ws, columns=TRANSACTION_COLUMNS,
                     name: str = "cvm_transactions") -> ibis.Table:
        """A workspace's unified transactions (``columns`` of them, by default
        :data:`TRANSACTION_COLUMNS`) on this engine.

        DuckDB reads them where they are (the engine runs on the workspace's connection); Spark
        in local mode reads a Parquet copy in the engine's scratch folder, removed by
        :meth:`release`; a Spark cluster gets them as Arrow batches (:meth:`table`). On Spark
        they are the view ``name`` (another name for other columns: a view of the same name
        replaces the earlier one under every table read from it)."""
        return self.workspace_query(
            ws, f"SELECT {', '.join(columns)} FROM unified_transactions", name)

    def workspace_query(self, ws, sql: str, name: str) -> ibis.Table:
        """The rows of ``sql`` over a workspace's tables, on this engine, as :meth:`transactions`
        has them: read in place on DuckDB; on Spark a Parquet copy named after ``name`` in the
        engine's scratch folder (local mode) or Arrow batches (a cluster)."""
        if self.name == "duckdb":
            return self.backend.sql(sql)
        if not self.shares_files:
            return self._from_arrow(ws.con.execute(sql).to_arrow_table(), name)
        path = self._scratch_file(name)
        ws.con.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")
        return self.read_parquet(path, name)

    def _scratch_file(self, name: str) -> Path:
        """A new Parquet file name in the engine's scratch folder (made on first use)."""
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix=f"cvm-{self.name}-"))
            # removed by release(), or else when the engine is collected or the process ends
            self._scratch_cleanup = weakref.finalize(self, shutil.rmtree, self._scratch, True)
        path = self._scratch / f"{name}.parquet"
        k = 1
        while path.exists():  # a table read lazily may still need the earlier file
            k += 1
            path = self._scratch / f"{name}-{k}.parquet"
        return path

    def read_parquet(self, path: str | Path, name: str) -> ibis.Table:
        return self.backend.read_parquet(str(path), table_name=name)

    def to_arrow(self, expr: ibis.Table) -> pa.Table:
        """Run an expression; the result has the expression's schema whatever the engine
        returned (Spark gives 32-bit integers where Ibis promises 64-bit, for example).

        On Spark, rows per customer (a result with ``customer_id``) are written as Parquet
        by the executors into the scratch folder and read here a part file at a time, not
        collected through the driver: Spark caps what one action returns to the driver
        (``spark.driver.maxResultSize``), and a model's inputs are one row per customer."""
        if self.name == "spark" and "customer_id" in expr.columns:
            table = self._read_written(expr)
        else:
            table = expr.to_pyarrow()
            if self.name == "spark":
                self.rows_collected = max(self.rows_collected, table.num_rows)
        if table.num_rows and "customer_id" in table.column_names:
            self.customer_rows_here = max(self.customer_rows_here, table.num_rows)
            self.customer_columns_here = max(self.customer_columns_here, table.num_columns)
        expected = expr.schema().to_pyarrow()
        return table if table.schema.equals(expected) else table.cast(expected)

    def _read_written(self, expr: ibis.Table) -> pa.Table:
        """The rows of ``expr`` written by the engine (:meth:`write_parquet`) and read back in
        their order (Spark numbers its part files in the order of the rows), then the files
        removed."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        path = self.scratch_path("fetched")
        self.write_parquet(expr, path)  # a folder of part files
        try:
            tables = [pq.read_table(part) for part in sorted(path.glob("part-*.parquet"))]
        finally:
            shutil.rmtree(path)
        schema = expr.schema().to_pyarrow()
        tables = [t for t in tables if t.num_rows]
        if not tables:
            return schema.empty_table()
        table = pa.concat_tables([t.cast(schema) for t in tables])
        # NaN as null, as a result collected through the Spark backend gives it
        for i, f in enumerate(table.schema):
            if pa.types.is_floating(f.type):
                column = table.column(i)
                table = table.set_column(i, f, pc.if_else(pc.is_nan(column), None, column))
        return table

    @property
    def batches_apart(self) -> bool:
        """Whether :meth:`map_batches` runs its function away from this process (on Spark's
        executors), next to data this process does not hold."""
        return self.name == "spark"

    def settings(self) -> dict:
        """What a run records of the engine's session: on Spark its master and the settings
        given for it (``spark_master``, ``spark_conf``, as the session has them); nothing on
        DuckDB."""
        if self.name != "spark":
            return {}
        from .spark.settings import given_conf

        session = spark_session()
        return {"spark_master": session.sparkContext.master,
                "spark_conf": {k: session.conf.get(k, None) for k in given_conf()
                               if k != "spark.master"}}

    def map_batches(self, expr: ibis.Table, function: Callable[[pa.RecordBatch], pa.RecordBatch],
                    schema: pa.Schema, *, batch_rows: int = 262_144) -> ibis.Table:
        """``function`` over the Arrow record batches of ``expr``, where the engine keeps the
        data; the outputs, row for row, as a table on this engine with ``schema``.

        One definition for both engines: DuckDB streams batches of at most ``batch_rows`` rows
        through ``function`` in this process and writes each output to a Parquet file in the
        scratch folder as it comes, so memory holds one batch at a time; Spark applies the same
        function on the executors (``mapInArrow``, :mod:`cvm.spark.batches`) and the result stays
        on the cluster. ``function`` must not depend on which rows share its batch; on Spark it
        and what it closes over are pickled."""
        if self.name == "spark":
            from .spark.batches import map_in_arrow

            return map_in_arrow(self, expr, function, schema)
        import pyarrow.parquet as pq

        from .spark.batches import batch_function

        path = self._scratch_file("cvm_batches")
        with pq.ParquetWriter(path, schema) as writer, \
                expr.to_pyarrow_batches(chunk_size=batch_rows) as batches:
            for out in batch_function(function, schema)(batches):
                writer.write_batch(out)
        self._batch_files[path.stem] = path
        return self.read_parquet(path, path.stem)

    def write_parquet(self, expr: ibis.Table, path: str | Path) -> None:
        """The rows of ``expr`` as Parquet at ``path``, with the expression's schema: one file
        written by DuckDB, or on Spark a folder of part files written by the executors."""
        if self.name == "spark":
            from .spark.batches import write_parquet

            write_parquet(expr, str(path), expr.schema().to_pyarrow())
            return
        self.backend.to_parquet(expr, str(path))

    @property
    def writes_one_file(self) -> bool:
        """Whether :meth:`write_parquet` writes one file on this machine (DuckDB), which a
        results folder can take as it is, rather than a folder of part files (Spark)."""
        return self.name != "spark"

    def scratch_path(self, name: str) -> Path:
        """A new path in the engine's scratch folder for :meth:`write_parquet` (removed by
        :meth:`release`). On Spark the executors write there: on a cluster, the scratch folder
        (``TMPDIR``) must be on a filesystem they share with this machine."""
        return self._scratch_file(name)

    def cache(self, expr: ibis.Table) -> ibis.Table:
        """Materialise an expression so that several later expressions read it once (on Spark
        a checkpoint, which also cuts the plan: :class:`cvm.spark.batches.Checkpoint`).

        The cached table keeps the expression's schema: Spark stores some columns with its own
        types (decimals for mixed arithmetic, 32-bit ranks), which are cast back here."""
        schema = expr.schema()
        if self.name == "spark":  # a checkpoint: the later plans start from its rows
            from .spark.batches import Checkpoint

            kept = Checkpoint(self, expr)
            self._cached.append(kept)
            cached = kept.table
        elif self._cache_as_files:
            # a compressed file, written as it is computed, rather than a temporary table
            # that DuckDB holds uncompressed and spills (at 25M customers a customer table
            # is about 17 GB so, and a stage holds two)
            path = self._scratch_file("cvm_cached")
            self.backend.to_parquet(expr, str(path))
            self._batch_files[path.stem] = path
            cached = self.read_parquet(path, path.stem)
        else:
            cached = expr.cache()
            self._cached.append(cached)
        return cached if cached.schema() == schema else cached.cast(schema)

    def release_unused(self, *keep: ibis.Table | pa.Table) -> None:
        """Drop the tables :meth:`cache` made that none of the expressions ``keep`` reads (Arrow
        tables among them read none): a run lets go of each stage's table once the next
        stage's is made, so that the engine holds one or two copies of the customer table, not
        one per stage. The files :meth:`map_batches` wrote that none of them reads go too (each
        stage's outputs, once its table is cached: at 25M customers about 4 GB a stage on
        disk). Then this process's free memory goes back (:func:`return_free_memory`)."""
        import ibis.expr.operations as ops

        used = {op.name for t in keep if isinstance(t, ibis.Table)
                for op in t.op().find(ops.PhysicalTable)}
        kept = []
        for entry in self._cached:
            name = entry.op().name if isinstance(entry, ibis.Table) else entry.name
            if name in used:
                kept.append(entry)
            else:
                entry.release()
        self._cached = kept
        for name in [n for n in self._batch_files if n not in used]:
            self._drop_file(name)
        return_free_memory()

    def _drop_file(self, name: str) -> None:
        """Remove a file :meth:`map_batches` or :meth:`cache` wrote, and its view."""
        self.backend.con.execute(f'DROP VIEW IF EXISTS "{name}"')
        self._batch_files.pop(name).unlink()

    def streaming_memory(self) -> AbstractContextManager[None]:
        """A block in which the engine keeps to the memory of a job larger than this process
        should hold: on DuckDB the streaming limit (:func:`duckdb_streaming_memory_limit`) and
        no more threads than cores (:func:`duckdb_streaming_threads`) on its connection, the
        run's settings back afterwards; on Spark nothing changes (the cluster's memory is its
        own settings')."""
        if self.name != "duckdb":
            return nullcontext()
        return self._streaming()

    @contextmanager
    def _streaming(self) -> Iterator[None]:
        with _duckdb_streaming(self.backend.con):
            self._cache_as_files = True
            try:
                yield
            finally:
                self._cache_as_files = False

    def release(self) -> None:
        """Drop the tables :meth:`cache` made, now, while the connection is open (left to the
        garbage collector, they may be dropped after it closed, which fails at exit), and the
        scratch folder with the files :meth:`table` and :meth:`transactions` wrote."""
        while self._cached:
            self._cached.pop().release()
        for name in list(self._batch_files):
            self._drop_file(name)
        if self._scratch is not None:
            self._scratch_cleanup()
            self._scratch = None


def duckdb_threads() -> int:
    """DuckDB's worker threads: ``CVM_DUCKDB_THREADS`` if set, else one more than the cores.

    One thread more than cores: a grouping over millions of customers and days spends much of
    its time waiting on memory, and a spare thread keeps both cores busy meanwhile. On the
    2-core benchmark machine the feature stage on 12.4M transactions took 5.4 s with 3 threads
    against 6.2 s with 2 (``benchmarks/bench_features.py``).
    """
    value = os.environ.get("CVM_DUCKDB_THREADS", "").strip()
    if value:
        try:
            threads = int(value)
        except ValueError:
            threads = 0
        if threads < 1:
            raise ConfigError(f"CVM_DUCKDB_THREADS must be a whole number of threads, not {value!r}")
        return threads
    return (os.cpu_count() or 1) + 1


def duckdb_streaming_threads() -> int:
    """DuckDB's worker threads while it keeps to its streaming limit: the run's
    (:func:`duckdb_threads`), but no more than the cores. Under the streaming limit a
    grouping's buffers per thread are what run out: with 3 threads on 2 cores DuckDB ran out
    of its 3 GB while caching the churn stage's features of 25M customers in two of three runs
    (``could not allocate block``), and passed with 2."""
    return min(duckdb_threads(), os.cpu_count() or 1)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)
_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def _physical_memory() -> int | None:
    """Bytes of memory this process may use: the machine's, or its container's limit where
    that is lower (cgroup v2 ``memory.max``, v1 ``memory.limit_in_bytes``); None if unknown."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        total = None
    for limit in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and (total is None or int(text) < total):
            total = int(text)
    return total


def duckdb_memory_limit() -> str | None:
    """DuckDB's memory limit, in DuckDB's notation: ``CVM_DUCKDB_MEMORY_LIMIT`` if set (e.g.
    ``6GB``, ``512MiB``), else half of the memory this process may use (the machine's, or its
    container's). DuckDB's own default is 80 %, which leaves too little for the per-customer
    tables the stages hold in Python beside it: with half, a grouping too large for its share
    spills to the temporary folder instead (:func:`duckdb_temp_directory`). None when the
    memory cannot be read (DuckDB's default then applies)."""
    value = os.environ.get("CVM_DUCKDB_MEMORY_LIMIT", "").strip()
    if value:
        match = _SIZE.match(value)
        if not match or float(match.group(1)) <= 0:
            raise ConfigError(f"CVM_DUCKDB_MEMORY_LIMIT must be a size such as 6GB or 512MiB, "
                              f"not {value!r}")
        return f"{match.group(1)}{match.group(2).upper()}"
    total = _physical_memory()
    if total is None:
        return None
    return f"{total // 2 // 2**20}MiB"


def duckdb_streaming_memory_limit() -> str | None:
    """The memory limit DuckDB keeps to where the data grow past what this process should
    hold (while a load stores a source, and through a run that keeps its customer table on
    the engine, :func:`cvm.pipeline.analyse`): an eighth of the memory this process may use
    (3 GiB of 24), or :func:`duckdb_memory_limit` where that is lower.

    In a load, reading, parsing and staging a source take about half a GiB at any size; what
    grows is DuckDB's search for repeated rows, which groups every row's hash (5 GiB above the
    rest at 100M rows with half the machine). Past this limit it spills to the temporary
    folder: 100M rows load in 146 s with a peak of 2.77 GiB under a 2 GB limit, against 151 s
    and 5.77 GiB.
    None when neither is known (DuckDB's own limit then stays)."""
    limits = [int(float(m.group(1)) * _UNITS[m.group(2).upper()])
              for m in [_SIZE.match(duckdb_memory_limit() or "")] if m]
    total = _physical_memory()
    if total is not None:
        limits.append(total // 8)
    return f"{min(limits) // 2**20}MiB" if limits else None


@contextmanager
def duckdb_memory_limited(con, limit: str | None) -> Iterator[None]:
    """DuckDB's memory limit set to ``limit`` on ``con`` for the block, then set back to the
    run's (:func:`duckdb_memory_limit`, or DuckDB's own default when that is None)."""
    if limit is not None:
        con.execute(f"SET memory_limit = '{limit}'")
    try:
        yield
    finally:
        if limit is not None:
            run_limit = duckdb_memory_limit()
            con.execute(f"SET memory_limit = '{run_limit}'" if run_limit is not None
                        else "RESET memory_limit")


@contextmanager
def duckdb_threads_limited(con, threads: int) -> Iterator[None]:
    """DuckDB's worker threads set to ``threads`` on ``con`` for the block, then set back."""
    before = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    con.execute(f"SET threads = {int(threads)}")
    try:
        yield
    finally:
        con.execute(f"SET threads = {before}")


@contextmanager
def _duckdb_streaming(con) -> Iterator[None]:
    """The streaming limit (:func:`duckdb_streaming_memory_limit`) and threads
    (:func:`duckdb_streaming_threads`) on ``con`` for the block."""
    with duckdb_memory_limited(con, duckdb_streaming_memory_limit()), \
            duckdb_threads_limited(con, duckdb_streaming_threads()):
        yield


def duckdb_temp_directory(database: str | None = None) -> str:
    """Where DuckDB spills what does not fit in its memory limit: ``CVM_DUCKDB_TEMP_DIRECTORY``
    if set; else, for a workspace file, DuckDB's own choice (``<file>.tmp`` beside it); for an
    in-memory connection, a folder ``cvm-duckdb-spill-<process id>`` in the system's temporary
    folder (``TMPDIR``) rather than DuckDB's ``.tmp`` in the working directory (DuckDB makes it
    only when it spills, and removes it when the connection closes)."""
    value = os.environ.get("CVM_DUCKDB_TEMP_DIRECTORY", "").strip()
    if value:
        return value
    if database and database != ":memory:":
        return f"{database}.tmp"
    return str(Path(tempfile.gettempdir()) / f"cvm-duckdb-spill-{os.getpid()}")


def configure_duckdb(con, database: str | None = None) -> None:
    """Threads (:func:`duckdb_threads`), memory limit (:func:`duckdb_memory_limit`) and spill
    folder (:func:`duckdb_temp_directory`) on a DuckDB connection (``con.execute``)."""
    con.execute(f"SET threads = {duckdb_threads()}")
    limit = duckdb_memory_limit()
    if limit is not None:
        con.execute(f"SET memory_limit = '{limit}'")
    folder = duckdb_temp_directory(database).replace("'", "''")
    con.execute(f"SET temp_directory = '{folder}'")
    # DuckDB's allocator keeps up to 128 MiB per thread of freed memory for its next queries;
    # a run holds its per-customer tables in this process beside them, so DuckDB hands its
    # free memory back sooner and in the background (see return_free_memory)
    con.execute("SET allocator_flush_threshold = '32MiB'")
    con.execute("SET allocator_background_threads = true")


def return_free_memory() -> None:
    """Hand back to the system the memory this process's allocators hold free: Arrow's pool
    (mimalloc or jemalloc keep freed pages for reuse) and, on Linux with glibc, the C heap
    (``malloc_trim``: NumPy's and pandas' freed arrays). A run calls it between its steps:
    memory freed by one step's Arrow tables is otherwise not usable by the next step's NumPy
    arrays, and the process's peak is the sum of both. Measured on 1M transactions: 421 → 288
    MiB resident after loading (with DuckDB's settings of :func:`configure_duckdb`)."""
    pa.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            trim = ctypes.CDLL(None).malloc_trim  # glibc only (musl has none)
        except (OSError, AttributeError):
            return
        trim(0)


def duckdb_engine(con=None) -> Engine:
    """An engine over a DuckDB connection (a workspace's, or a new in-memory one)."""
    if con is None:
        backend = ibis.duckdb.connect()
        configure_duckdb(backend.con)
        return Engine("duckdb", backend)
    return Engine("duckdb", ibis.duckdb.from_connection(con))


_SPARK_SESSION = None


def spark_session():
    """The Spark session of this process (created once, with :mod:`cvm.spark.settings`).

    An already active session (a notebook's, a cluster session the user made) is used as it is,
    with the given settings that a running session accepts set on it
    (:func:`_apply_to_running`). Otherwise cvm starts one on ``CVM_SPARK_MASTER`` (default
    ``local[2]``) with ``CVM_SPARK_CONF`` and ``--spark-conf`` applied.
    """
    global _SPARK_SESSION
    from .spark import settings

    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingExtraError(
            "the Spark engine needs PySpark: pip install 'cvm[spark]'"
        ) from exc
    active = SparkSession.getActiveSession()
    if active is not None:
        _apply_to_running(active, settings.given_conf())
        return active
    if _SPARK_SESSION is None:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        master = settings.master()
        log.info("starting Spark session on %s", master)
        builder = SparkSession.builder.master(master).appName("cvm")
        for key, value in settings.session_conf().items():
            builder = builder.config(key, value)
        _SPARK_SESSION = builder.getOrCreate()
        _SPARK_SESSION.sparkContext.setLogLevel("ERROR")
    else:
        _apply_to_running(_SPARK_SESSION, settings.given_conf())
    return _SPARK_SESSION


def _apply_to_running(session, conf: dict[str, str]) -> None:
    """Set on a running session the settings it accepts now; warn about the others (they only
    apply when a session starts)."""
    for key, value in conf.items():
        if key == "spark.master" or session.conf.get(key, None) == value:
            continue
        if session.conf.isModifiable(key):
            session.conf.set(key, value)
        else:
            log.warning("the Spark session is already running: %s=%s applies only to a session "
                        "cvm starts", key, value)


def spark_engine() -> Engine:
    """An engine over the shared Spark session."""
    try:
        import ibis.backends.pyspark
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingExtraError(
            "the Spark engine needs PySpark: pip install 'cvm[spark]'"
        ) from exc
    return Engine("spark", ibis.pyspark.connect(spark_session()))


def is_spark(engine: str | Engine) -> bool:
    """Whether ``engine`` (a name or an engine) is Spark."""
    return (engine.name if isinstance(engine, Engine) else engine) == "spark"


def get_engine(name: str, con=None) -> Engine:
    """The engine called ``name``; DuckDB runs on ``con`` (a workspace's connection) when given."""
    if name == "duckdb":
        return duckdb_engine(con)
    if name == "spark":
        return spark_engine()
    raise ValueError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")


@dataclass
class LinkageBackend:
    """Splink's database API on one engine (record linkage, :mod:`cvm.identity.model`), and the
    two reads of its results that differ between engines."""

    api: Any
    #: DuckDB's own connection (closed by :meth:`close`); None on Spark
    con: Any = None

    def columns(self, table: str) -> set[str]:
        """The column names of a table Splink made."""
        if self.con is not None:
            return {d[0] for d in self.con.execute(f"SELECT * FROM {table} LIMIT 0").description}
        return set(self.api.spark.table(table).columns)

    def arrow(self, sql: str) -> pa.Table:
        """A query's result as an Arrow table."""
        if self.con is not None:
            return self.con.execute(sql).to_arrow_table()
        return pa.Table.from_pandas(self.api.spark.sql(sql).toPandas(), preserve_index=False)

    def close(self) -> None:
        if self.con is not None:
            self.con.close()


def linkage_backend(name: str, workdir: Path, memory_limit: str | None) -> LinkageBackend:
    """Splink's database API on the engine called ``name``: a private in-memory DuckDB that
    spills to ``workdir``, or the shared Spark session with Splink's similarity functions."""
    if name == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        con = duckdb.connect(":memory:")
        con.execute(f"SET temp_directory = '{workdir / 'spill'}'")
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET preserve_insertion_order = false")
        return LinkageBackend(DuckDBAPI(connection=con), con)
    if name == "spark":
        from splink import SparkAPI
        from splink.backends.spark import similarity_jar_location

        spark = spark_session()
        # Splink's string-similarity functions (Jaro-Winkler, Damerau-Levenshtein) come in a
        # jar that ships with Splink; adding it at run time works on a session already started
        spark.sql(f"ADD JAR '{similarity_jar_location()}'")
        spark.sparkContext.setCheckpointDir(str(workdir / "checkpoints"))
        return LinkageBackend(SparkAPI(spark_session=spark, break_lineage_method="persist"))
    raise ValueError(f"unknown engine {name!r}: choose duckdb or spark")
