"""The report's cross-sell and uplift sections, read from the run's cross-sell and uplift stages
(``run_info["stages"]["cross_sell"]`` and ``["uplift"]``): the strongest basket rules and the
next best offers of the playbook's cross-sell and up-sell customers; the uplift models' held-out
Qini curve, Qini AUC and uplift@k, and how many current customers fall in each uplift group."""

from __future__ import annotations

import numpy as np

from cvm.reports.charts import BLUE, GREEN, MUTED, _figure, _render, _style

from .formatting import format_int, format_money, format_number, format_percent
from .sections import Column, Content, ReportSection, RunResults, Table

__all__ = ["SECTIONS"]

_WORDS = {
    "en": {
        "cross_note": ("{orders} orders of {products} products give {rules} rules (FP-growth, "
                       "support at least {s}, confidence at least {c}); lift above 1 means the "
                       "consequent is bought more often with the antecedent than without. "),
        "offer_note": ("The playbook tells {n} customers to cross-sell or up-sell; each is offered "
                       "the product not yet bought with the highest expected margin × "
                       "probability of purchase, together {total} of expected margin."),
        "antecedent": "Bought", "consequent": "Also bought", "support": "Support",
        "confidence": "Confidence", "lift": "Lift", "rules_caption": "The strongest rules",
        "customer": "Customer", "action": "Action", "offer": "Next best offer",
        "probability": "P(buys)", "margin": "Expected margin", "value": "Expected value",
        "offers_caption": "Next best offers, highest expected value first",
        "cross_sell": "cross-sell", "up_sell": "up-sell",
        "uplift_note": ("A past campaign ({file}) reached {treated} customers and held back "
                        "{control}: {rt} of the contacted and {rc} of the others bought, an "
                        "average effect of {ate} (what targeting at random gets). The uplift "
                        "models learn who buys because of the contact; on {held} held-out "
                        "customers the {model} orders best. "),
        "uplift_targets": ("Scored now: {p} persuadable customers to target; skip {s} sure "
                           "things, {l} lost causes and {d} do-not-disturbs."),
        "model": "Model", "qini_auc": "Qini AUC", "at": "Uplift@{k} %",
        "two_model": "two-model", "class_transformation": "class transformation",
        "uplift_caption": "Held-out figures (uplift@k: response of the contacted minus the "
                          "control's among the k % with the highest predicted uplift)",
        "chart": "Qini curve: extra buyers when the top customers are contacted",
        "perfect": "perfect order", "random": "random", "x": "Customers contacted",
    },
    "zh": {
        "cross_note": ("{orders} 笔订单、{products} 种商品得出 {rules} 条关联规则(FP-growth,"
                       "支持度不低于 {s},置信度不低于 {c});提升度大于 1 表示买了前项的顾客更常"
                       "同时买后项。"),
        "offer_note": ("策略手册建议对 {n} 位客户交叉销售或向上销售;每位推荐尚未购买、"
                       "预期毛利 × 购买概率最高的商品,预期毛利合计 {total}。"),
        "antecedent": "已购", "consequent": "同时购买", "support": "支持度",
        "confidence": "置信度", "lift": "提升度", "rules_caption": "最强的关联规则",
        "customer": "客户", "action": "行动", "offer": "下一个最佳推荐",
        "probability": "购买概率", "margin": "预期毛利", "value": "预期价值",
        "offers_caption": "下一个最佳推荐(按预期价值从高到低)",
        "cross_sell": "交叉销售", "up_sell": "向上销售",
        "uplift_note": ("以往一次营销活动({file})触达 {treated} 位客户、留出 {control} 位作对照:"
                        "触达组 {rt} 购买,对照组 {rc} 购买,平均效应 {ate}(即随机选人的效果)。"
                        "增益模型学习谁因触达而购买;在 {held} 位留出客户上,{model}排序最好。"),
        "uplift_targets": ("当前客户评分:{p} 位可说服客户值得触达;跳过 {s} 位必然购买、"
                           "{l} 位无望购买和 {d} 位勿扰客户。"),
        "model": "模型", "qini_auc": "Qini AUC", "at": "前 {k}% 增益",
        "two_model": "双模型", "class_transformation": "类别转换",
        "uplift_caption": "留出集指标(前 k% 增益:预测增益最高的 k% 客户中触达组与对照组购买率之差)",
        "chart": "Qini 曲线:触达得分最高的客户带来的额外购买",
        "perfect": "完美排序", "random": "随机", "x": "触达客户数",
    },
}


def _cross_sell(results: RunResults) -> Content | None:
    s = (results.run_info.get("stages") or {}).get("cross_sell") or {}
    if not s.get("rules") and not s.get("top_rules"):
        return None
    w, sym = _WORDS[results.lang], results.symbol
    note = w["cross_note"].format(orders=format_int(s["orders"]),
                                  products=format_int(s["products"]),
                                  rules=format_int(s["rules"]), s=format_percent(s["min_support"]),
                                  c=format_percent(s["min_confidence"]))
    tables = [Table(
        [Column(w["antecedent"]), Column(w["consequent"]), Column(w["support"], numeric=True),
         Column(w["confidence"], numeric=True), Column(w["lift"], numeric=True)],
        [[r["antecedent"], r["consequent"], format_percent(r["support"], 1),
          format_percent(r["confidence"]), format_number(r["lift"], 2)]
         for r in s["top_rules"]], caption=w["rules_caption"])]
    if s.get("top_offers"):
        note += w["offer_note"].format(n=format_int(s["offer_customers"]),
                                       total=format_money(s["offer_value_total"], sym))
        tables.append(Table(
            [Column(w["customer"], code=True), Column(w["action"]), Column(w["offer"]),
             Column(w["probability"], numeric=True), Column(w["margin"], numeric=True),
             Column(w["value"], numeric=True)],
            [[r["customer_id"], w.get(r["recommended_action"], r["recommended_action"]),
              r["next_best_offer"] or "—", format_percent(r["probability_offer_purchase"]),
              format_money(r["expected_offer_margin"], sym),
              format_money(r["expected_offer_value"], sym)] for r in s["top_offers"]],
            caption=w["offers_caption"]))
    return Content(note=note, tables=tables)


def _qini_svg(curves: dict, chosen: str, w: dict) -> str:
    def draw():
        fig = _figure(7.5, 3.4)
        ax = fig.add_subplot()
        model = np.asarray(curves[chosen], dtype=float)
        perfect = np.asarray(curves["perfect"], dtype=float)
        ax.plot(perfect[:, 0], perfect[:, 1], color=GREEN, linewidth=1.2, linestyle="--",
                label=w["perfect"])
        ax.plot(model[:, 0], model[:, 1], color=BLUE, linewidth=2, label=w[chosen])
        ax.plot([0, perfect[-1, 0]], [0, perfect[-1, 1]], color=MUTED, linewidth=1,
                label=w["random"])
        ax.set_xlabel(w["x"])
        ax.legend(frameon=False, fontsize=8.5, loc="upper left")
        _style(ax)
        return fig

    return _render(draw, chart_id="qini_curve", title=w["chart"])


def _uplift(results: RunResults) -> Content | None:
    s = (results.run_info.get("stages") or {}).get("uplift") or {}
    if not s.get("models"):
        return None
    w = _WORDS[results.lang]
    note = w["uplift_note"].format(
        file=s["campaign"], treated=format_int(s["treated"]), control=format_int(s["control"]),
        rt=format_percent(s["response_treated"], 1), rc=format_percent(s["response_control"], 1),
        ate=format_percent(s["average_uplift"], 1), held=format_int(s["held_out"]),
        model=w[s["chosen"]])
    seg = s.get("segments") or {}
    note += w["uplift_targets"].format(p=format_int(seg.get("persuadable", 0)),
                                       s=format_int(seg.get("sure_thing", 0)),
                                       l=format_int(seg.get("lost_cause", 0)),
                                       d=format_int(seg.get("do_not_disturb", 0)))
    ks = (10, 30, 50)
    table = Table(
        [Column(w["model"]), Column(w["qini_auc"], numeric=True)]
        + [Column(w["at"].format(k=k), numeric=True) for k in ks],
        [[w[name], format_number(m["qini_auc"], 3)]
         + [format_percent(m[f"uplift_at_{k}"], 1) for k in ks]
         for name, m in s["models"].items()],
        caption=w["uplift_caption"], narrow=True)
    charts = [_qini_svg(s["curves"], s["chosen"], w)] if s.get("curves") else []
    return Content(note=note, charts=charts, tables=[table])


SECTIONS = (
    ReportSection("cross-sell", {"en": "Cross-sell: what is bought together",
                                 "zh": "交叉销售:一起购买的商品"}, 140, _cross_sell),
    ReportSection("uplift", {"en": "Uplift: whom a campaign moves", "zh": "增益:营销打动谁"},
                  145, _uplift),
)
