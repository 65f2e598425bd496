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
from ..segments.economics import period_amounts, stage_economics
from .contract import Stage, StageResult

__all__ = ["LifecycleStage", "stage_flows"]


@dataclass(frozen=True)
class _Wording:
    options: LifecycleOptions
    lang: str


class LifecycleStage(Stage):
    name = "lifecycle"
    uses = ("probability_alive",)

    def adds(self, config) -> tuple[str, ...]:
        return (*TREND_COLUMNS, "lifecycle_stage", "lifecycle_reason", *REASON_COLUMNS)

    def relation(self, ctx, customers: pa.Table):
        o = ctx.config.lifecycle
        trend = customer_trend(ctx.days, as_of=ctx.as_of, options=o)
        alive = None
        if "probability_alive" in customers.column_names:
            p = ctx.engine.table(customers.select(["customer_id", "probability_alive"]),
                                 "cvm_lc_alive")
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
        long = (ctx.engine.to_arrow(stage_history(ctx.days, history_dates(ctx.as_of, o)[:-1], o))
                if o.history_dates > 1 else None)
        amounts = ctx.engine.to_arrow(period_amounts(ctx.days, as_of=ctx.as_of,
                                                     period_days=o.period_days,
                                                     periods=o.history_dates))
        economics = stage_economics(out, long, amounts, as_of=ctx.as_of, options=o,
                                    clv=ctx.config.clv)
        tables = {"lifecycle_economics": economics}
        summary = {"scheme": o.scheme, "stages": list(STAGES[o.scheme]),
                   "period_days": o.period_days,
                   "economics_periods": o.history_dates,
                   "counts": {str(v["values"]): int(v["counts"]) for v in
                              pc.value_counts(out.column("lifecycle_stage")).to_pylist()},
                   "n_prospects": out.num_rows - n_buyers,
                   "used_probability_alive": "probability_alive" in customers.column_names,
                   "economics": economics.to_pylist()}
        if long is not None:
            dates = history_dates(ctx.as_of, o)
            history, flows = stage_flows(out, long, dates, o.scheme)
            tables["lifecycle_history"] = history
            tables["lifecycle_flows"] = flows
            summary["history"] = history.to_pylist()
            summary["flows"] = flows.to_pylist()
        return StageResult(out, tables, summary, adds_rows=adds)


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


def stage_flows(customers: pa.Table, earlier: pa.Table, dates, scheme: str
                ) -> tuple[pa.Table, pa.Table]:
    """Stage counts at each date and the flows between consecutive dates, for the customers of
    the run (buyers and prospects). ``earlier`` is the long stage table of the dates before the
    last; a customer without a purchase by a date is a prospect then."""
    first = STAGES[scheme][0]
    # one row per customer of the run, one stage column per date (hash joins, no Python loop)
    wide = pa.table({"customer_id": customers.column("customer_id"),
                     "s_last": customers.column("lifecycle_stage")})
    renamed = _rename(earlier.column("lifecycle_stage"), scheme)
    earlier = earlier.set_column(earlier.column_names.index("lifecycle_stage"), "lifecycle_stage",
                                 renamed)
    columns = []
    for i, day in enumerate(dates[:-1]):
        part = earlier.filter(pc.equal(earlier.column("as_of"), pa.scalar(day, pa.date32())))
        part = part.select(["customer_id", "lifecycle_stage"]).rename_columns(
            ["customer_id", f"s{i}"])
        wide = wide.join(part, "customer_id", join_type="left outer")
        wide = wide.set_column(wide.column_names.index(f"s{i}"), f"s{i}",
                               pc.fill_null(wide.column(f"s{i}"), first))
        columns.append(f"s{i}")
    columns.append("s_last")
    order = {s: i for i, s in enumerate(STAGES[scheme])}
    history = []
    for day, column in zip(dates, columns):
        counts = {str(v["values"]): int(v["counts"])
                  for v in pc.value_counts(wide.column(column)).to_pylist()}
        history += [{"as_of": day, "stage": s, "customers": counts.get(s, 0)}
                    for s in STAGES[scheme]]
    flows = []
    for i in range(len(dates) - 1):
        a, b = columns[i], columns[i + 1]
        pairs = wide.group_by([a, b]).aggregate([("customer_id", "count")]).to_pylist()
        for r in sorted(pairs, key=lambda r: (order.get(r[a], 99), order.get(r[b], 99))):
            flows.append({"from_date": dates[i], "to_date": dates[i + 1], "from_stage": r[a],
                          "to_stage": r[b], "customers": int(r["customer_id_count"])})
    history_t = pa.Table.from_pylist(history, schema=pa.schema([
        ("as_of", pa.date32()), ("stage", pa.string()), ("customers", pa.int64())]))
    flows_t = pa.Table.from_pylist(flows, schema=pa.schema([
        ("from_date", pa.date32()), ("to_date", pa.date32()), ("from_stage", pa.string()),
        ("to_stage", pa.string()), ("customers", pa.int64())]))
    return history_t, flows_t


def _rename(stages: pa.ChunkedArray, scheme: str) -> pa.ChunkedArray:
    """Seed stage keys in the scheme's names, through the (few) distinct values."""
    if scheme == "seed":
        return stages
    encoded = stages.combine_chunks().dictionary_encode()
    names = stage_names(encoded.dictionary, scheme)
    return pa.chunked_array([names.take(encoded.indices)])
