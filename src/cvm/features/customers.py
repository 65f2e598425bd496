"""The per-customer feature table — summary, RFM scores and segments, ABC class — as one Ibis
expression, and its summary per RFM segment.

Both run on any engine (:mod:`cvm.engine`); the ``features`` stage
(:mod:`cvm.stages.features`) executes them in a run.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from ..config import AnalysisConfig
from .pareto import abc_classes
from .rfm import money_column, money_score, scores, with_rfm_cell, with_rfm_score
from .rfm_schemes import RFMScheme, assign_segments, load_scheme
from .summary import customer_summary, purchase_days

__all__ = ["customer_features", "segment_summary"]


def customer_features(transactions: ir.Table, config: AnalysisConfig, *,
                      scheme: RFMScheme | None = None, days: ir.Table | None = None) -> ir.Table:
    """The whole feature stage as one Ibis expression: summary, RFM scores and segments, ABC.

    ``transactions`` has ``customer_id``, ``purchase_date``, ``amount``, ``margin`` and ``cost``;
    ``config.as_of`` must be set. ``days``, when given, is its purchase-day table
    (:func:`purchase_days`) already computed, and is used instead.
    """
    if config.as_of is None:
        raise ValueError("customer_features needs an as-of date")
    scheme = scheme or load_scheme(config.rfm.scheme)
    days = purchase_days(transactions) if days is None else days
    summary = customer_summary(days, as_of=config.as_of, window_days=config.window_days)
    value_column = config.abc.value_column
    # The value ranking sorts every customer. Where the M score ranks the same column, it is
    # computed in the ranking's projection, so that the engine sorts once for both.
    shared = "m" not in config.rfm.breakpoints and money_column(config.rfm) == value_column
    t = scores(summary, config.rfm, "rf" if shared else "rfm")
    also = {"m_score": money_score(t, value_column)} if shared else None
    ranked = abc_classes(t, config.abc, value_column=value_column, also=also)
    scored = with_rfm_score(ranked, config.rfm)
    out = assign_segments(with_rfm_cell(scored), scheme)
    # columns in reading order: summary, scores, cell and segment, then value rank and class
    first = [*summary.columns, "r_score", "f_score", "m_score", "rfm_cell", "rfm_score",
             "rfm_segment"]
    return out.select(*first, *[c for c in out.columns if c not in first])


def segment_summary(features: ir.Table, value_column: str) -> ir.Table:
    """Per segment: customers, value and their shares, and average R, F and M."""
    n = features.count()
    total = features[value_column].fill_null(0.0).sum()
    g = features.group_by("rfm_segment").aggregate(
        customers=features.count(),
        value=features[value_column].fill_null(0.0).sum(),
        avg_recency_days=features.recency_days.mean(),
        avg_frequency=features.frequency.mean(),
        avg_monetary_total=features.monetary_total.mean(),
    )
    return g.mutate(
        customer_share=g.customers / n.as_scalar(),
        value_share=ibis.ifelse(total.as_scalar() != 0, g.value / total.as_scalar(), 0.0),
    )
