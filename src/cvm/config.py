"""Typed settings for loading and analysing data, checked in one place.

Every option has a documented default; :func:`load_mapping` reads the mapping file that names
which source column is which canonical field (see ``docs/mapping.md``).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = [
    "IngestOptions",
    "RFMOptions",
    "ABCOptions",
    "AnalysisConfig",
    "ChurnOptions",
    "LifecycleOptions",
    "ValueOptions",
    "MatrixOptions",
    "CLVOptions",
    "Mapping",
    "ConfigError",
    "load_mapping",
    "stored_value_column",
]


def read_toml(path: str | Path, what: str, error: type[Exception] = None) -> dict:
    """Read a TOML settings file; a missing or malformed file raises ``error`` (default
    :class:`ConfigError`) naming it as ``what`` ("mapping file", "playbook" …)."""
    error = error or ConfigError
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{what} {path} is not valid TOML: {exc}") from None


@dataclass(frozen=True)
class IngestOptions:
    """How input rows are read and checked.

    - ``dayfirst``: read ``05/03/2024`` as 5 March in a column where no value decides the
      order (default: month first). A column holding ``25/03/2024`` is day first and one
      holding ``03/25/2024`` month first whatever this says; ``05.03.2024`` is always day first.
    - ``decimal_comma``: numbers are written ``1.234,56``.
    - ``allow_refunds``: negative amounts are refunds that net off (default: rejected).
    - ``keep_duplicates``: keep every row, also a line of an order given twice and rows
      already loaded from another file (default: rejected). Identical rows without an order id
      are always kept: nothing tells them from repeat purchases.
    - ``source``: the source system the customer ids belong to (default ``"default"``).
    - ``encoding``: text encoding (default: UTF-8, falling back to GB18030 for Chinese files).
    - ``delimiter``: field separator for text files (default: sniffed; ``"whitespace"`` for
      columns separated by runs of spaces).
    - ``header``: whether text files start with a header row (default: detected).
    - ``sheet``: Excel sheet name (default: the first sheet).
    - ``table``: PostgreSQL table or view to read, for a connection-string source.
    """

    dayfirst: bool | None = None
    decimal_comma: bool = False
    allow_refunds: bool = False
    keep_duplicates: bool = False
    source: str = "default"
    encoding: str | None = None
    delimiter: str | None = None
    header: bool | None = None
    sheet: str | None = None
    table: str | None = None


@dataclass(frozen=True)
class RFMOptions:
    """How R, F and M are scored and segmented.

    - ``scheme``: ``std11`` (default), ``seed4``, ``cn8`` or a path to a scheme file.
    - ``monetary``: ``total`` (default) or ``avg`` spend per purchase day, the M measure.
    - ``breakpoints``: fixed cut points instead of quantiles, e.g. ``{"r": [30, 90, 180, 365]}``
      (days: at most 30 days → R=5 …), ``{"f": [1, 2, 4, 8]}`` (below 1 → F=1 …) — four ascending
      values per score; scores not given stay quantile-based.
    - ``weights``: weights of R, F and M in ``rfm_score`` (default equal).
    """

    scheme: str = "std11"
    monetary: str = "total"
    breakpoints: dict[str, tuple[float, ...]] = field(default_factory=dict)
    weights: tuple[float, float, float] = (1.0, 1.0, 1.0)


@dataclass(frozen=True)
class ABCOptions:
    """How customers are classed A, B and C.

    - ``basis``: ``value`` (default): A are the largest contributors that together first reach
      ``thresholds[0]`` of total value, B the next up to ``thresholds[1]``, C the rest; or
      ``customers``: A the top ``thresholds[0]`` share of customers, B up to ``thresholds[1]``.
    - ``thresholds``: cumulative cut-offs (default 0.70/0.90 for value, 0.20/0.50 for customers).
    - ``measure``: ``revenue`` (default), or ``margin`` when a margin or cost column exists.
    """

    basis: str = "value"
    thresholds: tuple[float, float] | None = None
    measure: str = "revenue"

    @property
    def value_column(self) -> str:
        """The per-customer column that is a customer's value in this analysis: the ABC classes,
        the Pareto figures, the segment and matrix shares all rank and sum it. Stored with the
        run's settings; read it back with :func:`stored_value_column`."""
        return "margin_total" if self.measure == "margin" else "monetary_total"

    def cutoffs(self) -> tuple[float, float]:
        if self.thresholds is not None:
            return self.thresholds
        return (0.7, 0.9) if self.basis == "value" else (0.2, 0.5)


@dataclass(frozen=True)
class AnalysisConfig:
    """One analysis: as-of date, window, scoring options and language.

    - ``as_of``: the date the analysis looks back from (default: the last purchase date).
    - ``window_days``: only purchases in the ``window_days`` days up to ``as_of`` count
      (default: all history).
    """

    as_of: dt.date | None = None
    window_days: int | None = None
    rfm: RFMOptions = field(default_factory=RFMOptions)
    abc: ABCOptions = field(default_factory=ABCOptions)
    lang: str = "en"
    lifecycle: "LifecycleOptions" = field(default_factory=lambda: LifecycleOptions())
    value: "ValueOptions" = field(default_factory=lambda: ValueOptions())
    matrix: "MatrixOptions" = field(default_factory=lambda: MatrixOptions())
    clv: "CLVOptions" = field(default_factory=lambda: CLVOptions())
    churn: "ChurnOptions" = field(default_factory=lambda: ChurnOptions())

    def __post_init__(self) -> None:
        _check(self)

    def with_as_of(self, as_of: dt.date) -> "AnalysisConfig":
        return replace(self, as_of=as_of)

    def stored(self) -> dict:
        """The settings as a run stores them: every option, and what is decided from them once
        (``abc.value_column``), so that readers of the run need not decide it again."""
        settings = asdict(self)
        settings["abc"]["value_column"] = self.abc.value_column
        return settings


def stored_value_column(settings: dict | None) -> str:
    """The value column of a run, from its stored settings (:meth:`AnalysisConfig.stored`);
    runs stored before the column was kept give it through their ABC measure."""
    abc = (settings or {}).get("abc") or {}
    return abc.get("value_column") or ABCOptions(measure=abc.get("measure") or "revenue").value_column


_CONSTRAINTS: dict[str, tuple[Any, str]] = {
    "lang": (("en", "zh"), "language must be 'en' or 'zh'"),
    "rfm.monetary": (("total", "avg"), "RFM monetary measure must be 'total' or 'avg'"),
    "abc.basis": (("value", "customers"), "ABC basis must be 'value' or 'customers'"),
    "abc.measure": (("revenue", "margin"), "ABC measure must be 'revenue' or 'margin'"),
}


def _check(cfg: AnalysisConfig) -> None:
    values = {
        "lang": cfg.lang,
        "rfm.monetary": cfg.rfm.monetary,
        "abc.basis": cfg.abc.basis,
        "abc.measure": cfg.abc.measure,
    }
    for key, (allowed, message) in _CONSTRAINTS.items():
        if values[key] not in allowed:
            raise ConfigError(f"{message}, not {values[key]!r}")
    if cfg.window_days is not None and cfg.window_days <= 0:
        raise ConfigError(f"the window must be a positive number of days, not {cfg.window_days}")
    a, b = cfg.abc.cutoffs()
    if not 0 < a < b < 1:
        raise ConfigError(f"ABC thresholds must satisfy 0 < A < B < 1, not {a} and {b}")
    if len(cfg.rfm.weights) != 3 or min(cfg.rfm.weights) < 0 or sum(cfg.rfm.weights) <= 0:
        raise ConfigError("RFM weights must be three non-negative numbers, not all zero")
    for key, cuts in cfg.rfm.breakpoints.items():
        if key not in ("r", "f", "m"):
            raise ConfigError(f"RFM breakpoints are given for r, f or m, not {key!r}")
        if len(cuts) != 4 or list(cuts) != sorted(cuts) or len(set(cuts)) != 4:
            raise ConfigError(
                f"RFM breakpoints for {key} must be four increasing numbers, not {list(cuts)}"
            )
    _check_segmentation(cfg)
    _check_clv(cfg.clv)
    _check_churn(cfg.churn)


@dataclass(frozen=True)
class Mapping:
    """Which source column is which canonical field, per table, plus ingest options.

    Columns are named by header text or by 1-based position (an integer).
    """

    transactions: dict[str, str | int] = field(default_factory=dict)
    customers: dict[str, str | int] = field(default_factory=dict)
    options: IngestOptions = field(default_factory=IngestOptions)
    path: Path | None = None


def load_mapping(path: str | Path) -> Mapping:
    """Read a mapping file (TOML).

    Example::

        [transactions]
        customer_id = "会员卡号"
        purchase_time = "交易时间"
        amount = "实付金额"

        [options]
        dayfirst = false
        allow_refunds = true
    """
    from .schema import CUSTOMER_FIELDS, TRANSACTION_FIELDS

    path = Path(path)
    raw = read_toml(path, "mapping file")
    unknown = set(raw) - {"transactions", "customers", "options"}
    if unknown:
        raise ConfigError(
            f"mapping file {path}: unknown section(s) {', '.join(sorted(unknown))}; "
            "use [transactions], [customers] and [options]"
        )
    tables: dict[str, dict[str, str | int]] = {}
    for section, known in (("transactions", TRANSACTION_FIELDS), ("customers", CUSTOMER_FIELDS)):
        entries = raw.get(section, {})
        names = {f.name for f in known}
        for key, value in entries.items():
            if key not in names:
                raise ConfigError(
                    f"mapping file {path}: [{section}] has no field {key!r}; "
                    f"fields are {', '.join(sorted(names))}"
                )
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise ConfigError(
                    f"mapping file {path}: [{section}] {key} must be a column name or a "
                    f"1-based column number, not {value!r}"
                )
        tables[section] = dict(entries)
    option_names = {f.name for f in fields(IngestOptions)}
    opts = raw.get("options", {})
    bad = set(opts) - option_names
    if bad:
        raise ConfigError(
            f"mapping file {path}: unknown option(s) {', '.join(sorted(bad))}; "
            f"options are {', '.join(sorted(option_names))}"
        )
    return Mapping(
        transactions=tables["transactions"],
        customers=tables["customers"],
        options=IngestOptions(**opts),
        path=path,
    )


# -- lifecycle, composite value and the segment matrix (see docs/lifecycle-value-matrix.md) ------

LIFECYCLE_SCHEMES = ("seed", "five")
WEIGHT_METHODS = ("given", "ahp", "entropy")
THRESHOLD_METHODS = ("fixed", "quantile")
SCORE_SCALES = ("share", "points")
MATRIX_SCHEMES = ("seed12", "tiers")
TIER_BASES = ("composite", "abc")


#: Lifecycle stage keys per scheme, in the order of the relationship (the seed's four stages with
#: prospects and churned customers, or the five-stage acquisition … departure);
#: :mod:`cvm.features.lifecycle` assigns them.
LIFECYCLE_STAGES: dict[str, tuple[str, ...]] = {
    "seed": ("prospect", "exploration", "formation", "stability", "decline", "churned"),
    "five": ("acquisition", "growth", "maturity", "decline", "departure"),
}


@dataclass(frozen=True)
class LifecycleOptions:
    """How each customer's relationship stage is decided (rules in :mod:`cvm.features.lifecycle`).

    - ``scheme``: ``seed`` (default: prospect, exploration 考察期, formation 形成期, stability
      稳定期, decline 退化期, churned) or ``five`` (acquisition, growth, maturity, decline,
      departure — the same rules, named as the five-stage model).
    - ``period_days``: length of one trend period (default 90).
    - ``history_periods``: earlier periods the last period is compared with (default 4).
    - ``churn_days``: no purchase for more than this many days → churned (default 365).
    - ``churn_probability``: where a ``probability_alive`` column exists, below this → churned
      (default 0.1), for customers without a purchase in the last period.
    - ``trial_purchases``: at most this many purchase days → still exploring (default 1).
    - ``exploration_days``: tenure below this → still exploring (default 180).
    - ``decline_drop``: last-period spend at least this much below the average of the earlier
      periods → decline (default 0.30, i.e. −30 %).
    - ``growth_rise``: last-period spend at least this much above that average → growing
      (default 0.20, i.e. +20 %).
    - ``stability_days``: tenure from which a steady customer is stable (default 365).
    - ``stability_active_share``: a stable customer bought in at least this share of the
      periods observed (default 0.5).
    - ``stability_volume_quantile``: a stable customer's volume is high: its average spend per
      observed period is as much as or more than this share of the customer base's (the
      customers with a purchase in the last ``churn_days``; default 0.5, the upper half).
    - ``history_dates``: stage history at this many as-of dates, one period apart, ending at the
      run's as-of date (default 4; 1 turns the history off).
    - ``prospects``: add the customers of the customer list without purchases (default true).
    - ``period_cost``: service cost per customer and period while a customer and not churned,
      booked to the stage of each period in the stage economics (default 0).
    - ``contact_costs``: cost per customer and period of keeping in touch, by stage (keys of
      either scheme, e.g. ``{"prospect": 2, "exploration": 8, "churned": 0.5}``; default none).
    """

    scheme: str = "seed"
    period_days: int = 90
    history_periods: int = 4
    churn_days: int = 365
    churn_probability: float = 0.1
    trial_purchases: int = 1
    exploration_days: int = 180
    decline_drop: float = 0.30
    growth_rise: float = 0.20
    stability_days: int = 365
    stability_active_share: float = 0.5
    stability_volume_quantile: float = 0.5
    history_dates: int = 4
    prospects: bool = True
    period_cost: float = 0.0
    contact_costs: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ValueOptions:
    """How composite value (综合价值) and the value quadrants are computed
    (:mod:`cvm.features.value`).

    - ``weight_method``: ``given`` (default: ``weights``, equal when not given), ``ahp`` (from
      ``ahp_matrix``) or ``entropy`` (from the data).
    - ``weights``: five non-negative weights for current contribution, future contribution,
      credit, loyalty and growth potential (normalised to sum to 1).
    - ``ahp_matrix``: 5 × 5 pairwise comparison matrix on Saaty's 1–9 scale, in that order.
    - ``ahp_max_cr``: largest accepted consistency ratio (default 0.1, Saaty's rule).
    - ``cap_quantile``: indicators scale linearly from 0 to 10 at this quantile of the
      customers' values and stay 10 above it (default 0.95).
    - ``neutral_credit``: credit score used when no credit data exists (default 5 of 10).
    - ``loyalty_tenure_days``: tenure that earns the full tenure part of loyalty (default 730).
    - ``threshold_method``: ``fixed`` (default: scores above ``threshold`` are high — 70 as in
      the K institution case, "得分超过 70 分为高", so 70 itself is low) or ``quantile`` (at or
      above the ``threshold_quantile`` quantile of the buying customers' scores).
    - ``threshold_inclusive``: a score equal to the fixed threshold is high too (default false).
    - ``score_scale``: the scale of ``current_value_score`` and ``potential_value_score``:
      ``share`` (default: the share of the buying customers, in %, whose score is at most the
      customer's, so a score above 70 means the top 30 % on any data set) or ``points`` (the
      weighted indicator points 0–100 as they come).
    - ``lookalike_fields``: customer-list fields that make prospects look alike (default city
      and gender); a prospect's behavioural indicators are the mean of the buyers sharing its
      values of these fields (all buyers when fewer than ``lookalike_min`` share them).
    """

    weight_method: str = "given"
    weights: tuple[float, float, float, float, float] | None = None
    ahp_matrix: tuple[tuple[float, ...], ...] | None = None
    ahp_max_cr: float = 0.1
    cap_quantile: float = 0.95
    neutral_credit: float = 5.0
    loyalty_tenure_days: int = 730
    threshold_method: str = "fixed"
    threshold: float = 70.0
    threshold_quantile: float = 0.7
    threshold_inclusive: bool = False
    score_scale: str = "share"
    lookalike_fields: tuple[str, ...] = ("city", "gender")
    lookalike_min: int = 10


@dataclass(frozen=True)
class MatrixOptions:
    """The value × lifecycle matrix (:mod:`cvm.segments.matrix`) and its playbook.

    - ``scheme``: ``seed12`` (default: 4 value quadrants × prospective/current/churned, the
      12 customer types of CRM practice) or ``tiers`` (3 value tiers × the lifecycle stages).
    - ``tier_basis``: tiers by ``composite`` value (default: high from ``tier_cuts[1]``, middle
      from ``tier_cuts[0]``) or by ``abc`` class (A high, B middle, C low).
    - ``tier_cuts``: composite-value cut points (default 40 and 70).
    - ``playbook``: a playbook file (TOML) replacing the built-in one for the language.
    - ``min_gain``: the least expected gain, in your currency, for which a customer is
      contacted at all (default 0: every action that pays is recommended). A customer whose
      best action gains less is told ``let_go`` and the reason names the threshold
      (:func:`cvm.segments.playbook.customer_actions`); ``docs/churn.md`` shows what a few
      thresholds do on the demo.
    """

    scheme: str = "seed12"
    tier_basis: str = "composite"
    tier_cuts: tuple[float, float] = (40.0, 70.0)
    playbook: str | None = None
    min_gain: float = 0.0


def _check_segmentation(cfg: AnalysisConfig) -> None:
    lc, val, mx = cfg.lifecycle, cfg.value, cfg.matrix
    choices = (("lifecycle scheme", lc.scheme, LIFECYCLE_SCHEMES),
               ("weight method", val.weight_method, WEIGHT_METHODS),
               ("value threshold method", val.threshold_method, THRESHOLD_METHODS),
               ("value score scale", val.score_scale, SCORE_SCALES),
               ("matrix scheme", mx.scheme, MATRIX_SCHEMES),
               ("tier basis", mx.tier_basis, TIER_BASES))
    for what, value, allowed in choices:
        if value not in allowed:
            raise ConfigError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    for name in ("period_days", "history_periods", "churn_days", "stability_days",
                 "history_dates"):
        if getattr(lc, name) < 1:
            raise ConfigError(f"lifecycle {name} must be at least 1, not {getattr(lc, name)}")
    if lc.trial_purchases < 0 or lc.exploration_days < 0:
        raise ConfigError("lifecycle trial_purchases and exploration_days cannot be negative")
    for name in ("churn_probability", "decline_drop", "stability_active_share",
                 "stability_volume_quantile"):
        if not 0 <= getattr(lc, name) <= 1:
            raise ConfigError(f"lifecycle {name} must be between 0 and 1, not {getattr(lc, name)}")
    if lc.period_cost < 0:
        raise ConfigError(f"lifecycle period_cost cannot be negative, not {lc.period_cost}")
    if not mx.min_gain >= 0:
        raise ConfigError(f"the minimum gain per contact cannot be negative, not {mx.min_gain}")
    stages = list(dict.fromkeys(k for keys in LIFECYCLE_STAGES.values() for k in keys))
    for stage, cost in lc.contact_costs.items():
        if stage not in stages:
            raise ConfigError(f"contact costs are given per stage ({', '.join(stages)}), "
                              f"not for {stage!r}")
        if not isinstance(cost, (int, float)) or isinstance(cost, bool) or cost < 0:
            raise ConfigError(f"the contact cost of {stage} must be a number of at least 0, "
                              f"not {cost!r}")
    if lc.growth_rise < 0:
        raise ConfigError(f"lifecycle growth_rise cannot be negative, not {lc.growth_rise}")
    if lc.exploration_days > lc.stability_days:
        raise ConfigError(f"lifecycle exploration_days ({lc.exploration_days}) cannot exceed "
                          f"stability_days ({lc.stability_days})")
    if val.weights is not None and (len(val.weights) != 5 or min(val.weights) < 0
                                    or sum(val.weights) <= 0):
        raise ConfigError("value weights must be five non-negative numbers, not all zero "
                          "(current, future, credit, loyalty, growth)")
    if val.weight_method == "ahp" and val.ahp_matrix is None:
        raise ConfigError("the ahp weight method needs a 5 × 5 pairwise comparison matrix")
    if val.ahp_matrix is not None:
        from .features.weights import ahp_weights  # refuses an inconsistent matrix, saying why

        if len(val.ahp_matrix) != 5:
            raise ConfigError("the AHP matrix compares the five indicators: give 5 rows of 5")
        ahp_weights(val.ahp_matrix, max_cr=val.ahp_max_cr,
                    names=["current", "future", "credit", "loyalty", "growth"])
    if not 0 < val.cap_quantile <= 1:
        raise ConfigError(f"cap_quantile must be in (0, 1], not {val.cap_quantile}")
    if not 0 <= val.neutral_credit <= 10:
        raise ConfigError(f"neutral_credit must be between 0 and 10, not {val.neutral_credit}")
    if val.loyalty_tenure_days < 1:
        raise ConfigError("loyalty_tenure_days must be at least 1")
    if not 0 < val.threshold <= 100:
        raise ConfigError(f"the value threshold must be in (0, 100], not {val.threshold}")
    if not 0 < val.threshold_quantile < 1:
        raise ConfigError(f"threshold_quantile must be in (0, 1), not {val.threshold_quantile}")
    lo, hi = mx.tier_cuts
    if not 0 < lo < hi <= 100:
        raise ConfigError(f"tier cuts must satisfy 0 < low < high <= 100, not {lo} and {hi}")


# -- customer lifetime value (see docs/clv.md) ----------------------------------------------

CLV_MODELS = ("bgnbd", "paretonbd", "mbgnbd", "auto")
CLV_TIME_UNITS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}


@dataclass(frozen=True)
class ChurnOptions:
    """Churn risk and win-back (:mod:`cvm.stages.churn`).

    - ``horizon_days``: churn is no purchase in the next H days (default: from the data's
      purchase cycle, :func:`cvm.models.churn.horizon_from_gaps`).
    - ``contact_cost``: what one win-back contact costs per customer, in your currency
      (default 20, the playbook's win-back offer; replace it with your own figure).
    - ``at_risk``: customers with ``churn_risk`` at least this are churned or at risk and are
      ranked for win-back (default 0.5: more likely than not to make no purchase in H days).
    - ``recovery_cost``: what a service recovery costs per customer — a manager's call that
      resolves the complaint, and a goodwill gesture (default 50, the playbook's cost of
      winning back a high-value customer).
    - ``recovery_response``: the share of complained-and-silent customers a resolved complaint
      brings back (default 0.1). An assumption, as the playbook's responses are: the data's own
      reactivations show what silent complainers do *without* a recovery, and a campaign with
      a control group measures what a recovery adds (:mod:`cvm.segments.playbook`).
    - ``check_customers``: the most customers the check one horizon earlier fits and scores
      (default 250,000); with more, it checks a sample of that many, the same on every engine
      (:func:`cvm.models.churn_validation.checked_customers`), and says so. None checks all.
    - ``fit_customers``: the most buyers the churn models learn from (default 1,000,000);
      with more, they learn from a sample of that many, drawn as the check draws its
      (:func:`cvm.models.churn_validation.sampled_customers`), and the run says so; every
      buyer is still scored. The models themselves fit on at most 50,000 to 120,000 of them
      (:class:`cvm.models.churn.ChurnRisk`): the sample bounds the memory of the features
      the fit reads, which otherwise grows with the buyers (about 1 GiB per million). None
      reads all.
    """

    horizon_days: int | None = None
    contact_cost: float = 20.0
    at_risk: float = 0.5
    recovery_cost: float = 50.0
    recovery_response: float = 0.1
    check_customers: int | None = 250_000
    fit_customers: int | None = 1_000_000


def _check_churn(opts: ChurnOptions) -> None:
    if opts.horizon_days is not None and opts.horizon_days < 1:
        raise ConfigError(f"the churn horizon must be at least 1 day, not {opts.horizon_days}")
    if opts.contact_cost < 0:
        raise ConfigError(f"the win-back contact cost cannot be negative, not {opts.contact_cost}")
    if not 0 < opts.at_risk < 1:
        raise ConfigError(f"the at-risk threshold must be between 0 and 1, not {opts.at_risk}")
    if opts.recovery_cost < 0:
        raise ConfigError("the service recovery cost cannot be negative, not "
                          f"{opts.recovery_cost}")
    if not 0 <= opts.recovery_response <= 1:
        raise ConfigError("the service recovery response must be between 0 and 1, not "
                          f"{opts.recovery_response}")
    if opts.check_customers is not None and opts.check_customers < 1:
        raise ConfigError("the churn check needs at least 1 customer, not "
                          f"{opts.check_customers}")
    if opts.fit_customers is not None and opts.fit_customers < 1:
        raise ConfigError("the churn fit needs at least 1 customer, not "
                          f"{opts.fit_customers}")


@dataclass(frozen=True)
class CLVOptions:
    """How customer value columns are computed (:mod:`cvm.models.lifetime_value`).

    - ``model``: purchase model, ``bgnbd``, ``paretonbd``, ``mbgnbd`` or ``auto`` (default:
      fit all three and keep the one with the lowest BIC).
    - ``horizon_days``: horizon of ``expected_purchases_<horizon_days>d`` and of potential
      value (default 365).
    - ``discount_rate``: annual discount rate of future margin (default 0.10).
    - ``time_unit``: unit the models are fitted in, ``week`` (default), ``day`` or ``month``;
      discounting runs in steps of one unit.
    - ``margin_rate``: share of spend that is margin for purchases with neither a margin nor a
      cost (default: none, so such purchases count in full and value means revenue).
    - ``service_cost``: known cost of serving one purchase, netted off potential value to give
      ``clv`` (default 0).
    - ``acquisition_cost``: cost of acquiring one customer (the CLV slides' 认知成本, default 0).
      When given, ``lifetime_value_net`` = historical value − service cost of the past purchases
      + ``clv`` − acquisition cost, the value of the whole relationship net of what winning the
      customer cost; the lifecycle's stage economics book it to the stage of the period of the
      first purchase. ``clv`` itself looks forward and stays gross of it (for a customer one
      already has, the acquisition is spent).
    - ``compounding_rate``: annual rate at which past margin is compounded to the as-of date in
      ``historical_value`` (default 0: not compounded).
    - ``current_period_days``: ``current_value`` is the margin of this many days up to the
      as-of date (default 365).
    """

    model: str = "auto"
    horizon_days: int = 365
    discount_rate: float = 0.10
    time_unit: str = "week"
    margin_rate: float | None = None
    service_cost: float = 0.0
    acquisition_cost: float = 0.0
    compounding_rate: float = 0.0
    current_period_days: int = 365

    @property
    def unit_days(self) -> float:
        return CLV_TIME_UNITS[self.time_unit]


def _check_clv(opts: CLVOptions) -> None:
    if opts.model not in CLV_MODELS:
        raise ConfigError(f"CLV model must be one of {', '.join(CLV_MODELS)}, not {opts.model!r}")
    if opts.time_unit not in CLV_TIME_UNITS:
        raise ConfigError(f"CLV time unit must be one of {', '.join(CLV_TIME_UNITS)}, "
                          f"not {opts.time_unit!r}")
    if opts.horizon_days < 1 or opts.current_period_days < 1:
        raise ConfigError("CLV horizon_days and current_period_days must be at least 1 day")
    if not 0 <= opts.discount_rate < 10:
        raise ConfigError(f"the CLV discount rate is an annual rate such as 0.1, not "
                          f"{opts.discount_rate}")
    if not 0 <= opts.compounding_rate < 10:
        raise ConfigError(f"the compounding rate is an annual rate such as 0.05, not "
                          f"{opts.compounding_rate}")
    if opts.margin_rate is not None and not 0 <= opts.margin_rate <= 1:
        raise ConfigError(f"the margin rate is a share of spend between 0 and 1, not "
                          f"{opts.margin_rate}")
    if opts.acquisition_cost < 0:
        raise ConfigError(f"the acquisition cost per customer cannot be negative, not "
                          f"{opts.acquisition_cost}")
    if opts.service_cost < 0:
        raise ConfigError(f"the service cost per purchase cannot be negative, not "
                          f"{opts.service_cost}")
