"""The ``satisfaction`` stage: each answering customer's survey figures, and the survey's
index, NPS and CSAT by segment, matrix cell and lifecycle stage.

Runs only when the workspace holds survey responses (``cvm survey load``); without them it
returns the customer table as it got it and stores nothing, so a run without a survey is the
same as before. With them it adds ``survey_date``, ``satisfaction_index``,
``overall_satisfaction``, ``likelihood_to_recommend`` and ``nps_group`` (null for customers who
did not answer; :func:`cvm.satisfaction.breakdown.customer_satisfaction`), stores the table
``satisfaction`` (one row per breakdown value) and puts
:func:`cvm.satisfaction.overview.satisfaction_overview` in the run summary.

When the survey has a structural model (``cvm survey load FILE --model MODEL.toml``,
:mod:`cvm.satisfaction.survey_model`), the stage also fits it by PLS path modelling (path
weighting, 500 bootstrap resamples, a fixed seed), puts its figures in the summary under
``model``, stores the tables ``satisfaction_paths`` (path coefficients and total effects with
their bootstrap intervals) and ``satisfaction_quality`` (R², α, ρ_C, ρ_A, AVE per construct),
and takes importance from the model's total effects on satisfaction. A model that cannot be
fitted on the answers leaves importance to the regression weights and says why under
``model.error``.
"""

from __future__ import annotations

import logging

import pandas as pd
import pyarrow as pa

from ..satisfaction.breakdown import (BREAKDOWNS, SATISFACTION_COLUMNS, customer_satisfaction,
                                      with_customers)
from ..satisfaction.index import choose_weights
from ..satisfaction.overview import satisfaction_overview
from ..errors import CvmError
from ..satisfaction.survey import has_survey, read_survey
from ..satisfaction.survey_model import (fit_survey_model, model_overview,
                                         stored_survey_model, total_effects_on_satisfaction)
from .contract import Stage, StageResult, align_rows, join_columns, with_columns

__all__ = ["SatisfactionStage"]

log = logging.getLogger(__name__)


class SatisfactionStage(Stage):
    name = "satisfaction"
    uses = tuple(c for c in BREAKDOWNS.values() if c)
    on_engine = True

    def adds(self, config) -> tuple[str, ...]:
        return SATISFACTION_COLUMNS

    def run(self, ctx, customers: pa.Table) -> StageResult:
        if not has_survey(ctx.ws):
            return StageResult(customers)
        survey, weights, table = _answers(ctx)
        joined = align_rows(table, customers.column("customer_id"))
        out = with_columns(customers, {c: joined.column(c) for c in SATISFACTION_COLUMNS})
        wanted = ["customer_id"] + [c for c in self.uses if c in customers.column_names]
        return self._results(ctx, survey, weights, customers.select(wanted).to_pandas(), out)

    def run_on_engine(self, ctx, customers) -> StageResult:
        """:meth:`run` with the table on the engine: the answering customers' figures joined
        there, and only their rows' breakdown columns brought here."""
        if not has_survey(ctx.ws):
            return StageResult(customers)
        survey, weights, table = _answers(ctx)
        answers = ctx.engine.table(table.select(["customer_id", *SATISFACTION_COLUMNS]),
                                   "cvm_satisfaction")
        out = ctx.engine.cache(join_columns(customers, answers))
        wanted = ["customer_id"] + [c for c in self.uses if c in customers.columns]
        answering = customers.semi_join(answers.select("customer_id"), "customer_id")
        frame = ctx.engine.to_arrow(answering.select(*wanted)).to_pandas()
        return self._results(ctx, survey, weights, frame, out)

    def _results(self, ctx, survey, weights, frame: pd.DataFrame, out) -> StageResult:
        """The overview, tables and figures from the answers and the answering customers'
        breakdown columns (``frame``)."""
        model, fitted, effects = self._model(ctx, survey)
        overview = satisfaction_overview(with_customers(survey, customers=frame), weights,
                                         effects=effects)
        if model is not None:
            overview["model"] = model
        overview["files"] = [
            {"file": name, "rows_read": read, "rows_loaded": loaded, "rows_rejected": rejected}
            for name, read, loaded, rejected in ctx.ws.query(
                "SELECT name, rows_read, rows_loaded, rows_rejected FROM files "
                "WHERE table_kind = 'survey' ORDER BY file_id")]
        rows = [{"breakdown": name, **row} for name, rows in overview["by"].items()
                for row in rows]
        tables = {}
        if rows:
            keep = ("breakdown", "key", "respondents", "index", "index_low", "index_high", "nps",
                    "nps_low", "nps_high", "csat", "csat_low", "csat_high")
            tables["satisfaction"] = pa.Table.from_pandas(
                pd.DataFrame([{k: (str(r.get(k)) if k == "key" else r.get(k)) for k in keep}
                              for r in rows]), preserve_index=False)
        if fitted is not None:
            tables.update(_model_tables(fitted))
        return StageResult(out, tables, overview)

    @staticmethod
    def _model(ctx, survey):
        """The survey's structural model fitted (its document, the fit, the total effects on
        satisfaction), or (None, None, None) without a model."""
        stored = stored_survey_model(ctx.ws)
        if stored is None:
            return None, None, None
        name, structure = stored
        try:
            fitted = fit_survey_model(survey, structure)
        except (CvmError, ValueError) as exc:
            log.warning("the survey's model %s was not fitted: %s", name, exc)
            return {"name": name, "error": str(exc)}, None, None
        return (model_overview(survey, fitted, name), fitted,
                total_effects_on_satisfaction(survey, fitted))


def _answers(ctx) -> tuple:
    """The survey, its index weights and one row per answering customer
    (:data:`~cvm.satisfaction.breakdown.SATISFACTION_COLUMNS`)."""
    survey = read_survey(ctx.ws)
    weights = choose_weights(survey)
    table = pa.Table.from_pandas(customer_satisfaction(survey, weights), preserve_index=False)
    table = table.set_column(table.column_names.index("survey_date"), "survey_date",
                             table.column("survey_date").cast(pa.date32()))
    # text as the other stages' text (pandas gives large strings), on every engine
    table = table.cast(pa.schema([pa.field(f.name, pa.string()) if pa.types.is_large_string(f.type)
                                  else f for f in table.schema]))
    return survey, weights, table


def _model_tables(fitted) -> dict[str, pa.Table]:
    """``satisfaction_paths`` (kind path or total_effect, from, to, estimate, std_error,
    ci_lower, ci_upper) and ``satisfaction_quality`` (one row per construct)."""
    boot = fitted.bootstrap_
    paths = boot[boot["kind"].isin(["path", "total_effect"])].reset_index(drop=True)
    return {"satisfaction_paths": pa.Table.from_pandas(paths, preserve_index=False),
            "satisfaction_quality": pa.Table.from_pandas(fitted.quality_, preserve_index=False)}
