"""The canonical tables and their columns.

Column names are contracts: a name means one thing and carries its unit. User columns are mapped
onto these names once, at ingest (:mod:`cvm.ingest.columns`); every later stage reads only these.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Field",
    "TRANSACTION_FIELDS",
    "CUSTOMER_FIELDS",
    "CREDIT_FIELDS",
    "CUSTOMER_FEATURE_COLUMNS",
    "SEGMENT_SUMMARY_COLUMNS",
    "REJECT_COLUMNS",
    "figure_digits",
]


@dataclass(frozen=True)
class Field:
    """One canonical input field: its name, kind, whether it is required, and the source column
    names it is guessed from (lower-cased, without spaces, dashes or underscores)."""

    name: str
    kind: str  # "id", "text", "date", "number"
    required: bool
    aliases: tuple[str, ...]
    description: str
    #: a source may lack the column altogether (a purchase log without amounts); when it has
    #: the column, every row must hold a value as for any required field
    column_optional: bool = False


TRANSACTION_FIELDS: tuple[Field, ...] = (
    Field("customer_id", "id", True,
          ("customerid", "customer", "custid", "clientid", "client", "memberid", "member", "userid",
           "user", "buyerid", "buyer", "accountid", "account", "masterid", "cardno", "cardid",
           "customerno", "customernumber", "custno", "custnumber", "customercode", "custcode",
           "clientno", "clientnumber", "memberno", "membernumber", "accountno", "accountnumber",
           "客户id", "客户编号", "客户编码", "客户号", "客户", "会员id", "会员编号", "会员卡号",
           "会员号", "会员", "用户id", "用户编号", "用户", "顾客id", "顾客编号", "顾客", "卡号"),
          "who bought (the customer's id in the source system)"),
    Field("purchase_time", "date", True,
          ("date", "purchasedate", "orderdate", "transactiondate", "invoicedate", "datetime",
           "timestamp", "time", "purchasetime", "ordertime", "transactiontime", "createdat",
           "salesdate", "saledate", "日期", "时间", "交易日期", "交易时间", "购买日期", "购买时间",
           "下单日期", "下单时间", "订单日期", "订单时间", "消费日期", "消费时间", "付款时间",
           "支付时间"),
          "when the purchase happened (date or date and time)"),
    Field("amount", "number", True,
          ("amount", "sales", "sale", "revenue", "value", "dollarvalue", "dollars", "total",
           "totalamount", "orderamount", "price", "spend", "spent", "monetary", "payment",
           "paid", "netsales", "金额", "销售额", "消费金额", "交易金额", "订单金额", "实付金额",
           "支付金额", "付款金额", "总金额", "销售金额", "营业额", "收入"),
          "what the customer paid (refunds negative)", column_optional=True),
    Field("margin", "number", False,
          ("margin", "profit", "grossmargin", "grossprofit", "毛利", "毛利额", "利润"),
          "the profit on the purchase, when known"),
    Field("cost", "number", False,
          ("cost", "costamount", "cogs", "成本", "成本金额"),
          "the cost of goods or service, when known"),
    Field("quantity", "number", False,
          ("quantity", "qty", "units", "numberofcds", "count", "数量", "件数", "购买数量"),
          "units bought"),
    Field("order_id", "id", False,
          ("orderid", "order", "invoiceno", "invoice", "invoiceid", "transactionid", "receipt",
           "receiptno", "订单号", "订单编号", "订单id", "交易号", "流水号", "单号"),
          "the order or receipt the line belongs to"),
    Field("order_line", "id", False,
          ("orderline", "line", "lineno", "linenumber", "lineid", "orderlineno", "itemline",
           "行号", "明细行号", "订单行号"),
          "the line's number within its order"),
    Field("product", "text", False,
          ("product", "productid", "sku", "item", "itemid", "stockcode", "商品", "商品id",
           "商品编号", "产品", "产品id", "货号"),
          "what was bought"),
    Field("category", "text", False,
          ("category", "productcategory", "类目", "品类", "商品类别", "类别"),
          "the product category"),
    Field("channel", "text", False,
          ("channel", "saleschannel", "渠道", "销售渠道"),
          "the sales channel"),
    Field("store", "text", False,
          ("store", "storeid", "shop", "shopid", "branch", "门店", "店铺", "网点", "分店"),
          "the store or branch"),
    Field("source", "text", False,
          ("source", "sourcesystem", "system", "来源", "来源系统"),
          "the source system the customer id belongs to"),
)

CUSTOMER_FIELDS: tuple[Field, ...] = (
    # A customer list is keyed by the customer id, so a bare ``id`` names it there (in a
    # transaction file ``id`` is as likely the transaction's). ``source_id`` comes first: it is
    # the source system's id in cvm's own xref.csv, whose ``customer_id`` is the unified id.
    Field("customer_id", "id", True,
          ("sourceid",) + TRANSACTION_FIELDS[0].aliases + ("id",),
          TRANSACTION_FIELDS[0].description),
    Field("name", "text", False, ("name", "customername", "fullname", "姓名", "客户名称", "名称", "客户姓名"),
          "the customer's name"),
    Field("phone", "text", False, ("phone", "mobile", "tel", "telephone", "phonenumber", "电话", "手机", "手机号", "联系电话"),
          "phone number"),
    Field("email", "text", False, ("email", "mail", "emailaddress", "邮箱", "电子邮件"), "email address"),
    Field("birth_date", "date", False, ("birthdate", "birthday", "dob", "dateofbirth", "生日", "出生日期"),
          "date of birth"),
    Field("city", "text", False, ("city", "城市", "所在城市"), "city"),
    Field("gender", "text", False, ("gender", "sex", "性别"), "gender"),
    Field("signup_date", "date", False,
          ("signupdate", "registrationdate", "registerdate", "joindate", "createdate", "注册日期", "注册时间", "入会日期", "开户日期"),
          "when the customer joined"),
    Field("owner", "text", False, ("owner", "accountmanager", "manager", "salesrep", "客户经理", "负责人", "归属"),
          "the account manager who owns the customer"),
    Field("national_id", "text", False,
          ("nationalid", "idnumber", "idno", "idcard", "idcardno", "residentid", "身份证", "身份证号",
           "身份证号码", "证件号", "证件号码"),
          "national identity card number (18-digit resident id)"),
    Field("address", "text", False, ("address", "addr", "streetaddress", "地址", "住址", "联系地址", "家庭住址"),
          "postal address"),
    Field("credit_score", "number", False,
          ("creditscore", "credit", "creditrating", "信用分", "信用评分", "信用积分", "信用等级分"),
          "a credit score, higher is better"),
    Field("late_payments", "number", False,
          ("latepayments", "overduecount", "overdue", "逾期次数", "逾期", "拖欠次数"),
          "number of late payments"),
    Field("defaults", "number", False,
          ("defaults", "defaultcount", "违约次数", "违约", "坏账次数"),
          "number of defaults"),
    Field("credit_limit_use", "number", False,
          ("creditlimituse", "creditutilisation", "creditutilization", "utilisation",
           "utilization", "额度使用率", "授信使用率", "信用额度使用率"),
          "share of the credit limit in use, 0 to 1"),
    TRANSACTION_FIELDS[-1],
)

#: Customer fields that describe credit behaviour (the composite value's credit indicator).
CREDIT_FIELDS = ("credit_score", "late_payments", "defaults", "credit_limit_use")

#: Columns of the per-customer results table (``customers.parquet``), in order, with meaning.
CUSTOMER_FEATURE_COLUMNS: dict[str, str] = {
    "customer_id": "unified customer id",
    "first_purchase": "date of the first purchase in the window",
    "last_purchase": "date of the last purchase in the window",
    "n_transactions": "transaction rows in the window",
    "n_purchase_days": "distinct days with a purchase",
    "frequency": "repeat purchases: distinct purchase days minus one",
    "recency_days": "days from the last purchase to the as-of date",
    "tenure_days": "days from the first purchase to the as-of date (T)",
    "monetary_total": "total spend in the window",
    "monetary_avg": "average spend per purchase day",
    "repeat_monetary_avg": "average spend per repeat purchase day (first day excluded; 0 without repeats)",
    "margin_total": "total margin in the window (null without margin or cost)",
    "r_score": "recency score 1-5 (5 = most recent)",
    "f_score": "frequency score 1-5 (5 = most frequent)",
    "m_score": "monetary score 1-5 (5 = highest spend)",
    "rfm_cell": "the three scores as text, e.g. '545'",
    "rfm_score": "weighted RFM score (1-5)",
    "rfm_segment": "segment key in the chosen scheme",
    "rfm_segment_label": "segment name in the chosen language",
    "abc_class": "A, B or C by contribution",
    "value_rank": "rank by contribution (1 = largest)",
    "value_share": "this customer's share of total value",
    "cumulative_value_share": "share of total value of this customer and all ranked above",
}

SEGMENT_SUMMARY_COLUMNS = (
    "segment", "label", "customers", "customer_share", "value", "value_share",
    "avg_recency_days", "avg_frequency", "avg_monetary_total",
)

REJECT_COLUMNS = ("file", "row", "field", "value", "reason")


def figure_digits(column: str) -> int:
    """Decimals a figure keeps where people read it (target lists, alerts, other exports),
    by the unit its column name carries: shares, probabilities and factors (0-1) 4, days 0,
    everything else (money, scores, expected purchases) 2.

    >>> [figure_digits(c) for c in ("probability_alive", "value_share", "recency_days", "clv")]
    [4, 4, 0, 2]
    """
    if (column.startswith("probability_") or column.endswith(("_share", "_probability",
                                                              "_factor", "_rate"))):
        return 4
    if column.endswith("_days"):
        return 0
    return 2
