"""Relationship lifecycle stages from each customer's own purchase trend, tenure and recency.

The seeds (客户关系生命周期: 考察期, 形成期, 稳定期, 退化期) describe stages by what happens to the
volume of business with one customer: trial orders while the relationship is explored, volume
growing while it forms, high and steady volume once stable, and volume falling against the
customer's own earlier level when it declines — which can happen at any stage. The rules below
turn that into numbers. Time is cut into periods of ``period_days`` (default 90) counted back from
the as-of date: period 0 is the last ``period_days`` days up to and including the as-of date,
period 1 the ones before, and so on. For every customer (:func:`customer_trend`, one
engine-neutral Ibis expression over the purchase days):

- ``spend_last_period`` / ``purchases_last_period``: spend and purchase days in period 0;
- ``spend_previous_avg`` / ``purchases_previous_avg``: their average over the earlier periods
  1 … ``history_periods`` *in which the customer was already a customer* (a period counts once
  the first purchase falls in it or before; a customer of 200 days has two earlier periods);
- ``spend_change``: ``spend_last_period / spend_previous_avg − 1`` (null without an earlier
  average above zero);
- ``active_period_share``: share of the observed periods (0 and the earlier ones) with a purchase.

Then the first rule that holds decides (:func:`stage_rules`, also Ibis):

1. ``churned`` — no purchase for more than ``churn_days``, or, where a ``probability_alive``
   column exists (the CLV stage), ``probability_alive < churn_probability`` for a customer
   without a purchase in the last period;
2. ``exploration`` — at most ``trial_purchases`` purchase days, or tenure under
   ``exploration_days``;
3. ``decline`` — ``spend_change <= −decline_drop`` (the last period fell that far below the
   customer's own earlier average; a customer who bought in earlier periods but not in the last
   one is at −100 %), or no purchase in any observed period at all (dormant, but not yet past
   ``churn_days``);
4. ``formation`` — ``spend_change >= growth_rise``, or spend in the last period after none in
   the earlier ones (volume growing);
5. ``stability`` — tenure at least ``stability_days`` and purchases in at least
   ``stability_active_share`` of the observed periods (high, steady volume, long tenure);
6. ``formation`` — everyone else (past exploration, not yet stable).

``prospect`` is a customer of the customer list (``source_customers`` → ``xref``) without any
purchase on or before the as-of date; the pipeline stage appends them as rows (they have no
purchase columns). The ``five`` scheme names the same stages as the five-stage model:
prospect and exploration → acquisition (获取期), formation → growth (提升期), stability → maturity
(成熟期), decline → decline (衰退期), churned → departure (离开期).

Every customer gets ``lifecycle_reason``: the rule and the numbers that decided it, e.g. "spend
last 90 days 320 vs 1,150 average of previous 4 periods: −72 %".

Lifecycle looks at the whole history up to the as-of date, whatever ``window_days`` limits the
RFM figures to: a trend needs the earlier periods.
"""

from __future__ import annotations

import datetime as dt
import math

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from ..config import LifecycleOptions

__all__ = [
    "STAGES",
    "PHASES",
    "FIVE_STAGE_NAMES",
    "TREND_COLUMNS",
    "REASON_COLUMNS",
    "customer_trend",
    "stage_rules",
    "history_dates",
    "stage_history",
    "stage_names",
    "lifecycle_reasons",
    "prospect_reason",
    "phase_of",
]

#: Stage keys per scheme, in the order of the relationship.
STAGES: dict[str, tuple[str, ...]] = {
    "seed": ("prospect", "exploration", "formation", "stability", "decline", "churned"),
    "five": ("acquisition", "growth", "maturity", "decline", "departure"),
}

#: The five-stage name of each seed stage.
FIVE_STAGE_NAMES = {"prospect": "acquisition", "exploration": "acquisition",
                    "formation": "growth", "stability": "maturity", "decline": "decline",
                    "churned": "departure"}

#: The relationship phase of each stage (prospective / current / churned customers, as CRM practice names them).
PHASES = {"prospect": "prospective", "exploration": "current", "formation": "current",
          "stability": "current", "decline": "current", "churned": "churned",
          "acquisition": "current", "growth": "current", "maturity": "current",
          "departure": "churned"}

#: Per-customer trend columns added to the customer table, with their meaning.
TREND_COLUMNS = {
    "spend_last_period": "spend in the last period (period_days up to the as-of date)",
    "spend_previous_avg": "average spend per earlier period while a customer",
    "spend_change": "spend_last_period / spend_previous_avg - 1",
    "purchases_last_period": "purchase days in the last period",
    "purchases_previous_avg": "average purchase days per earlier period while a customer",
    "active_period_share": "share of the observed periods with a purchase",
    "margin_last_period": "margin in the last period (null without margin or cost)",
    "previous_periods": "earlier periods observed (at most history_periods)",
}


def customer_trend(days: ir.Table, *, as_of: dt.date,
                   options: LifecycleOptions | None = None) -> ir.Table:
    """One row per customer with a purchase on or before ``as_of``: the trend columns plus
    ``history_tenure_days``, ``history_recency_days`` and ``history_purchase_days`` (over the
    whole history, not a window) and ``previous_periods`` (earlier periods observed).

    ``days`` is the purchase-day table (:func:`cvm.features.summary.purchase_days`)."""
    o = options or LifecycleOptions()
    daily = days.filter(days.purchase_date <= ibis.literal(as_of))
    offset = ibis.literal(as_of).delta(daily.purchase_date, unit="day")
    period = (offset / o.period_days).floor().cast("int64")
    daily = daily.mutate(_period=period)
    last = daily._period == 0
    earlier = (daily._period >= 1) & (daily._period <= o.history_periods)
    s = daily.group_by("customer_id").aggregate(
        _first=daily.purchase_date.min(),
        _last=daily.purchase_date.max(),
        history_purchase_days=daily.count(),
        spend_last_period=ibis.ifelse(last, daily.day_amount, 0.0).sum(),
        margin_last_period=ibis.ifelse(last, daily.day_margin, None).sum(),
        purchases_last_period=ibis.ifelse(last, 1, 0).sum(),
        _spend_earlier=ibis.ifelse(earlier, daily.day_amount, 0.0).sum(),
        _purchases_earlier=ibis.ifelse(earlier, 1, 0).sum(),
        # one 0/1 flag per period (cheaper than a distinct count of periods on every engine)
        **{f"_active_{k}": ibis.ifelse(daily._period == k, 1, 0).max()
           for k in range(o.history_periods + 1)},
    )
    as_of_lit = ibis.literal(as_of)
    tenure = as_of_lit.delta(s._first, unit="day")
    previous = ibis.least((tenure / o.period_days).floor().cast("int64"),
                          ibis.literal(o.history_periods))
    s = s.mutate(history_tenure_days=tenure.cast("int64"),
                 history_recency_days=as_of_lit.delta(s._last, unit="day").cast("int64"),
                 previous_periods=previous)
    prev_avg = ibis.ifelse(s.previous_periods > 0,
                           s._spend_earlier.cast("float64") / s.previous_periods, None)
    return s.select(
        "customer_id",
        spend_last_period=s.spend_last_period.cast("float64"),
        spend_previous_avg=prev_avg,
        spend_change=ibis.ifelse(prev_avg > 0, s.spend_last_period / prev_avg - 1.0, None),
        purchases_last_period=s.purchases_last_period.cast("int64"),
        purchases_previous_avg=ibis.ifelse(
            s.previous_periods > 0,
            s._purchases_earlier.cast("float64") / s.previous_periods, None),
        active_period_share=sum(s[f"_active_{k}"] for k in range(o.history_periods + 1)
                                ).cast("float64") / (s.previous_periods + 1),
        margin_last_period=s.margin_last_period.cast("float64"),
        history_tenure_days=s.history_tenure_days,
        history_recency_days=s.history_recency_days,
        history_purchase_days=s.history_purchase_days.cast("int64"),
        previous_periods=s.previous_periods,
    )


def stage_rules(trend: ir.Table, options: LifecycleOptions | None = None, *,
                alive: ir.Column | None = None) -> ir.Table:
    """Add ``lifecycle_rule`` (which rule decided) and ``lifecycle_stage`` (seed stage keys) to a
    table with the :func:`customer_trend` columns. ``alive`` is an optional
    ``probability_alive`` column of the same table."""
    o = options or LifecycleOptions()
    t = trend
    change = t.spend_change
    # P(alive) churns only customers without a purchase in the last period: right after a
    # first purchase some models (MBG/NBD) give a low P(alive), but a customer who bought in
    # the last period has not ended the relationship in any sense a manager would act on
    churn_alive = (alive.notnull() & (alive < o.churn_probability)
                   & (t.history_recency_days >= o.period_days)) if alive is not None \
        else ibis.literal(False)
    rule = ibis.cases(
        (t.history_recency_days > o.churn_days, "churn_recency"),
        (churn_alive, "churn_alive"),
        (t.history_purchase_days <= o.trial_purchases, "trial"),
        (t.history_tenure_days < o.exploration_days, "short_tenure"),
        (change.notnull() & (change <= -o.decline_drop), "falling"),
        (change.isnull() & (t.spend_last_period <= 0) & (t.previous_periods > 0), "dormant"),
        (change.notnull() & (change >= o.growth_rise), "growing"),
        (change.isnull() & (t.spend_last_period > 0), "growing"),
        ((t.history_tenure_days >= o.stability_days)
         & (t.active_period_share >= o.stability_active_share), "steady"),
        else_="building",
    )
    t = t.mutate(lifecycle_rule=rule)
    stage = ibis.cases(
        (t.lifecycle_rule.isin(["churn_recency", "churn_alive"]), "churned"),
        (t.lifecycle_rule.isin(["trial", "short_tenure"]), "exploration"),
        (t.lifecycle_rule.isin(["falling", "dormant"]), "decline"),
        (t.lifecycle_rule == "steady", "stability"),
        else_="formation",
    )
    return t.mutate(lifecycle_stage=stage)


def stage_names(stages: pa.Array | pa.ChunkedArray, scheme: str) -> pa.Array:
    """Seed stage keys in the chosen scheme's names."""
    values = stages.to_pylist()
    if scheme == "seed":
        return pa.array(values, type=pa.string())
    return pa.array([FIVE_STAGE_NAMES.get(v, v) if v is not None else None for v in values],
                    type=pa.string())


def phase_of(stage: str | None) -> str | None:
    """``prospective``, ``current`` or ``churned`` for a stage key of either scheme."""
    return PHASES.get(stage) if stage is not None else None


def history_dates(as_of: dt.date, options: LifecycleOptions | None = None) -> list[dt.date]:
    """The as-of dates of the stage history, oldest first: ``history_dates`` dates one period
    apart, the last being ``as_of``."""
    o = options or LifecycleOptions()
    return [as_of - dt.timedelta(days=o.period_days * k) for k in range(o.history_dates - 1, -1, -1)]


def stage_history(days: ir.Table, dates: list[dt.date],
                  options: LifecycleOptions | None = None) -> ir.Table:
    """Stages at several as-of dates, long format: ``customer_id``, ``as_of``,
    ``lifecycle_stage`` (seed keys). A customer appears at a date once they have a purchase on
    or before it. P(alive) is not used here (there is no model for past dates), so churn at past
    dates is by recency alone."""
    parts = []
    for day in dates:
        staged = stage_rules(customer_trend(days, as_of=day, options=options), options)
        parts.append(staged.select("customer_id", "lifecycle_stage",
                                   as_of=ibis.literal(day, type="date")))
    return ibis.union(*parts)  # one date: its table itself


# -- reasons --------------------------------------------------------------------------------

_TEXT = {
    "en": {
        "no_purchase": "in the customer list, no purchase yet",
        "churn_recency": "no purchase for {recency} days (churned after {limit})",
        "churn_alive": "probability alive {p} below {limit}",
        "trial": "{days} purchase day(s) so far (trial: at most {limit})",
        "short_tenure": "first purchase {tenure} days ago (exploring for {limit} days)",
        "trend": "spend last {period} days {last} vs {avg} average of previous {n} "
                 "{period}-day period(s): {change}",
        "new_spend": "spend last {period} days {last} after none in the previous {n} "
                     "{period}-day period(s)",
        "steady": "; customer for {tenure} days, bought in {active} of {observed} periods",
        "building": "; customer for {tenure} days, bought in {active} of {observed} periods "
                    "(stable from {limit} days and {share} of periods)",
        "no_trend": "no earlier period to compare; customer for {tenure} days",
        "dormant": "no purchase in the last {n} {period}-day periods (last one {recency} days "
                   "ago)",
    },
    "zh": {
        "no_purchase": "在客户名单中，尚无购买",
        "churn_recency": "已 {recency} 天无购买（超过 {limit} 天视为流失）",
        "churn_alive": "存活概率 {p} 低于 {limit}",
        "trial": "目前共 {days} 个购买日（试探性购买：不超过 {limit} 个）",
        "short_tenure": "首次购买在 {tenure} 天前（{limit} 天内为考察期）",
        "trend": "最近 {period} 天消费 {last}，之前 {n} 个 {period} 天周期平均 {avg}：{change}",
        "new_spend": "最近 {period} 天消费 {last}，之前 {n} 个 {period} 天周期无消费",
        "steady": "；已成为客户 {tenure} 天，{observed} 个周期中有 {active} 个有购买",
        "building": "；已成为客户 {tenure} 天，{observed} 个周期中有 {active} 个有购买"
                    "（满 {limit} 天且 {share} 的周期有购买为稳定期）",
        "no_trend": "没有可比较的之前周期；已成为客户 {tenure} 天",
        "dormant": "最近 {n} 个 {period} 天周期均无购买（上次购买在 {recency} 天前）",
    },
}


#: Columns stored with each customer besides the trend columns, from which
#: :func:`lifecycle_reasons` words the reason again (in either language).
REASON_COLUMNS = ("lifecycle_rule", "history_tenure_days", "history_recency_days",
                  "history_purchase_days")


def _amount(x) -> str:
    return f"{x:,.0f}" if x is not None and math.isfinite(x) else "–"


def _change(x) -> str:
    return f"{x * 100:+.0f} %" if x is not None and math.isfinite(x) else "–"


def prospect_reason(lang: str = "en") -> str:
    """The reason given to a prospect (a customer of the list without purchases)."""
    return _TEXT[lang]["no_purchase"]


def lifecycle_reasons(table: pa.Table, options: LifecycleOptions | None = None, *,
                      lang: str = "en") -> pa.Array:
    """The reason text for each row of a table with ``lifecycle_rule`` and the trend columns."""
    o = options or LifecycleOptions()
    text = _TEXT[lang]
    cols = {name: table.column(name).to_pylist() for name in (
        "lifecycle_rule", "spend_last_period", "spend_previous_avg", "spend_change",
        "previous_periods", "history_tenure_days", "history_recency_days",
        "history_purchase_days", "active_period_share")}
    alive = (table.column("probability_alive").to_pylist()
             if "probability_alive" in table.column_names else [None] * table.num_rows)
    out = []
    for i, rule in enumerate(cols["lifecycle_rule"]):
        tenure = cols["history_tenure_days"][i]
        if rule is None or rule == "no_purchase":
            out.append(text["no_purchase"])
            continue
        if rule == "churn_recency":
            out.append(text["churn_recency"].format(recency=f"{cols['history_recency_days'][i]:,}",
                                                    limit=f"{o.churn_days:,}"))
            continue
        if rule == "churn_alive":
            out.append(text["churn_alive"].format(p=f"{alive[i]:.2f}",
                                                  limit=f"{o.churn_probability:.2f}"))
            continue
        if rule == "trial":
            out.append(text["trial"].format(days=cols["history_purchase_days"][i],
                                            limit=o.trial_purchases))
            continue
        if rule == "short_tenure":
            out.append(text["short_tenure"].format(tenure=f"{tenure:,}",
                                                   limit=f"{o.exploration_days:,}"))
            continue
        n = cols["previous_periods"][i]
        avg = cols["spend_previous_avg"][i]
        if rule == "dormant":
            out.append(text["dormant"].format(n=(n or 0) + 1, period=o.period_days,
                                              recency=f"{cols['history_recency_days'][i]:,}"))
            continue
        if n and avg:
            reason = text["trend"].format(period=o.period_days, last=_amount(
                cols["spend_last_period"][i]), avg=_amount(avg), n=n,
                change=_change(cols["spend_change"][i]))
        elif n:
            reason = text["new_spend"].format(period=o.period_days,
                                              last=_amount(cols["spend_last_period"][i]), n=n)
        else:
            reason = text["no_trend"].format(tenure=f"{tenure:,}")
        share = cols["active_period_share"][i] or 0.0
        observed = (n or 0) + 1
        active = round(share * observed)
        if rule == "steady":
            reason += text["steady"].format(tenure=f"{tenure:,}", active=active, observed=observed)
        elif rule == "building":
            reason += text["building"].format(tenure=f"{tenure:,}", active=active,
                                              observed=observed, limit=f"{o.stability_days:,}",
                                              share=f"{o.stability_active_share:.0%}")
        out.append(reason)
    return pa.array(out, type=pa.string())


def stage_counts(stages: pa.Array | pa.ChunkedArray) -> dict[str, int]:
    """Customers per stage key (only stages that occur)."""
    counts = pc.value_counts(stages)
    return {str(v["values"]): int(v["counts"]) for v in counts.to_pylist()}
