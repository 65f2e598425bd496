"""Survey answers as churn features: taken at each feature date from the answers up to it
(a hand-made case), the missing-value treatment of customers without an answer, and a
simulated history where satisfaction says who leaves next, which the classifiers must use."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cvm.engine import get_engine
from cvm.features.survey_answers import (SURVEY_ANSWER_COLUMNS, join_survey_answers,
                                         survey_answer_features, with_survey_answers)
from cvm.satisfaction.breakdown import survey_features
from cvm.satisfaction.survey import Survey

NAN = float("nan")
_SCALES = {"1-5": (1.0, 5.0), "1-10": (1.0, 10.0), "0-10": (0.0, 10.0)}


def _survey(customers, dates, answers: dict[str, list], weight=0.5) -> Survey:
    """Responses of ``customers`` on ``dates``; items q1 (group a), q2 (group b), both 1-5,
    ``overall`` 1-10 and ``recommend`` 0-10; group weights ``weight`` each (None: none given,
    so the index weights are derived from the answers)."""
    n = len(customers)
    responses = pd.DataFrame({"respondent_id": list(customers), "customer_id": list(customers),
                              "response_date": pd.to_datetime(list(dates)),
                              "store": ["S"] * n, "channel": [None] * n,
                              **{k: np.asarray(v, dtype=float) for k, v in answers.items()}})
    items = [("q1", "attribute", "a", "1-5"), ("q2", "attribute", "b", "1-5"),
             ("overall", "overall", None, "1-10"), ("recommend", "recommend", None, "0-10")]
    rows = [{"item": name, "role": role, "group": group, "scale": scale,
             "scale_min": _SCALES[scale][0], "scale_max": _SCALES[scale][1], "reversed": False,
             "expectation_of": None, "weight": weight if group else None}
            for name, role, group, scale in items]
    return Survey(responses, pd.DataFrame(rows))


@pytest.fixture
def hand():
    # A answers twice (before and after the cut-off 2024-03-10), B only after it, D before it
    # with a "don't know" on q2 and on recommend; C never answers
    return _survey(["A", "A", "B", "D"], ["2024-01-10", "2024-04-01", "2024-03-11", "2024-03-10"],
                   {"q1": [5, 1, 3, 2], "q2": [3, 1, 3, NAN], "overall": [10, 1, 4, 7],
                    "recommend": [9, 0, 6, NAN]})


def test_features_at_a_cut_off_see_only_the_answers_up_to_it(hand):
    out = survey_answer_features(hand, as_of=dt.date(2024, 3, 10)).set_index("customer_id")
    # A's April answer (all lowest) is after the cut-off: the January one counts,
    # q1 5 → 1000, q2 3 → 500, weights 0.5/0.5 → 750; overall 10 on 1-10 → 100
    assert sorted(out.index) == ["A", "D"]
    a = out.loc["A"]
    assert (a["survey_answered"], a["survey_index"], a["survey_overall"],
            a["survey_recommend"], a["survey_days_since"]) == (1.0, 750.0, 100.0, 9.0, 60.0)
    # D answered on the cut-off day: seen, 0 days ago; q2 unanswered, so the index is q1's
    # 250; overall 7 → 100·6/9; the don't-know recommend stays missing
    d = out.loc["D"]
    assert d["survey_index"] == 250.0 and d["survey_days_since"] == 0.0
    assert d["survey_overall"] == pytest.approx(600 / 9) and np.isnan(d["survey_recommend"])
    later = survey_answer_features(hand, as_of=dt.date(2024, 12, 31)).set_index("customer_id")
    assert later.loc["A", "survey_index"] == 0.0 and later.loc["A", "survey_recommend"] == 0.0
    assert later.loc["B", "survey_days_since"] == 295.0
    nobody = survey_answer_features(hand, as_of=dt.date(2024, 1, 9))
    assert nobody.empty and list(nobody.columns) == ["customer_id", *SURVEY_ANSWER_COLUMNS]


def test_customers_without_an_answer_get_the_flag_0_and_missing_figures(hand):
    frame = pd.DataFrame({"customer_id": ["A", "B", "C", "D"], "x": [1, 2, 3, 4]})
    out = with_survey_answers(frame, hand, as_of=dt.date(2024, 3, 10))
    assert out["customer_id"].tolist() == ["A", "B", "C", "D"] and out["x"].tolist() == [1, 2, 3, 4]
    assert out["survey_answered"].tolist() == [1.0, 0.0, 0.0, 1.0]
    for c in SURVEY_ANSWER_COLUMNS[1:]:
        assert np.isnan(out[c].to_numpy()[1:3]).all(), c
    assert with_survey_answers(frame, None, as_of=dt.date(2024, 3, 10)) is frame
    # nobody of the frame had answered: no survey columns at all (nothing to learn from)
    early = with_survey_answers(frame.assign(survey_index=1.0), hand, as_of=dt.date(2024, 1, 9))
    assert list(early.columns) == ["customer_id", "x"]


def test_the_engine_join_gives_the_same_features(hand, engine_name):
    engine = get_engine(engine_name)
    frame = pd.DataFrame({"customer_id": ["A", "B", "C", "D"], "x": [1.0, 2.0, 3.0, 4.0]})
    t = engine.table(pa.Table.from_pandas(frame, preserve_index=False),
                     f"survey_join_frame_{engine_name}")
    joined = engine.to_arrow(join_survey_answers(engine, t, hand, as_of=dt.date(2024, 3, 10)))
    got = joined.to_pandas().sort_values("customer_id").reset_index(drop=True)
    want = with_survey_answers(frame, hand, as_of=dt.date(2024, 3, 10))
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert join_survey_answers(engine, t, None, as_of=dt.date(2024, 3, 10)) is t
    assert join_survey_answers(engine, t, hand, as_of=dt.date(2024, 1, 9)) is t


def test_derived_index_weights_do_not_learn_from_later_answers():
    # no given weights: the index weighs the groups by a regression on the answers; the
    # features at a cut-off must be the same whatever was answered after it
    rng = np.random.default_rng(3)
    n = 40
    q1, q2 = rng.integers(1, 6, n), rng.integers(1, 6, n)
    overall = np.clip(np.round(1 + 2 * (q1 - 1) * 0.9 + 0.2 * (q2 - 1)), 1, 10)
    dates = pd.date_range("2024-01-01", periods=n, freq="7D")
    customers = [f"C{i}" for i in range(n)]
    full = _survey(customers, dates, {"q1": q1, "q2": q2, "overall": overall,
                                      "recommend": rng.integers(0, 11, n)}, weight=None)
    # after the cut-off the answers turn round: q2 drives overall satisfaction
    late = dates > pd.Timestamp("2024-05-01")
    full.responses.loc[late, "overall"] = np.clip(np.round(1 + 2.2 * (q2[late] - 1)), 1, 10)
    cut = Survey(full.responses[~late].reset_index(drop=True), full.items)
    on_full = survey_features(full, "2024-05-01")
    on_cut = survey_features(cut, "2024-05-01")
    pd.testing.assert_frame_equal(on_full, on_cut)


# -- a history where satisfaction says who leaves next -----------------------------------

def _history(n: int = 900, seed: int = 7):
    """Customers buying every ~12 days from early 2023; each answers the survey once in
    2023's second half (70 % of them answer). Their satisfaction s ~ N(0, 1) sets the chance that they stop buying,
    1 / (1 + e^(2.5 s + 1)), and a customer who stops does so on a day drawn evenly from
    2024-07-24 to 2025-02-18 (days 570-779). So from the summer of 2024 the unhappy customers
    who still buy are the likelier to stop soon, which their purchases alone cannot show."""
    rng = np.random.default_rng(seed)
    start = dt.date(2023, 1, 1)
    end = 730
    s = rng.normal(size=n)
    answered = rng.integers(180, 360, n)
    asked = rng.random(n) < 0.7
    stops = rng.random(n) < 1 / (1 + np.exp(2.5 * s + 1))
    stop_day = np.where(stops, rng.integers(570, 780, n), end)
    rows = []
    for i in range(n):
        day = int(rng.integers(0, 60))
        gap = rng.uniform(6, 18)
        while day < min(stop_day[i], end):
            rows.append((f"C{i:04d}", start + dt.timedelta(days=day),
                         float(np.round(rng.uniform(10, 60), 2))))
            day += 1 + int(rng.exponential(gap))
    txns = pd.DataFrame(rows, columns=["customer_id", "purchase_date", "amount"])
    ids = [f"C{i:04d}" for i in np.flatnonzero(asked)]
    noise = rng.normal(scale=0.4, size=(3, n))
    a = s[asked]
    survey = _survey(ids, [start + dt.timedelta(days=int(d)) for d in answered[asked]], {
        "q1": np.clip(np.round(3 + a + noise[0][asked]), 1, 5),
        "q2": np.clip(np.round(3 + a + noise[1][asked]), 1, 5),
        "overall": np.clip(np.round(5.5 + 2 * a + noise[2][asked]), 1, 10),
        "recommend": np.clip(np.round(6 + 2.5 * a + noise[2][asked]), 0, 10)})
    return txns, survey


def _features(engine, t, survey, as_of: dt.date, window: int, next_days: int):
    """Behaviour features at ``as_of`` (and the survey's, when given) with the label: no
    purchase in the ``next_days`` after it."""
    from cvm.features.behaviour import behaviour_features

    frame = engine.to_arrow(behaviour_features(t, as_of=as_of, window_days=window)).to_pandas()
    frame = frame.sort_values("customer_id").reset_index(drop=True)
    after = engine.to_arrow(t.filter((t.purchase_date > as_of) & (
        t.purchase_date <= as_of + dt.timedelta(days=next_days))).select("customer_id")
        .distinct()).to_pandas()
    y = (~frame["customer_id"].isin(after["customer_id"])).to_numpy(dtype=int)
    return with_survey_answers(frame, survey, as_of=as_of), y


@pytest.fixture(scope="module")
def signal():
    """The simulated history's features: learned at 2024-08-01 from the next 56 days, judged
    at 2024-10-31 on the 56 days after it (held out: none of those purchases is seen in
    training)."""
    txns, survey = _history()
    engine = get_engine("duckdb")
    t = engine.table(pa.Table.from_pandas(txns, preserve_index=False), "survey_signal_txns")
    return (*_features(engine, t, survey, dt.date(2024, 8, 1), 56, 56),
            *_features(engine, t, survey, dt.date(2024, 10, 31), 56, 56))


@pytest.mark.parametrize("method", ["gradient_boosting", "logistic"])
def test_the_classifiers_use_survey_answers_that_carry_signal(signal, method):
    from cvm.models.churn_classifier import BehaviourChurnClassifier
    from cvm.models.churn_metrics import roc_auc

    train, y, test, y_test = signal
    assert set(np.unique(train["survey_answered"])) == {0.0, 1.0}
    assert 0.6 < train["survey_answered"].mean() < 0.8  # 70 % answered
    plain = [c for c in train if c not in SURVEY_ANSWER_COLUMNS]
    said = BehaviourChurnClassifier(method, random_state=0).fit(train, y)
    without = BehaviourChurnClassifier(method, random_state=0).fit(train[plain], y)
    assert set(said.features_) >= set(SURVEY_ANSWER_COLUMNS)
    assert not set(without.features_) & set(SURVEY_ANSWER_COLUMNS)
    auc_with = roc_auc(y_test, said.predict_proba(test)[:, 1])
    auc_without = roc_auc(y_test, without.predict_proba(test[plain])[:, 1])
    # reached: gradient boosting 0.750 against 0.687, logistic 0.758 against 0.715
    assert auc_with > auc_without + 0.03, (auc_with, auc_without)


def test_the_workspace_survey_is_read_only_where_one_was_loaded(tmp_path):
    from cvm.features.survey_answers import loaded_survey
    from cvm.satisfaction.survey import load_survey
    from cvm.workspace import Workspace

    assert loaded_survey(None) is None
    (tmp_path / "survey.csv").write_text("member,date,overall\nm1,2024-03-01,4\n"
                                         "m2,2024-04-01,2\n", encoding="utf-8")
    (tmp_path / "survey.toml").write_text('[items.overall]\nscale = "1-5"\nrole = "overall"\n',
                                          encoding="utf-8")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        assert loaded_survey(ws) is None
        load_survey(ws, tmp_path / "survey.csv", definition=tmp_path / "survey.toml")
        survey = loaded_survey(ws)
        assert survey.responses["customer_id"].tolist() == ["m1", "m2"]
        assert survey.responses["overall"].tolist() == [4.0, 2.0]


def test_the_demo_run_names_the_survey_features_and_their_holdout_check():
    # the demo's captured outputs (tests/data/golden, kept equal to what `cvm demo` makes)
    import gzip
    import json
    from pathlib import Path

    golden = Path(__file__).resolve().parents[1] / "data" / "golden" / "demo-outputs.json.gz"
    churn = json.loads(gzip.decompress(golden.read_bytes()))["en"]["summary"]["info"][
        "stages"]["churn"]
    assert churn["survey_features"] == sorted(SURVEY_ANSWER_COLUMNS)
    check = churn["validation"]["survey_features"]
    assert check["used"] is True and check["features"] == sorted(SURVEY_ANSWER_COLUMNS)
    # the demo's answers were drawn from each customer's purchase count alone, so they add
    # nothing the purchases do not say: with and without stay within 0.001 of each other
    for name in ("gradient_boosting", "logistic"):
        auc = check["auc"][name]
        assert 0.85 < auc["auc_without"] < 1 and abs(auc["auc_with"] - auc["auc_without"]) < 1e-3
    # the chosen churn_risk is a purchase model's, the same with or without
    assert check["auc"]["churn_risk"]["auc_with"] == check["auc"]["churn_risk"]["auc_without"]
    # the complaint check keeps the survey features on both sides
    assert churn["validation"]["complaint_features"]["auc"]["gradient_boosting"]["auc_with"] \
        == check["auc"]["gradient_boosting"]["auc_with"]
