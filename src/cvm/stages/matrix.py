"""The ``matrix`` stage: each customer's cell of the value × lifecycle matrix and the play for it.

Adds ``matrix_cell``, ``recommended_action`` and ``expected_gain`` (and, after the churn
stage, completes its ``churn_reason`` with why the lifecycle stage and the churn risk disagree
where they do) and stores ``matrix`` (per
cell: counts, value share, CLV, and the playbook's play with its economics). The economics are
each customer's own (:func:`cvm.segments.playbook.customer_actions`): ``clv`` when the CLV stage
ran, and for churned customers the churn stage's ``winback_value`` when it ran, else the value
stage's ``value_if_returned``; a churned customer is let go only where winning it back does not
pay. A cell where a campaign measured the response lift against a control group
(:func:`cvm.campaigns.registry.measured_cells`) uses that lift in place of the playbook's assumed
response, and its ``gain_basis`` names the campaign and the interval.

- fit: the playbook (:func:`cvm.segments.playbook.load_playbook`);
- batches: the cells (:func:`cvm.segments.matrix.assign_cells`) and their plays' actions;
- finish: the per-cell summary over the run's value column and the plays' economics.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from ..config import MatrixOptions
from ..segments.matrix import assign_cells, matrix_summary, matrix_summary_on_engine
from ..segments.playbook import (Playbook, action_gains_on_engine, cell_economics,
                                 customer_actions, load_playbook, with_measured)
from .contract import Stage, StageResult

__all__ = ["MatrixStage"]


def _measured(ws) -> dict:
    """The response lifts campaigns measured per cell (none when the workspace has none)."""
    if ws is None:
        return {}
    from ..campaigns.registry import has_campaigns, measured_cells

    return measured_cells(ws) if has_campaigns(ws) else {}


@dataclass(frozen=True)
class _State:
    options: MatrixOptions
    lifecycle_scheme: str
    playbook: Playbook
    #: cell → basis text, for the cells whose assumed response a campaign's measured lift replaced
    measured_basis: dict
    lang: str = "en"
    at_risk: float = 0.5


#: the columns :func:`cvm.models.churn_reason.stage_notes` reads
_NOTE_COLUMNS = ("lifecycle_stage", "spend_change", "churn_risk", "churn_horizon_days",
                 "recency_days", "churn_gap_days")


def _with_stage_notes(table: pa.Table, state: _State) -> pa.Array:
    """The churn reasons with the sentence saying why the lifecycle stage (now known) and the
    churn risk disagree, where they do (:func:`cvm.models.churn_reason.stage_notes`)."""
    from ..models.churn_reason import stage_notes

    sep = ";" if state.lang == "zh" else "; "
    read = [c for c in _NOTE_COLUMNS if c in table.column_names]
    notes = pa.array(stage_notes(table.select(read).to_pandas(), state.lang,
                                 at_risk=state.at_risk), pa.string())
    reasons = table.column("churn_reason")
    if isinstance(reasons, pa.ChunkedArray):
        reasons = reasons.combine_chunks()
    # the reason alone where there is no note; no reason stays no reason (both null-emitting
    # steps: Arrow's "skip" null handling miscounts the rows when the first column is all null)
    joined = pc.binary_join_element_wise(reasons.cast(pa.string()), notes, sep)
    return pc.if_else(joined.is_null(), reasons.cast(pa.string()), joined)


class MatrixStage(Stage):
    name = "matrix"
    on_engine = True
    needs = ("lifecycle_stage",)
    uses = ("value_quadrant", "composite_value", "abc_class", "first_purchase", "clv",
            "value_if_returned", "winback_value", "winback_probability", "winback_rank",
            "value_after_return", "recovery_value", "churn_reason", "churn_risk",
            "churn_horizon_days", "churn_gap_days", "recency_days", "spend_change")

    def adds(self, config) -> tuple[str, ...]:
        return ("matrix_cell", "recommended_action", "expected_gain")

    def fit(self, ctx, rows) -> _State:
        cfg = ctx.config
        playbook = load_playbook(cfg.matrix.playbook, lang=cfg.lang, scheme=cfg.matrix.scheme,
                                 lifecycle_scheme=cfg.lifecycle.scheme)
        playbook, basis = with_measured(playbook, _measured(ctx.ws))
        return _State(cfg.matrix, cfg.lifecycle.scheme, playbook, basis, cfg.lang,
                      cfg.churn.at_risk)

    def transform(self, batch: pa.RecordBatch, state: _State) -> pa.RecordBatch:
        table = pa.Table.from_batches([batch])
        cells = assign_cells(table, state.options, state.lifecycle_scheme)
        actions, gains = customer_actions(table, cells, state.playbook,
                                          min_gain=state.options.min_gain)
        arrays, names = [cells, actions, gains], ["matrix_cell", "recommended_action",
                                                  "expected_gain"]
        if "churn_reason" in table.column_names and "churn_horizon_days" in table.column_names:
            arrays.append(_with_stage_notes(table, state))
            names.append("churn_reason")
        return pa.RecordBatch.from_arrays(arrays, names=names)

    def finish(self, ctx, customers: pa.Table, state: _State) -> StageResult:
        cfg = ctx.config
        summary_t = matrix_summary(customers, cfg.matrix, cfg.lifecycle.scheme,
                                   value_column=cfg.abc.value_column)
        economics = cell_economics(summary_t, state.playbook, customers,
                                   measured_basis=state.measured_basis)
        return _result(cfg, state, customers, summary_t, economics)

    def finish_on_engine(self, ctx, customers, state: _State) -> StageResult:
        """:meth:`finish` from two groupings on the engine: by cell, and by cell and action."""
        cfg, run = ctx.config, ctx.engine.to_arrow
        summary_t = matrix_summary_on_engine(customers, run, cfg.matrix, cfg.lifecycle.scheme,
                                             value_column=cfg.abc.value_column)
        economics = cell_economics(summary_t, state.playbook,
                                   measured_basis=state.measured_basis,
                                   gains=action_gains_on_engine(customers, run),
                                   winback="winback_value" in customers.columns)
        return _result(cfg, state, customers, summary_t, economics)


def _result(cfg, state: _State, customers, summary_t: pa.Table, economics: pa.Table
            ) -> StageResult:
    """The stage's table and figures from the cell summary and the cells' economics."""
    playbook = state.playbook
    table = summary_t.join(economics.drop_columns(["customers", "avg_clv"]), "cell")
    order = {c: i for i, c in enumerate(summary_t.column("cell").to_pylist())}
    table = table.take(pa.array(sorted(range(table.num_rows),
                                       key=lambda i: order[table.column("cell")[i].as_py()])))
    summary = {"scheme": cfg.matrix.scheme, "tier_basis": cfg.matrix.tier_basis,
               "playbook": playbook.name,
               "playbook_path": str(playbook.path), "min_gain": cfg.matrix.min_gain,
               "cells": table.to_pylist()}
    return StageResult(customers, {"matrix": table}, summary)
