"""Why a customer is told what they are told: the numbers behind a recommended action, in
words (English, Chinese), from the columns a run stores (:mod:`cvm.segments.playbook` decides,
this module only words the decision).

- ``win_back``: P(returns) × value after return − contact cost; ``retain``: the same with the
  cell's play cost (read back from the gain);
- ``service_recovery``: the assumed recovery response × value after return − recovery cost,
  beside what a win-back offer alone would gain (the silent complainer's own, measured, return
  rate);
- ``let_go``: the best gain there was, not positive, and what it was made of; or, below the
  run's minimum gain per contact (``MatrixOptions.min_gain``), that gain beside the minimum;
- any other action: the play's response × CLV − its cost.
"""

from __future__ import annotations

import math

from ..vocabulary import action_label

__all__ = ["action_reason"]

_WORDS = {
    "en": {"gain": "{action}: expected gain {g}",
           "play": "{action}: {r} assumed response × {v} CLV − {c} cost = {g}",
           "winback": "{p} chance of return × {v} value after return − {c} cost = {g}",
           "recovery": "service recovery (the complaint resolved, then a win-back offer): "
                       "{q} assumed × {v} − {c} = {g}; a win-back offer alone: {wb}",
           "retain": "keeping it: {p} chance of return × {v} value after return − {c} cost = {g}",
           "let_go": "let go: no action pays — {best}",
           "below": "let go: no action gains the minimum of {m} per contact — {best}",
           "sep": "; "},
    "zh": {"gain": "{action}:预期收益 {g}",
           "play": "{action}:假设响应率 {r} × 客户终身价值 {v} − 成本 {c} = {g}",
           "winback": "回归概率 {p} × 回归后价值 {v} − 成本 {c} = {g}",
           "recovery": "服务补救(先解决投诉,再提供赢回优惠):假设 {q} × {v} − {c} = {g};"
                       "仅提供赢回优惠:{wb}",
           "retain": "挽留:回归概率 {p} × 回归后价值 {v} − 成本 {c} = {g}",
           "let_go": "放弃:没有哪项行动有正收益——{best}",
           "below": "放弃:没有哪项行动达到每次联系的最低收益 {m}——{best}",
           "sep": ";"},
}


def _num(row: dict, key: str) -> float | None:
    v = row.get(key)
    if v is None:
        return None
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _money(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.1f}"


def _pct(v: float, lang: str = "en") -> str:
    return f"{v:.1%}" if lang == "zh" else f"{v:.1%}".replace("%", " %")


def action_reason(row: dict, lang: str = "en", *, contact_cost: float | None = None,
                  recovery: dict | None = None, play: dict | None = None,
                  min_gain: float | None = None) -> str | None:
    """The sentence for one customer row (its ``recommended_action`` key and the churn
    stage's numbers); ``contact_cost`` and ``recovery`` (``response``, ``cost``) are the run's
    churn settings; ``play`` (``expected_response``, ``cost_per_customer``) the customer's cell
    in the run's matrix; ``min_gain`` the run's minimum gain per contact. None without an
    action.

    >>> action_reason({"recommended_action": "service_recovery", "expected_gain": 731.9,
    ...                "value_after_return": 7818.93, "winback_probability": 0.0036,
    ...                "winback_value": 8.2, "recovery_value": 731.9}, contact_cost=20,
    ...               recovery={"response": 0.1, "cost": 50})
    'service recovery (the complaint resolved, then a win-back offer): 10.0 % assumed × 7,819 − 50 = 732; a win-back offer alone: 0.4 % chance of return × 7,819 value after return − 20 cost = 8.2'
    """
    if lang not in _WORDS:
        raise ValueError(f"unknown language {lang!r}: choose en or zh")
    w = _WORDS[lang]
    action = row.get("recommended_action_key") or row.get("recommended_action")
    if action is None:
        return None
    gain = _num(row, "expected_gain")
    p, v = _num(row, "winback_probability"), _num(row, "value_after_return")
    wb, rec = _num(row, "winback_value"), _num(row, "recovery_value")
    winback = None
    if p is not None and v is not None and wb is not None and contact_cost is not None:
        winback = w["winback"].format(p=_pct(p, lang), v=_money(v), c=_money(contact_cost),
                                      g=_money(wb))
    recovered = None
    if rec is not None and v is not None and recovery:
        recovered = w["recovery"].format(q=_pct(float(recovery["response"]), lang), v=_money(v),
                                         c=_money(float(recovery["cost"])), g=_money(rec),
                                         wb=winback or (_money(wb) if wb is not None else "–"))
    kept = None  # keeping an at-risk customer: P(returns) × value after return − the play's cost
    if gain is not None and p is not None and v is not None:
        kept = w["retain"].format(p=_pct(p, lang), v=_money(v), c=_money(p * v - gain),
                                  g=_money(gain))
    if action == "service_recovery" and recovered:
        return recovered
    if action == "win_back" and winback:
        return winback
    if action == "retain" and kept:
        return w["sep"].join(x for x in (kept, recovered) if x)
    if action == "let_go" and gain is not None:
        if gain > 0:  # it pays, but less than the run's minimum gain per contact
            def said(best):
                return w["below"].format(m=_money(float(min_gain or 0.0)), best=best)
        else:
            def said(best):
                return w["let_go"].format(best=best)
        if rec is not None and recovered and abs(rec - gain) < 1e-9:
            return said(recovered)
        if wb is not None and winback and abs(wb - gain) < 1e-9:
            return said(recovered or winback)
        if kept:
            return said(w["sep"].join(x for x in (kept, recovered) if x))
        return said(_money(gain))
    if gain is None:
        return None
    clv = _num(row, "clv")
    if play and clv is not None:
        return w["play"].format(action=action_label(action, lang),
                                r=_pct(float(play["expected_response"]), lang), v=_money(clv),
                                c=_money(float(play["cost_per_customer"])), g=_money(gain))
    return w["gain"].format(action=action_label(action, lang), g=_money(gain))
