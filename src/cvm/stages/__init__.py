"""The stages of an analysis, in the order a run applies them.

Each stage is a :class:`~cvm.stages.contract.Stage` in its own module; the contract
(:mod:`cvm.stages.contract`) says what a stage gets, what it gives back and how to write a new
one. :data:`DEFAULT_STAGES` is the list a run uses unless given its own
(``cvm.analyse(ws, stages=[...])``); :func:`register` adds a stage to every run of this process
that is not given a list (how a command such as ``cvm run`` or ``cvm serve`` picks up a stage of
yours).
"""

from __future__ import annotations

from .churn import ChurnStage
from .clv import CLVStage
from .cohorts import CohortStage
from .complaints import ComplaintStage
from .contract import AnalysisError, Stage, StageContext, StageResult
from .features import FeatureStage
from .lifecycle import LifecycleStage
from .matrix import MatrixStage
from .satisfaction import SatisfactionStage
from .value import ValueStage

__all__ = ["DEFAULT_STAGES", "Stage", "StageContext", "StageResult", "AnalysisError",
           "FeatureStage", "CLVStage", "ChurnStage", "LifecycleStage", "ValueStage", "MatrixStage",
           "ComplaintStage",
           "SatisfactionStage",
           "CohortStage",
           "register", "run_stages"]

#: The stages of a run, in order. ``features`` makes the per-customer rows; customer value
#: (``clv``) comes next, as ``lifecycle`` reads its ``probability_alive`` and ``value`` its
#: ``potential_value``; ``churn`` adds churn risk and win-back for the buyers (before
#: ``lifecycle`` appends the prospects, who keep nulls there, and before ``value`` and
#: ``matrix``, which read them); ``matrix`` needs the lifecycle stage and the value quadrant;
#: ``satisfaction`` (only when a survey is loaded) breaks the survey down by matrix cell,
#: ``complaints`` (only with a service log loaded) counts complaints per customer, per cell and
#: per stage, and ``cohorts`` adds no columns and splits its cohorts by the RFM segment, so they
#: come last.
DEFAULT_STAGES: tuple[Stage, ...] = (FeatureStage(), CLVStage(), ChurnStage(), LifecycleStage(),
                                     ValueStage(), MatrixStage(), SatisfactionStage(),
                                     ComplaintStage(), CohortStage())

_REGISTERED: list[Stage] = []


def register(stage: Stage) -> None:
    """Run ``stage`` after the default stages in every run of this process not given its own
    list."""
    _REGISTERED.append(stage)


def run_stages() -> tuple[Stage, ...]:
    """The stages a run uses when not given a list: the defaults, then the registered ones."""
    return (*DEFAULT_STAGES, *_REGISTERED)
