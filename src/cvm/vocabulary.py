"""The words for the keys a run stores, in English and Simplified Chinese.

A run stores keys — segment keys, lifecycle stages and groups, value quadrants and tiers, matrix
cells (``HH-current``), actions (``cross_sell``), reject codes — and the numbers behind a
lifecycle reason. Whoever shows them (the REST API, the dashboard) looks the words up here in the
reader's language, so that what one reads does not depend on the language the run was made in.

>>> action_label("cross_sell", "zh"), action_label("let_go", "en")
('交叉销售', 'let go')
>>> cell_label("HH-current", "zh")
'HH · 高当前 · 高潜力 · 现有'
>>> actions_text("loyalty, cross_sell", "en")
'loyalty programme, cross-sell'
"""

from __future__ import annotations

__all__ = ["LANGS", "KEY_LABELS", "ACTION_LABELS", "LINK_METHODS", "REJECT_LABELS", "key_label", "action_label",
           "actions_text", "cell_label", "reject_label"]

LANGS = ("en", "zh")

#: Lifecycle stages and groups, value quadrants and tiers, as the pipeline stores them.
KEY_LABELS: dict[str, tuple[str, str]] = {
    "prospect": ("prospect", "潜在客户"), "exploration": ("exploration", "考察期"),
    "formation": ("formation", "形成期"), "stability": ("stability", "稳定期"),
    "decline": ("decline", "退化期"), "churned": ("churned", "已流失"),
    "acquisition": ("acquisition", "获取期"), "growth": ("growth", "成长期"),
    "maturity": ("maturity", "成熟期"), "departure": ("departure", "流失期"),
    "prospective": ("prospective", "潜在"), "current": ("current", "现有"),
    "HH": ("HH · high now, high potential", "HH · 高当前 · 高潜力"),
    "HL": ("HL · high now, low potential", "HL · 高当前 · 低潜力"),
    "LH": ("LH · low now, high potential", "LH · 低当前 · 高潜力"),
    "LL": ("LL · low now, low potential", "LL · 低当前 · 低潜力"),
    "high": ("high value", "高价值"), "middle": ("middle value", "中价值"), "low": ("low value", "低价值"),
}

#: The playbook's actions (:data:`cvm.segments.playbook.ACTIONS`).
ACTION_LABELS: dict[str, tuple[str, str]] = {
    "acquire": ("acquire", "获取"),
    "referral": ("referral (word of mouth)", "口碑推荐"),
    "nurture": ("nurture", "培育"),
    "cross_sell": ("cross-sell", "交叉销售"),
    "up_sell": ("up-sell", "向上销售"),
    "loyalty": ("loyalty programme", "忠诚计划"),
    "retain": ("retain", "挽留"),
    "win_back": ("win back", "赢回"),
    "service_recovery": ("service recovery (resolve the complaint, then win back)",
                         "服务补救(先解决投诉,再赢回)"),
    "let_go": ("let go", "放弃"),
}

#: How a source record was matched to its customer (the ``method`` of the ``xref`` table).
LINK_METHODS: dict[str, tuple[str, str]] = {
    "identity": ("its own id", "按自身编号"),
    "linked": ("record linkage", "记录匹配"),
    "unlinkable": ("not matched (too little to match on)", "未匹配（可匹配信息不足）"),
}

#: Why the loader rejected a row (the ``code`` of the workspace's ``rejects`` table).
REJECT_LABELS: dict[str, tuple[str, str]] = {
    "malformed_record": ("the record could not be split into fields", "记录无法拆分为字段"),
    "missing_customer_id": ("no customer id", "缺少客户编号"),
    "bad_date": ("the date cannot be read", "日期无法识别"),
    "bad_amount": ("the amount is not a number", "金额不是数字"),
    "bad_value": ("an optional field cannot be read", "可选字段无法识别"),
    "negative_amount": ("negative amount while refunds are off", "金额为负（未开启退款冲销）"),
    "future_date": ("date after the as-of date", "日期晚于截至日期"),
    "duplicate": ("repeats an earlier row", "与之前的行重复"),
    # a service log's (cvm.interactions)
    "unknown_kind": ("the kind of contact is missing or unknown", "接触类型缺失或无法识别"),
    "unknown_channel": ("the channel is unknown", "渠道无法识别"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "zh" else pair[0]


def key_label(key: str | None, lang: str) -> str | None:
    """A stage, group, quadrant or tier key in ``lang`` (an unknown key as it is)."""
    if key is None:
        return None
    pair = KEY_LABELS.get(key)
    return _pick(pair, lang) if pair else key


def action_label(key: str | None, lang: str) -> str | None:
    """An action key in ``lang`` (an unknown key as it is)."""
    if key is None:
        return None
    pair = ACTION_LABELS.get(key)
    return _pick(pair, lang) if pair else key


def actions_text(keys: str | None, lang: str) -> str | None:
    """A stored comma-separated list of action keys, in ``lang``."""
    if keys is None:
        return None
    sep = "、" if lang == "zh" else ", "
    return sep.join(action_label(k.strip(), lang) for k in keys.split(",") if k.strip())


def cell_label(cell: str | None, lang: str) -> str | None:
    """A matrix cell (``HH-current``, ``high-decline``) as its two parts in ``lang``."""
    if cell is None:
        return None
    value, _, life = cell.partition("-")
    return f"{key_label(value, lang)} · {key_label(life, lang)}" if life else key_label(value, lang)


def reject_label(code: str | None, lang: str) -> str | None:
    """A reject code in ``lang`` (an unknown code as it is)."""
    if code is None:
        return None
    pair = REJECT_LABELS.get(code)
    return _pick(pair, lang) if pair else code
