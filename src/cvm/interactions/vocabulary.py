"""The words of a service log: its fields, and the channels and kinds of a contact.

A contact's ``channel`` is one of :data:`CHANNELS` and its ``kind`` one of :data:`KINDS`;
sources write them in many ways (``Phone``, ``call centre``, ``电话``, ``门店``, ``APP``), and
:func:`channel_key` / :func:`kind_key` map what is written to the key, or ``None`` when the
value is not one the vocabulary knows.

>>> [channel_key(v) for v in ("电话", "网点", "E-mail", "ＡＰＰ", "fax")]
['phone', 'branch', 'email', 'app', None]
>>> [kind_key(v) for v in ("投诉", "客服", "Enquiry", "到访")]
['complaint', 'service', 'enquiry', 'visit']
"""

from __future__ import annotations

import re
import unicodedata

from ..schema import TRANSACTION_FIELDS, Field

__all__ = ["INTERACTION_FIELDS", "CHANNELS", "KINDS", "CHANNEL_LABELS", "KIND_LABELS",
           "channel_key", "kind_key", "label"]

INTERACTION_FIELDS: tuple[Field, ...] = (
    Field("customer_id", "id", True,
          TRANSACTION_FIELDS[0].aliases + ("客户id", "来电客户", "投诉人"),
          "who was in contact (the customer's id in the source system)"),
    Field("interaction_time", "date", True,
          ("time", "date", "datetime", "timestamp", "contacttime", "contactdate",
           "interactiontime", "interactiondate", "calltime", "calldate", "createdat", "opened",
           "opendate", "时间", "日期", "联系时间", "联系日期", "服务时间", "来电时间", "接触时间",
           "投诉时间", "到访时间", "创建时间", "受理时间", "登记时间"),
          "when the contact happened (date or date and time)"),
    Field("channel", "text", False,
          ("channel", "contactchannel", "medium", "via", "渠道", "联系渠道", "接触渠道",
           "服务渠道", "客服渠道", "来源渠道", "途径"),
          "how the customer got in touch: phone, branch, web, app or e-mail"),
    Field("kind", "text", True,
          ("kind", "type", "contacttype", "interactiontype", "category", "reason", "topic",
           "类型", "类别", "服务类型", "客服类型", "投诉类型", "接触类型", "事件类型", "工单类型",
           "业务类型", "性质", "客服", "投诉"),
          "what the contact was: service, complaint, enquiry or visit"),
    Field("outcome", "text", False,
          ("outcome", "result", "status", "resolution", "disposition", "结果", "处理结果",
           "状态", "处理状态", "解决情况", "结案"),
          "how it ended (resolved, escalated …), as written"),
    Field("note", "text", False,
          ("note", "notes", "text", "description", "comment", "comments", "details", "detail",
           "summary", "memo", "备注", "内容", "描述", "详情", "记录", "说明", "投诉内容",
           "服务内容", "客服记录", "摘要"),
          "free text about the contact (may hold personal data: masked for viewers)"),
    TRANSACTION_FIELDS[-1],  # source
)

CHANNELS = ("phone", "branch", "web", "app", "email")
KINDS = ("service", "complaint", "enquiry", "visit")

CHANNEL_LABELS: dict[str, tuple[str, str]] = {
    "phone": ("phone", "电话"), "branch": ("branch", "门店"), "web": ("web", "网站"),
    "app": ("app", "应用"), "email": ("e-mail", "邮件"),
}
KIND_LABELS: dict[str, tuple[str, str]] = {
    "service": ("service", "服务"), "complaint": ("complaint", "投诉"),
    "enquiry": ("enquiry", "咨询"), "visit": ("visit", "到访"),
}

_CHANNEL_WORDS = {
    "phone": ("phone", "telephone", "tel", "call", "calls", "phonecall", "callcentre",
              "callcenter", "hotline", "voice", "电话", "来电", "去电", "热线", "呼叫中心",
              "客服电话", "电话客服", "400电话", "致电"),
    "branch": ("branch", "store", "shop", "instore", "counter", "outlet", "face to face",
               "门店", "网点", "柜台", "营业厅", "分行", "支行", "店铺", "线下",
               "到店", "实体店"),
    "web": ("web", "website", "online", "internet", "portal", "webchat", "livechat", "chat",
            "网站", "网页", "官网", "网上", "在线", "在线客服", "网络"),
    "app": ("app", "mobileapp", "application", "mobile", "应用", "手机应用", "手机app",
            "小程序", "微信小程序", "移动端"),
    "email": ("email", "mail", "emails", "邮件", "电子邮件", "邮箱", "电邮"),
}
_KIND_WORDS = {
    "service": ("service", "support", "servicerequest", "request", "aftersales", "repair",
                "服务", "客服", "售后", "维修", "服务请求", "办理"),
    "complaint": ("complaint", "complaints", "complain", "grievance", "投诉", "客诉", "抱怨",
                  "申诉", "投诉建议"),
    "enquiry": ("enquiry", "inquiry", "enquiries", "inquiries", "question", "query",
                "information", "info", "咨询", "询问", "查询", "问询"),
    "visit": ("visit", "visits", "callin", "walkin", "到访", "拜访", "来访", "走访", "到店"),
}
_FOLD = re.compile(r"[\s_\-.·/]+")


def _fold(text: str) -> str:
    return _FOLD.sub("", unicodedata.normalize("NFKC", str(text)).strip().lower())


_CHANNEL_INDEX = {_fold(w): key for key, words in _CHANNEL_WORDS.items() for w in words}
_KIND_INDEX = {_fold(w): key for key, words in _KIND_WORDS.items() for w in words}


def channel_key(value: str | None) -> str | None:
    """The channel key (:data:`CHANNELS`) of a value as written, or ``None`` when unknown."""
    return None if value is None else _CHANNEL_INDEX.get(_fold(value))


def kind_key(value: str | None) -> str | None:
    """The kind key (:data:`KINDS`) of a value as written, or ``None`` when unknown."""
    return None if value is None else _KIND_INDEX.get(_fold(value))


def label(key: str | None, lang: str) -> str | None:
    """The word for a channel or kind key in ``lang`` (``"en"`` or ``"zh"``)."""
    if key is None:
        return None
    pair = CHANNEL_LABELS.get(key) or KIND_LABELS.get(key)
    return key if pair is None else pair[lang == "zh"]

