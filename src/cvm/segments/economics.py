"""Stage economics: each period's revenue, margin and costs booked to the stage the customer was
in during that period.

The customer-relationship lifecycle literature (客户关系生命周期理论) describes what each stage
costs and brings: in exploration "企业有客户关系投入成本，但客户尚未对企业做出大的贡献" (the firm
spends, the customer has not contributed much yet); in formation "企业从客户交易获得的收入已经
大于投入，开始盈利" (income exceeds the investment, the relationship starts to pay); in stability
"企业的投入较少，客户为企业做出较大的贡献" (little investment, a large contribution); and once the
relationship has ended "企业有少许成本支出而无收益" (a little cost, no income). To show that curve
from data, a customer's history cannot be booked to the stage the customer is in today (a
churned customer would carry all the revenue of the years it was stable). Instead:

- the periods are the ``history_dates`` periods of ``period_days`` up to the as-of date (the
  ones of the stage history; a year by default): period *k* is the ``period_days`` days ending
  at ``as_of − k · period_days``;
- the stage *during* period *k* is the stage at its end (decided by the purchases up to then,
  that period's included; :func:`cvm.features.lifecycle.stage_history`, and the run's own
  stages for the last period); a customer of the run without a purchase by then is a prospect;
- the period's revenue, margin and purchase days are booked to that stage, and so are the
  costs:

  - ``acquisition_cost`` (CLV options) once per new customer, in the period of the first
    purchase;
  - ``service_cost`` (CLV options) per purchase day;
  - ``period_cost`` (lifecycle options) per customer and period while a customer (a purchase by
    then) and not churned;
  - ``contact_costs[stage]`` (lifecycle options) per customer and period in that stage — what
    keeping in touch costs (visits, mailings, a prospect's survey, an ended relationship's
    paperwork).

A period's margin is the purchases' known margin (``margin``, or ``amount − cost``) plus the
amount of the others × ``margin_rate`` when one is given. Where some purchase of a stage's
periods has no known margin and no rate applies, the stage's margin and profit are unknown
(null) rather than a partial sum; revenue and the costs are still shown.

Per stage: ``customers`` (in the stage now), ``customer_periods`` (customers × periods booked
to it), ``revenue``, ``revenue_last_period``, ``margin``, ``acquisition_cost``,
``service_cost``, ``contact_cost``, ``cost`` (revenue − profit: the cost of the goods and all
the costs above), ``profit`` (margin − the costs above), and per customer and period
``revenue_per_customer_period`` and ``profit_per_customer_period`` — the profit curve.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import CLVOptions, LifecycleOptions
from ..features.lifecycle import (FIVE_STAGE_NAMES, PHASES, STAGES, history_dates,
                                  stage_names)

__all__ = ["period_amounts", "stage_economics", "stage_economics_on_engine", "stages_by_period",
           "period_counts", "each_period", "ECONOMICS_SCHEMA"]

ECONOMICS_SCHEMA = pa.schema([
    ("stage", pa.string()), ("customers", pa.int64()), ("customer_periods", pa.int64()),
    ("revenue", pa.float64()), ("revenue_last_period", pa.float64()), ("margin", pa.float64()),
    ("acquisition_cost", pa.float64()), ("service_cost", pa.float64()),
    ("contact_cost", pa.float64()), ("cost", pa.float64()), ("profit", pa.float64()),
    ("revenue_per_customer_period", pa.float64()),
    ("profit_per_customer_period", pa.float64())])


def period_amounts(days: ir.Table, *, as_of: dt.date, period_days: int, periods: int
                   ) -> ir.Table:
    """Per customer and period ``k`` (0 … ``periods`` − 1, counted back from ``as_of``):
    ``revenue``, ``margin`` (the known margin, null where no purchase has one),
    ``unpriced`` (the amount without a known margin), ``purchase_days``, and ``new`` (the
    customer's first purchase ever falls in the period). One Ibis expression over the
    purchase-day table (:func:`cvm.features.summary.purchase_days`)."""
    as_of_lit = ibis.literal(as_of)
    d = days.filter(days.purchase_date <= as_of_lit)
    first = d.group_by("customer_id").aggregate(_first=d.purchase_date.min())
    d = d.mutate(period=(as_of_lit.delta(d.purchase_date, unit="day") / period_days)
                 .floor().cast("int64"))
    d = d.filter(d.period < periods)
    sums = d.group_by(["customer_id", "period"]).aggregate(
        revenue=d.day_amount.sum().cast("float64"),
        margin=d.day_margin.sum().cast("float64"),
        unpriced=d.day_unpriced_amount.sum().cast("float64"),
        purchase_days=d.count(),
        _first_in=d.purchase_date.min())
    joined = sums.join(first, "customer_id")
    return joined.select("customer_id", "period", "revenue", "margin", "unpriced",
                         "purchase_days", new=joined._first_in == joined._first)


def _each_stage(stages: np.ndarray, value, dtype) -> np.ndarray:
    """``value(stage)`` for each customer's stage, worked out once per distinct stage."""
    codes, distinct = pd.factorize(stages)
    values = [value(s) for s in distinct]
    if (codes < 0).any():  # no stage: the last entry, as ``codes`` says -1
        values.append(value(None))
    return np.array(values, dtype=dtype)[codes] if values else np.zeros(0, dtype=dtype)


def stage_at(ids: pa.Array, stages: pa.Table | None, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's stage at one date (scheme names) and whether it had bought by then."""
    if stages is None:
        return np.full(len(ids), STAGES[scheme][0], dtype=object), np.zeros(len(ids), bool)
    index = pc.index_in(ids, value_set=stages.column("customer_id"))
    found = pc.is_valid(index).to_numpy(zero_copy_only=False)
    raw = pc.take(stages.column("lifecycle_stage"), index)
    named = stage_names(raw, scheme).to_numpy(zero_copy_only=False, writable=True)
    named[~found] = STAGES[scheme][0]
    return named, found


def stages_at(customers: pa.Table, earlier: pa.Table, dates, scheme: str) -> dict:
    """:func:`stage_at` of the customers at each of ``dates`` (in ``earlier``, the long stage
    table), by date: looked up once for the economics and the flows."""
    ids = customers.column("customer_id").combine_chunks()
    return {day: stage_at(ids, earlier.filter(pc.equal(earlier.column("as_of"),
                                                        pa.scalar(day, pa.date32()))), scheme)
            for day in dates}


def stage_economics(customers: pa.Table, earlier: pa.Table | None, amounts: pa.Table, *,
                    as_of: dt.date, options: LifecycleOptions | None = None,
                    clv: CLVOptions | None = None, looked_up: dict | None = None) -> pa.Table:
    """The per-stage economics (module docstring) of the customers of a run.

    ``customers`` has ``customer_id``, ``lifecycle_stage`` (scheme names) and
    ``first_purchase`` (null for prospects); ``earlier`` is the long stage table of the earlier
    history dates (``customer_id``, ``as_of``, ``lifecycle_stage`` in seed keys), or None;
    ``amounts`` is :func:`period_amounts` computed; ``looked_up`` the customers' stages at
    the earlier dates when :func:`stages_at` has them already."""
    o = options or LifecycleOptions()
    c = clv or CLVOptions()
    scheme = o.scheme
    dates = history_dates(as_of, o)
    ids = customers.column("customer_id").combine_chunks()
    n = len(ids)
    order = {s: i for i, s in enumerate(STAGES[scheme])}
    keys = list(STAGES[scheme])
    acc = {name: np.zeros(len(keys)) for name in (
        "customer_periods", "revenue", "revenue_last", "margin", "unknown", "acquisition",
        "service", "contact")}
    now = customers.column("lifecycle_stage").to_numpy(zero_copy_only=False)
    for k in range(len(dates)):
        if k == 0:
            stage = now
            bought = customers.column("first_purchase").is_valid().to_numpy(
                zero_copy_only=False) if "first_purchase" in customers.column_names \
                else np.ones(n, bool)
        elif looked_up is not None:
            stage, bought = looked_up[dates[-1 - k]]
        else:
            part = None
            if earlier is not None:
                part = earlier.filter(pc.equal(earlier.column("as_of"),
                                               pa.scalar(dates[-1 - k], pa.date32())))
            stage, bought = stage_at(ids, part, scheme)
        cols = _amounts_at(ids, amounts, k)
        margin = cols["margin"] + (cols["unpriced"] * c.margin_rate
                                   if c.margin_rate is not None else 0.0)
        unknown = (cols["unpriced"] > 0) & (c.margin_rate is None)
        live = bought & _each_stage(stage, lambda s: PHASES.get(s) != "churned", bool)
        contact = _each_stage(stage, lambda s: o.contact_costs.get(s, 0.0), float)
        index = _each_stage(stage, lambda s: order[s], int)
        for name, values in (
                ("customer_periods", np.ones(n)), ("revenue", cols["revenue"]),
                ("revenue_last", cols["revenue"] if k == 0 else np.zeros(n)),
                ("margin", margin), ("unknown", unknown.astype(float)),
                ("acquisition", c.acquisition_cost * cols["new"]),
                ("service", c.service_cost * cols["purchase_days"] + o.period_cost * live),
                ("contact", contact)):
            acc[name] += np.bincount(index, weights=values, minlength=len(keys))
    now_counts = {s: int((now == s).sum()) for s in keys}
    return _economics_table(keys, acc, now_counts)


def _economics_table(keys: list[str], acc: dict[str, np.ndarray], now_counts: dict[str, int]
                     ) -> pa.Table:
    """The per-stage table from the sums per stage (in the order of ``keys``) and the
    customers in each stage now."""
    rows = []
    for i, s in enumerate(keys):
        periods = int(acc["customer_periods"][i])
        costs = acc["acquisition"][i] + acc["service"][i] + acc["contact"][i]
        margin = None if acc["unknown"][i] else float(acc["margin"][i])
        profit = None if margin is None else margin - costs
        revenue = float(acc["revenue"][i])
        rows.append({
            "stage": s, "customers": now_counts[s], "customer_periods": periods,
            "revenue": revenue, "revenue_last_period": float(acc["revenue_last"][i]),
            "margin": margin, "acquisition_cost": float(acc["acquisition"][i]),
            "service_cost": float(acc["service"][i]), "contact_cost": float(acc["contact"][i]),
            "cost": None if profit is None else revenue - profit, "profit": profit,
            "revenue_per_customer_period": revenue / periods if periods else None,
            "profit_per_customer_period": (profit / periods if periods and profit is not None
                                           else None)})
    return pa.Table.from_pylist(rows, schema=ECONOMICS_SCHEMA)


def _amounts_at(ids: pa.Array, amounts: pa.Table, k: int) -> dict[str, np.ndarray]:
    """The period-``k`` amounts aligned to ``ids`` (zeros where a customer bought nothing)."""
    part = amounts.filter(pc.equal(amounts.column("period"), k))
    index = pc.index_in(ids, value_set=part.column("customer_id"))
    out = {}
    for name in ("revenue", "margin", "unpriced", "purchase_days", "new"):
        column = pc.take(part.column(name), index).cast(pa.float64())
        out[name] = np.nan_to_num(column.to_numpy(zero_copy_only=False), nan=0.0)
    return out


def stages_by_period(customers: ir.Table, earlier: ir.Table | None, *, as_of: dt.date,
                     options: LifecycleOptions | None = None) -> ir.Table:
    """Each customer of the run once, with its stage in each period ``k`` (0 …
    ``history_dates`` − 1, counted back from ``as_of``), on the engine: ``customer_id``,
    ``stage_k`` (scheme names; the first stage where the customer had not bought by the
    period's end) and ``bought_k`` for each ``k``. Period 0 is the run's own stage; the others
    come from ``earlier`` (the expression of :func:`cvm.features.lifecycle.stage_history`), a
    date at a time, each joined by customer. One row per customer rather than one per
    customer and period: the economics and the flows then group it without joining the
    periods to each other (at 25M customers the periods' self-join spilled 43 GB)."""
    o = options or LifecycleOptions()
    first = STAGES[o.scheme][0]
    bought = (customers.first_purchase.notnull() if "first_purchase" in customers.columns
              else ibis.literal(True))
    wide = customers.select("customer_id", stage_0=customers.lifecycle_stage, bought_0=bought)
    for k in range(1, o.history_dates):
        day = as_of - dt.timedelta(days=k * o.period_days)
        if earlier is None:
            wide = wide.mutate(**{f"stage_{k}": ibis.literal(first),
                                  f"bought_{k}": ibis.literal(False)})
            continue
        then = earlier.filter(earlier.as_of == ibis.literal(day, type="date"))
        then = then.select(_id=then.customer_id,
                           _stage=_named_on_engine(then.lifecycle_stage, o.scheme))
        j = wide.left_join(then, wide.customer_id == then._id)
        wide = j.select(*wide.columns, **{f"stage_{k}": j._stage.fill_null(first),
                                          f"bought_{k}": j._id.notnull()})
    return wide


def each_period(staged: ir.Table, periods: int, columns) -> ir.Table:
    """The columns ``columns(k)`` (name -> expression over :func:`stages_by_period`) of each
    period ``k`` below ``periods``, stacked, with ``k``: one select per period, unioned."""
    return ibis.union(*[staged.select(k=ibis.literal(k, type="int64"), **columns(k))
                        for k in range(periods)])


def period_counts(staged: ir.Table, run, *, options: LifecycleOptions | None = None
                  ) -> list[dict]:
    """The customers per period and stage of :func:`stages_by_period` (``k``, ``stage``,
    ``n``) and those of them who had bought and were in a live stage (``live``), from one
    grouping there that ``run`` brings here; the economics and the flows both read them."""
    o = options or LifecycleOptions()
    live = [s for s in STAGES[o.scheme] if PHASES.get(s) != "churned"]
    t = each_period(staged, o.history_dates, lambda k: {
        "stage": staged[f"stage_{k}"],
        "live": (staged[f"bought_{k}"] & staged[f"stage_{k}"].isin(live)).cast("int64")})
    return run(t.group_by(["k", "stage"]).aggregate(n=t.count(), live=t.live.sum())).to_pylist()


def stage_economics_on_engine(staged: ir.Table, amounts: ir.Table, run, *,
                              options: LifecycleOptions | None = None,
                              clv: CLVOptions | None = None,
                              counts: list[dict] | None = None) -> pa.Table:
    """:func:`stage_economics` on an engine: ``staged`` is :func:`stages_by_period` and
    ``amounts`` :func:`period_amounts` (Ibis tables). Two groupings there: the customer-periods
    per stage (:func:`period_counts`, with the live ones, which pay the period cost, and the
    contact cost per customer-period; ``counts`` when they are counted already), and the
    amounts, each booked to the stage its customer was in during its period; ``run`` brings
    the sums (a row per period and stage, a row per stage) here."""
    o = options or LifecycleOptions()
    c = clv or CLVOptions()
    keys = list(STAGES[o.scheme])
    if counts is None:
        counts = period_counts(staged, run, options=o)
    a = amounts.select(_aid=amounts.customer_id, _period=amounts.period,
                       _revenue=amounts.revenue, _margin=amounts.margin,
                       _unpriced=amounts.unpriced, _days=amounts.purchase_days, _new=amounts.new)
    j = a.join(staged, a._aid == staged.customer_id)
    stage = ibis.cases(*[(j._period == k, j[f"stage_{k}"]) for k in range(o.history_dates)])
    revenue = j._revenue.cast("float64").fill_null(0.0)
    unpriced = j._unpriced.cast("float64").fill_null(0.0)
    margin = j._margin.cast("float64").fill_null(0.0)
    if c.margin_rate is not None:
        margin = margin + unpriced * c.margin_rate
    unknown = (unpriced > 0) if c.margin_rate is None else ibis.literal(False)
    # the amounts of a period outside the history have no stage: their group is not read
    long = j.select(
        stage=stage, revenue=revenue,
        revenue_last=ibis.ifelse(j._period == 0, revenue, 0.0),
        margin=margin, unknown=unknown.cast("float64"),
        acquisition=c.acquisition_cost * j._new.cast("float64").fill_null(0.0),
        service=c.service_cost * j._days.cast("float64"))
    sums = {r["stage"]: r for r in run(long.group_by("stage").aggregate(
        revenue=long.revenue.sum(), revenue_last=long.revenue_last.sum(),
        margin=long.margin.sum(), unknown=long.unknown.sum(),
        acquisition=long.acquisition.sum(), service=long.service.sum())).to_pylist()}
    acc = {name: np.array([float(sums[s][name] or 0.0) if s in sums else 0.0 for s in keys])
           for name in ("revenue", "revenue_last", "margin", "unknown", "acquisition",
                        "service")}
    index = {s: i for i, s in enumerate(keys)}
    acc["customer_periods"] = np.zeros(len(keys))
    acc["contact"] = np.zeros(len(keys))
    now = dict.fromkeys(keys, 0)
    for r in counts:
        i = index.get(r["stage"])
        if i is None:
            continue
        n = int(r["n"])
        acc["customer_periods"][i] += n
        acc["service"][i] += o.period_cost * int(r["live"] or 0)
        acc["contact"][i] += n * float(o.contact_costs.get(r["stage"], 0.0))
        if r["k"] == 0:
            now[r["stage"]] = n
    return _economics_table(keys, acc, now)


def _named_on_engine(stages: ir.StringValue, scheme: str) -> ir.StringValue:
    """Seed stage keys in the scheme's names, on the engine (as
    :func:`cvm.features.lifecycle.stage_names`)."""
    if scheme == "seed":
        return stages
    return stages.substitute(FIVE_STAGE_NAMES, else_=stages)
