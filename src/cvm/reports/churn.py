"""The churn validation report of ``cvm churn validate``: every candidate's figures on the
holdout, the calibration plot and the decile chart of the chosen churn risk, and why it was
chosen. Charts follow :mod:`cvm.reports.charts`; words are in :data:`CHURN_TEXT` (en, zh)."""

from __future__ import annotations

import numpy as np

from cvm.models.churn import CANDIDATE_TITLES, CANDIDATE_TITLES_ZH
from cvm.reports.charts import BLUE, GREY, ORANGE, _figure, _render, _style
from cvm.reports.formatting import format_int, format_number, format_percent
from cvm.reports.page import environment, page_styles
from cvm.reports.sections import Column, Section, Table
from cvm.reports.labels import labels_for

__all__ = ["CHURN_TEXT", "render_churn_report", "calibration_svg", "decile_svg"]

CHURN_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Churn risk validation",
        "meta_calibration": "Calibration to", "meta_holdout": "Holdout to",
        "meta_horizon": "Horizon", "meta_created": "Created", "days": "{n} days",
        "kpi_auc": "AUC", "kpi_pr": "PR-AUC", "kpi_lift": "Lift at 10 %", "kpi_brier": "Brier",
        "kpi_ece": "Calibration error (ECE)", "kpi_rate": "Churned in holdout",
        "sum_total": ("{customers} customers bought on or before {calibration}; {rate} of them "
                      "made no purchase in the {horizon} days that followed (to {holdout})."),
        "sum_risk": ("churn_risk ({model}, calibrated) ranks them with AUC {auc} and predicts "
                     "{mean} on average against {rate} observed (calibration error {ece})."),
        "sum_sampled": ("They are a random sample of {customers} of the {known} customers who "
                        "had bought by then; the figures differ from those of a check of every "
                        "customer by a few thousandths."),
        "sum_horizon": "Horizon: {horizon} days ({rule}).",
        "section_candidates": "Candidates on the holdout",
        "note_candidates": ("Each candidate's own probability of no purchase in the horizon "
                            "(score) and its calibrated version. ECE: {binning}. The default is "
                            "chosen before the holdout is seen; the holdout then checks it."),
        "col_candidate": "Candidate", "col_auc": "AUC", "col_pr": "PR-AUC",
        "col_lift": "Lift at 10 %", "col_brier": "Brier", "col_ece": "ECE",
        "col_cal_brier": "Brier, calibrated", "col_cal_ece": "ECE, calibrated",
        "col_window_auc": "AUC on the window", "col_chosen": "Chosen", "yes": "yes",
        "section_calibration": "Calibration of churn_risk",
        "note_calibration": ("Customers in ten equal-width bins of churn_risk: the mean "
                             "predicted risk against the share who churned. On the diagonal, "
                             "0.7 means 70 %."),
        "axis_predicted": "Predicted churn risk", "axis_observed": "Share churned",
        "section_deciles": "Churn by risk decile",
        "note_deciles": ("Customers in ten equal groups by churn_risk, highest first: the "
                         "share who churned and the lift over the average."),
        "axis_decile": "Decile of churn_risk (1 = highest)", "axis_rate": "Share churned",
        "col_decile": "Decile", "col_customers": "Customers", "col_mean": "Mean risk",
        "col_rate": "Churned", "col_lift_d": "Lift",
        "col_bin": "Risk bin",
    },
    "zh": {
        "title": "流失风险验证",
        "meta_calibration": "校准期截至", "meta_holdout": "检验期截至",
        "meta_horizon": "预测期", "meta_created": "生成时间", "days": "{n} 天",
        "kpi_auc": "AUC", "kpi_pr": "PR-AUC", "kpi_lift": "前 10% 提升度", "kpi_brier": "Brier 分数",
        "kpi_ece": "校准误差 (ECE)", "kpi_rate": "检验期流失比例",
        "sum_total": ("{calibration} 及之前有购买的客户共 {customers} 位,其中 {rate} 在随后的 "
                      "{horizon} 天内(至 {holdout})没有再购买。"),
        "sum_risk": ("churn_risk({model},已校准)对他们排序的 AUC 为 {auc},平均预测流失率 "
                     "{mean},实际 {rate}(校准误差 {ece})。"),
        "sum_sampled": ("这些客户是从当时已有购买的 {known} 位客户中随机抽取的 {customers} 位;"
                        "与检验全部客户相比,各项指标相差千分之几。"),
        "sum_horizon": "预测期:{horizon} 天({rule})。",
        "section_candidates": "各候选模型在检验期的表现",
        "note_candidates": ("每个候选模型自身给出的预测期内不购买的概率(得分)及其校准后的版本。"
                            "ECE:{binning}。默认模型在看到检验期之前选定,检验期用来核对。"),
        "col_candidate": "候选模型", "col_auc": "AUC", "col_pr": "PR-AUC",
        "col_lift": "前 10% 提升度", "col_brier": "Brier", "col_ece": "ECE",
        "col_cal_brier": "校准后 Brier", "col_cal_ece": "校准后 ECE",
        "col_window_auc": "窗口期 AUC", "col_chosen": "采用", "yes": "是",
        "section_calibration": "churn_risk 的校准",
        "note_calibration": "按 churn_risk 分成十个等宽区间:平均预测风险与实际流失比例。"
                            "落在对角线上时,0.7 即 70%。",
        "axis_predicted": "预测流失风险", "axis_observed": "实际流失比例",
        "section_deciles": "按风险十分位的流失",
        "note_deciles": "按 churn_risk 从高到低分成十等份:每组实际流失比例及相对平均的提升度。",
        "axis_decile": "churn_risk 十分位(1 = 最高)", "axis_rate": "实际流失比例",
        "col_decile": "十分位", "col_customers": "客户数", "col_mean": "平均风险",
        "col_rate": "流失比例", "col_lift_d": "提升度",
        "col_bin": "风险区间",
    },
}

_BINNING_ZH = "按得分在 [0, 1] 上分成 10 个等宽区间,按各区间客户数加权"


def _text(lang: str, key: str, **values) -> str:
    return CHURN_TEXT[lang][key].format(**values)


def _calibration_chart(table, lang):
    fig = _figure(5.2, 4.2)
    ax = fig.add_subplot()
    _style(ax, grid="both")
    ax.plot([0, 1], [0, 1], color=GREY, linewidth=1, linestyle=":")
    size = 20 + 180 * table["customers"] / table["customers"].max()
    ax.scatter(table["mean_score"], table["churn_rate"], s=size, color=BLUE, zorder=3)
    ax.plot(table["mean_score"], table["churn_rate"], color=BLUE, linewidth=1.2)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(_text(lang, "axis_predicted"))
    ax.set_ylabel(_text(lang, "axis_observed"))
    return fig


def calibration_svg(table, lang: str = "en") -> str:
    """Reliability diagram: mean predicted risk against the churn share per bin."""
    return _render(_calibration_chart, table, lang, chart_id="churn-cal",
                   title=_text(lang, "section_calibration"))


def _decile_chart(deciles, overall, lang):
    fig = _figure(8, 3.2)
    ax = fig.add_subplot()
    _style(ax)
    x = deciles["decile"].to_numpy()
    ax.bar(x - 0.2, deciles["churn_rate"], width=0.4, color=BLUE, label=_text(lang, "col_rate"))
    ax.bar(x + 0.2, deciles["mean_score"], width=0.4, color=ORANGE, label=_text(lang, "col_mean"))
    ax.axhline(overall, color=GREY, linewidth=1, linestyle=":")
    ax.set_xticks(x, [str(int(v)) for v in x])
    ax.set_ylim(0, 1)
    ax.set_xlabel(_text(lang, "axis_decile"))
    ax.set_ylabel(_text(lang, "axis_rate"))
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, borderaxespad=0.2)
    return fig


def decile_svg(deciles, overall: float, lang: str = "en") -> str:
    """Churn share and mean predicted risk per decile of churn_risk."""
    return _render(_decile_chart, deciles, overall, lang, chart_id="churn-deciles",
                   title=_text(lang, "section_deciles"))


def _f(value: float, digits: int = 3) -> str:
    return format_number(value, digits) if np.isfinite(value) else "–"


def render_churn_report(validation, *, lang: str = "en", created: str = "") -> str:
    """The self-contained HTML page of a :class:`~cvm.models.churn_validation.ChurnValidation`."""
    from cvm.reports.summary import KeyFigure

    summary = validation.summary()
    titles = CANDIDATE_TITLES_ZH if lang == "zh" else CANDIDATE_TITLES
    risk = summary["churn_risk"]
    chosen = summary["chosen"]
    figures = [KeyFigure(_text(lang, "kpi_rate"), format_percent(summary["holdout_churn_rate"], 1)),
               KeyFigure(_text(lang, "kpi_auc"), _f(risk["auc"])),
               KeyFigure(_text(lang, "kpi_pr"), _f(risk["pr_auc"])),
               KeyFigure(_text(lang, "kpi_lift"), _f(risk["lift_at_10"], 2)),
               KeyFigure(_text(lang, "kpi_brier"), _f(risk["brier"])),
               KeyFigure(_text(lang, "kpi_ece"), _f(risk["ece"]))]
    rule = summary["horizon_rule"]
    if lang == "zh":
        rule = "指定" if rule == "given" else "相邻两次购买日间隔的第 90 百分位,向上取整到整周"
    sentences = [
        _text(lang, "sum_total", customers=format_int(summary["customers"]),
              calibration=summary["calibration_end"], rate=format_percent(
                  summary["holdout_churn_rate"], 1), horizon=summary["horizon_days"],
              holdout=summary["holdout_end"]),
        *([_text(lang, "sum_sampled", customers=format_int(summary["customers"]),
                 known=format_int(summary["sampled_from"]))] if summary.get("sampled_from")
          else []),
        _text(lang, "sum_risk", model=titles[chosen], auc=_f(risk["auc"]),
              mean=format_percent(risk["mean_score"], 1), rate=format_percent(risk["churn_rate"], 1),
              ece=_f(risk["ece"])),
        _text(lang, "sum_horizon", horizon=summary["horizon_days"], rule=rule),
        summary["reason_zh"] if lang == "zh" else summary["reason"],
    ]
    rows = []
    for name, m in summary["candidates"].items():
        s, c = m["score"], m["calibrated"]
        window = summary["window_figures"].get(name, {}).get("auc", float("nan"))
        rows.append([titles[name], _f(s["auc"]), _f(s["pr_auc"]), _f(s["lift_at_10"], 2),
                     _f(s["brier"]), _f(s["ece"]), _f(c["brier"]), _f(c["ece"]), _f(window),
                     _text(lang, "yes") if name == chosen else ""])
    cols = ["col_candidate", "col_auc", "col_pr", "col_lift", "col_brier", "col_ece",
            "col_cal_brier", "col_cal_ece", "col_window_auc", "col_chosen"]
    candidates = Table([Column(_text(lang, k), i > 0) for i, k in enumerate(cols)], rows)
    bins = validation.calibration_tables["churn_risk"]
    bin_table = Table(
        [Column(_text(lang, "col_bin")), Column(_text(lang, "col_customers"), True),
         Column(_text(lang, "col_mean"), True), Column(_text(lang, "col_rate"), True)],
        [[f"{r.bin_low:.1f}–{r.bin_high:.1f}", format_int(r.customers), _f(r.mean_score),
          _f(r.churn_rate)] for r in bins.itertuples(index=False)], narrow=True)
    deciles = validation.deciles["churn_risk"]
    decile_table = Table(
        [Column(_text(lang, k), i > 0) for i, k in enumerate(
            ["col_decile", "col_customers", "col_mean", "col_rate", "col_lift_d"])],
        [[str(r.decile), format_int(r.customers), _f(r.mean_score), _f(r.churn_rate),
          _f(r.lift, 2)] for r in deciles.itertuples(index=False)], narrow=True)
    binning = _BINNING_ZH if lang == "zh" else summary["ece_binning"]
    sections = [
        Section("candidates", _text(lang, "section_candidates"),
                _text(lang, "note_candidates", binning=binning), [], [candidates]),
        Section("calibration", _text(lang, "section_calibration"),
                _text(lang, "note_calibration"), [calibration_svg(bins, lang)], [bin_table]),
        Section("deciles", _text(lang, "section_deciles"), _text(lang, "note_deciles"),
                [decile_svg(deciles, summary["holdout_churn_rate"], lang)], [decile_table]),
    ]
    meta = [(_text(lang, "meta_calibration"), summary["calibration_end"]),
            (_text(lang, "meta_holdout"), summary["holdout_end"]),
            (_text(lang, "meta_horizon"), _text(lang, "days", n=summary["horizon_days"]))]
    if created:
        meta.append((_text(lang, "meta_created"), created))
    return environment().get_template("report.html.j2").render(
        lang="zh-CN" if lang == "zh" else "en", labels=labels_for(lang),
        title=_text(lang, "title"), meta=meta, figures=figures, sources=None, reasons=[],
        no_rejects=False, sentences=sentences, sections=sections, footer=created,
        **page_styles())
