"""Planned-relationship scenarios: revenue, profit and net present value by year.

The car-buyer example of the CRM lecture notes values a customer by planning the relationship:
a new car every n years at a price and margin, yearly service, the cars the customer's family
buys on the customer's word, all discounted to today. A scenario file (TOML, documented in
``docs/clv-scenario.md``) lists those cash flows; :func:`evaluate_scenario` adds them up year by
year:

- an item with ``price`` (revenue per occurrence) earns ``price x margin`` profit, or ``profit``
  when the profit is given directly (e.g. a trade-in gain with no revenue of its own);
- it occurs in ``first_year``, then every ``every_years`` years up to ``last_year``, each time
  with probability ``probability`` (expected values);
- the relationship itself survives from one year to the next with probability ``retention``, so
  year k's flows are weighted by retention^(k-1);
- year k's profit is discounted by (1 + discount_rate)^-(k-1) when cash flows fall at the start
  of each year (``timing = "start"``, default: the first purchase is made today) or
  (1 + discount_rate)^-k at the end (``timing = "end"``). NPV is the sum of discounted profit.

Revenue and profit are the undiscounted sums over the years (what the lecture notes' slide quotes:
"总收入=~800万 总利润=~51万"); only the NPV is discounted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CvmError

__all__ = ["ScenarioError", "ScenarioItem", "Scenario", "ScenarioYear", "ScenarioResult",
           "load_scenario", "parse_scenario", "evaluate_scenario", "ITEM_KINDS"]

#: the item lists a scenario file may hold, as TOML arrays of tables
ITEM_KINDS = ("purchase", "service", "referral")


class ScenarioError(CvmError, ValueError):
    """A scenario file is wrong; the message names the item and the field."""


@dataclass(frozen=True)
class ScenarioItem:
    """One recurring cash flow of the relationship."""

    name: str
    kind: str = "purchase"
    price: float = 0.0
    margin: float | None = None
    profit: float | None = None
    every_years: int = 1
    first_year: int = 1
    last_year: int | None = None
    probability: float = 1.0

    def occurs(self, year: int, years: int) -> bool:
        last = self.last_year if self.last_year is not None else years
        return self.first_year <= year <= last and (year - self.first_year) % self.every_years == 0

    @property
    def profit_each(self) -> float:
        return self.profit if self.profit is not None else self.price * (self.margin or 0.0)


@dataclass(frozen=True)
class Scenario:
    name: str
    years: int
    discount_rate: float
    items: tuple[ScenarioItem, ...]
    retention: float = 1.0
    timing: str = "start"
    currency: str = ""


@dataclass(frozen=True)
class ScenarioYear:
    year: int
    revenue: float
    profit: float
    discount_factor: float
    present_value: float
    cumulative_npv: float
    by_kind: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    years: tuple[ScenarioYear, ...]

    @property
    def revenue(self) -> float:
        return sum(y.revenue for y in self.years)

    @property
    def profit(self) -> float:
        return sum(y.profit for y in self.years)

    @property
    def npv(self) -> float:
        return self.years[-1].cumulative_npv if self.years else 0.0

    def totals(self) -> dict[str, float]:
        """Undiscounted revenue and profit over the horizon, and the NPV of the profit.

        >>> evaluate_scenario(parse_scenario({"years": 2, "discount_rate": 0.1,
        ...     "purchase": [{"price": 100, "margin": 0.2}]})).totals()
        {'revenue': 200.0, 'profit': 40.0, 'npv': 38.18}
        """
        return {"revenue": round(self.revenue, 2), "profit": round(self.profit, 2),
                "npv": round(self.npv, 2)}

    def rows(self) -> list[dict]:
        """One dict per year (for CSV and tables)."""
        return [{"year": y.year, "revenue": y.revenue, "profit": y.profit,
                 **{f"profit_{k}": v for k, v in y.by_kind.items()},
                 "discount_factor": y.discount_factor, "present_value": y.present_value,
                 "cumulative_npv": y.cumulative_npv} for y in self.years]


_ITEM_FIELDS = {"name": str, "price": float, "margin": float, "profit": float,
                "every_years": int, "first_year": int, "last_year": int, "probability": float}
_TOP_FIELDS = {"name", "years", "discount_rate", "retention", "timing", "currency", *ITEM_KINDS}


def _number(where: str, key: str, value, kind):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{where}: {key} must be a number, not {value!r}")
    if kind is int and value != int(value):
        raise ScenarioError(f"{where}: {key} must be a whole number of years, not {value!r}")
    return kind(value)


def _item(raw: dict, kind: str, index: int, years: int) -> ScenarioItem:
    where = f"[[{kind}]] #{index + 1}" + (f" ({raw['name']})" if "name" in raw else "")
    unknown = set(raw) - set(_ITEM_FIELDS)
    if unknown:
        raise ScenarioError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; fields are "
                            f"{', '.join(_ITEM_FIELDS)}")
    values = {k: (str(v) if k == "name" else _number(where, k, v, _ITEM_FIELDS[k]))
              for k, v in raw.items()}
    values.setdefault("name", f"{kind} {index + 1}")
    if "profit" in values and "margin" in values:
        raise ScenarioError(f"{where}: give either margin (a share of price) or profit, not both")
    if "profit" not in values and "margin" not in values:
        raise ScenarioError(f"{where}: give margin (a share of price, e.g. 0.04) or profit")
    if values.get("margin") is not None and not 0 <= values["margin"] <= 1:
        raise ScenarioError(f"{where}: margin is a share of price between 0 and 1, "
                            f"not {values['margin']}")
    if values.get("price", 0.0) < 0:
        raise ScenarioError(f"{where}: price cannot be negative")
    if values.get("every_years", 1) < 1:
        raise ScenarioError(f"{where}: every_years must be at least 1")
    first = values.get("first_year", 1)
    if not 1 <= first <= years:
        raise ScenarioError(f"{where}: first_year must be between 1 and {years}, not {first}")
    if "last_year" in values and values["last_year"] < first:
        raise ScenarioError(f"{where}: last_year comes before first_year")
    if not 0 <= values.get("probability", 1.0) <= 1:
        raise ScenarioError(f"{where}: probability must be between 0 and 1")
    return ScenarioItem(kind=kind, **values)


def parse_scenario(raw: dict, *, name: str = "scenario") -> Scenario:
    """A :class:`Scenario` from the parsed TOML, every field checked here."""
    unknown = set(raw) - _TOP_FIELDS
    if unknown:
        raise ScenarioError(f"unknown field(s) {', '.join(sorted(unknown))}; top-level fields are "
                            f"{', '.join(sorted(_TOP_FIELDS - set(ITEM_KINDS)))} and the item "
                            f"lists [[{']], [['.join(ITEM_KINDS)}]]")
    for key in ("years", "discount_rate"):
        if key not in raw:
            raise ScenarioError(f"the scenario needs {key}")
    years = _number("scenario", "years", raw["years"], int)
    if not 1 <= years <= 200:
        raise ScenarioError(f"years must be between 1 and 200, not {years}")
    rate = _number("scenario", "discount_rate", raw["discount_rate"], float)
    if not 0 <= rate < 10:
        raise ScenarioError(f"discount_rate is an annual rate such as 0.08, not {rate}")
    retention = _number("scenario", "retention", raw.get("retention", 1.0), float)
    if not 0 <= retention <= 1:
        raise ScenarioError(f"retention is a yearly probability between 0 and 1, not {retention}")
    timing = raw.get("timing", "start")
    if timing not in ("start", "end"):
        raise ScenarioError(f"timing must be 'start' or 'end' (of each year), not {timing!r}")
    items = []
    for kind in ITEM_KINDS:
        entries = raw.get(kind, [])
        if not isinstance(entries, list):
            raise ScenarioError(f"{kind} must be a list of tables, written [[{kind}]]")
        items.extend(_item(entry, kind, i, years) for i, entry in enumerate(entries))
    if not items:
        raise ScenarioError("the scenario has no [[purchase]], [[service]] or [[referral]] items")
    return Scenario(name=str(raw.get("name", name)), years=years, discount_rate=rate,
                    items=tuple(items), retention=retention, timing=timing,
                    currency=str(raw.get("currency", "")))


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file (TOML)."""
    from ..config import read_toml

    path = Path(path)
    raw = read_toml(path, "scenario file", ScenarioError)
    try:
        return parse_scenario(raw, name=path.stem)
    except ScenarioError as exc:
        raise ScenarioError(f"scenario file {path}: {exc}") from None


def evaluate_scenario(scenario: Scenario) -> ScenarioResult:
    """Revenue, profit, discounted profit and cumulative NPV for each year of the scenario."""
    rows = []
    npv = 0.0
    shift = 1 if scenario.timing == "start" else 0
    for year in range(1, scenario.years + 1):
        alive = scenario.retention ** (year - 1)
        revenue = 0.0
        by_kind = {kind: 0.0 for kind in ITEM_KINDS}
        for item in scenario.items:
            if item.occurs(year, scenario.years):
                weight = alive * item.probability
                revenue += weight * item.price
                by_kind[item.kind] += weight * item.profit_each
        profit = sum(by_kind.values())
        factor = (1.0 + scenario.discount_rate) ** -(year - shift)
        npv += profit * factor
        rows.append(ScenarioYear(year, revenue, profit, factor, profit * factor, npv, by_kind))
    return ScenarioResult(scenario, tuple(rows))
