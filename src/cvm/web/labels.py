"""The dashboard's words in English and Simplified Chinese.

>>> labels("zh")["nav_overview"]
'概览'
"""

from __future__ import annotations

from ..api.columns import COLUMN_LABELS
from ..interactions.vocabulary import CHANNEL_LABELS, KIND_LABELS
from ..satisfaction.wording import SURVEY_LABELS
from ..vocabulary import ACTION_LABELS, KEY_LABELS, LINK_METHODS, REJECT_LABELS

__all__ = ["labels", "LANGS"]

LANGS = ("en", "zh")

_TEXT: dict[str, tuple[str, str]] = {
    "brand": ("cvm · customer value", "cvm · 客户价值管理"),
    "nav_overview": ("Overview", "概览"),
    "nav_matrix": ("Value × lifecycle", "价值 × 生命周期"),
    "nav_lifecycle": ("Lifecycle", "生命周期"),
    "nav_clv": ("Lifetime value", "终身价值"),
    "nav_satisfaction": ("Satisfaction", "满意度"),
    "nav_customers": ("Customers", "客户"),
    "nav_runs": ("Upload & run", "上传与运行"),
    "nav_api": ("API", "API"),
    # campaigns page (its other words: cvm.reports.campaigns.WORDS)
    "nav_campaigns": ("Campaigns", "营销活动"),
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
    "validation_not_computed": ("this run did not check its model; cvm validate-clv --run "
                                "checks it.",
                                "本次运行未验证模型；可用 cvm validate-clv --run 验证。"),
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
    "load_title": ("What the load did", "数据载入情况"),
    "load_of_run": ("Run #{run}: {read} rows read, {loaded} loaded, {rejected} rejected.",
                    "运行 #{run}：读取 {read} 行，载入 {loaded} 行，拒绝 {rejected} 行。"),
    "load_none": ("This run loaded no file itself: it analysed the data loaded before.",
                  "本次运行没有载入新文件，分析的是之前已载入的数据。"),
    "lr_file": ("File", "文件"),
    "lr_table": ("Kind", "类型"),
    "lr_read": ("Rows read", "读取行数"),
    "lr_loaded": ("Loaded", "载入行数"),
    "lr_rejected": ("Rejected", "拒绝行数"),
    "lr_columns": ("Columns (field ← source column)", "列（字段 ← 源文件列）"),
    "lr_dates": ("Dates like 05/03/2024", "05/03/2024 这类日期"),
    "lr_reasons": ("Rejected because", "拒绝原因"),
    "table_transactions": ("transactions", "交易"),
    "table_customers": ("customer list", "客户名单"),
    "table_interactions": ("service log", "客服记录"),
    "found_guessed": ("guessed from the headers", "按列名猜测"),
    "found_mapped": ("as mapped", "按映射文件"),
    "found_content": ("guessed from the values (no header row)", "按内容猜测（无表头）"),
    "date_month_first": ("month first: 5 March is 03/05", "月在前：03/05 为 3 月 5 日"),
    "date_day_first": ("day first: 5 March is 05/03", "日在前：05/03 为 3 月 5 日"),
    "rejects_title": ("Rejected rows", "被拒绝的行"),
    "rejects_none": ("No row was rejected.", "没有被拒绝的行。"),
    "rejects_count": ("{n} rejected rows", "{n} 行被拒绝"),
    "rj_row": ("Row", "行号"),
    "rj_field": ("Column", "列"),
    "rj_reason": ("Reason", "原因"),
    "rj_value": ("Value", "原始值"),
    "rejects_csv": ("Download CSV", "下载 CSV"),
    "rejects_masked": ("Rejected values may hold personal data: your role (viewer) sees the "
                       "reasons, not the values.",
                       "被拒绝的值可能包含个人信息：您的角色（查看者）只能看到原因，看不到原始值。"),
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
    # the customer's timeline (cvm.insights.timeline)
    "timeline_title": ("Timeline: purchases, service contacts, survey answers and campaigns",
                       "时间线：购买、客服接触、问卷回答与营销活动"),
    "timeline_empty": ("Nothing on the timeline yet.", "时间线上还没有记录。"),
    "timeline_event": ("Event", "事件"),
    "timeline_channel": ("Channel", "渠道"),
    "timeline_detail": ("Detail", "详情"),
    "timeline_note": ("Note", "备注"),
    "timeline_masked": ("Notes are masked for your role (viewer): they may hold personal data.",
                        "您的角色（查看者）看不到备注：备注可能包含个人信息。"),
    "timeline_contacts": ("{n} service contacts, {c} complaints",
                          "{n} 次客服接触，{c} 次投诉"),
}

#: the timeline's own event kinds (a contact's kinds and channels are the service log's words)
_TIMELINE_EVENTS: dict[str, tuple[str, str]] = {
    "purchase": ("purchase", "购买"),
    "survey": ("survey answer", "问卷回答"),
    "treatment": ("campaign: contacted", "营销活动：已接触"),
    "control": ("campaign: control group, not contacted", "营销活动：对照组，未接触"),
}

#: the churn and win-back page
_CHURN_TEXT: dict[str, tuple[str, str]] = {
    "nav_churn": ("Churn & win-back", "流失与赢回"),
    "churn_title": ("Churn risk and win-back", "流失风险与赢回"),
    "churn_missing": ("This run has no churn risk:", "本次运行没有流失风险："),
    "churn_scored": ("Customers scored", "已评分客户"),
    "churn_at_risk": ("At risk", "有流失风险"),
    "churn_at_risk_sub": ("churn risk ≥ {p}", "流失风险 ≥ {p}"),
    "churn_mean": ("Mean churn risk", "平均流失风险"),
    "churn_worth": ("Worth winning back", "值得赢回"),
    "churn_worth_sub": ("win-back value {v} in all", "赢回价值合计 {v}"),
    "churn_note": ("Churn risk is the probability of no purchase in the next {h} days, from the "
                   "{model} score calibrated on the {w} days before the as-of date.",
                   "流失风险是未来 {h} 天内不再购买的概率，来自{model}评分，并按截止日前 {w} "
                   "天的实际情况校准。"),
    "churn_hist": ("Customers by churn risk", "按流失风险分布的客户"),
    "churn_calibration": ("Calibration on the holdout", "留出期校准"),
    "churn_calibration_note": ("Fitted on the data up to {end}, compared with the {h} days "
                               "after it: AUC {auc}, calibration error {ece}; {rate} of those "
                               "customers made no purchase. On the diagonal, a predicted 70% "
                               "means 70% churned.",
                               "用截至 {end} 的数据拟合，并与其后 {h} 天的实际情况比较：AUC "
                               "{auc}，校准误差 {ece}；这些客户中 {rate} 未再购买。落在对角线上"
                               "时，预测 70% 即实际 70% 流失。"),
    "churn_not_checked": ("Not checked against a holdout:", "未用留出期检验："),
    "churn_lift": ("Churn and lift by risk decile", "按风险十分位的流失与提升度"),
    "churn_lift_note": ("Customers in ten equal groups by churn risk, highest first: the share "
                        "who churned and the lift over the average.",
                        "按流失风险从高到低分成十等份：每组实际流失比例及相对平均的提升度。"),
    "churn_predicted": ("Predicted churn risk", "预测流失风险"),
    "churn_observed": ("Share churned", "实际流失比例"),
    "churn_decile": ("Decile (1 = highest risk)", "十分位（1 = 风险最高）"),
    "churn_lift_axis": ("Lift", "提升度"),
    "churn_perfect": ("Perfect calibration", "完美校准"),
    "churn_customers": ("Customers", "客户数"),
    "winback_title": ("The customers most worth winning back", "最值得赢回的客户"),
    "winback_note": ("Win-back value = P(returns) × value expected after return − contact cost "
                     "({cost}). P(returns) is the share of customers silent as long, in the "
                     "same value tier, who came back in earlier periods.",
                     "赢回价值 = 回归概率 × 回归后预期价值 − 联系成本（{cost}）。回归概率是以往"
                     "沉默同样久、价值层级相同的客户中回来的比例。"),
    "winback_count": ("{n} churned or at-risk customers", "{n} 位已流失或有流失风险的客户"),
    "col_winback_rank": ("Rank", "排名"),
    "col_churn_risk": ("Churn risk", "流失风险"),
    "col_winback_probability": ("P(returns)", "回归概率"),
    "col_value_after_return": ("Value after return", "回归后价值"),
    "col_contact_cost": ("Contact cost", "联系成本"),
    "col_winback_value": ("Win-back value", "赢回价值"),
    "col_churn_reason": ("Why", "原因"),
}


# the cross-sell page: basket rules, next best offers, uplift
_CROSS_SELL_TEXT: dict[str, tuple[str, str]] = {
    "nav_cross_sell": ("Cross-sell", "交叉销售"),
    "cs_title": ("Cross-sell and uplift", "交叉销售与增益"),
    "cs_missing": ("This run has no cross-sell results: its transactions carry no products by "
                   "order. cvm demo has them; cvm basket rules FILE mines your own.",
                   "本次运行没有交叉销售结果:交易数据中没有按订单记录的商品。cvm demo 含有示例;"
                   "cvm basket rules FILE 可分析您自己的数据。"),
    "cs_rules": ("What is bought together", "一起购买的商品"),
    "cs_rules_note": ("Association rules by FP-growth, strongest lift first: of the orders with "
                      "the first product, the confidence share also hold the second.",
                      "FP-growth 关联规则,按提升度从高到低:含前项商品的订单中,有置信度所示比例"
                      "也含后项商品。"),
    "cs_offers": ("Next best offer per customer", "每位客户的下一个最佳推荐"),
    "cs_offers_note": ("The product not yet bought with the highest expected margin × "
                       "probability of purchase; highest expected value first.",
                       "尚未购买、预期毛利 × 购买概率最高的商品;按预期价值从高到低。"),
    "cs_orders": ("Orders", "订单数"), "cs_products": ("Products", "商品数"),
    "cs_rule_count": ("Rules", "规则数"),
    "cs_offer_customers": ("To cross-sell or up-sell", "交叉/向上销售客户"),
    "cs_antecedent": ("Bought", "已购"), "cs_consequent": ("Also bought", "同时购买"),
    "cs_support": ("Support", "支持度"), "cs_confidence": ("Confidence", "置信度"),
    "cs_lift": ("Lift", "提升度"), "cs_action": ("Recommended action", "建议行动"),
    "cs_offer": ("Next best offer", "下一个最佳推荐"), "cs_probability": ("P(buys)", "购买概率"),
    "cs_margin": ("Expected margin", "预期毛利"), "cs_value": ("Expected value", "预期价值"),
    "up_title": ("Uplift: whom a campaign moves", "增益:营销打动谁"),
    "up_note": ("A past campaign reached {treated} customers and held back {control}; its "
                "average effect was {ate} (what targeting at random gets). Measured on {held} "
                "held-out customers. Scored now: {p} persuadable to target; skip {s} sure "
                "things, {l} lost causes and {d} do-not-disturbs.",
                "以往一次营销活动触达 {treated} 位客户、留出 {control} 位作对照,平均效应 {ate}"
                "(即随机选人的效果)。在 {held} 位留出客户上检验。当前评分:{p} 位可说服客户值得"
                "触达;跳过 {s} 位必然购买、{l} 位无望购买和 {d} 位勿扰客户。"),
    "up_model": ("Model", "模型"), "up_at": ("Uplift@{k} %", "前 {k}% 增益"),
    "up_two_model": ("two-model", "双模型"),
    "up_class_transformation": ("class transformation", "类别转换"),
    "up_perfect": ("perfect order", "完美排序"), "up_random": ("random", "随机"),
    "up_x": ("Customers contacted", "触达客户数"),
}

#: the cohort page's words (:mod:`cvm.stages.cohorts`, ``GET /cohorts``)
_COHORT_TEXT: dict[str, tuple[str, str]] = {
    "nav_cohorts": ("Cohorts", "同期群"),
    "cohorts_title": ("Cohorts and retention", "同期群与留存"),
    "cohorts_missing": ("This run has no cohorts: run the analysis again to compute them.",
                        "该运行没有同期群：请重新运行分析以计算。"),
    "cohort_source": ("Customers", "客户"),
    "cohort_source_purchases": ("Buyers", "购买客户"),
    "cohort_source_members": ("Subscription members", "订阅会员"),
    "cohort_by": ("Split by", "拆分维度"),
    "cohort_group": ("Group", "分组"),
    "cohort_metric": ("Show", "显示"),
    "cohort_metric_active_share": ("Share buying in the month", "当月购买比例"),
    "cohort_metric_survival": ("Share not lost", "未流失比例"),
    "cohort_metric_lost": ("Customers lost", "已流失客户数"),
    "cohort_metric_revenue": ("Cumulative revenue per customer", "每位客户累计收入"),
    "cohort_metric_margin": ("Cumulative margin per customer", "每位客户累计毛利"),
    "cohort_dim_all": ("All customers", "全部客户"),
    "cohort_dim_plan": ("Plan", "套餐"),
    "cohort_no_group": ("(none)", "（无）"),
    "cohort_definition": ("A cohort is the customers whose first purchase fell in the same "
                          "month, followed month by month since. A customer is lost by a month "
                          "when they bought neither in it nor in any later month up to the "
                          "as-of date, so each cohort's last month is provisional.",
                          "同期群是首次购买在同一个月的客户，此后逐月跟踪。某月及之后到截止日都没有购买的客户"
                          "算作到该月已流失，因此每个同期群最后一个月的数字是暂定的。"),
    "cohort_heat": ("Heat map", "热力图"),
    "cohort_heat_share": ("{metric}, by cohort and month since acquisition",
                          "{metric}：按同期群和获客后月数"),
    "cohort_heat_money": ("{metric}, by cohort and month since acquisition",
                          "{metric}：按同期群和获客后月数"),
    "cohort_triangle": ("Cohort triangle", "同期群三角表"),
    "cohort_cohort": ("Cohort", "同期群"),
    "cohort_period": ("month", "第几月"),
    "cohort_periods_since": ("Months since acquisition", "获客后月数"),
    "cohort_curves": ("Retention curves of the members", "会员留存曲线"),
    "cohort_curves_note": ("Members still paying, per plan: the shifted-beta-geometric model "
                           "fitted on months 0–{cut} and projected; the holdout error is the "
                           "mean gap between the projection and the later months.",
                           "各套餐仍在付费的会员：用第 0–{cut} 个月拟合移位贝塔几何模型并向后预测；"
                           "验证期误差是预测与之后各月实际值的平均差距。"),
    "cohort_projection": ("sBG fit and projection", "sBG 拟合与预测"),
    "cohort_fit_end": ("end of fit", "拟合截止"),
    "cohort_plan": ("Plan", "套餐"),
    "cohort_holdout_error": ("Holdout error", "验证期误差"),
    "cohort_projected_at": ("Projected at month {k}", "第 {k} 月预测"),
}
_TEXT.update(_COHORT_TEXT)

# the advice behind an action: the win-back list's further columns and the 360° page
_ADVICE_TEXT: dict[str, tuple[str, str]] = {
    "col_recovery_value": ("Service recovery value", "服务补救价值"),
    "col_recommended_action": ("Action", "建议行动"),
    "col_expected_gain": ("Expected gain", "预期收益"),
    "col_complaint_count": ("Complaints", "投诉次数"),
    "churn_reason": ("Churn risk and why", "流失风险及原因"),
    "action_reason": ("Why this action", "为何采取该行动"),
}
_TEXT.update(_ADVICE_TEXT)

# cohort splits fixed at acquisition (cvm.features.cohorts.acquisition_attributes), and the
# campaigns page's empty state with its command set apart
_ACQUISITION_TEXT: dict[str, tuple[str, str]] = {
    "cohort_dim_value_tier": ("First-day spend (thirds of the cohort)",
                              "首日消费（同期群内三等分）"),
    "cohort_dim_channel": ("Channel of the first purchase", "首次购买渠道"),
    "cohort_dim_store": ("Store of the first purchase", "首次购买门店"),
    "cohort_tier_low": ("Low: bottom third", "低：后三分之一"),
    "cohort_tier_mid": ("Middle third", "中：中间三分之一"),
    "cohort_tier_high": ("High: top third", "高：前三分之一"),
    "cohort_split_note": (
        "Splits are fixed at acquisition: the first day's spend against the rest of the cohort, "
        "and the channel and store of the first purchase. There is no split by current "
        "segment: a customer's segment today follows what they did after acquisition (lapsed "
        "customers sit in low segments), so it would put the outcome into the split.",
        "拆分维度均取自获客之时：首日消费在同期群中的高低，以及首次购买的渠道和门店。"
        "不按客户当前细分拆分：当前细分取决于获客之后的行为（已流失的客户如今落在低价值细分），"
        "按它拆分会把结果混进分组本身。"),
    "campaigns_none": ("No campaign yet. Create one with {command}.",
                       "尚无营销活动。可用 {command} 创建。"),
}
_TEXT.update(_ACQUISITION_TEXT)


def labels(lang: str) -> dict[str, str]:
    """Every dashboard word (and column name) in ``lang`` ("en" or "zh")."""
    i = 1 if lang == "zh" else 0
    out = {k: v[i] for k, v in _TEXT.items()}
    out.update({k: v[i] for k, v in _CROSS_SELL_TEXT.items()})
    out.update({f"col_{k}": v[i] for k, v in COLUMN_LABELS.items()})
    out.update({k: v[i] for k, v in _CHURN_TEXT.items()})
    out.update({f"key_{k}": v[i] for k, v in KEY_LABELS.items()})
    out.update({f"action_{k}": v[i] for k, v in ACTION_LABELS.items()})
    out.update({f"reject_{k}": v[i] for k, v in REJECT_LABELS.items()})
    out.update({f"method_{k}": v[i] for k, v in LINK_METHODS.items()})
    out.update({f"event_{k}": v[i] for k, v in {**KIND_LABELS, **CHANNEL_LABELS,
                                                  **_TIMELINE_EVENTS}.items()})
    out.update({f"sv_{k}": v for k, v in SURVEY_LABELS[LANGS[i]].items()})
    return out
