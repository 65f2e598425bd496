"""A run on a purchase log without amounts (loyalty-card scans, visits, the grocery panels of
the buy-till-you-die literature): what needs no money runs, what needs money is left out and
the run says so.

A log loads without an amount column (its amounts are stored as missing, never as zero). When
any transaction of the run lacks an amount, :func:`counted_transactions` gives the stages the
same transactions with each purchase line counted as one unit, so that everything that reads a
quantity of buying reads purchases:

- runs as with money: recency and frequency, the R and F scores, the lifecycle stages (their
  trends are then trends in purchases), the purchase models (BG/NBD, Pareto/NBD, MBG/NBD: they
  read only the purchase days, (x, t_x, T), so their parameters are those of the same log with
  amounts), ``probability_alive`` and the expected purchases, churn risk;
- the value axis of the matrix and the composite value are counted in purchases: current
  contribution = purchases in the last period, future contribution = the purchase model's
  expected purchases over the CLV horizon (discounted, as the CLV stage discounts them),
  growth potential = the change in purchases per period;
- left out (the columns stay empty, never zero): the M score, the spend model (Gamma-Gamma)
  and every monetary value (``clv``, ``potential_value``, ``expected_average_spend``,
  historical and current value), ABC classes by revenue and the value shares, the churn
  reason's spend numbers, the win-back value and its ranking.

The segment comes from R and F alone (:func:`rf_segments`): each R-F pair takes the segment of
the scheme that owns most of its cells over the M scores (for a mean-split scheme, M counts as
low), so every customer still gets one.

:func:`without_money` applies this to the run's customer table after the stages;
:func:`money_note` is the note the CLI and the report show, in English and Chinese.
"""

from __future__ import annotations

from collections import Counter

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..features.rfm_schemes import RFMScheme

__all__ = ["amounts_missing", "counted_transactions", "without_money", "rf_segments",
           "segment_rows", "between_stages", "unpriced_summaries", "money_note",
           "MONEY_COLUMNS"]

#: the per-customer columns that are money (or made from money), left empty without amounts
MONEY_COLUMNS = (
    "monetary_total", "monetary_avg", "repeat_monetary_avg", "margin_total", "m_score",
    "value_share", "cumulative_value_share", "abc_class",
    "expected_average_spend", "historical_value", "current_value", "potential_value", "clv",
    "lifetime_value_net",
    "churn_recent_spend", "churn_prior_spend", "value_after_return", "winback_value",
    "winback_rank",
    "spend_last_period", "spend_period_avg", "spend_previous_avg", "margin_last_period",
    "value_if_returned", "expected_gain",
)

_NOTE = {
    "en": ("{rows} of {total} purchases carry no amount, so this run counts purchases instead of "
           "money. R and F scores, segments (from R and F), lifecycle stages, the purchase model "
           "and churn risk are computed as usual; the M score, the spend model (Gamma-Gamma), "
           "monetary CLV, ABC classes by revenue and the win-back value are not, and their "
           "columns are left empty. The value axis of the matrix is counted in purchases: "
           "current contribution = purchases in the last period, future contribution = the "
           "purchase model's expected purchases over the CLV horizon."),
    "zh": ("{total} 笔购买中有 {rows} 笔没有金额，本次运行以购买次数代替金额。R、F 评分、"
           "客户细分（按 R 和 F）、生命周期阶段、购买模型和流失风险照常计算；M 评分、消费金额"
           "模型（Gamma-Gamma）、以金额计的客户终身价值、按收入的 ABC 分类和赢回价值不计算，"
           "相应列留空。价值 × 生命周期矩阵的价值轴按购买次数计：当前贡献 = 上一周期的购买次数，"
           "未来贡献 = 购买模型预计的 CLV 期内购买次数。"),
}


def amounts_missing(ws) -> tuple[int, int]:
    """(transactions without an amount, all transactions) of the workspace."""
    total, priced = ws.query("SELECT count(*), count(amount) FROM transactions")[0]
    return int(total - priced), int(total)


def counted_transactions(transactions: ir.Table) -> ir.Table:
    """The transactions with each line's amount one unit (and no margin or cost): every sum of
    amounts becomes a count of purchase lines."""
    return transactions.mutate(amount=ibis.literal(1.0, "float64"),
                               margin=ibis.null("float64"), cost=ibis.null("float64"))


#: after a stage, the columns the later stages must not read as money (they would decide on
#: counted purchases as if they were amounts), and what the value stage reads instead
_AFTER_STAGE = {"features": ("repeat_monetary_avg",),  # no spend model fitted on counts
                "clv": ("clv", "lifetime_value_net"),
                "churn": ("value_after_return", "winback_value", "winback_rank"),
                "value": ("value_if_returned",)}


def between_stages(stage: str, customers: pa.Table, horizon_days: int) -> pa.Table:
    """The customer table as the stages after ``stage`` read it in a run without amounts:
    after the features the repeat spend is empty (the CLV stage then fits no spend model);
    after the CLV stage ``potential_value`` is the expected purchases over the horizon (the
    value stage's future contribution) and ``clv`` is empty; after the churn stage the win-back
    value and rank are empty; after the value stage ``value_if_returned`` is (the matrix then
    has no value to weigh a win-back by)."""
    out = customers
    if stage == "clv":
        expected = f"expected_purchases_{horizon_days}d"
        if expected in out.column_names and "potential_value" in out.column_names:
            out = out.set_column(out.column_names.index("potential_value"), "potential_value",
                                 out.column(expected))
    for name in _AFTER_STAGE.get(stage, ()):
        if name in out.column_names:
            out = out.set_column(out.column_names.index(name), name,
                                 pa.nulls(out.num_rows, out.schema.field(name).type))
    return out


#: figures of the stages' summaries that are money, empty in a run without amounts
_SUMMARY_MONEY = {
    "clv": ("potential_value_total", "clv_total", "historical_value_total",
            "current_value_total", "lifetime_value_net_total"),
    "churn": ("winback_worth_contacting", "winback_value_total"),
}
_CELL_MONEY = ("value", "value_share", "avg_clv", "total_clv", "expected_gain_per_customer",
               "expected_gain_total", "pays")


def unpriced_summaries(summaries: dict, tables: dict) -> None:
    """Empty the money figures of the stages' summaries and of the stored matrix table (in
    place): no spend model, no monetary totals, no value or gain per matrix cell."""
    for stage, keys in _SUMMARY_MONEY.items():
        for key in keys:
            if key in summaries.get(stage, {}):
                summaries[stage][key] = None
    if "clv" in summaries:
        summaries["clv"]["spend_model"] = {"status": "skipped",
                                           "reason": "the purchases carry no amounts"}
    for cell in (summaries.get("matrix") or {}).get("cells") or []:
        for key in _CELL_MONEY:
            if key in cell:
                cell[key] = None
    for name, keys in (("matrix", _CELL_MONEY), ("lifecycle_economics", None)):
        table = tables.get(name)
        if table is None:
            continue
        keys = keys or [c for c in table.column_names if _is_money(c)]
        for key in keys:
            if key in table.column_names:
                table = table.set_column(table.column_names.index(key), key,
                                         pa.nulls(table.num_rows, table.schema.field(key).type))
        tables[name] = table
    for row in (summaries.get("lifecycle") or {}).get("economics") or []:
        for key in [k for k in row if _is_money(k)]:
            row[key] = None


def _is_money(name: str) -> bool:
    """A column of the stage economics that sums amounts (revenue, cost, profit, margin)."""
    return any(word in name for word in ("revenue", "cost", "profit", "margin", "value"))


def rf_segments(scheme: RFMScheme) -> dict[str, str]:
    """R-F pair (``"45"``) → segment key, for a run without M: the segment owning most of the
    pair's cells over M = 1 … 5 (ties: the first in the scheme's order); for a mean-split
    scheme, the segment of the pair's levels with M low.

    >>> from cvm.features.rfm_schemes import load_scheme
    >>> pairs = rf_segments(load_scheme("std11"))
    >>> pairs["55"], pairs["11"], len(pairs)
    ('loyal', 'lost', 25)
    """
    order = {key: i for i, key in enumerate(scheme.keys)}
    if scheme.kind == "mean_split":
        return {r + f: scheme.split_map[r + f + "L"] for r in "HL" for f in "HL"}
    out = {}
    for r in "12345":
        for f in "12345":
            owners = Counter(scheme.cell_map[r + f + m] for m in "12345"
                             if r + f + m in scheme.cell_map)
            if owners:
                best = max(owners.values())
                out[r + f] = min((k for k, n in owners.items() if n == best), key=order.get)
    return out


def without_money(customers: pa.Table, scheme: RFMScheme, labels: dict[str, str],
                  weights: tuple[float, float, float]) -> pa.Table:
    """The run's customer table without money: every column of :data:`MONEY_COLUMNS` empty,
    ``rfm_cell`` the R and F scores, ``rfm_score`` their weighted mean, ``rfm_segment`` (and its
    label) from R and F (:func:`rf_segments`)."""
    n = customers.num_rows
    out = customers
    for name in MONEY_COLUMNS:
        if name in out.column_names:
            i = out.column_names.index(name)
            out = out.set_column(i, name, pa.nulls(n, out.schema.field(name).type))
    if "r_score" not in out.column_names:
        return out
    r = out.column("r_score").cast(pa.string())
    f = out.column("f_score").cast(pa.string())
    cell = pc.binary_join_element_wise(r, f, "")
    wr, wf, _ = weights
    if wr + wf <= 0:  # the weights put everything on M: R and F count alike
        wr = wf = 1.0
    score = pc.divide(pc.add(pc.multiply(out.column("r_score").cast(pa.float64()), wr),
                             pc.multiply(out.column("f_score").cast(pa.float64()), wf)),
                      float(wr + wf))
    if scheme.kind == "mean_split":
        levels = []
        for c in ("r_score", "f_score"):  # high: strictly above the mean of the buyers
            values = out.column(c).to_numpy(zero_copy_only=False).astype(float)
            levels.append(np.where(np.isnan(values), None,
                                   np.where(values > np.nanmean(values), "H", "L")))
        keys_in = [a + b if a is not None and b is not None else None for a, b in zip(*levels)]
    else:
        keys_in = cell.to_pylist()
    pairs = rf_segments(scheme)
    segment = [pairs.get(k) if k is not None else None for k in keys_in]
    replace = {"rfm_cell": pa.array(cell.to_pylist(), pa.string()),
               "rfm_score": score.combine_chunks() if isinstance(score, pa.ChunkedArray)
               else score,
               "rfm_segment": pa.array(segment, pa.string()),
               "rfm_segment_label": pa.array([labels.get(s, s) for s in segment], pa.string())}
    for name, values in replace.items():
        if name in out.column_names:
            out = out.set_column(out.column_names.index(name), name, values)
    return out


def segment_rows(customers: pa.Table, scheme: RFMScheme, lang: str) -> pa.Table:
    """The run's per-segment summary without money: customers and their share, mean recency
    and frequency; value and spend empty."""
    seg = np.asarray(customers.column("rfm_segment").to_pylist(), dtype=object)
    recency = customers.column("recency_days").to_numpy(zero_copy_only=False).astype(float)
    frequency = customers.column("frequency").to_numpy(zero_copy_only=False).astype(float)
    n = len(seg)
    rows = []
    for s in scheme.segments:
        mask = seg == s.key
        count = int(mask.sum())
        rows.append({"segment": s.key, "label": s.label(lang), "customers": count,
                     "customer_share": count / n if n else 0.0, "value": None,
                     "value_share": None,
                     "avg_recency_days": float(recency[mask].mean()) if count else None,
                     "avg_frequency": float(frequency[mask].mean()) if count else None,
                     "avg_monetary_total": None})
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("segment", pa.string()), ("label", pa.string()), ("customers", pa.int64()),
        ("customer_share", pa.float64()), ("value", pa.float64()), ("value_share", pa.float64()),
        ("avg_recency_days", pa.float64()), ("avg_frequency", pa.float64()),
        ("avg_monetary_total", pa.float64())]))


def money_note(missing: int, total: int, lang: str = "en") -> str:
    """The note of a run without amounts, in ``lang``.

    >>> money_note(3, 3)[:46]
    '3 of 3 purchases carry no amount, so this run '
    """
    return _NOTE["zh" if lang == "zh" else "en"].format(rows=f"{missing:,}", total=f"{total:,}")
