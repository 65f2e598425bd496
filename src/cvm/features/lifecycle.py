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
- ``active_period_share``: share of the observed periods (0 and the earlier ones) with a purchase;
- ``spend_period_avg``: spend over the observed periods / their number — the level of volume.

:func:`stage_rules` adds ``volume_percentile``, the share of the customer base (the customers
with a purchase in the last ``churn_days``) whose level is at most the customer's (SQL
``cume_dist``), and then the first rule that holds decides (also Ibis). Each rule tests the
source's criterion of its stage (seed 000, 客户关系生命周期理论):

1. ``churned`` — no purchase for more than ``churn_days``, or, where a ``probability_alive``
   column exists (the CLV stage), ``probability_alive < churn_probability`` for a customer
   without a purchase in the last period;
2. ``exploration`` 考察期, "尝试性的订单" — at most ``trial_purchases`` purchase days (trial
   orders: a one-time buyer has no level of its own to fall from, and the task is still the
   second purchase);
3. ``decline`` 退化期, "交易量下降", and "在任何一阶段关系都可能退化" (at any stage, so before the
   exploration tenure, formation and stability) — ``spend_change <= −decline_drop`` (the last
   period at least that far below the customer's own earlier average; a customer who bought in
   earlier periods but not in the last one is at −100 %), or no purchase in any observed period
   (dormant, not yet past ``churn_days``); then ``exploration`` again for a tenure under
   ``exploration_days``;
4. ``formation`` 形成期, "双方交易不断增加…业务在逐步扩大" — growing: ``spend_change >=
   growth_rise``, or spend in the last period after none before, or purchase days in the last
   period at least ``1 + growth_rise`` times *and* at least one more than their earlier average;
5. ``stability`` 稳定期, "大量的交易…交易量处于较高的盈利时期" — high, steady volume: tenure at
   least ``stability_days``, purchases in at least ``stability_active_share`` of the observed
   periods, and ``volume_percentile >= stability_volume_quantile`` (default: the upper half of
   the customer base);
6. ``formation`` — the rest with a high level (past exploration, neither falling nor growing,
   high volume but not yet long or regular enough for stability: ``high_unsteady``);
7. ``exploration`` — the rest with a low level: flat, past the exploration tenure, but below
   the volume bar — the relationship has not grown past trial-size business ("客户尚未对企业做出
   大的贡献", ``low_flat``).

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
from string import Formatter

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..config import LIFECYCLE_STAGES, LifecycleOptions

__all__ = [
    "STAGES",
    "PHASES",
    "FIVE_STAGE_NAMES",
    "TREND_COLUMNS",
    "RULE_STAGES",
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
STAGES: dict[str, tuple[str, ...]] = LIFECYCLE_STAGES

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
    "spend_period_avg": "average spend per observed period (the last and the earlier ones): "
                        "the level of volume",
    "volume_percentile": "share of the customer base (customers with a purchase in the last "
                         "churn_days) whose spend_period_avg is at most this customer's",
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
        # sums of money rounded to 1e-6: the engines add in no fixed order, and a sum on a
        # rounding edge (x.5) would be worded one way on one run and the other on the next
        spend_last_period=ibis.ifelse(last, daily.day_amount, 0.0).sum().round(6),
        margin_last_period=ibis.ifelse(last, daily.day_margin, None).sum().round(6),
        purchases_last_period=ibis.ifelse(last, 1, 0).sum(),
        _spend_earlier=ibis.ifelse(earlier, daily.day_amount, 0.0).sum().round(6),
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
        spend_period_avg=(s.spend_last_period + s._spend_earlier).cast("float64")
        / (s.previous_periods + 1),
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
    """Add ``volume_percentile``, ``lifecycle_rule`` (which rule decided) and
    ``lifecycle_stage`` (seed stage keys) to a table with the :func:`customer_trend` columns.
    ``alive`` is an optional ``probability_alive`` column of the same table.

    ``volume_percentile`` is the cumulative distribution (SQL ``cume_dist``, the same on every
    engine) of ``spend_period_avg`` among the customer base — the customers of the table with a
    purchase in the last ``churn_days`` days — so that "high volume" means "as much as or more
    than ``stability_volume_quantile`` of the customer base"; null for the others."""
    o = options or LifecycleOptions()
    t = trend.mutate(_base=trend.history_recency_days <= o.churn_days)
    # ordered on the level rounded to 6 decimals: the engines add a customer's purchases in no
    # fixed order, so two equal levels can differ in their last bits and split a tie
    rank = ibis.cume_dist().over(ibis.window(group_by=t._base,
                                             order_by=t.spend_period_avg.round(6)))
    t = t.mutate(volume_percentile=ibis.ifelse(t._base, rank, ibis.null("float64")))
    t = t.drop("_base")
    change = t.spend_change
    # P(alive) churns only customers without a purchase in the last period: right after a
    # first purchase some models (MBG/NBD) give a low P(alive), but a customer who bought in
    # the last period has not ended the relationship in any sense a manager would act on
    churn_alive = (alive.notnull() & (alive < o.churn_probability)
                   & (t.history_recency_days >= o.period_days)) if alive is not None \
        else ibis.literal(False)
    # purchase days are small whole numbers: growing means growth_rise more *and* at least one
    # purchase day more than the earlier average (1 after 0.75 on average is not a trend)
    more_purchases = (t.purchases_previous_avg.notnull() & (t.purchases_previous_avg > 0)
                      & (t.purchases_last_period
                         >= (1.0 + o.growth_rise) * t.purchases_previous_avg)
                      & (t.purchases_last_period >= t.purchases_previous_avg + 1))
    high = t.volume_percentile.notnull() & (t.volume_percentile >= o.stability_volume_quantile)
    rule = ibis.cases(
        (t.history_recency_days > o.churn_days, "churn_recency"),
        (churn_alive, "churn_alive"),
        # trial orders ("尝试性的订单"): one purchase day is no level of its own to fall from
        (t.history_purchase_days <= o.trial_purchases, "trial"),
        # decline can happen at any stage (seed 000: "在任何一阶段关系都可能退化"): before the
        # exploration tenure, formation and stability
        (change.notnull() & (change <= -o.decline_drop), "falling"),
        (change.isnull() & (t.spend_last_period <= 0) & (t.previous_periods > 0), "dormant"),
        (t.history_tenure_days < o.exploration_days, "short_tenure"),
        (change.notnull() & (change >= o.growth_rise), "growing"),
        (change.isnull() & (t.spend_last_period > 0), "growing"),
        (more_purchases, "more_purchases"),
        ((t.history_tenure_days >= o.stability_days)
         & (t.active_period_share >= o.stability_active_share) & high, "steady"),
        (high, "high_unsteady"),
        else_="low_flat",
    )
    t = t.mutate(lifecycle_rule=rule)
    stage = ibis.cases(
        (t.lifecycle_rule.isin(["churn_recency", "churn_alive"]), "churned"),
        (t.lifecycle_rule.isin(["falling", "dormant"]), "decline"),
        (t.lifecycle_rule.isin(["trial", "short_tenure", "low_flat"]), "exploration"),
        (t.lifecycle_rule == "steady", "stability"),
        else_="formation",
    )
    return t.mutate(lifecycle_stage=stage)


#: The stage each rule puts a customer in (seed keys).
RULE_STAGES = {"churn_recency": "churned", "churn_alive": "churned", "falling": "decline",
               "dormant": "decline", "trial": "exploration", "short_tenure": "exploration",
               "growing": "formation", "more_purchases": "formation", "steady": "stability",
               "high_unsteady": "formation", "low_flat": "exploration"}


def stage_names(stages: pa.Array | pa.ChunkedArray, scheme: str) -> pa.Array:
    """Seed stage keys in the chosen scheme's names (each distinct key named once)."""
    if isinstance(stages, pa.ChunkedArray):
        stages = stages.combine_chunks()
    if stages.type == pa.null():
        return pa.nulls(len(stages), pa.string())
    encoded = stages.dictionary_encode()
    keys = encoded.dictionary.to_pylist()
    names = keys if scheme == "seed" else [FIVE_STAGE_NAMES.get(v, v) for v in keys]
    return pa.array(names, type=pa.string()).take(encoded.indices)


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

# Each reason opens with the source's criterion of the stage (seed 000, 客户关系生命周期), then
# gives the numbers that met it.
_TEXT = {
    "en": {
        "no_purchase": "in the customer list, no purchase yet",
        "churn_recency": "no purchase for {recency} days (churned after {limit})",
        "churn_alive": "probability alive {p} below {limit}",
        "falling": "volume falling ({drop} or more below its own earlier level: decline, at "
                   "any stage): {trend}",
        "dormant": "volume fell to nothing: no purchase in the last {n} {period}-day periods "
                   "(last one {recency} days ago)",
        "trial": "trial orders: {days} purchase day(s) so far (at most {limit})",
        "short_tenure": "exploring the relationship: first purchase {tenure} days ago (under "
                        "{limit} days)",
        "growing": "volume growing ({rise} or more): {trend}",
        "more_purchases": "volume growing ({rise} or more): {purchases} purchase day(s) in the last "
                          "{period} days vs {purchases_avg} on average before; {trend}",
        "steady": "high, steady volume: {level}; {active}",
        "high_unsteady": "high volume, not yet stable (stable from {limit} days and {share} of "
                         "periods): {level}; {active}",
        "low_flat": "no large contribution yet, volume flat at a low level: {level}; {trend}; "
                    "{active}",
        "level": "{avg} a period on average, as much as or more than {pct} of the customer "
                 "base (high from {quantile})",
        "active": "bought in {active} of {observed} periods, customer for {tenure} days",
        "trend": "spend last {period} days {last} vs {avg} average of previous {n} "
                 "{period}-day period(s): {change}",
        "new_spend": "spend last {period} days {last} after none in the previous {n} "
                     "{period}-day period(s)",
        "no_trend": "no earlier period to compare; customer for {tenure} days",
    },
    "zh": {
        "no_purchase": "在客户名单中，尚无购买",
        "churn_recency": "已 {recency} 天无购买（超过 {limit} 天视为流失）",
        "churn_alive": "存活概率 {p} 低于 {limit}",
        "falling": "交易量下降（较自身以往水平下降 {drop} 及以上：任何阶段都可能退化）：{trend}",
        "dormant": "交易量降至零：最近 {n} 个 {period} 天周期均无购买（上次购买在 {recency} 天前）",
        "trial": "尝试性的订单：目前共 {days} 个购买日（不超过 {limit} 个）",
        "short_tenure": "关系的探索和试验阶段：首次购买在 {tenure} 天前（不满 {limit} 天）",
        "growing": "交易不断增加（增长 {rise_zh} 及以上）：{trend}",
        "more_purchases": "交易不断增加（增长 {rise_zh} 及以上）：最近 {period} 天 {purchases} 个购买日，"
                          "之前平均 {purchases_avg} 个；{trend}",
        "steady": "大量、稳定的交易：{level}；{active}",
        "high_unsteady": "交易量较高，但尚未稳定（满 {limit} 天且 {share} 的周期有购买为稳定期）："
                         "{level}；{active}",
        "low_flat": "尚未做出大的贡献，交易量平稳且较低：{level}；{trend}；{active}",
        "level": "平均每周期消费 {avg}，不低于 {pct} 的客户（{quantile} 及以上为高）",
        "active": "{observed} 个周期中有 {active} 个有购买，已成为客户 {tenure} 天",
        "trend": "最近 {period} 天消费 {last}，之前 {n} 个 {period} 天周期平均 {avg}：{change}",
        "new_spend": "最近 {period} 天消费 {last}，之前 {n} 个 {period} 天周期无消费",
        "no_trend": "没有可比较的之前周期；已成为客户 {tenure} 天",
    },
}


#: Columns stored with each customer besides the trend columns, from which
#: :func:`lifecycle_reasons` words the reason again (in either language).
REASON_COLUMNS = ("lifecycle_rule", "history_tenure_days", "history_recency_days",
                  "history_purchase_days")

_REASON_INPUTS = ("lifecycle_rule", "spend_last_period", "spend_previous_avg", "spend_change",
                  "previous_periods", "history_tenure_days", "history_recency_days",
                  "history_purchase_days", "active_period_share", "spend_period_avg",
                  "volume_percentile", "purchases_last_period", "purchases_previous_avg")


def _amount(x) -> str:
    return f"{x:,.0f}" if x is not None and math.isfinite(x) else "–"


def _change(x) -> str:
    return f"{x * 100:+.0f} %" if x is not None and math.isfinite(x) else "–"


def _share(x) -> str:
    return f"{x:.0%}" if x is not None and math.isfinite(x) else "–"


def prospect_reason(lang: str = "en") -> str:
    """The reason given to a prospect (a customer of the list without purchases)."""
    return _TEXT[lang]["no_purchase"]


def lifecycle_reasons(table: pa.Table, options: LifecycleOptions | None = None, *,
                      lang: str = "en") -> pa.Array:
    """The reason text for each row of a table with ``lifecycle_rule`` and the trend columns
    (a column a run did not store reads as unknown, shown as a dash).

    Worded rule by rule over the rows of each rule: every number is formatted once per
    distinct value and the sentences assembled column-wise, with no loop over the rows."""
    o = options or LifecycleOptions()
    text = _TEXT[lang]
    n_rows = table.num_rows
    rules = table.column("lifecycle_rule") if "lifecycle_rule" in table.column_names \
        else pa.nulls(n_rows, pa.string())
    if isinstance(rules, pa.ChunkedArray):
        rules = rules.combine_chunks()
    if rules.type == pa.null():
        rules = rules.cast(pa.string())
    encoded = rules.dictionary_encode()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    out = np.empty(n_rows, dtype=object)
    for code, rule in [*enumerate(encoded.dictionary.to_pylist()), (-1, None)]:
        rows = np.flatnonzero(codes == code)
        if len(rows):
            out[rows] = _rule_reasons(rule, table.take(pa.array(rows, pa.int64())), o, text)
    return pa.array(out, type=pa.string())


def _words(column, word) -> np.ndarray:
    """``word(value)`` for each value of an Arrow column, each distinct value worded once."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    n = len(column)
    if column.type == pa.null():
        return np.full(n, word(None) if n else None, dtype=object)
    encoded = column.dictionary_encode()
    words = [word(v) for v in encoded.dictionary.to_pylist()]
    indices = encoded.indices
    if indices.null_count:
        words.append(word(None))
        indices = pc.fill_null(indices, len(words) - 1)
    return np.array(words + [None], dtype=object)[:-1][indices.to_numpy()]


def _rounded_words(column, word, scale: float = 1.0) -> np.ndarray:
    """:func:`_words` for a word that formats ``value × scale`` to whole units (``_amount``,
    ``_change``, ``_share``): values that round alike (halves to even, the sign of a zero
    kept, as ``format`` rounds) are worded once, from one of them."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if column.type == pa.null() or not pa.types.is_floating(column.type):
        return _words(column, word)
    values = column.to_numpy(zero_copy_only=False).astype(float)  # nulls as NaN
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    key = np.round(values * scale) if scale != 1.0 else np.round(values)
    key = np.where(valid, key, np.nan).view(np.int64)
    key = np.where(np.isnan(values) & valid, 1, key)  # NaN apart from null
    key = np.where(valid, key, 0x7FF8DEAD00000000)
    _distinct, first, index = np.unique(key, return_index=True, return_inverse=True)
    words = [word(column[int(i)].as_py()) for i in first]
    return np.array(words + [None], dtype=object)[:-1][index.reshape(-1)]


def _fill(template: str, n: int, values: dict) -> np.ndarray:
    """``template.format(**values)`` for ``n`` rows; a value is the same for every row or an
    array of texts, one per row."""
    out = np.full(n, "", dtype=object)
    for literal, name, spec, conversion in Formatter().parse(template):
        if literal:
            out = out + literal
        if name is not None:
            value = values[name]
            if isinstance(value, np.ndarray):
                out = out + value
            else:
                out = out + format(value, spec or "")
    return out


def _rule_reasons(rule: str | None, rows: pa.Table, o: LifecycleOptions, text: dict
                  ) -> np.ndarray:
    """The reasons of rows that all have the lifecycle rule ``rule``."""
    n = rows.num_rows

    def words(name, word):
        column = rows.column(name) if name in rows.column_names else pa.nulls(n)
        return _words(column, word)

    def rounded(name, word, scale=1.0):
        column = rows.column(name) if name in rows.column_names else pa.nulls(n)
        return _rounded_words(column, word, scale)

    def counted(v):
        return f"{v:,}" if v is not None else "–"

    if rule is None or rule == "no_purchase":
        return np.full(n, text["no_purchase"], dtype=object)
    if rule == "churn_recency":
        return _fill(text["churn_recency"], n, {
            "recency": words("history_recency_days", lambda v: f"{v:,}"),
            "limit": f"{o.churn_days:,}"})
    if rule == "churn_alive":
        return _fill(text["churn_alive"], n, {
            "p": words("probability_alive", lambda v: f"{v:.2f}"),
            "limit": f"{o.churn_probability:.2f}"})
    if rule == "trial":
        return _fill(text["trial"], n, {"days": words("history_purchase_days", format),
                                        "limit": o.trial_purchases})
    if rule == "short_tenure":
        return _fill(text["short_tenure"], n, {
            "tenure": words("history_tenure_days", lambda v: f"{v:,}"),
            "limit": f"{o.exploration_days:,}"})
    if rule == "dormant":
        return _fill(text["dormant"], n, {
            "n": words("previous_periods", lambda v: format((v or 0) + 1)), "period": o.period_days,
            "recency": words("history_recency_days", lambda v: f"{v:,}")})
    tenure = words("history_tenure_days", counted)
    has_periods = words("previous_periods", bool).astype(bool)
    has_average = words("spend_previous_avg", bool).astype(bool)
    trend = np.empty(n, dtype=object)
    last = rounded("spend_last_period", _amount)
    count = words("previous_periods", format)
    both = has_periods & has_average
    only = has_periods & ~has_average
    neither = ~has_periods
    if both.any():
        trend[both] = _fill(text["trend"], int(both.sum()), {
            "period": o.period_days, "last": last[both],
            "avg": rounded("spend_previous_avg", _amount)[both], "n": count[both],
            "change": rounded("spend_change", _change, 100.0)[both]})
    if only.any():
        trend[only] = _fill(text["new_spend"], int(only.sum()), {
            "period": o.period_days, "last": last[only], "n": count[only]})
    if neither.any():
        trend[neither] = _fill(text["no_trend"], int(neither.sum()),
                               {"tenure": tenure[neither]})
    if rule not in text:
        return trend  # a rule of an earlier version of cvm: its numbers
    observed = words("previous_periods", lambda v: (v or 0) + 1)
    share = rows.column("active_period_share") if "active_period_share" in rows.column_names \
        else pa.nulls(n, pa.float64())
    if isinstance(share, pa.ChunkedArray):
        share = share.combine_chunks()
    known = share.is_valid().to_numpy(zero_copy_only=False)
    shares = np.asarray(share.to_numpy(zero_copy_only=False), dtype=float)
    if np.isnan(shares[known]).any():
        raise ValueError("cannot convert float NaN to integer")
    # Python's round and NumPy's both round halves to even
    product = np.where(known, shares, 0.0) * observed.astype(float)
    active = _words(pa.array(np.round(product).astype(np.int64)), format)
    active[~known] = "–"
    values = {"trend": trend,
              "active": _fill(text["active"], n, {
                  "active": active, "tenure": tenure,
                  "observed": words("previous_periods", lambda v: format((v or 0) + 1))}),
              "level": _fill(text["level"], n, {
                  "avg": rounded("spend_period_avg", _amount),
                  "pct": rounded("volume_percentile", _share, 100.0),
                  "quantile": _share(o.stability_volume_quantile)}),
              "period": o.period_days, "drop": _share(o.decline_drop),
              "rise": f"+{o.growth_rise:.0%}", "rise_zh": _share(o.growth_rise),
              "limit": f"{o.stability_days:,}", "share": _share(o.stability_active_share),
              "purchases": words("purchases_last_period", format),
              "purchases_avg": words("purchases_previous_avg",
                                     lambda v: f"{v:.1f}" if v is not None else "–")}
    return _fill(text[rule], n, values)


def stage_counts(stages: pa.Array | pa.ChunkedArray) -> dict[str, int]:
    """Customers per stage key (only stages that occur)."""
    counts = pc.value_counts(stages)
    return {str(v["values"]): int(v["counts"]) for v in counts.to_pylist()}
