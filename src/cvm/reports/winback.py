"""The report's churn and win-back section: how the run's churn risk is spread, how well the
same computation matched what customers did in the horizon before the as-of date, and the
customers most worth winning back with their value and cost (read from the run: the churn
stage's columns and ``run_info["stages"]["churn"]``) through :mod:`cvm.insights.churn`, the
same functions the dashboard's churn page and the REST API read."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..insights.churn import churn_figures, winback_rows
from .formatting import format_int, format_money, format_percent
from .sections import Column, Content, ReportSection, RunResults, Table

__all__ = ["SECTIONS"]

TOP = 10

_WORDS = {
    "en": {
        "note": ("Churn risk is the probability of no purchase in the next {h} days, from the "
                 "{model} score calibrated on the {w} days before the as-of date. "),
        "checked": ("Fitted on the data up to {end} and compared with the {h} days after it: "
                    "AUC {auc}, expected calibration error {ece}, {rate} of those customers "
                    "made no purchase. "),
        "sampled": ("The check looked at a random sample of {n} of the {known} customers "
                    "who had bought by then (its figures differ from those of a check of "
                    "every customer by a few thousandths). "),
        "fit_sample": ("The models learnt from a sample of {n} of the {known} buyers; every "
                       "buyer is scored. "),
        "not_checked": "Not checked against a holdout: {note}. ",
        "winback": ("{n} customers are churned or at risk (risk at least {at}); {worth} of them "
                    "are worth a win-back contact (win-back value above zero), together {total}. "
                    "Win-back value = P(returns) × value expected after return − contact cost "
                    "({cost}); P(returns) is the share of customers silent as long, in the same "
                    "value tier, who came back in earlier periods. The list ranks them by the "
                    "better of the win-back value and, for a customer who complained, the "
                    "service recovery value; its last columns say what each is offered (a "
                    "customer the lifecycle still counts as current is told to retain, a "
                    "churned one to win back)."),
        "risk": "Churn risk", "customers": "Customers", "share": "Share",
        "predicted": "Predicted", "observed": "Observed churn",
        "cal_caption": "Calibration on the holdout: predicted risk against the observed rate",
        "risk_caption": "Customers by churn risk",
        "customer": "Customer", "p_return": "P(returns)", "value": "Value after return",
        "cost": "Contact cost", "col_winback": "Win-back value",
        "col_action": "Recommended action", "reason": "Why",
        "top_caption": "The customers most worth winning back",
    },
    "zh": {
        "note": "流失风险是未来 {h} 天内不再购买的概率,来自{model}评分,并按截止日前 {w} 天的实际情况校准。",
        "checked": ("用截至 {end} 的数据拟合,并与其后 {h} 天的实际情况比较:AUC {auc},"
                    "期望校准误差 {ece},这些客户中 {rate} 未再购买。"),
        "sampled": ("检验随机抽取了当时已有购买的 {known} 位客户中的 {n} 位"
                    "(与检验全部客户相比,各项指标相差千分之几)。"),
        "fit_sample": "模型从 {known} 位购买客户中抽取的 {n} 位学习,全部购买客户均已评分。",
        "not_checked": "未用留出期检验:{note}。",
        "winback": ("{n} 位客户已流失或有流失风险(风险不低于 {at}),其中 {worth} 位值得赢回"
                    "(赢回价值大于零),合计 {total}。赢回价值 = 回归概率 × 回归后预期价值 − "
                    "联系成本({cost});回归概率是以往沉默同样久、价值层级相同的客户中回来的比例。"
                    "名单按赢回价值与(对投诉过的客户)服务补救价值中较高者排序;最后几列是向每位"
                    "客户建议的行动(生命周期仍属当前客户的为挽留,已流失的为赢回)。"),
        "risk": "流失风险", "customers": "客户数", "share": "占比",
        "predicted": "预测", "observed": "实际流失率",
        "cal_caption": "留出期校准:预测风险与实际流失率",
        "risk_caption": "按流失风险分布的客户",
        "customer": "客户", "p_return": "回归概率", "value": "回归后价值",
        "cost": "联系成本", "col_winback": "赢回价值", "col_action": "建议行动",
        "reason": "原因",
        "top_caption": "最值得赢回的客户",
    },
}

def _render(results: RunResults) -> Content | None:
    stage = (results.run_info.get("stages") or {}).get("churn") or {}
    figures = churn_figures(stage, results.lang)
    if not figures["available"] or "churn_risk" not in results.buyers.columns:
        return None
    lang, w, sym = results.lang, _WORDS[results.lang], results.symbol
    note = w["note"].format(h=figures["horizon_days"], model=figures["model_title"],
                            w=figures["window_days"])
    if figures["fit_sample"]:
        note += w["fit_sample"].format(n=format_int(figures["fit_sample"]["customers"]),
                                       known=format_int(figures["fit_sample"]["sampled_from"]))
    validation = figures["validation"]
    tables = []
    if validation["available"]:
        note += w["checked"].format(end=validation["calibration_end"], h=figures["horizon_days"],
                                    auc=f"{validation['auc']:.3f}",
                                    ece=f"{validation['ece']:.3f}",
                                    rate=format_percent(validation["holdout_churn_rate"]))
        if validation.get("sampled_from"):
            note += w["sampled"].format(n=format_int(validation["customers"]),
                                        known=format_int(validation["sampled_from"]))
        tables.append(Table(
            [Column(w["risk"]), Column(w["customers"], numeric=True),
             Column(w["predicted"], numeric=True), Column(w["observed"], numeric=True)],
            [[f"{b['bin_low']:.1f}–{b['bin_high']:.1f}", format_int(b["customers"]),
              format_percent(b["mean_score"]), format_percent(b["churn_rate"])]
             for b in validation["calibration_bins"]], caption=w["cal_caption"], narrow=True))
    else:
        note += w["not_checked"].format(note=validation["reason"])
    tables.insert(0, Table(
        [Column(w["risk"]), Column(w["customers"], numeric=True),
         Column(w["share"], numeric=True)],
        [[f"{b['from']:.1f}–{b['to']:.1f}", format_int(b["customers"]),
          format_percent(b["share"])] for b in figures["risk_histogram"]],
        caption=w["risk_caption"], narrow=True))
    buyers = results.buyers
    if "winback_rank" in buyers.columns and figures["winback_value_total"] is not None:
        cost = figures["contact_cost"]
        note += w["winback"].format(n=format_int(figures["at_risk_customers"]),
                                    at=figures["at_risk"],
                                    worth=format_int(figures["winback_worth_contacting"]),
                                    total=format_money(figures["winback_value_total"], sym),
                                    cost=format_money(cost, sym))
        # ranks are shared by ties at the better rank, so the first TOP in rank order all
        # rank TOP or better: only those rows are sorted
        ranks = pd.to_numeric(buyers["winback_rank"]).to_numpy(dtype=float, na_value=np.nan)
        top = winback_rows(buyers[ranks <= TOP], lang, contact_cost=cost, limit=TOP)
        if top:
            tables.append(Table(
                [Column(w["customer"], code=True), Column(w["risk"], numeric=True),
                 Column(w["p_return"], numeric=True), Column(w["value"], numeric=True),
                 Column(w["cost"], numeric=True), Column(w["col_winback"], numeric=True),
                 Column(w["col_action"]), Column(w["reason"])],
                [[str(r["customer_id"]), format_percent(r["churn_risk"]), format_percent(
                    r["winback_probability"]), format_money(r["value_after_return"], sym),
                  format_money(r["contact_cost"], sym),
                  format_money(r["winback_value"], sym),
                  r.get("recommended_action") or "—", r["churn_reason"]]
                 for r in top], caption=w["top_caption"]))
    return Content(note=note, tables=tables)


SECTIONS = (ReportSection("churn", {"en": "Churn risk and win-back", "zh": "流失风险与赢回"},
                          75, _render),)
