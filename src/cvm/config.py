"""Typed settings for loading and analysing data, checked in one place.

Every option has a documented default; :func:`load_mapping` reads the mapping file that names
which source column is which canonical field (see ``docs/mapping.md``).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

__all__ = [
    "IngestOptions",
    "RFMOptions",
    "ABCOptions",
    "AnalysisConfig",
    "Mapping",
    "ConfigError",
    "load_mapping",
]


class ConfigError(ValueError):
    """A setting or a mapping file is wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class IngestOptions:
    """How input rows are read and checked.

    - ``dayfirst``: read ``05/03/2024`` as 5 March (default: month first; ``05.03.2024`` is
      always day first).
    - ``decimal_comma``: numbers are written ``1.234,56``.
    - ``allow_refunds``: negative amounts are refunds that net off (default: rejected).
    - ``keep_duplicates``: keep rows that repeat an earlier row exactly (default: rejected).
    - ``source``: the source system the customer ids belong to (default ``"default"``).
    - ``encoding``: text encoding (default: UTF-8, falling back to GB18030 for Chinese files).
    - ``delimiter``: field separator for text files (default: sniffed; ``"whitespace"`` for
      columns separated by runs of spaces).
    - ``header``: whether text files start with a header row (default: detected).
    - ``sheet``: Excel sheet name (default: the first sheet).
    - ``table``: PostgreSQL table or view to read, for a connection-string source.
    """

    dayfirst: bool = False
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

    def __post_init__(self) -> None:
        _check(self)

    def with_as_of(self, as_of: dt.date) -> "AnalysisConfig":
        return replace(self, as_of=as_of)


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
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"mapping file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"mapping file {path} is not valid TOML: {exc}") from None
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
