"""The report's churn and win-back section: how the run's churn risk is spread, how well the
same computation matched what customers did in the horizon before the as-of date, and the
customers most worth winning back with their value and cost (read from the run: the churn
stage's columns and ``run_info["stages"]["churn"]``)."""

from __future__ import annotations

import pandas as pd

from ..models.churn_reason import churn_reason
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
        "not_checked": "Not checked against a holdout: {note}. ",
        "winback": ("{n} customers are churned or at risk (risk at least {at}); {worth} of them "
                    "are worth a win-back contact (win-back value above zero), together {total}. "
                    "Win-back value = P(returns) × value expected after return − contact cost "
                    "({cost}); P(returns) is the share of customers silent as long, in the same "
                    "value tier, who came back in earlier periods."),
        "risk": "Churn risk", "customers": "Customers", "share": "Share",
        "predicted": "Predicted", "observed": "Observed churn",
        "cal_caption": "Calibration on the holdout: predicted risk against the observed rate",
        "risk_caption": "Customers by churn risk",
        "customer": "Customer", "p_return": "P(returns)", "value": "Value after return",
        "cost": "Contact cost", "col_winback": "Win-back value", "reason": "Why",
        "top_caption": "The customers most worth winning back",
    },
    "zh": {
        "note": "流失风险是未来 {h} 天内不再购买的概率,来自{model}评分,并按截止日前 {w} 天的实际情况校准。",
        "checked": ("用截至 {end} 的数据拟合,并与其后 {h} 天的实际情况比较:AUC {auc},"
                    "期望校准误差 {ece},这些客户中 {rate} 未再购买。"),
        "not_checked": "未用留出期检验:{note}。",
        "winback": ("{n} 位客户已流失或有流失风险(风险不低于 {at}),其中 {worth} 位值得赢回"
                    "(赢回价值大于零),合计 {total}。赢回价值 = 回归概率 × 回归后预期价值 − "
                    "联系成本({cost});回归概率是以往沉默同样久、价值层级相同的客户中回来的比例。"),
        "risk": "流失风险", "customers": "客户数", "share": "占比",
        "predicted": "预测", "observed": "实际流失率",
        "cal_caption": "留出期校准:预测风险与实际流失率",
        "risk_caption": "按流失风险分布的客户",
        "customer": "客户", "p_return": "回归概率", "value": "回归后价值",
        "cost": "联系成本", "col_winback": "赢回价值", "reason": "原因",
        "top_caption": "最值得赢回的客户",
    },
}

_MODEL_ZH = {"paretonbd": "Pareto/NBD", "bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD",
             "recency": "最近购买规则", "gradient_boosting": "梯度提升", "logistic": "逻辑回归"}
_MODEL_EN = {"paretonbd": "Pareto/NBD", "bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD",
             "recency": "recency rule", "gradient_boosting": "gradient boosting",
             "logistic": "logistic regression"}


def _render(results: RunResults) -> Content | None:
    churn = (results.run_info.get("stages") or {}).get("churn") or {}
    if churn.get("status") != "scored" or "churn_risk" not in results.buyers.columns:
        return None
    lang, w, sym = results.lang, _WORDS[results.lang], results.symbol
    names = _MODEL_ZH if lang == "zh" else _MODEL_EN
    note = w["note"].format(h=churn["horizon_days"], model=names.get(churn["chosen"],
                                                                      churn["chosen"]),
                            w=churn["window_days"])
    validation = churn.get("validation") or {}
    tables = []
    if validation.get("status") == "validated":
        r = validation["churn_risk"]
        note += w["checked"].format(end=validation["calibration_end"], h=churn["horizon_days"],
                                    auc=f"{r['auc']:.3f}", ece=f"{r['ece']:.3f}",
                                    rate=format_percent(validation["holdout_churn_rate"]))
        tables.append(Table(
            [Column(w["risk"]), Column(w["customers"], numeric=True),
             Column(w["predicted"], numeric=True), Column(w["observed"], numeric=True)],
            [[f"{b['bin_low']:.1f}–{b['bin_high']:.1f}", format_int(b["customers"]),
              format_percent(b["mean_score"]), format_percent(b["churn_rate"])]
             for b in validation["calibration_bins"]], caption=w["cal_caption"], narrow=True))
    else:
        text = validation.get("note_zh" if lang == "zh" else "note") or ""
        note += w["not_checked"].format(note=text)
    scored = churn.get("customers_scored") or 0
    dist = churn.get("risk_distribution") or []
    tables.insert(0, Table(
        [Column(w["risk"]), Column(w["customers"], numeric=True),
         Column(w["share"], numeric=True)],
        [[f"{b['from']:.1f}–{b['to']:.1f}", format_int(b["customers"]),
          format_percent(b["customers"] / scored if scored else 0)] for b in dist],
        caption=w["risk_caption"], narrow=True))
    buyers = results.buyers
    if "winback_rank" in buyers.columns:
        note += w["winback"].format(n=format_int(churn.get("at_risk_customers", 0)),
                                    at=churn.get("at_risk"),
                                    worth=format_int(churn.get("winback_worth_contacting", 0)),
                                    total=format_money(churn.get("winback_value_total", 0), sym),
                                    cost=format_money(churn.get("contact_cost", 0), sym))
        top = buyers[buyers["winback_rank"].notna()].sort_values(
            ["winback_rank", "customer_id"]).head(TOP)
        if len(top):
            reasons = _reasons(top, lang)
            tables.append(Table(
                [Column(w["customer"], code=True), Column(w["risk"], numeric=True),
                 Column(w["p_return"], numeric=True), Column(w["value"], numeric=True),
                 Column(w["cost"], numeric=True), Column(w["col_winback"], numeric=True),
                 Column(w["reason"])],
                [[str(r.customer_id), format_percent(r.churn_risk), format_percent(
                    r.winback_probability), format_money(r.value_after_return, sym),
                  format_money(churn.get("contact_cost", 0), sym),
                  format_money(r.winback_value, sym), reason]
                 for r, reason in zip(top.itertuples(), reasons)], caption=w["top_caption"]))
    return Content(note=note, tables=tables)


SECTIONS = (ReportSection("churn", {"en": "Churn risk and win-back", "zh": "流失风险与赢回"},
                          75, _render),)


def _reasons(top: pd.DataFrame, lang: str) -> list[str]:
    """The churn reason in the report's language, worded again from the numbers the run
    stored with it (the stored sentence is in the language the run was made in)."""
    needed = ("recency_days", "frequency", "churn_gap_days", "churn_recent_spend",
              "churn_prior_spend")
    if not all(c in top.columns for c in needed):
        return [str(r or "") for r in top.get("churn_reason", pd.Series([""] * len(top)))]
    frame = pd.DataFrame({
        "recency_days": pd.to_numeric(top["recency_days"]).to_numpy(float),
        "frequency": pd.to_numeric(top["frequency"]).to_numpy(float),
        "mean_gap_days": pd.to_numeric(top["churn_gap_days"]).to_numpy(float),
        "recent_spend": pd.to_numeric(top["churn_recent_spend"]).to_numpy(float),
        "prior_spend": pd.to_numeric(top["churn_prior_spend"]).to_numpy(float)})
    return churn_reason(frame, lang).tolist()
