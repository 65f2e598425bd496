"""``cvm run`` options of the lifecycle, composite value and matrix stages.

:func:`segment_options` adds the options to a command and hands them to it as one ``segments``
argument; :func:`with_segment_options` puts them into an :class:`~cvm.config.AnalysisConfig`.
The run summary (:mod:`cvm.cli.summary`) shows the run's matrix and composite-value weights.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import replace
from pathlib import Path

import click

__all__ = ["segment_options", "with_segment_options", "read_ahp_matrix"]


def _weights(ctx, param, value):
    if value is None:
        return None
    try:
        parts = tuple(float(x) for x in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: give five numbers like 3,2,1,2,2") from None
    if len(parts) != 5:
        raise click.BadParameter(f"{value!r}: give five weights (current, future, credit, "
                                 "loyalty, growth)")
    return parts


def _contact_costs(ctx, param, value):
    costs = {}
    for item in value or ():
        stage, _, cost = item.partition("=")
        try:
            costs[stage.strip()] = float(cost)
        except ValueError:
            raise click.BadParameter(f"{item!r}: give STAGE=COST, e.g. exploration=8") from None
    return costs


def read_ahp_matrix(path: str | Path) -> tuple[tuple[float, ...], ...]:
    """A 5 × 5 pairwise comparison matrix from a CSV file (five rows of five numbers; fractions
    such as ``1/3`` allowed) or a TOML file with ``matrix = [[…], …]``."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml":
        rows = tomllib.loads(text).get("matrix")
    else:
        rows = [[cell.strip() for cell in line.replace(";", ",").split(",")]
                for line in text.splitlines() if line.strip() and not line.startswith("#")]
    try:
        matrix = tuple(tuple(_number(x) for x in row) for row in rows or [])
    except (ValueError, ZeroDivisionError):
        raise click.BadParameter(f"{path}: every entry must be a number or a fraction like 1/3")
    if len(matrix) != 5 or any(len(r) != 5 for r in matrix):
        raise click.BadParameter(f"{path}: the matrix must have 5 rows of 5 numbers (current, "
                                 "future, credit, loyalty, growth)")
    return matrix


def _number(x) -> float:
    if isinstance(x, (int, float)):
        return float(x)
    if "/" in x:
        a, b = x.split("/", 1)
        return float(a) / float(b)
    return float(x)


_OPTIONS = [
    click.option("--lifecycle-scheme", type=click.Choice(["seed", "five"]), default="seed",
                 show_default=True,
                 help="Lifecycle stages: seed (prospect, exploration, formation, stability, "
                      "decline, churned) or five (acquisition … departure)."),
    click.option("--period-days", type=click.IntRange(min=1), default=90, show_default=True,
                 help="Length of the trend periods the lifecycle compares."),
    click.option("--churn-days", type=click.IntRange(min=1), default=365, show_default=True,
                 help="No purchase for longer than this: churned."),
    click.option("--period-cost", type=click.FloatRange(min=0), default=0.0, show_default=True,
                 help="Service cost per customer and period while a customer, booked to the "
                      "stage of each period in the stage economics."),
    click.option("--contact-cost", "contact_costs", multiple=True, callback=_contact_costs,
                 metavar="STAGE=COST",
                 help="Cost per customer and period of keeping in touch in a stage, e.g. "
                      "exploration=8; repeatable."),
    click.option("--weight-method", type=click.Choice(["given", "ahp", "entropy"]),
                 default="given", show_default=True,
                 help="Composite-value weights: given (--weights), ahp (--ahp-matrix) or "
                      "entropy (from the data)."),
    click.option("--weights", callback=_weights, metavar="W1,…,W5",
                 help="Weights of current contribution, future contribution, credit, loyalty "
                      "and growth potential [default: equal]."),
    click.option("--ahp-matrix", type=click.Path(exists=True, dir_okay=False), default=None,
                 help="5 × 5 pairwise comparison matrix (CSV or TOML) for --weight-method ahp."),
    click.option("--value-threshold", type=click.FloatRange(0, 100, min_open=True), default=70.0,
                 show_default=True,
                 help="Scores above this are high (value quadrants); 70 itself is low."),
    click.option("--value-threshold-inclusive", is_flag=True,
                 help="A score equal to --value-threshold is high too."),
    click.option("--value-quantile", type=click.FloatRange(0, 1, min_open=True, max_open=True),
                 default=None,
                 help="Instead of a fixed threshold, high means at or above this quantile."),
    click.option("--matrix-scheme", type=click.Choice(["seed12", "tiers"]), default="seed12",
                 show_default=True,
                 help="seed12: 4 value quadrants × prospective/current/churned; tiers: "
                      "3 value tiers × lifecycle stages."),
    click.option("--tier-basis", type=click.Choice(["composite", "abc"]), default="composite",
                 show_default=True, help="Value tiers by composite value or by ABC class."),
    click.option("--playbook", type=click.Path(exists=True, dir_okay=False), default=None,
                 help="Strategy playbook (TOML) replacing the built-in one."),
    click.option("--min-gain", type=click.FloatRange(min=0), default=0.0, show_default=True,
                 help="Least expected gain per contact: a customer whose best action gains "
                      "less is told let go."),
]
_NAMES = ("lifecycle_scheme", "period_days", "churn_days", "period_cost", "contact_costs",
          "weight_method", "weights",
          "ahp_matrix", "value_threshold", "value_threshold_inclusive", "value_quantile",
          "matrix_scheme", "tier_basis", "playbook", "min_gain")


def segment_options(func):
    """Add the options; the command receives them as ``segments`` (a dict)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        segments = {name: kwargs.pop(name) for name in _NAMES}
        return func(*args, segments=segments, **kwargs)

    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def with_segment_options(config, segments: dict | None):
    """``config`` with the lifecycle, value and matrix options given on the command line."""
    if not segments:
        return config
    s = segments
    lifecycle = replace(config.lifecycle, scheme=s["lifecycle_scheme"],
                        period_days=s["period_days"], churn_days=s["churn_days"],
                        period_cost=s["period_cost"], contact_costs=s["contact_costs"])
    value = replace(config.value, weight_method=s["weight_method"], weights=s["weights"],
                    ahp_matrix=read_ahp_matrix(s["ahp_matrix"]) if s["ahp_matrix"] else None,
                    threshold=s["value_threshold"],
                    threshold_inclusive=s["value_threshold_inclusive"],
                    threshold_method="quantile" if s["value_quantile"] else "fixed",
                    threshold_quantile=s["value_quantile"] or config.value.threshold_quantile)
    matrix = replace(config.matrix, scheme=s["matrix_scheme"], tier_basis=s["tier_basis"],
                     playbook=s["playbook"], min_gain=s["min_gain"])
    return replace(config, lifecycle=lifecycle, value=value, matrix=matrix)
