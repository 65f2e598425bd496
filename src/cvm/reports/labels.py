"""Every word the report shows, in English and Simplified Chinese.

``LABELS[lang][key]`` is a string, possibly with ``{named}`` placeholders filled in by the caller.
Both languages have exactly the same keys (a test checks it). ``GLOSSARY`` explains the columns of
the customer table; the English text comes from :data:`cvm.schema.CUSTOMER_FEATURE_COLUMNS`.
"""

from __future__ import annotations

import re

from cvm.reports.formatting import format_int
from cvm.reports.segment_text import SEGMENT_GLOSSARY
from cvm.schema import CUSTOMER_FEATURE_COLUMNS

__all__ = [
    "LANGUAGES",
    "LABELS",
    "GLOSSARY",
    "STAGES",
    "Labels",
    "labels_for",
    "window_text",
    "stage_text",
    "reject_reason_text",
]

LANGUAGES = ("en", "zh")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        # page
        "title": "Customer value report",
        "as_of": "As of",
        "window": "Window",
        "scheme": "Segment scheme",
        "engine": "Engine",
        "created": "Created",
        "footer": "Created by cvm {version} on {created}.",
        "contents": "Contents",
        # key figures
        "kpi_customers": "Customers",
        "kpi_total": "Total {value}",
        "kpi_per_customer": "{Value} per customer",
        "kpi_top": "{Value} from the top {top}",
        "kpi_gini": "Gini coefficient",
        # value measures
        "value_revenue": "revenue",
        "value_margin": "margin",
        # sections
        "section_sources": "Data sources",
        "section_summary": "Summary",
        "section_rfm": "Recency, frequency and spend",
        "section_segments": "Segments",
        "section_concentration": "Value concentration",
        "section_heatmap": "Recency × frequency",
        "section_abc": "ABC classes",
        "section_clv": "Customer lifetime value",
        "section_alive": "Probability of being alive",
        "section_lifecycle": "Lifecycle stages",
        "section_glossary": "Glossary",
        # section notes
        "note_rfm": "Top row: the raw values (spend on a log scale). Bottom row: the 1–5 scores "
                    "given to each customer (5 is best).",
        "note_segments": "For each segment, its share of all customers next to its share of {value}. "
                         "A segment whose {value} bar is longer than its customer bar is worth more "
                         "than its size.",
        "note_concentration": "Customers ranked from the largest contributor down: how much of all "
                              "{value} the top customers bring. The further the curve bows above "
                              "the diagonal, the more concentrated the {value}.",
        "note_heatmap": "Customers by recency score (rows) and frequency score (columns). Each cell "
                        "shows the number of customers and their average total spend.",
        "note_abc_value": "Classes cut by cumulative share of {value}: A up to {a}, B up to {b}, "
                          "C the rest.",
        "note_abc_customers": "Classes cut by share of customers ranked by {value}: A the top {a}, "
                              "B up to {b}, C the rest.",
        "note_clv": "Predicted value of each customer's future purchases.",
        "note_alive": "Estimated probability that each customer is still active.",
        "note_lifecycle": "Customers and {value} by relationship stage.",
        "note_glossary": "The columns of the customer table (customers.csv / customers.parquet).",
        # sources table
        "col_file": "File",
        "col_table": "Table",
        "table_transactions": "transactions",
        "table_customers": "customers",
        "table_interactions": "service log",
        "col_rows_read": "Rows read",
        "col_rows_loaded": "Loaded",
        "col_rows_rejected": "Rejected",
        "total": "Total",
        "reject_reasons": "Most common reasons for rejected rows",
        "no_rejects": "Every row read was loaded.",
        # segment and class tables
        "col_segment": "Segment",
        "col_class": "Class",
        "col_customers": "Customers",
        "col_share": "%",
        "col_value": "{Value}",
        "col_avg_recency": "Avg recency (days)",
        "col_avg_frequency": "Avg repeat purchases",
        "col_avg_monetary": "Avg total spend",
        "col_cum_customers": "Cumulative % customers",
        "col_cum_value": "Cumulative % {value}",
        "col_stage": "Stage",
        "col_column": "Column",
        "col_meaning": "Meaning",
        "col_statistic": "Statistic",
        "col_amount": "Amount",
        # statistics
        "stat_total": "Total",
        "stat_mean": "Mean",
        "stat_median": "Median",
        "stat_p90": "90th percentile",
        "stat_top": "Share held by the top {top}",
        "stat_mean_probability": "Mean probability",
        "stat_below_half": "Customers below 50 %",
        # charts
        "axis_recency": "Days since last purchase",
        "axis_frequency": "Repeat purchases",
        "axis_monetary": "Total spend (log scale)",
        "axis_monetary_linear": "Total spend",
        "axis_customers": "Customers",
        "axis_r_score": "R score (5 = most recent)",
        "axis_f_score": "F score (5 = most frequent)",
        "axis_m_score": "M score (5 = highest spend)",
        "axis_share": "Share",
        "axis_cum_customers": "Share of customers, largest contributors first",
        "axis_cum_value": "Cumulative share of {value}",
        "axis_clv": "Customer lifetime value (log scale)",
        "axis_clv_linear": "Customer lifetime value",
        "axis_probability_alive": "Probability alive",
        "legend_customers": "Share of customers",
        "legend_value": "Share of {value}",
        "legend_curve": "Concentration curve (Gini {gini})",
        "legend_equality": "Equal contribution",
        "legend_top": "Top {top}: {share} of {value}",
        "legend_median": "Median {amount}",
        "legend_mean": "Mean {amount}",
        "non_positive": "{count} at or below zero not shown",
        "below_floor": "{count} at or below zero or under {amount} not shown",
        "heatmap_colorbar": "Customers",
        "heatmap_cell": "{count}\n{amount}",
        "class_cut": "{cls}: {customers} of customers, {value} of {measure}",
        # written summary
        "sum_overview": "As of {as_of}, {customers} brought a total {value} of {total}.",
        "sum_top": "The top {top} of customers bring {share} of {value}.",
        "sum_segment": "{customers} ({customer_share}) are {label}, bringing {value_share} of {value}.",
        "sum_segment_one": "{customers} ({customer_share}) is {label}, bringing {value_share} of "
                           "{value}.",
        "sum_largest": "The largest segment is {label}: {customers} ({customer_share}), "
                       "with {value_share} of {value}.",
        "sum_abc": "Class A holds {customers} ({customer_share}) and {value_share} of {value}.",
        "sum_gini": "Gini {gini}: {value} is {level}.",
        "gini_even": "spread fairly evenly",
        "gini_moderate": "moderately concentrated",
        "gini_high": "highly concentrated",
        "gini_very_high": "very highly concentrated",
        "sum_recency": "Half of the customers bought within the last {days}; {repeat} bought more "
                       "than once.",
        "sum_rejects": "{rejected} of {read} input rows ({share}) were rejected; the most common "
                       "reason: {reason}.",
        "sum_clv": "Predicted customer lifetime value totals {total}; the top {top} of customers "
                   "hold {share} of it.",
        "customers_one": "{n} customer",
        "customers_many": "{n} customers",
        "days_one": "{n} day",
        "days_many": "{n} days",
        "window_all": "all history",
        "window_days": "last {n} days",
        "empty": "No customers in this run.",
    },
    "zh": {
        # page
        "title": "客户价值分析报告",
        "as_of": "截至日期",
        "window": "分析窗口",
        "scheme": "分群方案",
        "engine": "计算引擎",
        "created": "生成时间",
        "footer": "由 cvm {version} 于 {created} 生成。",
        "contents": "目录",
        # key figures
        "kpi_customers": "客户数",
        "kpi_total": "{value}总额",
        "kpi_per_customer": "客均{value}",
        "kpi_top": "前{top}客户的{value}占比",
        "kpi_gini": "基尼系数",
        # value measures
        "value_revenue": "收入",
        "value_margin": "毛利",
        # sections
        "section_sources": "数据来源",
        "section_summary": "摘要",
        "section_rfm": "最近购买、购买频率与消费金额",
        "section_segments": "客户分群",
        "section_concentration": "价值集中度",
        "section_heatmap": "最近购买 × 购买频率",
        "section_abc": "ABC 分类",
        "section_clv": "客户终身价值",
        "section_alive": "客户存活概率",
        "section_lifecycle": "生命周期阶段",
        "section_glossary": "字段说明",
        # section notes
        "note_rfm": "上排：原始数值（消费金额为对数刻度）。下排：每位客户的 1–5 分评分（5 分最好）。",
        "note_segments": "每个分群的客户占比与{value}占比并列对比。{value}条长于客户条的分群，"
                         "其价值高于其人数比重。",
        "note_concentration": "客户按贡献从大到小排序：排名靠前的客户贡献了多少{value}。"
                              "曲线越向对角线上方凸起，{value}越集中。",
        "note_heatmap": "按最近购买评分（行）与购买频率评分（列）划分的客户数，"
                        "每格同时显示该格客户的平均消费总额。",
        "note_abc_value": "按{value}累计占比划分：A 类累计至{a}，B 类累计至{b}，其余为 C 类。",
        "note_abc_customers": "按{value}排序后的客户占比划分：A 类为前{a}，B 类累计至{b}，其余为 C 类。",
        "note_clv": "每位客户未来购买的预测价值。",
        "note_alive": "每位客户仍处于活跃状态的估计概率。",
        "note_lifecycle": "各关系阶段的客户数与{value}。",
        "note_glossary": "客户结果表（customers.csv / customers.parquet）各列的含义。",
        # sources table
        "col_file": "文件",
        "col_table": "数据表",
        "table_transactions": "交易",
        "table_customers": "客户",
        "table_interactions": "客服记录",
        "col_rows_read": "读取行数",
        "col_rows_loaded": "载入行数",
        "col_rows_rejected": "拒绝行数",
        "total": "合计",
        "reject_reasons": "被拒绝行的主要原因",
        "no_rejects": "读取的所有行均已载入。",
        # segment and class tables
        "col_segment": "分群",
        "col_class": "类别",
        "col_customers": "客户数",
        "col_share": "占比",
        "col_value": "{value}",
        "col_avg_recency": "平均最近购买天数",
        "col_avg_frequency": "平均重复购买次数",
        "col_avg_monetary": "平均消费总额",
        "col_cum_customers": "累计客户占比",
        "col_cum_value": "累计{value}占比",
        "col_stage": "阶段",
        "col_column": "字段",
        "col_meaning": "含义",
        "col_statistic": "统计量",
        "col_amount": "数值",
        # statistics
        "stat_total": "合计",
        "stat_mean": "平均值",
        "stat_median": "中位数",
        "stat_p90": "90% 分位数",
        "stat_top": "前{top}客户所占比例",
        "stat_mean_probability": "平均概率",
        "stat_below_half": "概率低于 50% 的客户",
        # charts
        "axis_recency": "距最近一次购买天数",
        "axis_frequency": "重复购买次数",
        "axis_monetary": "消费总额（对数刻度）",
        "axis_monetary_linear": "消费总额",
        "axis_customers": "客户数",
        "axis_r_score": "R 评分（5 = 最近购买）",
        "axis_f_score": "F 评分（5 = 购买最频繁）",
        "axis_m_score": "M 评分（5 = 消费最高）",
        "axis_share": "占比",
        "axis_cum_customers": "客户累计占比（按贡献从大到小）",
        "axis_cum_value": "{value}累计占比",
        "axis_clv": "客户终身价值（对数刻度）",
        "axis_clv_linear": "客户终身价值",
        "axis_probability_alive": "存活概率",
        "legend_customers": "客户占比",
        "legend_value": "{value}占比",
        "legend_curve": "集中度曲线（基尼系数 {gini}）",
        "legend_equality": "完全平均线",
        "legend_top": "前{top}：{value}占比{share}",
        "legend_median": "中位数 {amount}",
        "legend_mean": "平均值 {amount}",
        "non_positive": "另有{count}名客户金额不大于零，未显示",
        "below_floor": "另有{count}名客户金额不大于零或低于{amount}，未显示",
        "heatmap_colorbar": "客户数",
        "heatmap_cell": "{count}\n{amount}",
        "class_cut": "{cls}：客户占比{customers}，{measure}占比{value}",
        # written summary
        "sum_overview": "截至{as_of}，共有{customers}，{value}合计{total}。",
        "sum_top": "前{top}的客户贡献了{share}的{value}。",
        "sum_segment": "{customers}（{customer_share}）属于“{label}”，贡献了{value_share}的{value}。",
        "sum_segment_one": "{customers}（{customer_share}）属于“{label}”，贡献了{value_share}的{value}。",
        "sum_largest": "人数最多的分群是“{label}”：{customers}（{customer_share}），"
                       "贡献了{value_share}的{value}。",
        "sum_abc": "A 类客户有{customers}（{customer_share}），贡献了{value_share}的{value}。",
        "sum_gini": "基尼系数为{gini}：{value}{level}。",
        "gini_even": "分布较为均衡",
        "gini_moderate": "中度集中",
        "gini_high": "高度集中",
        "gini_very_high": "极度集中",
        "sum_recency": "一半客户在最近{days}内有过购买；{repeat}的客户有重复购买。",
        "sum_rejects": "读取的{read}行中有{rejected}行（{share}）被拒绝，最常见的原因：{reason}。",
        "sum_clv": "预测客户终身价值合计{total}，其中前{top}的客户占{share}。",
        "customers_one": "{n}名客户",
        "customers_many": "{n}名客户",
        "days_one": "{n}天",
        "days_many": "{n}天",
        "window_all": "全部历史",
        "window_days": "最近{n}天",
        "empty": "本次运行没有客户。",
    },
}

#: Meaning of each column of the customer table, per language. Optional columns that later stages
#: add (CLV, lifecycle) are listed too; the glossary shows only the columns present.
GLOSSARY: dict[str, dict[str, str]] = {
    "en": {
        **CUSTOMER_FEATURE_COLUMNS,
        "clv": "customer lifetime value: present value of predicted future value",
        "probability_alive": "probability that the customer is still active (0-1)",
        "expected_purchases": "expected number of purchases over the prediction horizon",
        "lifecycle_stage": "relationship lifecycle stage",
        **SEGMENT_GLOSSARY["en"],
    },
    "zh": {
        "customer_id": "统一客户编号",
        "first_purchase": "窗口内首次购买日期",
        "last_purchase": "窗口内最近一次购买日期",
        "n_transactions": "窗口内交易记录数",
        "n_purchase_days": "有购买的不同天数",
        "frequency": "重复购买次数：有购买的不同天数减一",
        "recency_days": "最近一次购买距截至日期的天数",
        "tenure_days": "首次购买距截至日期的天数（T）",
        "monetary_total": "窗口内消费总额",
        "monetary_avg": "每个购买日的平均消费额",
        "repeat_monetary_avg": "每个重复购买日的平均消费额（不含首次购买日；无重复购买时为 0）",
        "margin_total": "窗口内毛利总额（无毛利或成本数据时为空）",
        "r_score": "最近购买评分 1–5（5 = 最近购买）",
        "f_score": "购买频率评分 1–5（5 = 购买最频繁）",
        "m_score": "消费金额评分 1–5（5 = 消费最高）",
        "rfm_cell": "三个评分组成的文本，如“545”",
        "rfm_score": "加权 RFM 综合评分（1–5）",
        "rfm_segment": "所选分群方案中的分群代码",
        "rfm_segment_label": "所选语言的分群名称",
        "abc_class": "按贡献划分的 A、B、C 类",
        "value_rank": "按贡献的排名（1 = 最大）",
        "value_share": "该客户占总价值的比例",
        "cumulative_value_share": "该客户及排名在其之前的所有客户合计占总价值的比例",
        "clv": "客户终身价值：预测未来价值的现值",
        "probability_alive": "客户仍处于活跃状态的概率（0–1）",
        "expected_purchases": "预测期内的预期购买次数",
        "lifecycle_stage": "客户关系生命周期阶段",
        **SEGMENT_GLOSSARY["zh"],
    },
}

#: Reject reasons the loader writes, in words a reader understands. Unknown reasons show as given.
_REJECT_REASONS: dict[str, dict[str, str]] = {
    "en": {
        "missing_customer_id": "missing customer id",
        "bad_date": "unparseable date",
        "unparseable_date": "unparseable date",
        "bad_amount": "non-numeric amount",
        "non_numeric_amount": "non-numeric amount",
        "negative_amount": "negative amount",
        "future_date": "date after the as-of date",
        "duplicate": "duplicate row",
        "duplicate_row": "duplicate row",
    },
    "zh": {
        "missing_customer_id": "缺少客户编号",
        "missing customer id": "缺少客户编号",
        "bad_date": "日期无法解析",
        "unparseable_date": "日期无法解析",
        "unparseable date": "日期无法解析",
        "bad_amount": "金额不是数字",
        "non_numeric_amount": "金额不是数字",
        "non-numeric amount": "金额不是数字",
        "negative_amount": "金额为负",
        "negative amount": "金额为负",
        "future_date": "日期晚于截至日期",
        "date in the future": "日期晚于截至日期",
        "duplicate": "重复行",
        "duplicate_row": "重复行",
        "duplicate row": "重复行",
    },
}

#: Lifecycle stages in their natural order, with their names. Unknown stages show as given.
STAGES: dict[str, dict[str, str]] = {
    "en": {
        "prospect": "Prospect",
        "exploration": "Exploration",
        "formation": "Formation",
        "stability": "Stability",
        "decline": "Decline",
        "churned": "Churned",
        "acquisition": "Acquisition",
        "growth": "Growth",
        "maturity": "Maturity",
        "departure": "Departure",
    },
    "zh": {
        "prospect": "潜在客户",
        "exploration": "考察期",
        "formation": "形成期",
        "stability": "稳定期",
        "decline": "退化期",
        "churned": "已流失",
        "acquisition": "获取期",
        "growth": "成长期",
        "maturity": "成熟期",
        "departure": "离开期",
    },
}


class Labels:
    """The labels of one language, with the value measure (revenue or margin) filled in.

    ``labels["kpi_total"]`` gives the text with ``{value}`` / ``{Value}`` already replaced;
    ``labels.fmt("sum_top", top="20%", ...)`` fills the other placeholders.
    """

    def __init__(self, lang: str, value_measure: str = "revenue"):
        if lang not in LABELS:
            raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}")
        self.lang = lang
        self._table = LABELS[lang]
        key = f"value_{value_measure}"
        self.value = self._table.get(key, value_measure)
        self.glossary = GLOSSARY[lang]

    def __getitem__(self, key: str) -> str:
        return self.fmt(key)

    def fmt(self, key: str, **values) -> str:
        """The label ``key`` with its placeholders filled; ``value`` defaults to the measure."""
        values.setdefault("value", self.value)
        values.setdefault("Value", self.value[:1].upper() + self.value[1:])
        return self._table[key].format(**values)

    def count(self, kind: str, n) -> str:
        """``'1 customer'`` / ``'1,234 customers'`` (``kind`` is ``customers`` or ``days``)."""
        key = f"{kind}_one" if n == 1 else f"{kind}_many"
        return self._table[key].format(n=format_int(n))


def labels_for(lang: str, value_measure: str = "revenue") -> Labels:
    """The report labels for ``lang`` ("en" or "zh")."""
    return Labels(lang, value_measure)


_WINDOW_DAYS = re.compile(r"^\s*(?:last\s+)?(\d+)\s*(?:days?|d)\s*$", re.IGNORECASE)


def window_text(window, labels: Labels) -> str:
    """The analysis window in the report language: ``'365 days'`` → ``'最近365天'``."""
    if window is None or str(window).strip() == "":
        return labels["window_all"]
    text = str(window).strip()
    if text.lower() in ("all history", "all", "全部", "全部历史"):
        return labels["window_all"]
    match = _WINDOW_DAYS.match(text)
    if match:
        return labels.fmt("window_days", n=f"{int(match.group(1)):,}")
    return text


def stage_text(stage, labels: Labels) -> str:
    """A lifecycle stage key in the report language, or as given when it is not a known stage."""
    return STAGES[labels.lang].get(str(stage), str(stage))


def reject_reason_text(reason, labels: Labels) -> str:
    """A reject reason in the report language, or as given when it is not a known reason."""
    text = str(reason)
    table = _REJECT_REASONS[labels.lang]
    return table.get(text, table.get(text.strip().lower(), text))
