"""Built-in demo data: a year and a half of a fictional tea-shop chain, with the mess real
exports have.

The purchase process follows the BG/NBD story (Fader, Hardie & Lee 2005): each customer buys at
a Poisson rate drawn from a gamma distribution and may drop out after any purchase with a
probability drawn from a beta distribution; spend per purchase is gamma distributed around a
customer-specific mean. The file mixes date and money formats people really write (``2024/3/5``,
``2024年3月5日``, ``¥1,280.00``) and a few broken rows (no customer id, an unreadable date, a
negative amount, a receipt exported twice, a date after the as-of date), so the demo shows the
rejects too.

Beside them, a service log (``demo_service_log.csv``: calls, visits, enquiries and complaints)
drawn from a random stream of its own, so that the customers and purchases are the same with or
without it.

Beside the shop, the chain runs a monthly tea club (:func:`write_demo_members`): members pay a
fee every month until they cancel, a contractual business whose cohorts and retention curves the
cohort section shows. Its payments are a file of their own, drawn from a random stream of their
own, so the shop's customers and purchases are the same with or without it.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

__all__ = ["DEMO_AS_OF", "fault_row", "service_log_path", "write_demo_data", "write_demo_members"]

DEMO_AS_OF = dt.date(2024, 12, 31)
_START = dt.date(2023, 7, 1)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
          "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "晓明", "子涵", "欣怡", "浩然"]
_CITIES = ["上海", "北京", "杭州", "深圳", "成都", "南京"]
_STORES = ["SH-01 人民广场", "SH-02 徐家汇", "BJ-01 国贸", "HZ-01 西湖", "SZ-01 南山", "CD-01 春熙路"]
_OWNERS = ["赵经理", "钱经理", "孙经理", "李经理"]


def fault_row(k: int, rows: int) -> int:
    """Where a demo export gets its faulty row: before row ``k`` of ``rows`` data rows, or
    before the last one in an export too small to have row ``k`` (never before the header).

    >>> fault_row(50, 400), fault_row(300, 120), fault_row(7, 1), fault_row(7, 0)
    (50, 119, 1, 1)
    """
    return max(1, min(k, rows - 1))


def _date_text(rng: np.random.Generator, when: dt.datetime) -> str:
    style = rng.random()
    if style < 0.80:
        return when.strftime("%Y-%m-%d %H:%M")
    if style < 0.92:
        return f"{when.year}/{when.month}/{when.day}"
    return f"{when.year}年{when.month}月{when.day}日"


def _amount_text(rng: np.random.Generator, amount: float) -> str:
    style = rng.random()
    if style < 0.85:
        return f"{amount:.2f}"
    if style < 0.95:
        return f"¥{amount:,.2f}"
    return f"{amount:,.2f}元"


def write_demo_data(folder: str | Path, *, customers: int = 3000, seed: int = 20241231
                    ) -> tuple[Path, Path]:
    """Write ``demo_transactions.csv`` and ``demo_customers.csv``; return their paths."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    horizon_days = (DEMO_AS_OF - _START).days
    rows: list[list[str]] = []
    people = []
    bought: dict[str, dt.datetime] = {}  # each buyer's last purchase
    for i in range(customers):
        cid = f"M{100000 + i}"
        name = _SURNAMES[rng.integers(len(_SURNAMES))] + _GIVEN[rng.integers(len(_GIVEN))]
        city = _CITIES[rng.integers(len(_CITIES))]
        signup = _START + dt.timedelta(days=int(rng.integers(0, horizon_days - 20)))
        owner = _OWNERS[rng.integers(len(_OWNERS))]
        people.append([cid, name, f"13{rng.integers(100000000, 999999999)}", city,
                       signup.isoformat(), owner])
        if rng.random() < 0.08:  # signed up, never bought: a prospect
            continue
        rate = rng.gamma(0.9, 1 / 12.0)  # purchases per day
        p_drop = rng.beta(1.0, 5.0)
        mean_spend = 1.0 / rng.gamma(6.0, 1 / 450.0)
        day = float((signup - _START).days) + rng.exponential(7.0)
        store = _STORES[rng.integers(len(_STORES))]
        while day < horizon_days:
            when = dt.datetime.combine(_START, dt.time(0)) + dt.timedelta(days=day)
            when = when.replace(hour=int(rng.integers(8, 22)), minute=int(rng.integers(0, 60)))
            amount = round(float(rng.gamma(4.0, mean_spend / 4.0)), 2) + 0.01
            rows.append([cid, _date_text(rng, when), _amount_text(rng, amount),
                         str(int(rng.integers(1, 4))), store])
            bought[cid] = when
            if rng.random() < p_drop:
                break
            day += rng.exponential(1.0 / rate)
    rows.sort(key=lambda r: r[1])
    for number, row in enumerate(rows, start=1):  # each purchase its own receipt
        row.append(f"T{number:07d}")
    if not rows:
        raise ValueError(f"{customers} demo customers made no purchase; ask for more customers")

    def spot(k: int) -> int:
        return fault_row(k, len(rows))

    # the mess of real exports
    rows.insert(min(5, len(rows)), ["", "2024-02-03 10:15", "36.00", "1", _STORES[0], "T9000001"])
    for k, bad in ((50, ["2024-02-30 11:00", "58.00", "2", _STORES[1], "T9000002"]),
                   (120, ["2024-03-09 12:30", "二十八元", "1", _STORES[2], "T9000003"]),
                   (200, ["2024-04-01 18:20", "-45.00", "1", _STORES[3], "T9000004"])):
        at = spot(k)
        rows.insert(at, [rows[at - 1][0] or rows[at][0], *bad])
    at = spot(300)
    twice = next(r for r in reversed(rows[:at]) if not r[5].startswith("T9"))
    rows.insert(at, list(twice))  # the same receipt exported twice
    rows.append([rows[spot(10)][0] or rows[-1][0], "2025-01-15 09:30", "88.00", "1",
                 _STORES[4], "T9000005"])
    tx_path = folder / "demo_transactions.csv"
    with tx_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["会员编号", "交易时间", "实付金额", "数量", "门店", "订单号"])
        w.writerows(rows)
    cust_path = folder / "demo_customers.csv"
    with cust_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["会员编号", "姓名", "手机", "城市", "注册日期", "客户经理"])
        w.writerows(people)
    _write_service_log(service_log_path(folder), people, bought, seed)
    return tx_path, cust_path


# -- the service log --------------------------------------------------------------------------

_KIND_WORDS = {"service": "客服", "complaint": "投诉", "enquiry": "咨询", "visit": "到访"}
_CHANNEL_WORDS = {"phone": ["电话", "Phone", "来电"], "branch": ["门店", "网点"],
                  "web": ["网站", "Web"], "app": ["APP", "应用"], "email": ["邮件", "E-mail"]}
_OUTCOMES = ["已解决", "已解决", "已解决", "处理中", "已升级", "已回访"]
_NOTES = {
    "service": ["更换会员卡", "修改收货地址", "积分查询后补录", "开具发票"],
    "complaint": ["茶叶受潮，要求退换", "门店排队太久", "配送延误三天", "会员折扣未生效",
                  "店员态度差"],
    "enquiry": ["询问新品上市时间", "咨询礼盒价格", "询问门店营业时间", "咨询会员等级规则"],
    "visit": ["到店品鉴新茶", "到店取货", "参加品茶会"],
}


def service_log_path(folder: str | Path) -> Path:
    """Where :func:`write_demo_data` puts the demo's service log (``demo_service_log.csv``)."""
    return Path(folder) / "demo_service_log.csv"


def _write_service_log(path: Path, people: list[list[str]],
                       bought: dict[str, dt.datetime], seed: int) -> None:
    """The demo's service log: calls, visits, enquiries and complaints, from a random stream of
    its own (the customers and purchases do not depend on it). Customers who stopped buying
    complained more often, in the weeks after their last purchase; some notes quote a phone
    number, as real notes do (masked for viewers)."""
    rng = np.random.default_rng([seed, 19])
    end = dt.datetime.combine(DEMO_AS_OF, dt.time(18, 0))
    rows: list[list[str]] = []
    for cid, _name, phone, _city, signup, _owner in people:
        start = dt.datetime.fromisoformat(signup)
        last = bought.get(cid, start)
        quiet = cid in bought and (end - last).days > 120
        contacts = int(rng.poisson(0.7 if cid in bought else 0.3))
        kinds = list(rng.choice(["service", "enquiry", "visit", "complaint"], size=contacts,
                                p=[0.35, 0.35, 0.18, 0.12]))
        times = [start + dt.timedelta(minutes=float(rng.uniform(
            0, max((min(last + dt.timedelta(days=90), end) - start).total_seconds() / 60, 1))))
            for _ in kinds]
        if quiet and rng.random() < 0.3:  # a complaint, and the customer went quiet
            kinds.append("complaint")
            times.append(last + dt.timedelta(days=float(rng.uniform(1, 30))))
        for kind, when in zip(kinds, times):
            when = min(when.replace(second=0, microsecond=0), end)
            channel = "branch" if kind == "visit" else str(rng.choice(
                ["phone", "branch", "web", "app", "email"], p=[0.4, 0.15, 0.15, 0.2, 0.1]))
            written = _CHANNEL_WORDS[channel]
            note = str(rng.choice(_NOTES[kind]))
            if kind in ("complaint", "service") and rng.random() < 0.25:
                note += f"，回拨 {phone}"
            rows.append([cid, when.strftime("%Y-%m-%d %H:%M"),
                         written[int(rng.integers(len(written)))], _KIND_WORDS[kind],
                         "" if kind == "visit" else str(rng.choice(_OUTCOMES)), note])
    rows.sort(key=lambda r: (r[1], r[0]))
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["会员编号", "联系时间", "渠道", "类型", "处理结果", "备注"])
        w.writerows(rows)
#: the tea club's plans: monthly fee and the beta distribution of each member's monthly chance
#: of cancelling (the shifted-beta-geometric story, Fader & Hardie 2007)
_PLANS = {"标准会员": (68.0, 0.9, 4.0), "尊享会员": (168.0, 0.7, 7.0)}
_CLUB_START = dt.date(2023, 1, 1)


def write_demo_members(folder: str | Path, *, per_month: int = 60, seed: int = 20230101) -> Path:
    """Write ``demo_members.csv``: the tea club's monthly payments, 2023 to the as-of date.

    About ``per_month`` members join each month, each on one plan and at one store. A member
    draws a monthly chance of cancelling from the plan's beta distribution and pays on the day
    they joined (the 28th at the latest) every month until they cancel."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    months = (DEMO_AS_OF.year - _CLUB_START.year) * 12 + DEMO_AS_OF.month - _CLUB_START.month + 1
    plans = list(_PLANS)
    rows: list[list[str]] = []
    number = 0
    for m in range(months):
        for _ in range(int(rng.poisson(per_month))):
            number += 1
            plan = plans[int(rng.random() < 0.35)]
            fee, a, b = _PLANS[plan]
            theta = rng.beta(a, b)
            store = _STORES[rng.integers(len(_STORES))]
            day = int(rng.integers(1, 29))
            for k in range(m, months):
                year, month = divmod(_CLUB_START.month - 1 + k, 12)
                rows.append([f"S{200000 + number}", plan, store,
                             dt.date(_CLUB_START.year + year, month + 1, day).isoformat(),
                             f"{fee:.2f}"])
                if rng.random() < theta:
                    break
    path = folder / "demo_members.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["会员编号", "套餐", "门店", "扣费日期", "金额"])
        w.writerows(rows)
    return path
