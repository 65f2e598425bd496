"""The pipeline stages of the lifecycle, composite value and matrix capabilities.

Registered in :data:`cvm.pipeline.STAGES` after the CLV stage (when there is one), in this
order:

- ``lifecycle`` adds the trend columns, ``lifecycle_stage`` and ``lifecycle_reason`` (in the
  run's language; with the rule that decided, ``lifecycle_rule``, and the numbers it names, so
  the reason can be worded again in another language), and
  **appends the prospects** — customers of the customer list without a purchase on or before
  the as-of date — as rows after the buyers (``adds_rows``): their purchase columns are null,
  their list fields (name, contacts, owner) filled. It stores ``lifecycle_economics``,
  ``lifecycle_history`` and ``lifecycle_flows`` with the run;
- ``value`` adds the indicator scores, ``composite_value``, the two value scores and
  ``value_quadrant``;
- ``matrix`` adds ``matrix_cell`` and ``recommended_action`` and stores ``matrix`` (per cell:
  counts, value share, CLV, and the playbook's play with its economics).

Each works without the CLV columns and uses them when they are there (``probability_alive`` for
churn, ``potential_value``/``clv`` for future contribution and the economics).
"""

from __future__ import annotations

import logging
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
from ..features.value import composite_value
from .economics import period_amounts
from .economics import stage_economics as booked_economics
from .matrix import assign_cells, matrix_summary
from .playbook import cell_economics, load_playbook

__all__ = ["lifecycle_stage", "value_stage", "matrix_stage", "prospect_ids",
           "stage_economics", "stage_flows"]

log = logging.getLogger(__name__)

_PROSPECT_FIELDS = ("name", "phone", "email", "city", "owner", "signup_date")


def prospect_ids(ws, as_of) -> pa.Table:
    """Customers of the customer list without any purchase on or before ``as_of``, with their
    list fields, ordered by id."""
    if ws.count("source_customers") == 0:
        return pa.table({"customer_id": pa.array([], pa.string())})
    return ws.arrow(
        """
        SELECT x.customer_id, any_value(s.name) AS name, any_value(s.phone) AS phone,
               any_value(s.email) AS email, any_value(s.city) AS city,
               any_value(s.owner) AS owner, min(s.signup_date) AS signup_date
        FROM source_customers s JOIN xref x USING (source, source_customer_id)
        WHERE x.customer_id NOT IN (SELECT DISTINCT customer_id FROM unified_transactions
                                    WHERE purchase_date <= ?)
        GROUP BY x.customer_id ORDER BY x.customer_id
        """, [as_of])


def _align(staged: pa.Table, ids: pa.ChunkedArray | pa.Array) -> pa.Table:
    """The rows of ``staged`` in the order of ``ids`` (every id must be there)."""
    index = pc.index_in(ids, value_set=staged.column("customer_id"))
    if index.null_count:
        missing = pc.filter(ids, pc.is_null(index)).to_pylist()[:3]
        raise ValueError(f"no lifecycle trend for customer(s) {missing}")
    return staged.take(index)


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


def lifecycle_stage(ctx, customers: pa.Table):
    from ..pipeline import StageResult

    o = ctx.config.lifecycle
    eng = ctx.engine
    trend = customer_trend(ctx.days, as_of=ctx.as_of, options=o)
    alive = None
    if "probability_alive" in customers.column_names:
        p = eng.table(customers.select(["customer_id", "probability_alive"]), "cvm_lc_alive")
        trend = trend.left_join(p, "customer_id").drop("customer_id_right")
        alive = trend.probability_alive
    staged = eng.to_arrow(stage_rules(trend, o, alive=alive))
    staged = _align(staged, customers.column("customer_id"))
    reasons = lifecycle_reasons(staged, o, lang=ctx.config.lang)
    out = customers
    for name in TREND_COLUMNS:
        out = out.append_column(name, staged.column(name))
    out = out.append_column("lifecycle_stage",
                            stage_names(staged.column("lifecycle_stage"), o.scheme))
    out = out.append_column("lifecycle_reason", reasons)
    # the reason's code and numbers, so that it can be worded in any language when shown
    for name in REASON_COLUMNS:
        out = out.append_column(name, staged.column(name))
    n_buyers = out.num_rows
    adds = False
    if o.prospects:
        prospects = prospect_ids(ctx.ws, ctx.as_of)
        if prospects.num_rows:
            reason = prospect_reason(ctx.config.lang)
            first = STAGES[o.scheme][0]  # prospect, or acquisition in the five-stage scheme
            out = _append_prospects(out, prospects, first, reason)
            adds = True
    long = (eng.to_arrow(stage_history(ctx.days, history_dates(ctx.as_of, o)[:-1], o))
            if o.history_dates > 1 else None)
    amounts = eng.to_arrow(period_amounts(ctx.days, as_of=ctx.as_of, period_days=o.period_days,
                                          periods=o.history_dates))
    economics = booked_economics(out, long, amounts, as_of=ctx.as_of, options=o,
                                 clv=getattr(ctx.config, "clv", None))
    tables = {"lifecycle_economics": economics}
    summary = {"scheme": o.scheme, "stages": list(STAGES[o.scheme]), "period_days": o.period_days,
               "economics_periods": o.history_dates,
               "counts": {str(v["values"]): int(v["counts"]) for v in
                          pc.value_counts(out.column("lifecycle_stage")).to_pylist()},
               "n_prospects": out.num_rows - n_buyers,
               "used_probability_alive": alive is not None,
               "economics": economics.to_pylist()}
    if long is not None:
        dates = history_dates(ctx.as_of, o)
        history, flows = stage_flows(out, long, dates, o.scheme)
        tables["lifecycle_history"] = history
        tables["lifecycle_flows"] = flows
        summary["history"] = history.to_pylist()
        summary["flows"] = flows.to_pylist()
    return StageResult(out, tables, summary, adds_rows=adds)


def stage_economics(customers: pa.Table, scheme: str, *, margin_rate: float | None = None,
                    service_cost: float = 0.0) -> pa.Table:
    """Per stage: customers, revenue, cost and profit, revenue in the last period, and
    per-customer averages.

    Profit is the margin where margin or cost is known, else ``revenue · margin_rate`` when a
    margin rate is given (the CLV options' ``margin_rate``), less ``service_cost`` per purchase
    day; cost is revenue less profit. Customers with neither are left out of cost and profit."""
    stages = np.array(customers.column("lifecycle_stage").to_pylist(), dtype=object)

    def floats(name):
        return customers.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False)

    revenue = np.nan_to_num(floats("monetary_total"), nan=0.0)
    margin = floats("margin_total")
    if margin_rate is not None:
        margin = np.where(np.isnan(margin), revenue * margin_rate, margin)
    if service_cost:
        margin = margin - service_cost * np.nan_to_num(floats("n_purchase_days"), nan=0.0)
    recent = np.nan_to_num(floats("spend_last_period"), nan=0.0)
    rows = []
    for stage in STAGES[scheme]:
        mask = stages == stage
        k = int(mask.sum())
        known = mask & ~np.isnan(margin)
        profit = float(margin[known].sum()) if known.any() else None
        cost = float(revenue[known].sum() - margin[known].sum()) if known.any() else None
        rev = float(revenue[mask].sum())
        rows.append({"stage": stage, "customers": k, "revenue": rev,
                     "revenue_last_period": float(recent[mask].sum()), "cost": cost,
                     "profit": profit, "revenue_per_customer": rev / k if k else None,
                     "profit_per_customer": profit / k if k and profit is not None else None})
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("stage", pa.string()), ("customers", pa.int64()), ("revenue", pa.float64()),
        ("revenue_last_period", pa.float64()), ("cost", pa.float64()), ("profit", pa.float64()),
        ("revenue_per_customer", pa.float64()), ("profit_per_customer", pa.float64())]))


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


def _buyers(customers: pa.Table) -> np.ndarray:
    if "first_purchase" in customers.column_names:
        return np.asarray(customers.column("first_purchase").is_valid().to_pylist(), dtype=bool)
    return np.ones(customers.num_rows, dtype=bool)


def category_breadth(ctx, customers: pa.Table) -> pa.Table:
    """Add ``categories_bought`` (distinct categories each customer bought in the window) and
    ``categories_total`` (distinct categories anyone bought) when transactions name categories."""
    import pyarrow.compute as pc

    from ..features.summary import window_filter

    t = ctx.transactions
    if "category" not in t.columns:
        return customers
    t = window_filter(t, ctx.as_of, ctx.config.window_days)
    t = t.filter(t.category.notnull())
    total = ctx.engine.to_arrow(t.aggregate(n=t.category.nunique())).column("n")[0].as_py()
    if not total:
        return customers
    per = ctx.engine.to_arrow(t.group_by("customer_id").aggregate(n=t.category.nunique()))
    idx = pc.index_in(customers.column("customer_id"), value_set=per.column("customer_id"))
    bought = pc.fill_null(pc.take(per.column("n"), idx), 0).cast(pa.float64())
    # prospects (no purchase) have bought nothing yet: leave their breadth empty
    bought = pc.if_else(pc.is_null(customers.column("first_purchase")),
                        pa.scalar(None, type=pa.float64()), bought)
    return (customers.append_column("categories_bought", bought)
            .append_column("categories_total",
                           pa.array([float(total)] * customers.num_rows, type=pa.float64())))


def value_stage(ctx, customers: pa.Table):
    from ..pipeline import StageResult

    customers = category_breadth(ctx, customers)
    out, summary = composite_value(customers, ctx.config.value, ctx.config.lifecycle,
                                   _buyers(customers))
    summary["neutral_credit"] = ctx.config.value.neutral_credit
    return StageResult(out, {}, summary)


def matrix_stage(ctx, customers: pa.Table):
    from ..pipeline import StageResult

    cfg = ctx.config
    playbook = load_playbook(cfg.matrix.playbook, lang=cfg.lang, scheme=cfg.matrix.scheme,
                             lifecycle_scheme=cfg.lifecycle.scheme)
    cells = assign_cells(customers, cfg.matrix, cfg.lifecycle.scheme)
    out = customers.append_column("matrix_cell", cells)
    out = out.append_column("recommended_action", pa.array(
        [playbook.play(c).action for c in cells.to_pylist()], type=pa.string()))
    value_column = "margin_total" if cfg.abc.measure == "margin" else "monetary_total"
    summary_t = matrix_summary(out, cfg.matrix, cfg.lifecycle.scheme, value_column=value_column)
    economics = cell_economics(summary_t, playbook)
    table = summary_t.join(economics.drop_columns(["customers", "avg_clv"]), "cell")
    order = {c: i for i, c in enumerate(summary_t.column("cell").to_pylist())}
    table = table.take(pa.array(sorted(range(table.num_rows),
                                       key=lambda i: order[table.column("cell")[i].as_py()])))
    summary = {"scheme": cfg.matrix.scheme, "tier_basis": cfg.matrix.tier_basis,
               "playbook": playbook.name,
               "playbook_path": str(playbook.path), "cells": table.to_pylist()}
    return StageResult(out, {"matrix": table}, summary)
