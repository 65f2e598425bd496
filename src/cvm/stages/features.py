"""The ``features`` stage: the per-customer table itself — summary, RFM scores and segments,
ABC class — with the segment labels and the customer list's fields.

It makes the rows the later stages work on (one per customer with a purchase, ordered by
``value_rank``), so it runs first and shapes its run differently from the others:

- relation: :func:`cvm.features.customers.customer_features` on the engine, cached, and its
  per-segment summary (stored as the run's ``segments`` table);
- batches: the segment label in the run's language (``rfm_segment_label``);
- the customer list's fields joined in the workspace
  (:func:`cvm.identity.attributes.with_attributes`);
- figures: the Pareto / ABC summary of the run (``summary["pareto"]``).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ..features.customers import customer_features, segment_summary
from ..features.pareto import pareto_from_table, pareto_summary
from ..features.rfm_schemes import RFMScheme, load_scheme
from ..identity.attributes import attributes_on_engine, with_attributes
from ..schema import CUSTOMER_FEATURE_COLUMNS
from .contract import AnalysisError, Stage, StageResult, apply_batches

__all__ = ["FeatureStage", "segment_table"]


class FeatureStage(Stage):
    name = "features"

    def adds(self, config) -> tuple[str, ...]:
        return tuple(CUSTOMER_FEATURE_COLUMNS)

    def fit(self, ctx, customers) -> dict[str, str]:
        """The segment labels of the run's scheme, in the run's language."""
        scheme = load_scheme(ctx.config.rfm.scheme)
        return {s.key: s.label(ctx.config.lang) for s in scheme.segments}

    def transform(self, batch: pa.RecordBatch, labels: dict[str, str]) -> pa.RecordBatch:
        keys = batch.column("rfm_segment").to_pylist()
        return pa.RecordBatch.from_arrays(
            [pa.array([labels.get(k, k) for k in keys], type=pa.string())],
            names=["rfm_segment_label"])

    def run(self, ctx, customers: pa.Table) -> StageResult:
        config, eng = ctx.config, ctx.engine
        scheme = load_scheme(config.rfm.scheme)
        cached = eng.cache(customer_features(ctx.transactions, config, scheme=scheme,
                                             days=ctx.days))
        rows = eng.to_arrow(cached.order_by("value_rank"))
        if rows.num_rows == 0:
            raise AnalysisError(
                f"no purchases on or before {ctx.as_of}"
                + (f" in the {config.window_days}-day window" if config.window_days else ""))
        value_column = config.abc.value_column
        if value_column == "margin_total" and not pc.count(rows.column(value_column)).as_py():
            raise AnalysisError("ABC by margin needs a margin or cost column in the transactions")
        segments = eng.to_arrow(segment_summary(cached, value_column))
        labels = apply_batches(self.transform, rows.select(["rfm_segment"]),
                               self.fit(ctx, customers), self.batch_rows)
        rows = rows.add_column(rows.column_names.index("rfm_segment") + 1, "rfm_segment_label",
                               labels.column("rfm_segment_label"))
        rows = with_attributes(ctx.ws, rows)
        pareto = pareto_summary(rows.column(value_column).to_numpy(zero_copy_only=False),
                                rows.column("abc_class").to_numpy(zero_copy_only=False),
                                config.abc)
        return StageResult(rows, {"segments": segment_table(segments, scheme, config.lang)},
                           adds_rows=True, run_summary={"pareto": pareto})


    on_engine = True

    def run_on_engine(self, ctx, customers) -> StageResult:
        """The same rows left on the engine (cached there), the labels and the list's fields
        joined there, and the Pareto figures from aggregates
        (:func:`cvm.features.pareto.pareto_from_table`)."""
        config, eng = ctx.config, ctx.engine
        scheme = load_scheme(config.rfm.scheme)
        cached = eng.cache(customer_features(ctx.transactions, config, scheme=scheme,
                                             days=ctx.days))
        value_column = config.abc.value_column
        counts = eng.to_arrow(cached.aggregate(n=cached.count(),
                                               valued=cached[value_column].count()))
        if counts.column("n")[0].as_py() == 0:
            raise AnalysisError(
                f"no purchases on or before {ctx.as_of}"
                + (f" in the {config.window_days}-day window" if config.window_days else ""))
        if value_column == "margin_total" and not counts.column("valued")[0].as_py():
            raise AnalysisError("ABC by margin needs a margin or cost column in the transactions")
        segments = eng.to_arrow(segment_summary(cached, value_column))
        labels = self.fit(ctx, None)
        label = cached.rfm_segment.substitute(labels, else_=cached.rfm_segment)
        at = cached.columns.index("rfm_segment") + 1
        rows = cached.select(*cached.columns[:at], label.name("rfm_segment_label"),
                             *cached.columns[at:])
        rows = eng.cache(attributes_on_engine(ctx.ws, eng, rows))
        pareto = pareto_from_table(rows, value_column, eng.to_arrow, config.abc)
        return StageResult(rows, {"segments": segment_table(segments, scheme, config.lang)},
                           adds_rows=True, run_summary={"pareto": pareto})


def segment_table(segments: pa.Table, scheme: RFMScheme, lang: str) -> pa.Table:
    """The per-segment summary in the scheme's order, every segment present (empty ones with
    zero customers), with its label in ``lang``."""
    rows = {r["rfm_segment"]: r for r in segments.to_pylist()}
    out = []
    for seg in scheme.segments:
        r = rows.get(seg.key)
        out.append({
            "segment": seg.key,
            "label": seg.label(lang),
            "customers": int(r["customers"]) if r else 0,
            "customer_share": float(r["customer_share"]) if r else 0.0,
            "value": float(r["value"]) if r else 0.0,
            "value_share": float(r["value_share"]) if r else 0.0,
            "avg_recency_days": r["avg_recency_days"] if r else None,
            "avg_frequency": r["avg_frequency"] if r else None,
            "avg_monetary_total": r["avg_monetary_total"] if r else None,
        })
    return pa.Table.from_pylist(out, schema=pa.schema([
        ("segment", pa.string()), ("label", pa.string()), ("customers", pa.int64()),
        ("customer_share", pa.float64()), ("value", pa.float64()), ("value_share", pa.float64()),
        ("avg_recency_days", pa.float64()), ("avg_frequency", pa.float64()),
        ("avg_monetary_total", pa.float64()),
    ]))
