"""The dashboard's words in English and Simplified Chinese.

>>> labels("zh")["nav_overview"]
'概览'
"""

from __future__ import annotations

from ..api.columns import COLUMN_LABELS
from ..vocabulary import ACTION_LABELS, KEY_LABELS, LINK_METHODS, REJECT_LABELS

__all__ = ["labels", "LANGS"]

LANGS = ("en", "zh")

_TEXT: dict[str, tuple[str, str]] = {
    "brand": ("cvm · customer value", "cvm · 客户价值管理"),
    "nav_overview": ("Overview", "概览"),
    "nav_matrix": ("Value × lifecycle", "价值 × 生命周期"),
    "nav_lifecycle": ("Lifecycle", "生命周期"),
    "nav_clv": ("Lifetime value", "终身价值"),
    "nav_customers": ("Customers", "客户"),
    "nav_runs": ("Upload & run", "上传与运行"),
    "nav_api": ("API", "API"),
    "sign_out": ("Sign out", "退出"),
    "sign_in": ("Sign in", "登录"),
    "sign_in_title": ("Sign in to cvm", "登录 cvm"),
    "sign_in_help": ("Paste an access token. An administrator creates one with "
                     "cvm token create --role viewer|analyst|admin.",
                     "请粘贴访问令牌。管理员可用 cvm token create --role viewer|analyst|admin 创建。"),
    "token": ("Access token", "访问令牌"),
    "bad_token": ("That token is unknown or revoked.", "令牌无效或已被撤销。"),
    "role": ("Role", "角色"),
    "role_viewer": ("viewer", "查看者"),
    "role_analyst": ("analyst", "分析师"),
    "role_admin": ("admin", "管理员"),
    "loading": ("Loading…", "加载中…"),
    "no_run": ("No complete run yet. Upload a transactions file on the “Upload & run” page.",
               "尚无完成的运行。请在“上传与运行”页面上传交易文件。"),
    "run": ("Run", "运行"),
    "as_of": ("As of", "截至"),
    "kpi_customers": ("Customers", "客户数"),
    "kpi_revenue": ("Revenue", "销售额"),
    "kpi_active": ("Active customers", "活跃客户占比"),
    "kpi_active_recency": ("bought in the last {days} days", "近 {days} 天内有购买"),
    "kpi_active_alive": ("P(alive) ≥ {p}", "存活概率 ≥ {p}"),
    "kpi_top": ("Top {x} of customers bring", "前 {x} 的客户贡献"),
    "kpi_top_note": ("of revenue · Gini {g}", "的销售额 · 基尼系数 {g}"),
    "pareto_title": ("Pareto curve: share of revenue by share of customers",
                     "帕累托曲线：客户占比与销售额占比"),
    "pareto_x": ("share of customers (largest first)", "客户占比（按贡献从大到小）"),
    "pareto_y": ("share of revenue", "销售额占比"),
    "pareto_line": ("top {x} bring {y}", "前 {x} 贡献 {y}"),
    "equality": ("equal shares", "均等分布"),
    "segments_title": ("RFM segments", "RFM 客户细分"),
    "segment": ("Segment", "细分"),
    "customers": ("Customers", "客户数"),
    "customer_share": ("% customers", "客户占比"),
    "value_share": ("% revenue", "销售额占比"),
    "value": ("Revenue", "销售额"),
    "avg_recency": ("Avg. days since purchase", "平均未购天数"),
    "avg_frequency": ("Avg. repeat purchases", "平均重复购买"),
    "alerts_title": ("Needs attention", "需要关注"),
    "no_alerts": ("Nothing needs attention.", "暂无需要关注的事项。"),
    "matrix_title": ("Value × lifecycle matrix", "价值 × 生命周期矩阵"),
    "matrix_help": ("Colour shows customers per cell; click a cell to see its customers.",
                    "颜色表示每个单元的客户数；点击单元查看其客户。"),
    "matrix_missing": ("Lifecycle stages and value quadrants are not computed in this run, so "
                       "the value × lifecycle matrix is not available yet. Shown instead: ABC "
                       "class × RFM segment, which drills down the same way.",
                       "本次运行尚未计算生命周期阶段和价值象限，因此价值 × 生命周期矩阵暂不可用。"
                       "下方显示 ABC 类 × RFM 细分，可同样点击查看客户。"),
    "cell_customers": ("Customers in the cell", "该单元的客户"),
    "pick_cell": ("Click a cell of the heat map to list its customers.",
                  "点击热力图中的单元以列出其客户。"),
    "playbook": ("Playbook", "策略手册"),
    "export_csv": ("Export CSV", "导出 CSV"),
    "export_xlsx": ("Export Excel", "导出 Excel"),
    "export_needs_analyst": ("Exports need the analyst role.", "导出需要分析师角色。"),
    "open_list": ("Open as a full list", "在客户列表中打开"),
    "funnel_title": ("Lifecycle funnel", "生命周期漏斗"),
    "funnel_missing": ("Lifecycle stages are not computed in this run yet, so there is no "
                       "funnel to show.", "本次运行尚未计算生命周期阶段，暂无漏斗可显示。"),
    "flows_title": ("Flows between runs", "两次运行之间的客户流动"),
    "flows_missing": ("Flows need two complete runs; there is only one so far.",
                      "客户流动需要两次完成的运行，目前只有一次。"),
    "flows_by_segment": ("By RFM segment (lifecycle stages are not in both runs).",
                         "按 RFM 细分（两次运行并非都有生命周期阶段）。"),
    "flows_by_stage": ("By lifecycle stage.", "按生命周期阶段。"),
    "clv_title": ("Customer lifetime value", "客户终身价值"),
    "clv_missing": ("Customer lifetime value is not computed in this run yet.",
                    "本次运行尚未计算客户终身价值。"),
    "clv_hist": ("Distribution of CLV (up to the 99th percentile)", "CLV 分布（至第 99 百分位）"),
    "clv_total": ("Total CLV", "CLV 合计"),
    "clv_mean": ("Mean CLV", "平均 CLV"),
    "clv_median": ("Median CLV", "CLV 中位数"),
    "clv_by_segment": ("CLV by segment", "各细分的 CLV"),
    "validation_title": ("Model validation", "模型验证"),
    "validation_missing": ("The model validation is not available:", "模型验证不可用："),
    "validation_no_model": ("this version of cvm has no model validation.",
                            "此版本的 cvm 没有模型验证。"),
    "validation_no_clv": ("this run has no customer lifetime values yet.",
                          "本次运行尚未计算客户终身价值。"),
    "validation_short_history": ("the history is too short to hold out a period.",
                                 "历史数据太短，无法留出检验期。"),
    "validation_failed": ("the model could not be checked on this history.",
                          "无法在此历史数据上验证模型。"),
    "validation_note": ("{model} fitted on purchases up to {from}, compared with {from} – {to}: "
                        "{actual} repeat purchases happened, {predicted} were expected; mean "
                        "absolute error per customer {mae}.",
                        "{model} 以 {from} 前的购买拟合，与 {from} – {to} 对比：实际重复购买 {actual} 次，"
                        "预测 {predicted} 次；每位客户平均绝对误差 {mae}。"),
    "weekly_repeat": ("repeat purchases / week", "每周重复购买"),
    "actual": ("actual", "实际"),
    "expected": ("model", "模型预测"),
    "holdout": ("holdout", "检验期"),
    "flows_within": ("Within run #{run}: lifecycle stages on {from} and on {to}.",
                     "运行 #{run} 内：{from} 与 {to} 的生命周期阶段。"),
    "filters": ("Filters", "筛选"),
    "all": ("All", "全部"),
    "search": ("Search id, name, phone", "搜索编号、姓名、手机"),
    "search_masked": ("Search customer id", "搜索客户编号"),
    "apply": ("Apply", "应用"),
    "clear_filters": ("Clear", "清除"),
    "clv_range": ("CLV from – to", "CLV 范围"),
    "stage": ("Lifecycle stage", "生命周期阶段"),
    "cell": ("Matrix cell", "矩阵单元"),
    "abc": ("ABC class", "ABC 类"),
    "results": ("{n} customers", "{n} 位客户"),
    "page": ("Page {p} of {n}", "第 {p} / {n} 页"),
    "prev": ("Previous", "上一页"),
    "next": ("Next", "下一页"),
    "masked_note": ("Personal fields are masked for your role (viewer): they are not "
                    "searched and cannot be sorted by.",
                    "您的角色（查看者）看不到个人信息字段：搜索不包含这些字段，也不能按它们排序。"),
    "customer_title": ("Customer {id}", "客户 {id}"),
    "back": ("Back", "返回"),
    "history_title": ("Over the runs", "历次运行"),
    "purchases_title": ("Recent purchases", "最近购买"),
    "sources_title": ("Source records", "来源记录"),
    "golden_title": ("Unified record", "统一客户记录"),
    "golden_missing": ("Unified customer records (matching across systems) are not built yet; "
                       "the source records are shown.", "尚未建立跨系统的统一客户记录，下方为来源记录。"),
    "date": ("Date", "日期"),
    "amount": ("Amount", "金额"),
    "store": ("Store", "门店"),
    "product": ("Product", "商品"),
    "source": ("Source", "来源"),
    "upload_title": ("Upload a file and run the analysis", "上传文件并运行分析"),
    "upload_help": ("Transactions as CSV, Excel (.xlsx), Parquet or JSON lines; columns are "
                    "recognised by their names in English or Chinese.",
                    "交易数据可为 CSV、Excel（.xlsx）、Parquet 或 JSON lines；列名中英文均可识别。"),
    "transactions_file": ("Transactions file", "交易文件"),
    "customers_file": ("Customer list (optional)", "客户名单（可选）"),
    "scheme": ("RFM scheme", "RFM 方案"),
    "start_run": ("Upload and run", "上传并运行"),
    "rerun": ("Analyse the loaded data again", "对已加载数据重新分析"),
    "needs_admin": ("Starting runs needs the admin role.", "启动运行需要管理员角色。"),
    "runs_title": ("Runs", "运行记录"),
    "jobs_title": ("Started here", "本服务启动的任务"),
    "status": ("Status", "状态"),
    "started": ("Started", "开始"),
    "finished": ("Finished", "结束"),
    "error": ("Error", "错误"),
    "progress": ("Progress", "进度"),
    "status_queued": ("queued", "排队中"),
    "status_running": ("running", "运行中"),
    "status_complete": ("complete", "已完成"),
    "status_failed": ("failed", "失败"),
    "status_interrupted": ("interrupted", "已中断"),
    "run_done": ("Run {id} is complete.", "运行 {id} 已完成。"),
    "run_failed": ("The run failed; the previous results are still shown. ",
                   "运行失败，仍显示之前的结果。"),
    "new": ("(new)", "（新增）"),
    "gone": ("(gone)", "（消失）"),
    "not_found": ("Not found.", "未找到。"),
    "of_revenue": ("{p} of revenue", "占销售额 {p}"),
    "no_purchase": ("(no purchase yet)", "（尚未购买）"),
    "recommended_action": ("Recommended action", "建议行动"),
    "lifecycle_reason": ("Why this stage", "阶段依据"),
    "pb_priority": ("Priority", "优先级"),
    "pb_objective": ("Objective", "目标"),
    "pb_actions": ("Actions", "行动"),
    "pb_budget": ("Budget", "预算"),
    "pb_expected_gain_total": ("Expected gain", "预期收益"),
    "prospects_sub": ("+{n} prospects", "另有 {n} 位潜在客户"),
    "error_generic": ("Something went wrong: ", "出错了："),
    "customer_missing": ("no customer '{id}' in run {run}", "运行 {run} 中没有客户“{id}”"),
}


def labels(lang: str) -> dict[str, str]:
    """Every dashboard word (and column name) in ``lang`` ("en" or "zh")."""
    i = 1 if lang == "zh" else 0
    out = {k: v[i] for k, v in _TEXT.items()}
    out.update({f"col_{k}": v[i] for k, v in COLUMN_LABELS.items()})
    out.update({f"key_{k}": v[i] for k, v in KEY_LABELS.items()})
    out.update({f"action_{k}": v[i] for k, v in ACTION_LABELS.items()})
    out.update({f"reject_{k}": v[i] for k, v in REJECT_LABELS.items()})
    out.update({f"method_{k}": v[i] for k, v in LINK_METHODS.items()})
    return out
