"""Customer lifetime value in the reports: the CLV stage's sections of the main report (the
CLV distribution, the probability of being alive, and the purchase model: parameters with
standard errors, fit quality, the fit histogram) and the self-contained calibration / holdout
validation report of ``cvm validate-clv``.

Charts follow :mod:`cvm.reports.charts` (inline SVG, Okabe–Ito colours, text drawn by the
browser); words are in :data:`CLV_TEXT`, English and Chinese with the same keys.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm.reports import charts
from cvm.reports.charts import BLUE, GREY, MUTED, ORANGE, _figure, _render, _style
from cvm.reports.formatting import format_int, format_money, format_number, format_percent
from cvm.reports.labels import LABELS, LANGUAGES, labels_for
from cvm.reports.page import environment, page_styles
from cvm.reports.sections import Column, Content, ReportSection, RunResults, Section, Table
from cvm.reports.summary import KeyFigure, top_share_of

__all__ = [
    "CLV_TEXT",
    "SECTIONS",
    "clv_model_sections",
    "conditional_svg",
    "frequency_fit_svg",
    "render_validation_report",
    "tracking_svg",
]

CLV_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "section_model": "Purchase model behind CLV",
        "note_model": ("{model} fitted by maximum likelihood on {customers} customers "
                       "(time unit: {unit}). {reason}"),
        "note_no_model": "No CLV model: {message}.",
        "col_parameter": "Parameter", "col_estimate": "Estimate", "col_se": "Standard error",
        "col_model": "Model", "col_ll": "Log-likelihood", "col_aic": "AIC", "col_bic": "BIC",
        "col_chi2": "Histogram χ²", "col_chosen": "Chosen", "yes": "yes", "no": "",
        "caption_params": "Parameters", "caption_candidates": "Models compared",
        "caption_spend": "Spend per purchase: {model}",
        "hist_title": "Repeat purchases in the observation period: actual and expected",
        "axis_repeat": "Repeat purchase days", "axis_customers": "Customers",
        "legend_actual": "Actual", "legend_expected": "Model",
        "title_validation": "CLV model validation",
        "meta_calibration": "Calibration to", "meta_holdout": "Holdout to",
        "meta_model": "Model", "meta_created": "Created",
        "kpi_actual": "Actual holdout repeat purchases",
        "kpi_predicted": "Predicted", "kpi_error": "Total error",
        "kpi_mae": "MAE per customer", "kpi_rmse": "RMSE per customer",
        "kpi_bias": "Bias per customer",
        "sum_total": ("The {customers} customers who first bought by {calibration} made "
                      "{actual} repeat purchases up to {holdout}; the model predicted {predicted} "
                      "({error})."),
        "sum_errors": ("Per customer the mean absolute error is {mae}, the root mean square "
                       "error {rmse} and the bias (predicted minus actual) {bias}."),
        "sum_fit": "Calibration fit: {model}, log-likelihood {ll}, BIC {bic}.",
        "section_tracking": "Tracking: repeat purchases per week",
        "note_tracking": ("Actual repeat purchases per week against the model's expectation for "
                          "the same customers; the dashed line marks the calibration end."),
        "section_cumulative": "Tracking: cumulative repeat purchases",
        "section_conditional": "Holdout purchases by calibration frequency",
        "note_conditional": ("Customers grouped by their repeat purchases in the calibration "
                             "period: mean repeat purchases in the holdout, actual and "
                             "predicted (conditional expectations)."),
        "axis_week": "Week", "axis_per_week": "Repeat purchases",
        "axis_cumulative": "Cumulative repeat purchases",
        "axis_calibration_frequency": "Repeat purchase days in calibration",
        "axis_holdout_mean": "Mean holdout repeat purchases",
        "col_bin": "Calibration repeat days", "col_customers": "Customers",
        "col_actual_mean": "Actual mean", "col_predicted_mean": "Predicted mean",
        "section_fit": "Calibration fit", "unit_week": "week", "unit_day": "day",
        "unit_month": "month",
    },
    "zh": {
        "section_model": "CLV 所用的购买模型",
        "note_model": "{model}，以最大似然法在{customers}位客户上拟合（时间单位：{unit}）。{reason}",
        "note_no_model": "没有 CLV 模型：{message}。",
        "col_parameter": "参数", "col_estimate": "估计值", "col_se": "标准误",
        "col_model": "模型", "col_ll": "对数似然", "col_aic": "AIC", "col_bic": "BIC",
        "col_chi2": "直方图 χ²", "col_chosen": "选用", "yes": "是", "no": "",
        "caption_params": "参数", "caption_candidates": "模型比较",
        "caption_spend": "每次购买金额：{model}",
        "hist_title": "观察期内的重复购买次数：实际与模型期望",
        "axis_repeat": "重复购买天数", "axis_customers": "客户数",
        "legend_actual": "实际", "legend_expected": "模型",
        "title_validation": "CLV 模型检验",
        "meta_calibration": "校准期截至", "meta_holdout": "检验期截至",
        "meta_model": "模型", "meta_created": "生成时间",
        "kpi_actual": "检验期实际重复购买", "kpi_predicted": "预测",
        "kpi_error": "总误差", "kpi_mae": "每客户平均绝对误差",
        "kpi_rmse": "每客户均方根误差", "kpi_bias": "每客户偏差",
        "sum_total": ("{calibration}前首次购买的{customers}位客户到{holdout}共重复购买{actual}次；"
                      "模型预测{predicted}次（{error}）。"),
        "sum_errors": "每位客户的平均绝对误差为{mae}，均方根误差为{rmse}，偏差（预测减实际）为{bias}。",
        "sum_fit": "校准期拟合：{model}，对数似然{ll}，BIC {bic}。",
        "section_tracking": "跟踪：每周重复购买",
        "note_tracking": "每周实际重复购买次数与模型对同一批客户的期望；虚线为校准期结束。",
        "section_cumulative": "跟踪：累计重复购买",
        "section_conditional": "按校准期购买频次分组的检验期购买",
        "note_conditional": "按校准期重复购买次数分组的客户在检验期的平均重复购买次数：实际与预测（条件期望）。",
        "axis_week": "周", "axis_per_week": "重复购买次数",
        "axis_cumulative": "累计重复购买次数",
        "axis_calibration_frequency": "校准期重复购买天数",
        "axis_holdout_mean": "检验期平均重复购买次数",
        "col_bin": "校准期重复购买天数", "col_customers": "客户数",
        "col_actual_mean": "实际均值", "col_predicted_mean": "预测均值",
        "section_fit": "校准期拟合", "unit_week": "周", "unit_day": "天", "unit_month": "月",
    },
}


def _text(lang: str, key: str, **values) -> str:
    return CLV_TEXT[lang][key].format(**values)


def _reason(model: dict, lang: str) -> str:
    return model.get("reason_zh", model["reason"]) if lang == "zh" else model["reason"]


# -- charts ---------------------------------------------------------------------------------

def _bars(actual, expected, names, lang, xlabel, ylabel):
    fig = _figure(10, 3.4)
    ax = fig.add_subplot()
    _style(ax)
    x = np.arange(len(names))
    ax.bar(x - 0.2, actual, width=0.4, color=BLUE, label=_text(lang, "legend_actual"))
    ax.bar(x + 0.2, expected, width=0.4, color=ORANGE, label=_text(lang, "legend_expected"))
    ax.set_xticks(x, names)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, borderaxespad=0.2)
    return fig


def frequency_fit_svg(actual, expected, lang: str = "en") -> str:
    """The fit histogram: customers by repeat purchases, actual and expected by the model."""
    n = len(actual)
    names = [str(i) for i in range(n - 1)] + [f"{n - 1}+"]
    return _render(_bars, np.asarray(actual, float), np.asarray(expected, float), names, lang,
                   _text(lang, "axis_repeat"), _text(lang, "axis_customers"),
                   chart_id="clv-fit", title=_text(lang, "hist_title"))


def _lines(weeks, actual, expected, split, lang, ylabel):
    fig = _figure(10, 3.4)
    ax = fig.add_subplot()
    _style(ax)
    ax.plot(weeks, actual, color=BLUE, linewidth=1.6, label=_text(lang, "legend_actual"))
    ax.plot(weeks, expected, color=ORANGE, linewidth=1.6, linestyle="--",
            label=_text(lang, "legend_expected"))
    ax.axvline(split, color=GREY, linewidth=1, linestyle=":")
    ax.set_xlim(weeks[0] - 0.5, weeks[-1] + 0.5)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(_text(lang, "axis_week"))
    ax.set_ylabel(ylabel)
    ax.tick_params(colors=MUTED)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, borderaxespad=0.2)
    return fig


def tracking_svg(tracking, lang: str = "en", *, cumulative: bool = False) -> str:
    """Weekly (or cumulative) repeat purchases, actual and expected, across both periods."""
    weeks = tracking["week"].to_numpy(dtype=float)
    split = float((tracking["period"] == "calibration").sum()) + 0.5
    suffix = "_cumulative" if cumulative else ""
    key = "section_cumulative" if cumulative else "section_tracking"
    return _render(_lines, weeks, tracking[f"actual{suffix}"].to_numpy(dtype=float),
                   tracking[f"expected{suffix}"].to_numpy(dtype=float), split, lang,
                   _text(lang, "axis_cumulative" if cumulative else "axis_per_week"),
                   chart_id="clv-cum" if cumulative else "clv-weekly", title=_text(lang, key))


def conditional_svg(conditional, lang: str = "en") -> str:
    """Mean holdout purchases by calibration frequency, actual and predicted."""
    return _render(_bars, conditional["actual_mean"].to_numpy(dtype=float),
                   conditional["predicted_mean"].to_numpy(dtype=float),
                   conditional["calibration_frequency"].tolist(), lang,
                   _text(lang, "axis_calibration_frequency"), _text(lang, "axis_holdout_mean"),
                   chart_id="clv-cond", title=_text(lang, "section_conditional"))


# -- tables ---------------------------------------------------------------------------------

def _digits(value: float) -> int:
    value = abs(float(value))
    return 2 if value >= 100 else (3 if value >= 0.01 else 4)


def _params_table(model: dict, lang: str, caption: str) -> Table:
    rows = [[name, format_number(value, _digits(value)),
             format_number(model["standard_errors"].get(name), _digits(value))]
            for name, value in model["params"].items()]
    return Table([Column(_text(lang, "col_parameter"), code=True),
                  Column(_text(lang, "col_estimate"), True), Column(_text(lang, "col_se"), True)],
                 rows, caption=caption, narrow=True)


def _candidates_table(model: dict, lang: str) -> Table:
    rows = [[c["title"], format_number(c["log_likelihood"], 1), format_number(c["aic"], 1),
             format_number(c["bic"], 1), format_number(c["histogram_chi2"], 1),
             _text(lang, "yes") if c["model"] == model["model"] else _text(lang, "no")]
            for c in model["candidates"]]
    return Table([Column(_text(lang, "col_model")), Column(_text(lang, "col_ll"), True),
                  Column(_text(lang, "col_aic"), True), Column(_text(lang, "col_bic"), True),
                  Column(_text(lang, "col_chi2"), True), Column(_text(lang, "col_chosen"))],
                 rows, caption=_text(lang, "caption_candidates"), narrow=True)


def clv_model_sections(run_info: dict, lang: str) -> list[Section]:
    """The purchase-model section of the main report, from the CLV stage's run summary
    (``run_info["stages"]["clv"]``); empty when the run has no CLV stage."""
    info = (run_info.get("stages") or {}).get("clv")
    if not info:
        return []
    title = _text(lang, "section_model")
    if info.get("status") != "fitted":
        return [Section("clv-model", title, _text(lang, "note_no_model",
                                                  message=str(info.get("message", "")).rstrip(".")))]
    model = info["model"]
    note = _text(lang, "note_model", model=model["title"], customers=format_int(model["n_customers"]),
                 unit=_text(lang, f"unit_{info.get('time_unit', 'week')}"), reason=_reason(model, lang))
    tables = [_params_table(model, lang, _text(lang, "caption_params")),
              _candidates_table(model, lang)]
    spend = info.get("spend_model") or {}
    if spend.get("params"):
        tables.append(_params_table(spend, lang, _text(lang, "caption_spend", model=spend["title"])))
    svg = frequency_fit_svg(model["histogram_actual"], model["histogram_expected"], lang)
    return [Section("clv-model", title, note, [svg], tables)]


def _clv(results: RunResults) -> Content | None:
    customers, labels, symbol = results.buyers, results.labels, results.symbol
    if "clv" not in customers.columns or results.run_info.get("amounts"):
        return None  # no CLV, or a purchase log without amounts: no money to value
    top = float(results.pareto.get("top_share", 0.2))
    clv = pd.to_numeric(customers["clv"], errors="coerce")
    svg = charts.distribution_svg(clv, labels, axis_key="axis_clv", chart_id="clv",
                                  title=labels["section_clv"], symbol=symbol)
    share = top_share_of(clv, top)
    rows = [[labels["stat_total"], format_money(clv.sum(), symbol)],
            [labels["stat_mean"], format_money(clv.mean(), symbol)],
            [labels["stat_median"], format_money(clv.median(), symbol)],
            [labels["stat_p90"], format_money(clv.quantile(0.9), symbol)],
            [labels.fmt("stat_top", top=format_percent(top)), format_percent(share, 1)]]
    table = Table([Column(labels["col_statistic"]), Column(labels["col_amount"], True)], rows,
                  narrow=True)
    return Content(labels["note_clv"], [svg], [table])


def _alive(results: RunResults) -> Content | None:
    customers, labels = results.buyers, results.labels
    if "probability_alive" not in customers.columns:
        return None
    alive = pd.to_numeric(customers["probability_alive"], errors="coerce")
    svg = charts.distribution_svg(alive, labels, axis_key="axis_probability_alive",
                                  chart_id="alive", title=labels["section_alive"],
                                  money=False, bounds=(0.0, 1.0))
    rows = [[labels["stat_mean_probability"], format_percent(alive.mean(), 1)],
            [labels["stat_below_half"], format_percent((alive < 0.5).mean(), 1)]]
    table = Table([Column(labels["col_statistic"]), Column(labels["col_amount"], True)], rows,
                  narrow=True)
    return Content(labels["note_alive"], [svg], [table])


def _model(results: RunResults) -> Content | None:
    sections = clv_model_sections(results.run_info, results.lang)
    if not sections:
        return None
    (section,) = sections
    return Content(section.note, section.charts, section.tables)


SECTIONS = (
    ReportSection("clv", {lang: LABELS[lang]["section_clv"] for lang in LANGUAGES}, 60, _clv),
    ReportSection("alive", {lang: LABELS[lang]["section_alive"] for lang in LANGUAGES}, 70,
                  _alive),
    ReportSection("clv-model", {lang: CLV_TEXT[lang]["section_model"] for lang in LANGUAGES}, 90,
                  _model),
)


# -- the validation report ------------------------------------------------------------------

def render_validation_report(validation, *, lang: str = "en", created: str = "") -> str:
    """The self-contained HTML report of a :class:`~cvm.models.validation.HoldoutValidation`."""
    labels = labels_for(lang)
    m = validation.metrics
    model = validation.choice.as_dict()
    error = format_percent(m["total_error_share"], 1)
    if m["total_error_share"] > 0:
        error = "+" + error
    figures = [KeyFigure(_text(lang, "kpi_actual"), format_int(m["actual_total"])),
               KeyFigure(_text(lang, "kpi_predicted"), format_number(m["predicted_total"], 1)),
               KeyFigure(_text(lang, "kpi_error"), error),
               KeyFigure(_text(lang, "kpi_mae"), format_number(m["mae"], 3)),
               KeyFigure(_text(lang, "kpi_rmse"), format_number(m["rmse"], 3)),
               KeyFigure(_text(lang, "kpi_bias"), format_number(m["bias"], 3))]
    sentences = [
        _text(lang, "sum_total", customers=format_int(m["customers"]),
              calibration=validation.calibration_end.isoformat(),
              holdout=validation.holdout_end.isoformat(), actual=format_int(m["actual_total"]),
              predicted=format_number(m["predicted_total"], 1), error=error),
        _text(lang, "sum_errors", mae=format_number(m["mae"], 3),
              rmse=format_number(m["rmse"], 3), bias=format_number(m["bias"], 3)),
        _text(lang, "sum_fit", model=model["title"],
              ll=format_number(model["log_likelihood"], 1), bic=format_number(model["bic"], 1)),
        _reason(model, lang),
    ]
    cond = validation.conditional
    cond_table = Table(
        [Column(_text(lang, "col_bin")), Column(_text(lang, "col_customers"), True),
         Column(_text(lang, "col_actual_mean"), True), Column(_text(lang, "col_predicted_mean"), True)],
        [[r.calibration_frequency, format_int(r.customers), format_number(r.actual_mean, 3),
          format_number(r.predicted_mean, 3)] for r in cond.itertuples(index=False)], narrow=True)
    sections = [
        Section("tracking", _text(lang, "section_tracking"), _text(lang, "note_tracking"),
                [tracking_svg(validation.tracking, lang)]),
        Section("cumulative", _text(lang, "section_cumulative"), None,
                [tracking_svg(validation.tracking, lang, cumulative=True)]),
        Section("conditional", _text(lang, "section_conditional"), _text(lang, "note_conditional"),
                [conditional_svg(cond, lang)], [cond_table]),
        Section("fit", _text(lang, "section_fit"), _reason(model, lang),
                [frequency_fit_svg(model["histogram_actual"], model["histogram_expected"], lang)],
                [_params_table(model, lang, _text(lang, "caption_params")),
                 _candidates_table(model, lang)]),
    ]
    meta = [(_text(lang, "meta_calibration"), validation.calibration_end.isoformat()),
            (_text(lang, "meta_holdout"), validation.holdout_end.isoformat()),
            (_text(lang, "meta_model"), model["title"])]
    if created:
        meta.append((_text(lang, "meta_created"), created))
    return environment().get_template("report.html.j2").render(
        lang="zh-CN" if lang == "zh" else "en", labels=labels,
        title=_text(lang, "title_validation"), meta=meta, figures=figures, sources=None,
        reasons=[], no_rejects=False, sentences=sentences, sections=sections, footer=created,
        **page_styles())
