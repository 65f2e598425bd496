"""The strategy playbook: for each matrix cell an objective, actions, a priority and a budget
rule, with the economics of the action.

A playbook is a TOML file (the built-in ones are ``playbooks/en.toml`` and ``playbooks/zh.toml``;
``MatrixOptions.playbook`` names a replacement). Its sections::

    [playbook]
    name = "Default playbook"

    [seed12."HH-current"]            # one entry per cell of the 12 types
    objective = "Keep and deepen"
    actions = ["loyalty", "cross_sell"]
    priority = 1                     # 1 = first
    budget = "up to 10 % of the customer's expected value a year"
    cost_per_customer = 30.0         # what the action costs per customer, in your currency
    expected_response = 0.4          # share of customers in whom the action works

    [tiers.high]                     # the tiers scheme: one entry per value tier …
    priority = 1
    budget = "…"
    cost_factor = 2.0                # the stage's cost per customer is multiplied by this

    [stages.decline]                 # … and one per lifecycle stage (objective, actions, cost,
    objective = "…"                  #     response)

Actions come from a fixed vocabulary (:data:`ACTIONS`). :func:`load_playbook` checks that every
cell of the chosen matrix has its entry and says which are missing or wrong.

The economics are each customer's own (:func:`customer_actions`): with the customer's value
``v``, the play's response ``r`` and cost ``c``, the expected gain of acting is ``r · v − c``. The
value is ``clv``. The churn stage's numbers replace it where the customer is leaving:

- a churned customer: ``win_back``, whose gain is the churn stage's ``winback_value``
  (P(return if contacted) × value after return − contact cost, the measured reactivation rate
  in place of the play's response) when that column exists, else ``r · value_if_returned − c``
  (the value it had, at its rate while active);
- a current customer the churn stage ranks at risk (``winback_rank`` set: ``churn_risk`` at
  least ``churn.at_risk``): ``retain``, whose gain is the same measured return rate × value
  after return, less its cell's play cost — its ``clv`` already counts it as gone, so a
  development play (nurture, loyalty …) is not offered to a customer who is leaving;
- a churned or at-risk customer who complained and then went silent (``recovery_value`` set):
  also ``service_recovery`` — resolve the complaint, then win back — at the churn stage's
  ``recovery_value`` (the assumed recovery response × value after return − recovery cost);
  the better of the two is recommended.

Every customer's action has a positive expected gain: where no option pays, the customer is
told ``let_go`` and ``expected_gain`` holds the best (non-positive) gain there was, the number
that says why. With a minimum gain per contact (``MatrixOptions.min_gain``, ``--min-gain``;
default 0) a customer whose best gain is below it is not contacted either: ``let_go``, with
that (small, positive) best gain in ``expected_gain``. Prospects without a value keep their play. A cell's economics
(:func:`cell_economics`) follow its customers: the actions listed for a cell are the ones some
of its customers are told, each with a positive mean gain over the customers it is applied to
(the play's further actions go with its main one), and ``let_go`` where customers are let go;
the gain per customer is the mean over the customers acted on, and over the let-go customers
(not positive) when none is; ``gain_basis`` names the rates used, and why a cell is let go.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..config import ConfigError, read_toml
from ..features.lifecycle import STAGES
from .matrix import TIERS, cell_parts, matrix_cells

__all__ = ["ACTIONS", "Play", "Playbook", "PlaybookError", "load_playbook", "builtin_playbook",
           "builtin_plays", "cell_economics", "customer_actions", "with_measured", "Gains",
           "action_gains", "action_gains_on_engine"]

ACTIONS = ("acquire", "referral", "nurture", "cross_sell", "up_sell", "loyalty", "retain",
           "win_back", "service_recovery", "let_go")

_DIR = Path(__file__).parent / "playbooks"


class PlaybookError(ConfigError):
    """A playbook file is missing entries or has wrong ones; the message lists them."""


@dataclass(frozen=True)
class Play:
    cell: str
    objective: str
    actions: tuple[str, ...]
    priority: int
    budget: str
    cost_per_customer: float
    expected_response: float

    @property
    def action(self) -> str:
        """The first (main) recommended action."""
        return self.actions[0]


@dataclass(frozen=True)
class Playbook:
    name: str
    path: Path
    scheme: str
    plays: dict[str, Play]

    def play(self, cell: str) -> Play:
        return self.plays[cell]


def builtin_playbook(lang: str) -> Path:
    return _DIR / f"{lang}.toml"


def builtin_plays(used: str | Path | None, lang: str, *, scheme: str = "seed12",
                  lifecycle_scheme: str = "seed") -> dict[str, Play] | None:
    """The plays of the built-in playbook in ``lang`` when ``used`` (the playbook a run used)
    is a built-in one, so that its objective and budget can be read in another language; None
    for a playbook file of one's own, whose text is the user's and stays as written."""
    if used is None or Path(used).resolve() not in {builtin_playbook(x).resolve()
                                                    for x in ("en", "zh")}:
        return None
    return load_playbook(lang=lang, scheme=scheme, lifecycle_scheme=lifecycle_scheme).plays


def _check_entry(where: str, entry, required: dict[str, type], problems: list[str]) -> None:
    if not isinstance(entry, dict):
        problems.append(f"{where} must be a table of settings")
        return
    for key, kind in required.items():
        if key not in entry:
            problems.append(f"{where} has no {key}")
            continue
        value = entry[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool):
            problems.append(f"{where}.{key} must be {kind.__name__}, not {value!r}")
            continue
        if key == "actions":
            if not value:
                problems.append(f"{where}.actions is empty")
            bad = [a for a in value if a not in ACTIONS]
            if bad:
                problems.append(f"{where}.actions has unknown action(s) {', '.join(map(str, bad))}"
                                f"; actions are {', '.join(ACTIONS)}")
        if key == "priority" and not 1 <= value <= 5:
            problems.append(f"{where}.priority must be 1 (first) … 5, not {value}")
        if key == "expected_response" and not 0 <= value <= 1:
            problems.append(f"{where}.expected_response must be between 0 and 1, not {value}")
        if key in ("cost_per_customer", "cost_factor") and value < 0:
            problems.append(f"{where}.{key} cannot be negative, not {value}")


_CELL = {"objective": str, "actions": list, "priority": int, "budget": str,
         "cost_per_customer": float, "expected_response": float}
_TIER = {"priority": int, "budget": str, "cost_factor": float}
_STAGE = {"objective": str, "actions": list, "cost_per_customer": float,
          "expected_response": float}


def load_playbook(path: str | Path | None = None, *, lang: str = "en", scheme: str = "seed12",
                  lifecycle_scheme: str = "seed") -> Playbook:
    """Read and validate a playbook for the matrix ``scheme`` (default: the built-in one for
    ``lang``); raises :class:`PlaybookError` listing every problem."""
    path = Path(path) if path is not None else builtin_playbook(lang)
    raw = read_toml(path, "playbook", PlaybookError)
    problems: list[str] = []
    plays: dict[str, Play] = {}
    cells = matrix_cells(scheme, lifecycle_scheme)
    if scheme == "seed12":
        section = raw.get("seed12")
        if not isinstance(section, dict):
            raise PlaybookError(f"playbook {path} has no [seed12] section with the 12 cells "
                                f"({', '.join(cells)})")
        missing = [c for c in cells if c not in section]
        if missing:
            problems.append(f"no entry for cell(s) {', '.join(missing)}")
        unknown = [c for c in section if c not in cells]
        if unknown:
            problems.append(f"unknown cell(s) {', '.join(unknown)}; cells are {', '.join(cells)}")
        for cell in cells:
            if cell in section:
                _check_entry(f"[seed12.{cell}]", section[cell], _CELL, problems)
        if not problems:
            for cell in cells:
                e = section[cell]
                plays[cell] = Play(cell, e["objective"], tuple(e["actions"]), e["priority"],
                                   e["budget"], float(e["cost_per_customer"]),
                                   float(e["expected_response"]))
    else:
        tiers, stages = raw.get("tiers"), raw.get("stages")
        if not isinstance(tiers, dict) or not isinstance(stages, dict):
            raise PlaybookError(f"playbook {path} needs [tiers.*] and [stages.*] sections for "
                                "the tiers matrix")
        needed = STAGES[lifecycle_scheme]
        missing = [f"tiers.{t}" for t in TIERS if t not in tiers] + [
            f"stages.{s}" for s in needed if s not in stages]
        if missing:
            problems.append(f"no entry for {', '.join(missing)}")
        for t in TIERS:
            if t in tiers:
                _check_entry(f"[tiers.{t}]", tiers[t], _TIER, problems)
        for s in needed:
            if s in stages:
                _check_entry(f"[stages.{s}]", stages[s], _STAGE, problems)
        if not problems:
            for cell in cells:
                tier, stage = cell_parts(cell)
                t, s = tiers[tier], stages[stage]
                plays[cell] = Play(cell, s["objective"], tuple(s["actions"]), t["priority"],
                                   t["budget"], float(s["cost_per_customer"]) * float(t["cost_factor"]),
                                   float(s["expected_response"]))
    if problems:
        raise PlaybookError(f"playbook {path}: " + "; ".join(problems))
    meta = raw.get("playbook", {})
    return Playbook(str(meta.get("name", path.stem)), path, scheme, plays)


def _floats(table, name: str) -> list[float | None]:
    if name not in table.column_names:
        return [None] * table.num_rows
    return [None if v is None or v != v else float(v)
            for v in table.column(name).cast(pa.float64()).to_pylist()]


def _values(table, name: str) -> tuple[np.ndarray, np.ndarray]:
    """A column as float64 values and a mask of the known ones (null and NaN are unknown)."""
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan), np.zeros(table.num_rows, dtype=bool)
    values = table.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False)
    values = np.asarray(values, dtype=float)
    return values, ~np.isnan(values)


def customer_actions(customers, cells: pa.Array, playbook: Playbook, *, min_gain: float = 0.0
                     ) -> tuple[pa.Array, pa.Array]:
    """Each customer's recommended action and its expected gain (see the module
    documentation); ``min_gain``: the least gain for which a customer is contacted.

    Worked out on whole columns, each customer reading its cell's play: each customer has a
    main option (the cell's play, or win back, or retain) and, where it complained and went silent, service recovery;
    the better known gain wins (the main option on a tie), and a customer whose best gain is
    not positive or below ``min_gain`` is let go with that gain. No known gain: the main
    action, gain null."""
    clv, has_clv = _values(customers, "clv")
    returned, has_returned = _values(customers, "value_if_returned")
    winback, has_winback = _values(customers, "winback_value")
    _, at_risk = _values(customers, "winback_rank")
    p_return, has_p_return = _values(customers, "winback_probability")
    after, has_after = _values(customers, "value_after_return")
    recovery, has_recovery = _values(customers, "recovery_value")
    if isinstance(cells, pa.ChunkedArray):
        cells = cells.combine_chunks()
    codes = pc.dictionary_encode(cells)
    index = np.asarray(codes.indices.to_numpy(zero_copy_only=False))
    kinds = ["let_go", "service_recovery"]            # action names, by code

    def code(name: str) -> int:
        if name not in kinds:
            kinds.append(name)
        return kinds.index(name)

    # per cell (few): the play's rate, cost and action, and which rule applies; read by each
    # customer through the cell's code. The cells are taken in the order their first customer
    # comes, so a missing play is reported for the same cell as customer by customer
    found, first = np.unique(index, return_index=True)
    size = int(found.max()) + 1 if len(found) else 0
    rate, cost = np.zeros(size), np.zeros(size)
    play_code, rule = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int8)
    plays_win_back = np.zeros(size, dtype=bool)
    for k in found[np.argsort(first)].tolist():
        cell = codes.dictionary[k].as_py()
        play = playbook.play(cell)
        rate[k], cost[k], play_code[k] = play.expected_response, play.cost_per_customer, \
            code(play.action)
        plays_win_back[k] = play.action == "win_back"
        if cell.endswith("-churned") or cell.endswith("-departure"):
            # 1: a playbook of one's own that plays otherwise; 2: win back
            rule[k] = 2 if ("win_back" in play.actions or "let_go" in play.actions) else 1
    r, c, rules = rate[index], cost[index], rule[index]
    churned_rows = rules > 0
    # win back: the churn stage's winback_value, else the play on the value if returned, else
    # on the clv
    g_back = np.where(has_winback, winback, np.where(has_returned, r * returned - c,
                                                     r * clv - c))
    k_back = has_winback | has_returned | has_clv
    # a current customer the churn stage ranks at risk, whose clv already counts it as gone:
    # the play is to keep it before it goes — the measured return rate × its value after a
    # return, less the cost of the cell's own play
    keep = at_risk & has_p_return & has_after
    g_now = np.where(keep, p_return * after - c, r * clv - c)
    gain = np.select([rules == 1, rules == 2], [winback, g_back], g_now)
    known = np.select([rules == 1, rules == 2], [has_winback, k_back], keep | has_clv)
    action = np.select(
        [rules == 1, rules == 2, keep],
        [play_code[index],
         np.where(k_back | plays_win_back[index], code("win_back"), code("let_go")),
         code("retain")],
        play_code[index])
    # complained, then went silent: resolve the complaint, then win back
    recover = has_recovery & (churned_rows | at_risk)
    take = recover & (~known | (recovery > gain))     # a tie keeps the main option
    best_action = np.where(take, kinds.index("service_recovery"), action)
    best = np.where(take, recovery, gain)
    any_known = known | recover
    pays = any_known & (best > 0) & (best >= min_gain)
    best_action = np.where(any_known & ~pays, kinds.index("let_go"), best_action)
    labels = pa.array(kinds, type=pa.string())
    return (pc.take(labels, pa.array(best_action)),
            pa.array(best, type=pa.float64(), mask=~any_known))


def with_measured(playbook: Playbook, measured: dict) -> tuple[Playbook, dict[str, str]]:
    """The playbook with each measured cell's assumed response replaced by the response lift a
    campaign measured there (``measured``: cell → :class:`cvm.campaigns.registry.Measured`),
    and the basis text of each replaced cell ("measured in campaign X: +4.5 pp response, 95 % CI
    +2.1 to +6.9 pp"). Churned cells keep theirs: their gain comes from the churn stage's
    measured return rate. No measurement, no change."""
    from dataclasses import replace

    plays, basis = dict(playbook.plays), {}
    for cell, m in measured.items():
        if cell not in plays or cell.endswith("-churned") or cell.endswith("-departure"):
            continue
        plays[cell] = replace(plays[cell], expected_response=float(m.lift))
        basis[cell] = (f"measured in campaign {m.campaign}: {m.lift * 100:+.1f} pp response, "
                       f"95 % CI {m.ci_low * 100:+.1f} to {m.ci_high * 100:+.1f} pp"
                       " × own clv − cost")
    if not basis:
        return playbook, {}
    return Playbook(playbook.name, playbook.path, playbook.scheme, plays), basis


#: the customers of one action in one cell with a known expected gain: how many, the sum of
#: their gains and the largest
Gains = tuple[int, float, float]


def action_gains(customers: pa.Table) -> dict[str, dict[str, Gains]]:
    """Per cell and recommended action, :data:`Gains` of the customers with a known
    ``expected_gain``."""
    groups: dict[str, dict[str, Gains]] = {}
    for cell, action, g in zip(customers.column("matrix_cell").to_pylist(),
                               customers.column("recommended_action").to_pylist(),
                               _floats(customers, "expected_gain")):
        if g is not None:
            n, total, top = groups.setdefault(cell, {}).get(action, (0, 0.0, -math.inf))
            groups[cell][action] = (n + 1, total + g, max(top, g))
    return groups


def action_gains_on_engine(customers, run) -> dict[str, dict[str, Gains]]:
    """:func:`action_gains` of the customer table on an engine (an Ibis table): one grouping
    there."""
    g = customers.expected_gain.cast("float64")
    known = customers.filter(g.notnull() & ~g.isnan())
    g = known.expected_gain.cast("float64")
    found = run(known.group_by(cell=known.matrix_cell, action=known.recommended_action)
                .aggregate(n=known.count(), total=g.sum(), top=g.max()))
    groups: dict[str, dict[str, Gains]] = {}
    for r in found.to_pylist():
        groups.setdefault(r["cell"], {})[r["action"]] = (int(r["n"]), float(r["total"]),
                                                         float(r["top"]))
    return groups


def _combined(parts: list[Gains]) -> Gains:
    return (sum(p[0] for p in parts), sum(p[1] for p in parts),
            max((p[2] for p in parts), default=-math.inf))


def _cell_actions(play: Play, groups: dict[str, Gains]) -> tuple[list[str], Gains, Gains]:
    """The actions a cell's customers are told, each only with a positive mean gain over its
    customers (the play's further actions follow its main one), ``let_go`` last; the gains of
    the customers acted on and of those let go."""
    acted = {a: g for a, g in groups.items() if a != "let_go" and g[1] / g[0] > 0}
    shown: list[str] = []
    for a in sorted(acted, key=lambda a: (-acted[a][0], a)):
        shown.append(a)
        if a == play.action:
            shown += [x for x in play.actions[1:] if x not in ("let_go", "win_back")
                      and x not in groups]
    gains = _combined(list(acted.values()))
    dropped = _combined([g for a, g in groups.items() if a == "let_go" or a not in acted])
    if dropped[0]:
        shown.append("let_go")
    return shown, gains, dropped


def cell_economics(summary: pa.Table, playbook: Playbook, customers: pa.Table | None = None,
                   *, measured_basis: dict[str, str] | None = None,
                   gains: dict[str, dict[str, Gains]] | None = None,
                   winback: bool = False) -> pa.Table:
    """Per cell of a :func:`~cvm.segments.matrix.matrix_summary`: the actions, their cost and
    the expected gain of acting per customer and in total, with ``gain_basis`` naming the
    rates and values used.

    With the customers' own ``recommended_action`` and ``expected_gain`` (the matrix stage's),
    the cell follows them (module documentation): ``actions`` lists what its customers are
    told, an action only where its customers' mean gain is positive, and ``let_go`` where some
    are let go; ``acted_customers`` and ``let_go_customers`` count them; the gain per customer
    is the mean over the customers acted on (over the let-go ones, not positive, when no one
    is acted on) and the total and the cost are over the customers acted on. Without them:
    the play's actions at ``response · avg CLV − cost``. ``gains`` (:func:`action_gains`, or
    its grouping on an engine) and ``winback`` (the churn stage's ``winback_value`` is there)
    stand in for the customers."""
    own = gains is not None or (
        customers is not None and "expected_gain" in customers.column_names
        and "recommended_action" in customers.column_names)
    groups = gains if gains is not None else action_gains(customers) if own else {}
    if gains is None and customers is not None:
        winback = "winback_value" in customers.column_names
    basis_churned = "playbook response × value_if_returned − cost"
    if own and winback:
        basis_churned = "churn stage winback_value (measured reactivation rate)"
    rows = []
    for r in summary.to_pylist():
        play = playbook.play(r["cell"])
        avg_clv = r.get("avg_clv")
        churned = r["cell"].endswith("-churned") or r["cell"].endswith("-departure")
        actions, acted, dropped = list(play.actions), r["customers"], 0
        if own and groups.get(r["cell"]):
            actions, kept, let_go = _cell_actions(play, groups[r["cell"]])
            acted, dropped = kept[0], let_go[0]
            if acted:
                gain = kept[1] / acted
                basis = basis_churned if churned else "playbook response × own clv − cost"
                kinds = [a for a in actions if a in ("retain", "service_recovery")]
                if kinds and not churned:
                    basis += "; retain: measured return rate × value after return − cost"
                if "service_recovery" in actions:
                    basis += ("; service recovery: assumed recovery response × value after "
                              "return − recovery cost")
            else:
                gain = let_go[1] / dropped
                parts = (basis_churned if churned else "measured return rate × value after "
                         "return − cost")
                if let_go[2] > 0:  # let go below the minimum gain per contact
                    basis = ("let go: no action gains the minimum per contact for these "
                             f"customers (the best expected gain per customer: {parts})")
                else:
                    basis = ("let go: no action pays for these customers (the best expected "
                             f"gain per customer is not positive: {parts})")
        elif own:
            gain, basis = None, "no value to judge by"
        else:
            gain = (play.expected_response * avg_clv - play.cost_per_customer
                    if avg_clv is not None else None)
            basis = "playbook response × cell average clv − cost"
        if gain is None:
            basis = "no value to judge by"
        elif measured_basis and r["cell"] in measured_basis and acted:
            basis = measured_basis[r["cell"]]
        rows.append({
            "cell": r["cell"], "customers": r["customers"], "priority": play.priority,
            "objective": play.objective, "actions": ", ".join(actions),
            "budget": play.budget, "cost_per_customer": play.cost_per_customer,
            "expected_response": play.expected_response, "avg_clv": avg_clv,
            "acted_customers": acted, "let_go_customers": dropped,
            "expected_gain_per_customer": gain,
            "expected_gain_total": (gain * acted if gain is not None and acted else
                                    0.0 if gain is not None else None),
            "total_cost": play.cost_per_customer * acted,
            "pays": (gain > 0 and not (own and acted == 0)) if gain is not None else None,
            "gain_basis": basis,
        })
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("cell", pa.string()), ("customers", pa.int64()), ("priority", pa.int64()),
        ("objective", pa.string()), ("actions", pa.string()), ("budget", pa.string()),
        ("cost_per_customer", pa.float64()), ("expected_response", pa.float64()),
        ("avg_clv", pa.float64()), ("acted_customers", pa.int64()),
        ("let_go_customers", pa.int64()), ("expected_gain_per_customer", pa.float64()),
        ("expected_gain_total", pa.float64()), ("total_cost", pa.float64()),
        ("pays", pa.bool_()), ("gain_basis", pa.string())]))
