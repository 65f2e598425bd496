"""Churn reasons at their edges: every wording in English and Chinese, the roundings, the
complaint counts, and the stage notes on both sides of the at-risk line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm.models.churn_reason import churn_reason, stage_notes

NAN = np.nan


def _rows(**columns) -> pd.DataFrame:
    base = {"recency_days": [10.0], "frequency": [0.0], "mean_gap_days": [NAN],
            "recent_spend": [0.0], "prior_spend": [0.0]}
    n = max(len(v) for v in columns.values())
    data = {k: (columns[k] if k in columns else v * n) for k, v in base.items()}
    data.update(columns)
    return pd.DataFrame(data)


def test_days_rhythm_and_trend_in_both_languages():
    rows = _rows(recency_days=[0.0, 1.0, 1234.0, 2.5, 0.4],
                 frequency=[3.0, 1.0, 2.0, 4.0, 0.0],
                 mean_gap_days=[0.4, 1500.0, NAN, 2.5, 5.0],
                 recent_spend=[150.0, 20.0, 30.0, 5.0, 7.0],
                 prior_spend=[100.0, 80.0, 30.0, 0.0, 10.0])
    assert churn_reason(rows, "en").tolist() == [
        "bought on the as-of date; usually buys every day; spend trend +50 %",
        "no purchase for 1 day; usually buys every 1,500 days; spend trend −75 %",
        "no purchase for 1,234 days; bought once; spend trend 0 %",
        # halves round to even: 2.5 days is 2, a rhythm of 2.5 days is 2; no earlier spend
        "no purchase for 2 days; usually buys every 2 days",
        # frequency 0 is a single purchase whatever the gap column says
        "bought on the as-of date; bought once; spend trend −30 %",
    ]
    assert churn_reason(rows, "zh").tolist() == [
        "截止日当天有购买;通常每天购买;消费趋势 +50 %",
        "已 1 天未购买;通常每 1,500 天购买一次;消费趋势 −75 %",
        "已 1,234 天未购买;仅购买过一次;消费趋势 0 %",
        "已 2 天未购买;通常每 2 天购买一次",
        "截止日当天有购买;仅购买过一次;消费趋势 −30 %",
    ]


def test_a_trend_rounds_to_whole_percent_and_keeps_the_index():
    rows = _rows(recent_spend=[100.4, 99.6, 1.0, 101.0, 99.0, 0.6],
                 prior_spend=[100.0, 100.0, 3.0, 100.0, 100.0, 0.5])
    rows.index = ["a", "b", "c", "d", "e", "f"]
    out = churn_reason(rows)
    assert out.name == "churn_reason" and out.index.tolist() == ["a", "b", "c", "d", "e", "f"]
    assert [s.split("; ")[-1] for s in out] == [
        "spend trend 0 %", "spend trend 0 %", "spend trend −67 %", "spend trend +1 %",
        "spend trend −1 %", "spend trend +20 %"]


def test_complaints_in_both_languages():
    rows = _rows(complaint_count=[1.0, 3.0, 0.0, 2.0, 1234.0],
                 days_since_complaint=[354.0, 12.4, 5.0, NAN, 4321.0])
    en = churn_reason(rows, "en").tolist()
    assert en == [
        "no purchase for 10 days; bought once; 1 complaint, 354 days ago",
        "no purchase for 10 days; bought once; 3 complaints, the last 12 days ago",
        "no purchase for 10 days; bought once",                  # no complaint
        "no purchase for 10 days; bought once",                  # no date: not said
        "no purchase for 10 days; bought once; 1,234 complaints, the last 4,321 days ago",
    ]
    zh = churn_reason(rows, "zh").tolist()
    assert zh[0] == "已 10 天未购买;仅购买过一次;投诉 1 次,在 354 天前"
    assert zh[1] == "已 10 天未购买;仅购买过一次;投诉 3 次,最近一次在 12 天前"
    assert zh[2] == zh[3] == "已 10 天未购买;仅购买过一次"
    # a complaint on the as-of day: 0 days ago, still said
    today = _rows(complaint_count=[1.0], days_since_complaint=[0.0])
    assert churn_reason(today)[0].endswith("; 1 complaint, 0 days ago")


def test_decline_with_a_low_risk_every_wording():
    rows = _rows(recency_days=[3.0, 3.0, 3.0, 3.0, 3.0, 3.0], frequency=[9.0] * 6,
                   mean_gap_days=[7.2, 0.6, NAN, 7.2, 7.2, 1234.0],
                   lifecycle_stage=["decline"] * 6,
                   spend_change=[-0.314, -0.2, -0.5, NAN, -0.1, -0.1],
                   churn_risk=[0.0303, 0.2, 0.1, 0.3, 0.5, 0.4999],
                   churn_horizon_days=[41.6, 30.0, 30.0, 30.0, 30.0, 1500.0])
    tail = [s.split("; ")[-1] for s in churn_reason(rows, "en")]
    assert tail[0] == ("in decline because its spend in the last period fell 31 % against its "
                       "own earlier average, but it still buys about every 7 days: the risk of "
                       "no purchase in the next 42 days is 3 %")
    assert tail[1].endswith("but it still buys about every day: the risk of no purchase in the "
                            "next 30 days is 20 %")
    assert "fell 50 % against its own earlier average, but it still buys: the risk" in tail[2]
    assert "fell — against" in tail[3]
    assert tail[4] == "usually buys every 7 days"            # a risk at the line: no note
    assert tail[5] == ("in decline because its spend in the last period fell 10 % against its "
                       "own earlier average, but it still buys about every 1,234 days: the risk "
                       "of no purchase in the next 1,500 days is 50 %")
    zh = churn_reason(rows, "zh").tolist()
    assert zh[0].endswith("处于衰退期,因为最近一期的消费比自身早前的平均水平下降了 31%,但仍约每 7 天购买:"
                          "未来 42 天内不再购买的风险为 3%")
    assert "但仍几乎每天购买" in zh[1]
    assert "下降了 50%,但仍购买" in zh[2]
    assert "下降了 —," in zh[3]
    assert "衰退期" not in zh[4]


def test_an_active_stage_with_a_high_risk_every_wording():
    rows = _rows(recency_days=[60.0, 60.0, 5.0, 60.0, 60.0, 1000.0],
                   frequency=[4.0, 0.0, 4.0, 4.0, 4.0, 4.0],
                   mean_gap_days=[10.0, NAN, 10.0, 60.0, 10.0, 0.2],
                   lifecycle_stage=["formation", "exploration", "stability", "growth",
                                    "formation", "maturity"],
                   spend_change=[0.0] * 6,
                   churn_risk=[0.81, 0.5, 0.7, 0.6, 0.4999, 0.999],
                   churn_horizon_days=[30.0, 45.4, 30.0, 30.0, 30.0, 30.0])
    tail = [s.split("; ")[-1] for s in churn_reason(rows, "en")]
    assert tail[0] == ("still in the formation stage by its purchases so far, but silent for "
                       "60 days, longer than its usual 10: the risk of no purchase in the next "
                       "30 days is 81 %")
    # no rhythm (one purchase): no comparison; a risk exactly at the line counts as at risk
    assert tail[1] == ("still in the exploration stage by its purchases so far, but silent for "
                       "60 days: the risk of no purchase in the next 45 days is 50 %")
    # silent for less than the usual gap, and silent exactly as long: no comparison
    assert tail[2].endswith("silent for 5 days: the risk of no purchase in the next 30 days is "
                            "70 %")
    assert tail[3].endswith("silent for 60 days: the risk of no purchase in the next 30 days "
                            "is 60 %")
    assert not tail[4].startswith("still in")            # just below the line
    assert tail[5].endswith("silent for 1,000 days, longer than its usual 1: the risk of no "
                            "purchase in the next 30 days is 100 %")
    zh = churn_reason(rows, "zh").tolist()
    assert zh[0].endswith("按至今的购买仍处于形成期,但已 60 天未购买,超过其通常的 10 天:"
                          "未来 30 天内不再购买的风险为 81%")
    assert zh[1].endswith("按至今的购买仍处于考察期,但已 60 天未购买:未来 45 天内不再购买的风险为 50%")
    assert "成熟期" in zh[5] and "稳定期" in zh[2] and "成长期" in zh[3]
    assert "仍处于" not in zh[4]


def test_at_risk_moves_the_line_and_unknowns_give_no_note():
    rows = _rows(recency_days=[60.0] * 5, frequency=[4.0] * 5, mean_gap_days=[10.0] * 5,
                   lifecycle_stage=["formation", "decline", "formation", "formation",
                                    "churned"],
                   spend_change=[-0.2] * 5,
                   churn_risk=[0.3, 0.25, NAN, 0.9, 0.9],
                   churn_horizon_days=[30.0, 30.0, 30.0, NAN, 30.0])
    low = churn_reason(rows, at_risk=0.3).tolist()
    assert low[0].endswith("is 30 %") and "still in the formation stage" in low[0]
    assert "in decline because" in low[1]
    assert all(s == "no purchase for 60 days; usually buys every 10 days" for s in low[2:])
    high = churn_reason(rows, at_risk=0.25).tolist()
    assert high[1] == "no purchase for 60 days; usually buys every 10 days"
    assert "still in the formation stage" in high[0]


def test_stage_notes_alone():
    rows = pd.DataFrame({"lifecycle_stage": ["formation", "decline", None, "stability"],
                         "spend_change": [0.1, -0.4, 0.0, 0.0],
                         "churn_risk": [0.9, 0.1, 0.9, 0.9],
                         "churn_horizon_days": [30.0, 30.0, 30.0, 30.0],
                         "recency_days": [40.4, 2.0, 40.0, NAN],
                         "churn_gap_days": [12.0, 1.0, 12.0, 12.0]})
    en = stage_notes(rows, "en")
    assert en[0] == ("still in the formation stage by its purchases so far, but silent for 40 "
                     "days, longer than its usual 12: the risk of no purchase in the next 30 "
                     "days is 90 %")
    assert en[1] == ("in decline because its spend in the last period fell 40 % against its own "
                     "earlier average, but it still buys about every day: the risk of no "
                     "purchase in the next 30 days is 10 %")
    assert en[2] is None
    # no recency: 0 days, never longer than the usual gap
    assert en[3] == ("still in the stability stage by its purchases so far, but silent for 0 "
                     "days: the risk of no purchase in the next 30 days is 90 %")
    assert stage_notes(rows, "zh")[1] == ("处于衰退期,因为最近一期的消费比自身早前的平均水平下降了 40%,"
                                          "但仍几乎每天购买:未来 30 天内不再购买的风险为 10%")
    assert stage_notes(rows, "en", at_risk=0.95)[0] is None
    assert stage_notes(rows.drop(columns="lifecycle_stage"), "en") == [None] * 4
    # a decline with a risk exactly at the line: at risk, no note; an active stage there: a note
    at_line = rows.assign(churn_risk=[0.5, 0.5, 0.5, 0.5])
    notes = stage_notes(at_line, "en")
    assert notes[1] is None and notes[0].endswith("is 50 %") and notes[3].endswith("is 50 %")


def test_unknown_language_is_refused():
    rows = _rows(recency_days=[1.0])
    for call in (churn_reason, stage_notes):
        with pytest.raises(ValueError, match="unknown language 'fr'"):
            call(rows, "fr")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_distinct_note_worded_once_is_each_row_worded_alone(lang):
    """The notes are worded once per group of rows the wording cannot tell apart; every row's
    note is the one worded from that row alone, on rows that share some numbers and differ in
    others (rounding edges: 0.495 and 0.505 risks, 59 % and 60 % risks, 2.4 and 2.6 gaps, a
    fall of 0 %, missing values)."""
    from cvm.models.churn_reason import _stage_note, _WORDS

    rng = np.random.default_rng(7)
    n = 3000
    frame = pd.DataFrame({
        "lifecycle_stage": rng.choice(["decline", "growth", "maturity", "acquisition",
                                       "churned", None], n),
        "spend_change": rng.choice([-0.5, -0.504, -0.506, -0.25, -0.004, np.nan, -1.5], n),
        "churn_risk": rng.choice([0.1, 0.3, 0.495, 0.505, 0.591, 0.596, 0.7, 0.9949, 0.9951,
                                  np.nan], n),
        "churn_horizon_days": rng.choice([28.0, 56.0, 55.6, np.nan], n),
        "recency_days": rng.choice([1.0, 2.0, 3.0, 10.0, 40.0, 40.4, np.nan], n),
        "churn_gap_days": rng.choice([0.3, 2.4, 2.6, 3.0, 9.5, 10.5, np.nan], n)})
    got = stage_notes(frame, lang)
    want = []
    for r in frame.itertuples(index=False):
        stage, risk = r.lifecycle_stage, r.churn_risk
        disagree = (stage == "decline" and risk < 0.5) or (
            stage in ("acquisition", "growth", "maturity") and risk >= 0.5)
        days = int(round(r.recency_days)) if np.isfinite(r.recency_days) else 0
        want.append(_stage_note(_WORDS[lang], lang, stage, r.spend_change, risk,
                                r.churn_horizon_days, days, r.churn_gap_days, 0.5)
                    if disagree else None)
    assert got == want
    # the rows share few distinct notes, and both kinds are there
    worded = {w for w in want if w}
    assert 20 < len(worded) < sum(w is not None for w in want)
