"""Fitting a purchase model by name, and choosing between them.

:func:`fit_purchase_model` fits one of BG/NBD, Pareto/NBD and MBG/NBD, or with ``"auto"`` all
three, and keeps the one with the lowest BIC. All three have four parameters, so AIC and BIC
rank them exactly as the log-likelihood does; the choice is then checked against a cheap
calibration test, the classic fit histogram (Fader, Hardie & Lee 2007, "Creating a Fit Histogram
for the BG/NBD Model"): the number of customers expected to make 0, 1, 2, … repeat purchases
in their own observation time T, against the number who did. A fit whose parameters the data
do not identify (``identified_`` False: a flat ridge of the likelihood, typically the dropout
parameters on a short calibration period) is chosen only when no identified fit converged, and
the reason then says so. The chosen model and the reason are returned as data, for the report.
"""

from __future__ import annotations

import logging
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ._base import PROCESS_TITLES
from .bgnbd import BGNBD
from .mbgnbd import MBGNBD
from .paretonbd import ParetoNBD

__all__ = ["PURCHASE_MODELS", "MODEL_TITLES", "ModelFit", "ModelChoice", "fit_purchase_model",
           "choice_reason",
           "frequency_histogram"]

logger = logging.getLogger(__name__)

PURCHASE_MODELS = {"bgnbd": BGNBD, "paretonbd": ParetoNBD, "mbgnbd": MBGNBD}
MODEL_TITLES = {"bgnbd": "BG/NBD", "paretonbd": "Pareto/NBD", "mbgnbd": "MBG/NBD"}

#: the fit histogram shows 0 … HISTOGRAM_TOP - 1 repeat purchases and a last "HISTOGRAM_TOP+" bin
HISTOGRAM_TOP = 7


@dataclass
class ModelFit:
    """One fitted candidate and its fit quality."""

    name: str
    model: object
    log_likelihood: float
    aic: float
    bic: float
    n_customers: int
    converged: bool
    identified: bool = True
    unidentified: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    histogram_actual: list[float] = field(default_factory=list)
    histogram_expected: list[float] = field(default_factory=list)
    histogram_chi2: float = float("nan")

    def as_dict(self) -> dict:
        """The fit as plain numbers (for run summaries and the report)."""
        return {
            "model": self.name,
            "title": MODEL_TITLES[self.name],
            "params": dict(self.model.params_),
            "standard_errors": dict(self.model.standard_errors_),
            "log_likelihood": self.log_likelihood,
            "aic": self.aic,
            "bic": self.bic,
            "n_customers": self.n_customers,
            "converged": self.converged,
            "identified": self.identified,
            "unidentified": list(self.unidentified),
            "warnings": list(self.warnings),
            "histogram_actual": self.histogram_actual,
            "histogram_expected": self.histogram_expected,
            "histogram_chi2": self.histogram_chi2,
        }


@dataclass
class ModelChoice:
    """The model kept, every candidate that was fitted, and why the kept one was chosen."""

    chosen: ModelFit
    candidates: list[ModelFit]
    reason: str
    asked: bool = False

    @property
    def model(self):
        return self.chosen.model

    def as_dict(self) -> dict:
        chosen = self.chosen.as_dict()
        candidates = [c.as_dict() for c in self.candidates]
        return {**chosen, "reason": self.reason,
                "reason_zh": choice_reason(chosen, candidates, "zh", asked=self.asked),
                "asked": self.asked, "candidates": candidates}


def frequency_histogram(model, data, top: int = HISTOGRAM_TOP) -> tuple[np.ndarray, np.ndarray]:
    """Customers with 0, 1, …, ``top - 1`` and ``top`` or more repeat purchases: actual, and
    expected by the model as sum_i P(X(T_i) = x) over customers (each over their own T).

    ``data`` has ``frequency`` and ``T`` (and optional ``weights``). Returns ``(actual,
    expected)``, arrays of ``top + 1`` counts; the last expected bin is the remainder.
    """
    x = np.asarray(data["frequency"], dtype=float)
    T = np.asarray(data["T"], dtype=float)
    w = np.asarray(data["weights"], dtype=float) if "weights" in data else np.ones_like(x)
    bins = np.minimum(x, top).astype(int)
    actual = np.bincount(bins, weights=w, minlength=top + 1)[: top + 1]
    unique_T, inverse = np.unique(T, return_inverse=True)
    t_weight = np.bincount(inverse, weights=w)
    expected = np.empty(top + 1)
    for n in range(top):
        probability = model.probability_of_purchases(n, unique_T)
        expected[n] = float(np.dot(t_weight, probability))
    expected[top] = float(w.sum()) - expected[:top].sum()
    return actual, expected


def _chi2(actual: np.ndarray, expected: np.ndarray) -> float:
    """Pearson's sum (actual - expected)^2 / expected over the histogram's bins."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(expected > 0, (actual - expected) ** 2 / expected, 0.0)
    return float(terms.sum())


def _fit_one(name: str, data, n_customers: int) -> ModelFit:
    model = PURCHASE_MODELS[name]().fit(data)
    k = len(model.param_names)
    ll = model.log_likelihood_
    actual, expected = frequency_histogram(model, data)
    return ModelFit(name, model, ll, aic=2 * k - 2 * ll, bic=k * math.log(n_customers) - 2 * ll,
                    n_customers=n_customers, converged=bool(model.converged_),
                    identified=bool(model.identified_), unidentified=list(model.unidentified_),
                    warnings=list(model.warnings_),
                    histogram_actual=actual.tolist(), histogram_expected=expected.tolist(),
                    histogram_chi2=_chi2(actual, expected))


def fit_purchase_model(data, model: str = "auto") -> ModelChoice:
    """Fit the purchase model ``model`` (``bgnbd``, ``paretonbd``, ``mbgnbd``) on ``data``
    (``frequency``, ``recency``, ``T``, optional ``weights``), or with ``"auto"`` all three,
    keeping the lowest BIC among those that converged.

    Raises ``ValueError`` when no customer has a repeat purchase (no model is identified).
    """
    if model != "auto" and model not in PURCHASE_MODELS:
        raise ValueError(f"unknown purchase model {model!r}: choose one of "
                         f"{', '.join(PURCHASE_MODELS)} or auto")
    w = np.asarray(data["weights"], dtype=float) if "weights" in data else None
    n_customers = int(round(w.sum())) if w is not None else len(np.asarray(data["frequency"]))
    if model != "auto":
        fit = _fit_one(model, data, n_customers)
        return ModelChoice(fit, [fit], choice_reason(fit.as_dict(), [fit.as_dict()], asked=True),
                           asked=True)
    def attempt(name: str) -> ModelFit | ValueError:
        try:
            return _fit_one(name, data, n_customers)
        except ValueError as exc:
            return exc

    # The three fits are independent: they run on all cores (the likelihoods are NumPy array
    # work, which lets go of the interpreter), and are taken in the models' order.
    candidates = []
    with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, len(PURCHASE_MODELS))) as pool:
        for name, outcome in zip(PURCHASE_MODELS, pool.map(attempt, PURCHASE_MODELS)):
            if isinstance(outcome, ValueError):
                logger.warning("%s could not be fitted: %s", MODEL_TITLES[name], outcome)
            else:
                candidates.append(outcome)
    if not candidates:
        raise ValueError("none of the purchase models could be fitted to these data")
    best = min(_usable(candidates), key=lambda c: c.bic)
    reason = choice_reason(best.as_dict(), [c.as_dict() for c in candidates])
    if not best.identified:
        logger.warning("the data identify none of the purchase models; %s is used: %s",
                       MODEL_TITLES[best.name], "; ".join(best.warnings))
    return ModelChoice(best, candidates, reason)


def _usable(candidates: list) -> list:
    """The candidates a choice is made from: converged and identified fits; failing that,
    converged ones; failing that, all. Works on :class:`ModelFit` objects and on their dicts
    (runs stored before fits carried ``identified`` count as identified)."""
    def get(c, key):
        return c.get(key, True) if isinstance(c, dict) else getattr(c, key)

    converged = [c for c in candidates if get(c, "converged")]
    return [c for c in converged if get(c, "identified")] or converged or candidates


_REASON_TEXT = {
    "en": {"lowest": "{model} has the lowest BIC ({bic}{others})",
           "lowest_identified": "{model} has the lowest BIC of the models the data identify "
                                "({bic}{others})",
           "same_rank": "with four parameters each, AIC and BIC rank the models as the "
                        "log-likelihood does",
           "close": "the BIC gap to {other} is {gap}, too small to prefer either on fit alone",
           "hist_same": "its fit histogram is also the closest (chi-square {chi2})",
           "hist_other": "the fit histogram of {other} is closer (chi-square {other_chi2} "
                         "against {chi2})",
           "dropped": "not converged, so not chosen: {names}",
           "unidentified": "the data do not identify {what}, so not chosen",
           "none_identified": "warning: the data identify none of the models ({what}); the "
                              "predictions rest on parameters the data cannot pin down, and a "
                              "longer calibration period would help",
           "asked_unidentified": "warning: the data do not identify {what}; the predictions rest "
                                 "on parameters the data cannot pin down",
           "asked": "{model} was asked for (log-likelihood {ll}, BIC {bic})",
           "of": "the {process} of {model}", "and": ", ",
           "sep": "; ", "end": "."},
    "zh": {"lowest": "{model}的 BIC 最低（{bic}{others}）",
           "lowest_identified": "{model}在数据可识别的模型中 BIC 最低（{bic}{others}）",
           "same_rank": "各模型均有四个参数，AIC 与 BIC 的排序与对数似然相同",
           "close": "与{other}的 BIC 差距仅为{gap}，仅凭拟合难分优劣",
           "hist_same": "其拟合直方图也最接近（卡方 {chi2}）",
           "hist_other": "{other}的拟合直方图更接近（卡方 {other_chi2}，本模型 {chi2}）",
           "dropped": "未收敛因而未选用：{names}",
           "unidentified": "数据无法识别{what}，因而未选用",
           "none_identified": "警告：数据无法识别任何模型（{what}）；预测所依据的参数无法由数据确定，"
                              "延长校准期会有帮助",
           "asked_unidentified": "警告：数据无法识别{what}；预测所依据的参数无法由数据确定",
           "asked": "按要求使用{model}（对数似然 {ll}，BIC {bic}）",
           "of": "{model}的{process}", "and": "、",
           "sep": "；", "end": "。"},
}


_PROCESS_TEXT = {"en": PROCESS_TITLES,
                 "zh": {"purchase": "购买过程", "dropout": "流失过程", "spend": "消费金额过程",
                        "model": "参数"}}


def _unidentified_text(candidates: list[dict], t: dict, lang: str) -> str:
    """'the dropout process of BG/NBD, the dropout process of Pareto/NBD' (or in Chinese)."""
    return t["and"].join(t["of"].format(process=_PROCESS_TEXT[lang][p], model=c["title"])
                         for c in candidates for p in c.get("unidentified", []))


def choice_reason(chosen: dict, candidates: list[dict], lang: str = "en",
                  asked: bool = False) -> str:
    """Why ``chosen`` was kept among ``candidates`` (dicts as :meth:`ModelFit.as_dict` gives),
    in English or Chinese."""
    t = _REASON_TEXT[lang]
    title = chosen["title"]
    if asked:
        text = t["asked"].format(model=title, ll=f"{chosen['log_likelihood']:,.1f}",
                                 bic=f"{chosen['bic']:,.1f}")
        if not chosen.get("identified", True):
            text += t["sep"] + t["asked_unidentified"].format(what=_unidentified_text([chosen], t, lang))
        return text + t["end"]
    usable = _usable(candidates)
    ranked = sorted(usable, key=lambda c: c["bic"])
    others = "".join(f"{t['sep'] if i == 0 else ', '}{c['title']} {c['bic']:,.1f}"
                     for i, c in enumerate(c for c in ranked if c["model"] != chosen["model"]))
    passed_over = [c for c in candidates if c["converged"] and not c.get("identified", True)]
    lowest = "lowest_identified" if passed_over and chosen.get("identified", True) else "lowest"
    parts = [t[lowest].format(model=title, bic=f"{chosen['bic']:,.1f}", others=others),
             t["same_rank"]]
    rest = [c for c in ranked if c["model"] != chosen["model"]]
    if rest and rest[0]["bic"] - chosen["bic"] < 2:
        parts.append(t["close"].format(other=rest[0]["title"],
                                       gap=f"{rest[0]['bic'] - chosen['bic']:.1f}"))
    by_histogram = min(candidates, key=lambda c: c["histogram_chi2"])
    if by_histogram["model"] == chosen["model"]:
        parts.append(t["hist_same"].format(chi2=f"{chosen['histogram_chi2']:.1f}"))
    else:
        parts.append(t["hist_other"].format(other=by_histogram["title"],
                                            other_chi2=f"{by_histogram['histogram_chi2']:.1f}",
                                            chi2=f"{chosen['histogram_chi2']:.1f}"))
    dropped = [c["title"] for c in candidates if not c["converged"]]
    if dropped:
        parts.append(t["dropped"].format(names=", ".join(dropped)))
    if not chosen.get("identified", True):
        parts.append(t["none_identified"].format(what=_unidentified_text(candidates, t, lang)))
    elif passed_over:
        parts.append(t["unidentified"].format(what=_unidentified_text(passed_over, t, lang)))
    return t["sep"].join(parts) + t["end"]
