"""Words of the lifecycle, composite value and matrix sections of the report, in English and
Simplified Chinese (both with the same keys; a test checks it), and the glossary of the columns
those stages add."""

from __future__ import annotations

__all__ = ["SEGMENT_TEXT", "SEGMENT_GLOSSARY", "QUADRANT_NAMES", "PHASE_NAMES", "TIER_NAMES",
           "ACTION_NAMES"]

SEGMENT_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "section_todo": "What to do: one page",
        "note_todo": ("The playbook's plan for each group of customers, most urgent first. "
                      "Expected gain per customer is response × average CLV − cost of the "
                      "action{clv_note}."),
        "note_todo_no_clv": "; without a CLV model it cannot be computed (shown as –)",
        "col_priority": "Priority", "col_cell": "Customers", "col_objective": "Objective",
        "col_actions": "Actions", "col_budget": "Budget rule", "col_n": "Number",
        "col_value_share": "% of {value}", "col_avg_clv": "Avg CLV",
        "col_cost": "Cost per customer", "col_gain": "Expected gain per customer",
        "col_gain_total": "Expected gain, total",
        "section_matrix": "Value × lifecycle matrix",
        "note_matrix": ("Customers by value group (rows) and relationship phase or stage "
                        "(columns): the number of customers and their share of {value}. "
                        "{scheme}"),
        "scheme_seed12": ("The 12 customer types of CRM practice: current and potential value "
                          "high (above {threshold}) or low × prospective, current, churned."),
        "scheme_tiers": "Three value tiers by {basis} × the lifecycle stages.",
        "matrix_cell": "{count}\n{share}",
        "section_quadrants": "Current and potential value",
        "note_quadrants": ("Each customer's current-value score against the potential-value "
                           "score (0–100), binned; lines at the thresholds. Weights ({method}): "
                           "{weights}. {credit}"),
        "credit_missing": ("There is no credit data, so every customer has the neutral credit "
                           "score ({neutral} of 10)."),
        "credit_from": "Credit from: {columns}.",
        "method_given": "given", "method_ahp": "analytic hierarchy process, CR {cr}",
        "method_entropy": "entropy weight method",
        "axis_current_score": "Current value score", "axis_potential_score": "Potential value score",
        "quadrant_counts": "{name}: {count}",
        "section_funnel": "Lifecycle funnel and stage economics",
        "note_funnel": ("Customers in each stage now, and what each stage brings: each of the "
                        "last {periods} periods of {period} days is booked to the stage the "
                        "customer was in during it — its {value}, and profit where margin or "
                        "cost is known, net of acquisition, service and contact costs. The "
                        "customer-lifecycle literature's curve: exploration costs more than it "
                        "earns, formation starts paying, stability pays most, an ended "
                        "relationship costs a little and earns nothing."),
        "chart_curve": "Per customer and period, by stage",
        "col_stage": "Stage", "col_revenue": "Revenue", "col_recent": "Last {period} days",
        "col_periods": "Customer-periods",
        "col_cost_total": "Cost", "col_profit": "Profit",
        "col_per_customer": "{Value} per customer and period",
        "col_profit_per_customer": "Profit per customer and period",
        "section_flows": "Stage flows",
        "note_flows": ("How customers moved between stages from one date to the next "
                       "({dates}). Customers without a purchase by a date count as prospects "
                       "then; churn at earlier dates is by recency alone."),
        "total": "Total",
        "group_value": "Value group", "group_life": "Phase / stage",
    },
    "zh": {
        "section_todo": "行动要点（一页纸）",
        "note_todo": "策略手册对各客户群的安排，按紧迫程度排序。每位客户的预期收益 = 响应率 × 平均客户终身价值 − 行动成本{clv_note}。",
        "note_todo_no_clv": "；没有客户终身价值模型时无法计算（显示为 –）",
        "col_priority": "优先级", "col_cell": "客户群", "col_objective": "目标",
        "col_actions": "行动", "col_budget": "预算规则", "col_n": "人数",
        "col_value_share": "{value}占比", "col_avg_clv": "平均终身价值",
        "col_cost": "每位客户成本", "col_gain": "每位客户预期收益",
        "col_gain_total": "预期收益合计",
        "section_matrix": "价值 × 生命周期矩阵",
        "note_matrix": "按价值分组（行）与关系阶段（列）划分的客户数及其{value}占比。{scheme}",
        "scheme_seed12": "客户关系管理实践中的 12 种客户类型：当前价值与潜在价值高（超过 {threshold} 分）或低 × 预期客户、现有客户、流失客户。",
        "scheme_tiers": "按{basis}划分的三个价值层级 × 生命周期阶段。",
        "matrix_cell": "{count}\n{share}",
        "section_quadrants": "当前价值与潜在价值",
        "note_quadrants": "每位客户的当前价值得分与潜在价值得分（0–100）分箱显示；直线为阈值。权重（{method}）：{weights}。{credit}",
        "credit_missing": "没有信用数据，因此所有客户的信用度均为中性分（{neutral} / 10）。",
        "credit_from": "信用度来自：{columns}。",
        "method_given": "用户给定", "method_ahp": "层次分析法，CR {cr}",
        "method_entropy": "熵权法",
        "axis_current_score": "当前价值得分", "axis_potential_score": "潜在价值得分",
        "quadrant_counts": "{name}：{count}",
        "section_funnel": "生命周期漏斗与各阶段经济效益",
        "note_funnel": "各阶段当前的客户数及各阶段的贡献：最近 {periods} 个 {period} 天周期，每个周期的{value}（以及有毛利或成本数据时扣除获取、服务和联系成本后的利润）计入客户在该周期所处的阶段。客户生命周期理论的曲线：考察期投入大于收入，形成期开始盈利，稳定期盈利最多，关系终止后有少许成本支出而无收益。",
        "chart_curve": "各阶段每位客户每周期的贡献",
        "col_stage": "阶段", "col_revenue": "收入", "col_recent": "最近 {period} 天",
        "col_periods": "客户周期数",
        "col_cost_total": "成本", "col_profit": "利润", "col_per_customer": "每位客户每周期{value}",
        "col_profit_per_customer": "每位客户每周期利润",
        "section_flows": "阶段流转",
        "note_flows": "客户在相邻日期之间的阶段流转（{dates}）。某日期前尚无购买的客户在当时计为潜在客户；较早日期的流失仅按最近购买间隔判断。",
        "total": "合计",
        "group_value": "价值分组", "group_life": "阶段",
    },
}

QUADRANT_NAMES = {
    "en": {"HH": "High current, high potential", "HL": "High current, low potential",
           "LH": "Low current, high potential", "LL": "Low current, low potential"},
    "zh": {"HH": "高当前价值、高潜在价值", "HL": "高当前价值、低潜在价值",
           "LH": "低当前价值、高潜在价值", "LL": "低当前价值、低潜在价值"},
}
PHASE_NAMES = {
    "en": {"prospective": "Prospective", "current": "Current", "churned": "Churned"},
    "zh": {"prospective": "预期客户", "current": "现有客户", "churned": "流失客户"},
}
TIER_NAMES = {
    "en": {"high": "High value", "middle": "Middle value", "low": "Low value",
           "composite": "composite value", "abc": "ABC class"},
    "zh": {"high": "高价值", "middle": "中价值", "low": "低价值", "composite": "综合价值",
           "abc": "ABC 分类"},
}
ACTION_NAMES = {
    "en": {"acquire": "acquire", "referral": "referral (word of mouth)", "nurture": "nurture", "cross_sell": "cross-sell",
           "up_sell": "up-sell", "loyalty": "loyalty programme", "retain": "retain",
           "win_back": "win back", "let_go": "let go",
           "service_recovery": "service recovery (resolve the complaint, then win back)"},
    "zh": {"acquire": "获取", "referral": "口碑推荐", "nurture": "培育", "cross_sell": "交叉销售", "up_sell": "向上销售",
           "loyalty": "忠诚计划", "retain": "挽留", "win_back": "赢回", "let_go": "放弃",
           "service_recovery": "服务补救(先解决投诉,再赢回)"},
}

SEGMENT_GLOSSARY: dict[str, dict[str, str]] = {
    "en": {
        "spend_last_period": "spend in the last trend period (90 days by default)",
        "spend_previous_avg": "average spend per earlier period while a customer",
        "spend_change": "last-period spend against the earlier average, as a change (0.1 = +10 %)",
        "purchases_last_period": "purchase days in the last period",
        "purchases_previous_avg": "average purchase days per earlier period",
        "active_period_share": "share of the observed periods with a purchase",
        "margin_last_period": "margin in the last period (null without margin or cost)",
        "previous_periods": "earlier periods observed (at most four by default)",
        "lifecycle_reason": "the rule and the numbers that decided the lifecycle stage",
        "score_current_contribution": "current contribution indicator, 0-10",
        "score_future_contribution": "future contribution indicator, 0-10",
        "score_credit": "credit indicator, 0-10 (neutral without credit data)",
        "score_loyalty": "loyalty indicator, 0-10",
        "score_growth_potential": "growth potential indicator, 0-10",
        "composite_value": "composite customer value, 0-100 (weighted indicators)",
        "current_value_score": "current value score, 0-100: the % of buyers at or below the "
                               "customer",
        "potential_value_score": "potential value score, 0-100: the % of buyers at or below "
                                 "the customer",
        "value_quadrant": "HH, HL, LH or LL: current then potential value, high or low",
        "value_if_returned": "what a churned customer could bring again: its value over the "
                             "CLV horizon at its rate while active",
        "matrix_cell": "cell of the value × lifecycle matrix, e.g. HH-current",
        "recommended_action": "the recommended action: the play of the cell; a churned customer "
                              "is won back where that pays, else let go",
        "expected_gain": "expected gain of the action for this customer (response × own value "
                         "− cost, or the win-back value); for let go, the gain that did not pay",
    },
    "zh": {
        "spend_last_period": "最近一个趋势周期（默认 90 天）的消费额",
        "spend_previous_avg": "成为客户后之前各周期的平均消费额",
        "spend_change": "最近周期消费相对之前平均值的变化（0.1 = +10%）",
        "purchases_last_period": "最近周期的购买天数",
        "purchases_previous_avg": "之前各周期的平均购买天数",
        "active_period_share": "有购买的周期占所观察周期的比例",
        "margin_last_period": "最近周期的毛利（无毛利或成本数据时为空）",
        "previous_periods": "所观察的之前周期数（默认最多 4 个）",
        "lifecycle_reason": "决定生命周期阶段的规则及数字",
        "score_current_contribution": "当前贡献度指标，0–10",
        "score_future_contribution": "未来贡献度指标，0–10",
        "score_credit": "信用度指标，0–10（无信用数据时为中性分）",
        "score_loyalty": "忠诚度指标，0–10",
        "score_growth_potential": "成长潜力指标，0–10",
        "composite_value": "客户综合价值，0–100（指标加权）",
        "current_value_score": "当前价值得分，0–100：得分不高于该客户的已购客户所占百分比",
        "potential_value_score": "潜在价值得分，0–100：得分不高于该客户的已购客户所占百分比",
        "value_quadrant": "HH、HL、LH 或 LL：当前价值与潜在价值的高低",
        "value_if_returned": "流失客户若回归可再带来的价值：按其活跃期的水平计算的 CLV 期限内价值",
        "matrix_cell": "价值 × 生命周期矩阵中的单元，如 HH-current",
        "recommended_action": "建议行动：所在单元的策略；流失客户在赢回划算时赢回，否则放弃",
        "expected_gain": "该行动对该客户的预期收益（响应率 × 自身价值 − 成本，或赢回价值）；"
                         "放弃时为不划算的那个收益",
    },
}
