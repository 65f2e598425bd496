"""The ``lifecycle`` stage: where each customer is in the relationship, and why.

Adds the trend columns (:data:`cvm.features.lifecycle.TREND_COLUMNS`), ``lifecycle_stage``,
``lifecycle_reason`` in the run's language and, so that the reason can be worded again in
another language, the rule that decided and the numbers it names
(:data:`cvm.features.lifecycle.REASON_COLUMNS`). It **appends the prospects** — customers of the
customer list without a purchase on or before the as-of date — after the buyers (``adds_rows``):
their purchase columns are null, their list fields (name, contacts, owner) filled. It stores
``lifecycle_economics`` (each period booked to the stage the customer was in then:
:mod:`cvm.segments.economics`), ``lifecycle_history`` and ``lifecycle_flows`` with the run.

- relation: the trend and the stage rules on the engine
  (:func:`~cvm.features.lifecycle.customer_trend`, :func:`~cvm.features.lifecycle.stage_rules`),
  with the CLV stage's ``probability_alive`` when it ran (a customer without a purchase in the
  last period and a low P(alive) is churned);
- batches: the stage names of the chosen scheme and the reasons in words;
- finish: the prospects, the economics per stage and the history and flows between dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from ..config import LifecycleOptions
from ..features.lifecycle import (
    REASON_COLUMNS,
    STAGES,
    TREND_COLUMNS,
    customer_trend,
    history_dates,
    lifecycle_reasons,
    prospect_reason,
    stage_history,
    stage_names,
    stage_rules,
)
from ..identity.attributes import customer_attributes
from ..segments.economics import (each_period, period_amounts, period_counts, stage_economics,
                                  stage_economics_on_engine, stages_at, stages_by_period)
from .contract import Stage, StageResult

__all__ = ["LifecycleStage", "stage_flows", "stage_flows_on_engine", "prospects_on_engine"]


@dataclass(frozen=True)
class _Wording:
    options: LifecycleOptions
    lang: str


class LifecycleStage(Stage):
    name = "lifecycle"
    uses = ("probability_alive",)
    on_engine = True

    def adds(self, config) -> tuple[str, ...]:
        return (*TREND_COLUMNS, "lifecycle_stage", "lifecycle_reason", *REASON_COLUMNS)

    def relation(self, ctx, customers: pa.Table):
        o = ctx.config.lifecycle
        trend = customer_trend(ctx.days, as_of=ctx.as_of, options=o)
        alive = None
        on_engine = not isinstance(customers, pa.Table)
        if "probability_alive" in (customers.columns if on_engine else customers.column_names):
            p = (customers.select("customer_id", "probability_alive") if on_engine else
                 ctx.engine.table(customers.select(["customer_id", "probability_alive"]),
                                  "cvm_lc_alive"))
            trend = trend.left_join(p, "customer_id").drop("customer_id_right")
            alive = trend.probability_alive
        return stage_rules(trend, o, alive=alive)

    def fit(self, ctx, rows) -> _Wording:
        return _Wording(ctx.config.lifecycle, ctx.config.lang)

    def transform(self, batch: pa.RecordBatch, state: _Wording) -> pa.RecordBatch:
        o = state.options
        reasons = lifecycle_reasons(batch, o, lang=state.lang)
        names = [*TREND_COLUMNS, "lifecycle_stage", "lifecycle_reason", *REASON_COLUMNS]
        arrays = [batch.column(n) for n in TREND_COLUMNS]
        arrays += [stage_names(batch.column("lifecycle_stage"), o.scheme), reasons]
        arrays += [batch.column(n) for n in REASON_COLUMNS]
        return pa.RecordBatch.from_arrays(arrays, names=names)

    def finish(self, ctx, customers: pa.Table, state: _Wording) -> StageResult:
        o = state.options
        out = customers
        n_buyers = out.num_rows
        adds = False
        if o.prospects:
            prospects = customer_attributes(ctx.ws, without_purchase_by=ctx.as_of)
            if prospects.num_rows:
                first = STAGES[o.scheme][0]  # prospect, or acquisition in the five-stage scheme
                out = _append_prospects(out, prospects, first, prospect_reason(state.lang))
                adds = True
        # the stages at the earlier dates one date at a time: the engine's working memory is
        # then one date's grouping, not all of them at once (1M customers: about 1 GiB less)
        long = (pa.concat_tables([ctx.engine.to_arrow(stage_history(ctx.days, [day], o))
                                  for day in history_dates(ctx.as_of, o)[:-1]])
                if o.history_dates > 1 else None)
        amounts = ctx.engine.to_arrow(period_amounts(ctx.days, as_of=ctx.as_of,
                                                     period_days=o.period_days,
                                                     periods=o.history_dates))
        dates = history_dates(ctx.as_of, o)
        # each customer's stage at each earlier date, read by the economics and the flows
        then = stages_at(out, long, dates[:-1], o.scheme) if long is not None else None
        economics = stage_economics(out, long, amounts, as_of=ctx.as_of, options=o,
                                    clv=ctx.config.clv, looked_up=then)
        counts = {str(v["values"]): int(v["counts"]) for v in
                  pc.value_counts(out.column("lifecycle_stage")).to_pylist()}
        flows = (stage_flows(out, long, dates, o.scheme, looked_up=then)
                 if long is not None else None)
        tables, summary = _results(o, economics, counts, out.num_rows - n_buyers,
                                   "probability_alive" in customers.column_names, flows)
        return StageResult(out, tables, summary, adds_rows=adds)

    def finish_on_engine(self, ctx, customers, state: _Wording) -> StageResult:
        """:meth:`finish` on the engine: the prospects appended there, the economics, counts,
        history and flows from groupings there."""
        o = state.options
        out, n_prospects = customers, 0
        if o.prospects:
            prospects = prospects_on_engine(ctx.ws, ctx.engine, customers, ctx.as_of,
                                            STAGES[o.scheme][0], prospect_reason(state.lang))
            if prospects is not None:
                out, n_prospects = prospects
                out = ctx.engine.cache(out)
        run = ctx.engine.to_arrow
        long = (stage_history(ctx.days, history_dates(ctx.as_of, o)[:-1], o)
                if o.history_dates > 1 else None)
        # each customer's stage in each period, read by the economics and the flows
        staged = ctx.engine.cache(stages_by_period(out, long, as_of=ctx.as_of, options=o))
        amounts = period_amounts(ctx.days, as_of=ctx.as_of, period_days=o.period_days,
                                 periods=o.history_dates)
        counted = period_counts(staged, run, options=o)
        economics = stage_economics_on_engine(staged, amounts, run, options=o,
                                              clv=ctx.config.clv, counts=counted)
        counts = {str(r["stage"]): int(r["customers"]) for r in economics.to_pylist()
                  if r["customers"]}
        flows = (stage_flows_on_engine(staged, history_dates(ctx.as_of, o), o.scheme, run,
                                       counts=counted)
                 if long is not None else None)
        tables, summary = _results(o, economics, counts, n_prospects,
                                   "probability_alive" in customers.columns, flows)
        return StageResult(out, tables, summary, adds_rows=bool(n_prospects))


def _results(o: LifecycleOptions, economics: pa.Table, counts: dict, n_prospects: int,
             used_alive: bool, flows: tuple[pa.Table, pa.Table] | None) -> tuple[dict, dict]:
    """The stage's tables and run-summary figures."""
    tables = {"lifecycle_economics": economics}
    summary = {"scheme": o.scheme, "stages": list(STAGES[o.scheme]),
               "period_days": o.period_days,
               "economics_periods": o.history_dates,
               "counts": counts,
               "n_prospects": n_prospects,
               "used_probability_alive": used_alive,
               "economics": economics.to_pylist()}
    if flows is not None:
        history, flow = flows
        tables["lifecycle_history"] = history
        tables["lifecycle_flows"] = flow
        summary["history"] = history.to_pylist()
        summary["flows"] = flow.to_pylist()
    return tables, summary


def prospects_on_engine(ws, engine, customers, as_of, stage: str, reason: str):
    """The customer table on the engine with the prospects (the customer list's customers
    without a purchase by ``as_of``) appended as :func:`_append_prospects` appends them, and
    their number; None without any."""
    import ibis

    from ..identity.attributes import prospects_sql

    sql = prospects_sql(ws, as_of)
    if sql is None:
        return None
    n = ws.query(f"SELECT count(*) FROM ({sql})")[0][0]
    if not n:
        return None
    found = engine.workspace_query(ws, sql, "cvm_prospects")
    schema = customers.schema()
    columns = []
    for name, dtype in schema.items():
        if name == "lifecycle_stage":
            value = ibis.literal(stage, type=dtype)
        elif name == "lifecycle_reason":
            value = ibis.literal(reason, type=dtype)
        elif name in found.columns:
            value = found[name].cast(dtype)
        else:
            value = ibis.null(dtype)
        columns.append(value.name(name))
    return ibis.union(customers, found.select(*columns)), int(n)


def _append_prospects(customers: pa.Table, prospects: pa.Table, stage: str, reason: str
                      ) -> pa.Table:
    n = prospects.num_rows
    columns = []
    for f in customers.schema:
        if f.name == "lifecycle_stage":
            columns.append(pa.array([stage] * n, type=f.type))
        elif f.name == "lifecycle_reason":
            columns.append(pa.array([reason] * n, type=f.type))
        elif f.name in prospects.column_names:
            columns.append(prospects.column(f.name).cast(f.type))
        else:
            columns.append(pa.nulls(n, type=f.type))
    extra = pa.Table.from_arrays(columns, schema=customers.schema)
    return pa.concat_tables([customers, extra])


def stage_flows(customers: pa.Table, earlier: pa.Table, dates, scheme: str, *,
                looked_up: dict | None = None) -> tuple[pa.Table, pa.Table]:
    """Stage counts at each date and the flows between consecutive dates, for the customers of
    the run (buyers and prospects). ``earlier`` is the long stage table of the dates before the
    last; a customer without a purchase by a date is a prospect then. ``looked_up``: the
    customers' stages at those dates when :func:`~cvm.segments.economics.stages_at` has them
    already."""
    import numpy as np
    import pandas as pd

    # each customer's stage at each date (a lookup by id per date, no Python loop), then the
    # counts per stage and per pair of consecutive stages from the stages' codes
    then = looked_up or stages_at(customers, earlier, dates[:-1], scheme)
    stages = [then[day][0] for day in dates[:-1]]
    stages.append(customers.column("lifecycle_stage").to_numpy(zero_copy_only=False))
    coded = [pd.factorize(s, use_na_sentinel=False) for s in stages]
    counts = [{str(v): int(n) for v, n in zip(names, np.bincount(codes, minlength=len(names)))}
              for codes, names in coded]
    pairs = []
    for (a, names_a), (b, names_b) in zip(coded, coded[1:]):
        n = np.bincount(a * len(names_b) + b, minlength=len(names_a) * len(names_b))
        pairs.append([(names_a[i // len(names_b)], names_b[i % len(names_b)], int(n[i]))
                      for i in np.flatnonzero(n)])
    return _history_and_flows(dates, counts, pairs, scheme)


def stage_flows_on_engine(staged, dates, scheme: str, run, *,
                          counts: list[dict] | None = None) -> tuple[pa.Table, pa.Table]:
    """:func:`stage_flows` on an engine: ``staged`` is
    :func:`cvm.segments.economics.stages_by_period` (each customer's stage in each period, a
    column per period, an Ibis table); ``run`` brings the counts per date
    (:func:`cvm.segments.economics.period_counts`; ``counts`` when they are counted already)
    and per pair of consecutive stages to this process, from groupings of its columns."""
    last = len(dates) - 1  # period k is the date dates[last - k]
    if counts is None:
        counts = period_counts(staged, run, options=LifecycleOptions(
            scheme=scheme, history_dates=last + 1))
    found = [{} for _ in dates]
    for r in counts:
        found[last - int(r["k"])][str(r["stage"])] = int(r["n"])
    pairs = [[] for _ in range(last)]
    if last:
        # the stage at the earlier date (period k + 1) and at the next one (period k)
        t = each_period(staged, last, lambda k: {"_from": staged[f"stage_{k + 1}"],
                                                 "stage": staged[f"stage_{k}"]})
        for r in run(t.group_by(["k", "_from", "stage"]).aggregate(n=t.count())).to_pylist():
            pairs[last - 1 - int(r["k"])].append((r["_from"], r["stage"], int(r["n"])))
    return _history_and_flows(dates, found, pairs, scheme)


def _history_and_flows(dates, counts: list[dict], pairs: list[list[tuple]], scheme: str
                       ) -> tuple[pa.Table, pa.Table]:
    """The history and flow tables from the stage counts at each date and the customers of
    each pair of stages between consecutive dates."""
    order = {s: i for i, s in enumerate(STAGES[scheme])}
    history = []
    for day, found in zip(dates, counts):
        history += [{"as_of": day, "stage": s, "customers": found.get(s, 0)}
                    for s in STAGES[scheme]]
    flows = []
    for i, found in enumerate(pairs):
        for a, b, n in sorted(found, key=lambda r: (order.get(r[0], 99), order.get(r[1], 99))):
            flows.append({"from_date": dates[i], "to_date": dates[i + 1], "from_stage": a,
                          "to_stage": b, "customers": n})
    history_t = pa.Table.from_pylist(history, schema=pa.schema([
        ("as_of", pa.date32()), ("stage", pa.string()), ("customers", pa.int64())]))
    flows_t = pa.Table.from_pylist(flows, schema=pa.schema([
        ("from_date", pa.date32()), ("to_date", pa.date32()), ("from_stage", pa.string()),
        ("to_stage", pa.string()), ("customers", pa.int64())]))
    return history_t, flows_t
