"""Display names of the per-customer columns, in English and Chinese (exports, tables)."""

from __future__ import annotations

__all__ = ["COLUMN_LABELS", "column_label"]

COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "customer_id": ("Customer", "客户编号"),
    "name": ("Name", "姓名"),
    "phone": ("Phone", "手机"),
    "email": ("Email", "邮箱"),
    "city": ("City", "城市"),
    "owner": ("Account manager", "客户经理"),
    "rfm_segment": ("Segment key", "细分代码"),
    "rfm_segment_label": ("Segment", "客户细分"),
    "abc_class": ("ABC", "ABC 类"),
    "value_rank": ("Value rank", "价值排名"),
    "lifecycle_stage": ("Lifecycle stage", "生命周期阶段"),
    "value_quadrant": ("Value quadrant", "价值象限"),
    "matrix_cell": ("Matrix cell", "矩阵单元"),
    "recency_days": ("Days since last purchase", "距上次购买天数"),
    "frequency": ("Repeat purchases", "重复购买次数"),
    "monetary_total": ("Total spend", "消费总额"),
    "last_purchase": ("Last purchase", "最近购买"),
    "first_purchase": ("First purchase", "首次购买"),
    "r_score": ("R", "R"),
    "f_score": ("F", "F"),
    "m_score": ("M", "M"),
    "probability_alive": ("P(alive)", "存活概率"),
    "clv": ("CLV", "客户终身价值"),
    "lifetime_value_net": ("Lifetime value net of acquisition cost", "扣除获取成本的终身价值"),
    "potential_value": ("Potential value", "潜在价值"),
    "purchase_time": ("Purchase time", "交易时间"),
    "amount": ("Amount", "金额"),
    "margin": ("Margin", "毛利"),
    "cost": ("Cost", "成本"),
    "quantity": ("Quantity", "数量"),
    "order_id": ("Order", "订单号"),
    "product": ("Product", "商品"),
    "category": ("Category", "品类"),
    "channel": ("Channel", "渠道"),
    "store": ("Store", "门店"),
    "source": ("Source", "来源"),
    "source_customer_id": ("Id in the source", "来源客户编号"),
    "method": ("Matched by", "匹配方式"),
    "file": ("Source file", "来源文件"),
    "signup_date": ("Signed up", "注册日期"),
    "birth_date": ("Birth date", "出生日期"),
    "gender": ("Gender", "性别"),
    "national_id": ("National id", "身份证号"),
    "address": ("Address", "地址"),
    "credit_score": ("Credit score", "信用分"),
    "late_payments": ("Late payments", "逾期次数"),
    "defaults": ("Defaults", "违约次数"),
    "credit_limit_use": ("Credit limit used", "授信使用率"),
    # a service log's (cvm.interactions)
    "complaint_count": ("Complaints", "投诉次数"),
    "days_since_complaint": ("Days since complaint", "距上次投诉天数"),
    # a customer's latest survey answer (cvm.satisfaction.breakdown)
    "survey_date": ("Survey date", "答卷日期"),
    "satisfaction_index": ("Satisfaction index", "满意度指数"),
    "overall_satisfaction": ("Overall satisfaction", "总体满意度"),
    "likelihood_to_recommend": ("Likelihood to recommend", "推荐意愿"),
    "nps_group": ("NPS group", "净推荐分组"),
}


def column_label(column: str, lang: str = "en") -> str:
    """The display name of ``column`` (the column name itself when there is none).

    >>> column_label("monetary_total", "zh")
    '消费总额'
    """
    pair = COLUMN_LABELS.get(column)
    if pair is None:
        return column
    return pair[1] if lang == "zh" else pair[0]
