"""The stage contract: what a stage of the analysis gets, what it gives back, and how it runs.

A run is load → unify → stages → store (:mod:`cvm.pipeline`). The stages work on one table,
one row per customer; each adds its columns and may store tables and figures with the run. The
built-in stages are listed once, in :data:`cvm.stages.DEFAULT_STAGES`: ``features`` (summary,
RFM, ABC), ``clv``, ``lifecycle``, ``value`` and ``matrix``. This module imports nothing from
them.

Adding a stage (churn, campaigns, satisfaction …)
-------------------------------------------------
Write one module under ``cvm/stages/`` with a subclass of :class:`Stage`; put its computations
(Ibis expressions, estimators, scoring formulas) where their domain lives (``features/``,
``models/``, ``segments/``) and keep the stage module to the glue below. Then list an instance
in :data:`cvm.stages.DEFAULT_STAGES` after the stages whose columns it reads, or pass your own
list: ``analyse(ws, stages=[*DEFAULT_STAGES, MyStage()])``.

A stage says:

- ``name``: the key of its figures in the run summary (``info["stages"][name]``);
- ``needs``: the customer columns it cannot work without (checked before it runs), and
  ``uses``: the columns it reads when an earlier stage added them (it must work without them);
- :meth:`Stage.adds`: the columns it adds, in order.

Its work comes in four parts, each a method with a default that does nothing, run in this order
by :meth:`Stage.run`:

1. :meth:`Stage.relation` — the **relational part**: one Ibis expression on the engine, one row
   per ``customer_id`` (trend columns from the purchase days, sums per customer …). Its columns
   are joined to the customer rows by id (a customer without a row gets nulls).
2. :meth:`Stage.fit` — the **global state**: whatever needs every customer at once and is
   small (fitted model parameters, quantile cut points, reference scales, a playbook), from the
   customer rows (the ``needs`` and ``uses`` columns and the relation's). Compute it from
   aggregates where you can (the BTYD models fit on the compressed table of unique
   (x, t_x, T) rows, which stays small at any size). It is what the batches get, so it must be
   plain data that pickles: no workspace, engine or connection in it.
3. :meth:`Stage.transform` — the **numeric part**: a function of one Arrow record batch of
   customer rows (the same columns as ``fit`` saw) and the state, returning a record batch of
   the added columns, row for row. It must not depend on which rows share its batch;
   :func:`apply_batches` runs it batch by batch (``batch_rows``) in this process today, and an
   engine can run the same function next to the data (Spark's ``mapInArrow``). A stage whose
   numeric part still needs every row together says ``batch_rows = None`` and gets one batch.
4. :meth:`Stage.finish` — the **results**: tables stored with the run (``run_<id>_<name>``)
   and figures for the report, from the completed table; a stage that brings in customers
   without purchases (prospects) appends them here and says ``adds_rows``.

The rules every stage keeps (checked by :func:`check_rows`): the rows it was given come back in
the same order and number; a stage with ``adds_rows`` appends rows after them. It never changes
its input table (Arrow tables are immutable; return a new one).

A stage whose shape differs — the ``features`` stage makes the rows in the first place —
overrides :meth:`Stage.run` and keeps the same result and rules.

The customer table on the engine
--------------------------------
Where the engine runs functions away from this process (Spark's executors:
:attr:`cvm.engine.Engine.batches_apart`), a run keeps the customer table on the engine for as
long as its stages allow: a stage that says ``on_engine`` gets the table as an Ibis table and
:meth:`Stage.run_on_engine` runs the same four parts there — the relation joined on the engine,
the state from aggregates (:meth:`Stage.fit_on_engine`), :meth:`Stage.transform` applied next
to the data by :meth:`cvm.engine.Engine.map_batches` (:func:`map_customers`), and
:meth:`Stage.finish_on_engine` from aggregates. The first stage without ``on_engine`` gets the
table collected into this process (:func:`collect_customers`), as do the ones after it; the run
summary names that stage (``customers_collected_for``).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import CvmError

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir

    from ..config import AnalysisConfig
    from ..engine import Engine
    from ..workspace import Workspace

__all__ = ["AnalysisError", "StageContext", "StageResult", "Stage", "apply_batches",
           "align_rows", "check_rows", "with_columns", "map_customers", "collect_customers",
           "fit_inputs", "join_columns", "BATCH_ROWS"]

#: Customer rows per batch of a stage's numeric part, unless the stage says otherwise.
BATCH_ROWS = 262_144


class AnalysisError(CvmError, RuntimeError):
    """The analysis cannot run on this data (e.g. no transactions at all), or a stage broke
    the stage contract."""


@dataclass
class StageContext:
    """What a stage gets to work with besides the customer table."""

    ws: Workspace
    engine: Engine
    #: the run's settings, with the as-of date set
    config: AnalysisConfig
    as_of: dt.date
    #: the unified transactions on the engine: customer_id, purchase_date, amount, margin, cost,
    #: category
    transactions: ir.Table
    #: the same grouped by customer and day, materialised once
    #: (:func:`cvm.features.summary.purchase_days`)
    days: ir.Table


@dataclass
class StageResult:
    """A stage's output: the customer table with the stage's columns added (one row per
    customer, same order), extra result tables stored with the run as ``run_<id>_<name>``,
    and figures for the report (kept in the run summary under the stage's name)."""

    #: an Ibis table on the engine when the stage ran there (:meth:`Stage.run_on_engine`)
    customers: pa.Table | ir.Table
    tables: dict[str, pa.Table] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    #: True when the stage appends rows (e.g. prospects from the customer list, who have no
    #: purchases): the rows it was given must come first, unchanged in order, the new rows after.
    adds_rows: bool = False
    #: entries of the run summary itself, beside ``info`` (the ``features`` stage gives the
    #: Pareto figures, ``{"pareto": …}``)
    run_summary: dict = field(default_factory=dict)


class Stage:
    """One step of the analysis; see the module documentation for how to write one."""

    name: str = ""
    #: customer columns the stage cannot work without
    needs: tuple[str, ...] = ()
    #: customer columns the stage reads when an earlier stage added them
    uses: tuple[str, ...] = ()
    #: rows per batch of :meth:`transform`; None: the whole table as one batch
    batch_rows: int | None = BATCH_ROWS
    #: whether the stage can work on the customer table left on the engine
    #: (:meth:`run_on_engine`)
    on_engine: bool = False

    def adds(self, config: AnalysisConfig) -> tuple[str, ...]:
        """The columns this stage adds, in order (they may depend on the settings)."""
        return ()

    def relation(self, ctx: StageContext, customers: pa.Table) -> ir.Table | None:
        """Per-customer columns computed on the engine, keyed by ``customer_id`` (default
        none)."""
        return None

    def fit(self, ctx: StageContext, rows: pa.Table) -> Any:
        """The global state the batches need, from every customer's rows (plain data; default
        none)."""
        return None

    def transform(self, batch: pa.RecordBatch, state: Any) -> pa.RecordBatch:
        """The added columns for one batch of customer rows (default none)."""
        return pa.RecordBatch.from_arrays([], names=[])

    def finish(self, ctx: StageContext, customers: pa.Table, state: Any) -> StageResult:
        """Tables and figures from the completed table (default: the table alone)."""
        return StageResult(customers)

    def run(self, ctx: StageContext, customers: pa.Table) -> StageResult:
        """relation → fit → transform over batches → finish."""
        missing = [c for c in self.needs if c not in customers.column_names]
        if missing:
            raise AnalysisError(f"stage {self.name} needs the column(s) {', '.join(missing)}, "
                                "which no stage before it added")
        wanted = [c for c in dict.fromkeys(("customer_id", *self.needs, *self.uses))
                  if c in customers.column_names]
        rows = customers.select(wanted)
        expr = self.relation(ctx, customers)
        if expr is not None:
            joined = align_rows(ctx.engine.to_arrow(expr), customers.column("customer_id"))
            rows = with_columns(rows, {name: joined.column(name) for name in joined.column_names
                                       if name != "customer_id"})
        state = self.fit(ctx, rows)
        added = apply_batches(self.transform, rows, state, self.batch_rows)
        out = with_columns(customers, {n: added.column(n) for n in added.column_names})
        return self.finish(ctx, out, state)

    def added_schema(self, config: AnalysisConfig) -> pa.Schema | None:
        """The names and types of the columns :meth:`transform` adds, when they cannot be
        learnt from its output on an empty batch (default: learnt so)."""
        return None

    def fit_on_engine(self, ctx: StageContext, rows: ir.Table) -> Any:
        """The global state from aggregates of the customer rows on the engine (the columns
        :meth:`fit` would see, and ``value_rank``; default: what :meth:`fit` gives without
        rows, for a stage whose state needs none). A stage whose models learn from every
        customer brings their inputs here with :func:`fit_inputs`."""
        return self.fit(ctx, None)

    def finish_on_engine(self, ctx: StageContext, customers: ir.Table, state: Any
                         ) -> StageResult:
        """The results from aggregates of the completed table on the engine (default: the
        table alone)."""
        return StageResult(customers)

    def run_on_engine(self, ctx: StageContext, customers: ir.Table) -> StageResult:
        """relation → fit → transform → finish with the customer table left on the engine: the
        relation is joined there, :meth:`transform` runs next to the data
        (:func:`map_customers`) and the completed table is cached on the engine."""
        missing = [c for c in self.needs if c not in customers.columns]
        if missing:
            raise AnalysisError(f"stage {self.name} needs the column(s) {', '.join(missing)}, "
                                "which no stage before it added")
        wanted = [c for c in ("customer_id", *self.needs, *self.uses) if c in customers.columns]
        rows, own = customers, {}
        expr = self.relation(ctx, customers)
        if expr is not None:
            # made once and kept: the fit's inputs and the transform both read it, and a
            # relation joined as an expression is computed within the join (at 25M customers
            # the churn stage's behaviour features alone took 88 s and 3.3 GiB; computed
            # within the join of the customer table, DuckDB ran out of its 3 GB)
            expr = ctx.engine.cache(expr)
            # the relation's version of a column the rows have is what fit and transform read;
            # the table keeps its own (as Stage.run does)
            own = {f"_cvm_own_{c}": c for c in expr.columns
                   if c != "customer_id" and c in customers.columns}
            rows = join_columns(customers.mutate(**{k: customers[c] for k, c in own.items()}),
                                expr)
            wanted += [c for c in expr.columns if c != "customer_id"]
        wanted = list(dict.fromkeys(wanted))
        state = self.fit_on_engine(ctx, rows.select(*wanted, *(
            ["value_rank"] if "value_rank" in rows.columns and "value_rank" not in wanted
            else [])))
        mine = {c: k for k, c in own.items()}
        out = map_customers(ctx.engine, rows, wanted, self.transform, state,
                            self.added_schema(ctx.config),
                            keep=[mine.get(c, c) for c in customers.columns])
        if own:
            out = out.rename(mine)
        return self.finish_on_engine(ctx, ctx.engine.cache(out), state)

    def __repr__(self) -> str:
        return f"<stage {self.name}>"


def join_columns(customers: ir.Table, expr: ir.Table) -> ir.Table:
    """The customer rows with the columns of ``expr`` (keyed by ``customer_id``) joined on the
    engine: a customer without a row gets nulls; a column the rows have already is replaced
    where it stands."""
    added = [c for c in expr.columns if c != "customer_id"]
    renamed = expr.rename({f"_cvm_{c}": c for c in added})
    joined = customers.left_join(renamed, "customer_id")
    kept = [joined[f"_cvm_{c}"].name(c) if c in added else joined[c] for c in customers.columns]
    return joined.select(*kept, *[joined[f"_cvm_{c}"].name(c) for c in added
                                  if c not in customers.columns])


def map_customers(engine: Engine, rows: ir.Table, wanted: list[str],
                  transform: Callable[[pa.RecordBatch, Any], pa.RecordBatch], state: Any,
                  added: pa.Schema | None = None, *, keep: list[str] | None = None
                  ) -> ir.Table:
    """The customer rows with the columns ``transform(batch of the wanted columns, state)``
    adds, batch by batch next to the data (:meth:`cvm.engine.Engine.map_batches`); an added
    column the rows have already is replaced where it stands. The added columns' types are
    ``added``, else those the transform gives on an empty batch. ``keep`` names the columns of
    the rows that the result keeps (default all)."""
    schema = rows.schema().to_pyarrow()
    keep = list(keep or schema.names)
    if added is None:
        inputs = pa.schema([schema.field(c) for c in wanted])
        added = transform(pa.RecordBatch.from_pylist([], schema=inputs), state).schema
    fields = {name: schema.field(name) for name in keep}
    for f in added:
        fields[f.name] = pa.field(f.name, pa.string() if pa.types.is_null(f.type) else f.type)
    return engine.map_batches(rows, functools.partial(_through, transform, state, wanted, keep),
                              pa.schema(list(fields.values())))


def _through(transform, state, wanted: list[str], keep: list[str], batch: pa.RecordBatch
             ) -> pa.RecordBatch:
    """One batch of customer rows (its ``keep`` columns) with the transform's columns added or
    replaced."""
    added = transform(batch.select(wanted), state)
    table = with_columns(pa.Table.from_batches([batch.select(keep)]),
                         {n: added.column(n) for n in added.schema.names})
    return table.combine_chunks().to_batches()[0] if table.num_rows else \
        pa.RecordBatch.from_pylist([], schema=table.schema)


def fit_inputs(engine: Engine, rows: ir.Table, columns: list[str] | None = None) -> pa.Table:
    """A model's inputs brought to this process: the ``columns`` of the customer rows on the
    engine (default all but ``value_rank``), in the order a run keeps them, so that a fit and
    its messages are those of a run in this process."""
    names = columns or [c for c in rows.columns if c != "value_rank"]
    return engine.to_arrow(rows.order_by("value_rank").select(*names))


def ordered_customers(customers: ir.Table) -> ir.Table:
    """The customer table on the engine in the order a run keeps: buyers by ``value_rank``,
    then the rows without one (prospects) by id."""
    return customers.order_by([customers.value_rank.isnull(), customers.value_rank,
                               customers.customer_id])


def collect_customers(engine: Engine, customers: ir.Table) -> pa.Table:
    """The customer table on the engine, in this process, in the order a run keeps
    (:func:`ordered_customers`)."""
    return engine.to_arrow(ordered_customers(customers))


def apply_batches(function: Callable[[pa.RecordBatch, Any], pa.RecordBatch], table: pa.Table,
                  state: Any, batch_rows: int | None = BATCH_ROWS) -> pa.Table:
    """``function(batch, state)`` over record batches of at most ``batch_rows`` rows (all rows
    at once when None), the outputs concatenated in order; each output has its batch's rows."""
    if batch_rows is None or table.num_rows == 0:
        batches = [table.combine_chunks().to_batches()[0] if table.num_rows
                   else pa.RecordBatch.from_pylist([], schema=table.schema)]
    else:
        batches = [b for b in table.to_batches(max_chunksize=batch_rows) if b.num_rows]
    outputs = []
    for batch in batches:
        out = function(batch, state)
        if out.num_rows != batch.num_rows and out.num_columns:
            raise AnalysisError(f"a batch of {batch.num_rows} rows gave {out.num_rows} rows")
        outputs.append(out)
    if not outputs[0].num_columns:
        return pa.table({})
    return pa.Table.from_batches(outputs)


def align_rows(table: pa.Table, ids: pa.ChunkedArray | pa.Array) -> pa.Table:
    """The rows of ``table`` (keyed by ``customer_id``) in the order of ``ids``; an id without
    a row gets nulls."""
    index = pc.index_in(ids, value_set=table.column("customer_id"))
    return table.take(index)


def with_columns(table: pa.Table, columns: dict[str, Any]) -> pa.Table:
    """``table`` with ``columns`` added at the end, or in place where the name is there."""
    for name, values in columns.items():
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, values)
        else:
            table = table.append_column(name, values)
    return table


def check_rows(name: str, before: pa.Table, out: StageResult) -> None:
    """A stage keeps every row in order; only a stage that says ``adds_rows`` may append."""
    n = before.num_rows
    if out.customers.num_rows != n and not (out.adds_rows and out.customers.num_rows > n):
        raise AnalysisError(f"stage {name} changed the number of customers")
    if out.adds_rows and n and not out.customers.column("customer_id").slice(0, n).equals(
            before.column("customer_id")):
        raise AnalysisError(f"stage {name} reordered the customers it was given")
