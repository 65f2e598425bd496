"""The index, NPS, CSAT, importance and the expectation gap, worked by hand on small surveys."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cvm.satisfaction.breakdown import customer_satisfaction
from cvm.satisfaction.importance import (expectation_gap, importance_from_total_effects,
                                         importance_performance, quadrant)
from cvm.satisfaction.index import (IndexWeights, choose_weights, derived_weights,
                                    group_scores, satisfaction_index, weights_from_outer_weights)
from cvm.satisfaction.nps import csat_table, net_promoter, nps_table, top_two_box
from cvm.satisfaction.survey import Survey

NAN = float("nan")


def _survey(answers: dict[str, list], items: list[tuple], store=None) -> Survey:
    n = len(next(iter(answers.values())))
    responses = pd.DataFrame({"respondent_id": [f"C{i}" for i in range(n)],
                              "customer_id": [f"C{i}" for i in range(n)],
                              "response_date": pd.to_datetime(["2024-03-01"] * n),
                              "store": store or ["S"] * n, "channel": [None] * n,
                              **{k: np.asarray(v, dtype=float) for k, v in answers.items()}})
    scales = {"1-5": (1, 5), "1-7": (1, 7), "1-10": (1, 10), "0-10": (0, 10)}
    rows = [{"item": name, "role": role, "group": group, "scale": scale,
             "scale_min": float(scales[scale][0]), "scale_max": float(scales[scale][1]),
             "reversed": False, "expectation_of": of, "weight": weight}
            for name, role, group, scale, of, weight in items]
    return Survey(responses, pd.DataFrame(rows))


@pytest.fixture
def small():
    """Five respondents, two groups (delivery: two 1-5 items; salesperson: one 1-7 item),
    given weights 60/40, overall satisfaction on 1-10."""
    return _survey(
        {"d1": [5, 4, 3, NAN, 1], "d2": [5, NAN, 1, NAN, 3],
         "s1": [7, 4, 1, 7, NAN], "overall": [10, 7, 1, 10, 4]},
        [("d1", "attribute", "delivery", "1-5", None, 0.6),
         ("d2", "attribute", "delivery", "1-5", None, 0.6),
         ("s1", "attribute", "salesperson", "1-7", None, 0.4),
         ("overall", "overall", None, "1-10", None, None)])


def test_group_scores_rescale_and_skip_unanswered(small):
    s = group_scores(small)
    # delivery: (1000+1000)/2, 750 alone, (500+0)/2, none, (0+500)/2
    assert s["delivery"].tolist()[:3] == [1000.0, 750.0, 250.0]
    assert math.isnan(s["delivery"][3]) and s["delivery"][4] == 250.0
    # salesperson 1-7: 7 → 1000, 4 → 500, 1 → 0
    assert s["salesperson"].tolist()[:4] == [1000.0, 500.0, 0.0, 1000.0]


def test_index_by_hand(small):
    weights = choose_weights(small)
    assert weights.rule == "given group weights, normalised to sum to one"
    assert weights.weights == pytest.approx({"delivery": 0.6, "salesperson": 0.4})
    result = satisfaction_index(small, weights)
    # delivery mean (1000+750+250+250)/4 = 562.5; salesperson (1000+500+0+1000)/4 = 625
    # index = 0.6·562.5 + 0.4·625 = 587.5
    assert result["index"].iloc[0] == pytest.approx(587.5)
    assert result["delivery"].iloc[0] == pytest.approx(562.5)
    assert result["respondents"].iloc[0] == 5
    low, high = result["index_low"].iloc[0], result["index_high"].iloc[0]
    assert 0 <= low < 587.5 < high <= 1000
    again = satisfaction_index(small, weights)
    assert (again["index_low"].iloc[0], again["index_high"].iloc[0]) == (low, high)


def test_index_of_a_subset_renormalises_over_answered_groups(small):
    small.responses["store"] = ["A", "A", "A", "A", "B"]
    result = satisfaction_index(small, IndexWeights.normalised(
        {"delivery": 3, "salesperson": 2}, "group", "given"), by="store").set_index("store")
    # store B: one respondent, delivery 250, salesperson unanswered → the index is 250
    assert result.loc["B", "index"] == pytest.approx(250.0)
    assert result.loc["B", "index_low"] == result.loc["B", "index_high"] == pytest.approx(250.0)
    # store A: delivery (1000+750+250)/3 = 666.67, salesperson 625 → 0.6·666.67 + 0.4·625
    assert result.loc["A", "index"] == pytest.approx(0.6 * 2000 / 3 + 0.4 * 625)


def test_bootstrap_of_identical_answers_has_no_width():
    s = _survey({"a": [4] * 30}, [("a", "attribute", "a", "1-5", None, None)])
    r = satisfaction_index(s, n_boot=200)
    assert (r["index"].iloc[0], r["index_low"].iloc[0], r["index_high"].iloc[0]) == (750, 750, 750)


def test_bootstrap_interval_matches_the_standard_error_on_a_large_sample():
    rng = np.random.default_rng(3)
    answers = rng.integers(1, 6, 2000).astype(float)
    s = _survey({"a": answers}, [("a", "attribute", "a", "1-5", None, None)])
    r = satisfaction_index(s, n_boot=1000).iloc[0]
    scores = 250 * (answers - 1)
    se = scores.std(ddof=1) / math.sqrt(len(scores))
    assert r["index"] == pytest.approx(scores.mean())
    # percentile interval ≈ mean ± 1.96 se for a mean of 2000 answers (within 10 %)
    assert (r["index_high"] - r["index_low"]) == pytest.approx(2 * 1.96 * se, rel=0.1)


def test_derived_weights_recover_an_exact_linear_overall():
    rng = np.random.default_rng(1)
    a, b = rng.integers(1, 6, 50).astype(float), rng.integers(1, 6, 50).astype(float)
    # overall (1-10, 0-100 scale: 100(o−1)/9) = 0.75·A + 0.25·B on 0-100 exactly:
    a100, b100 = 25 * (a - 1), 25 * (b - 1)
    overall = 1 + 9 * (0.75 * a100 + 0.25 * b100) / 100
    s = _survey({"a": a, "b": b, "o": overall},
                [("a", "attribute", "A", "1-5", None, None),
                 ("b", "attribute", "B", "1-5", None, None),
                 ("o", "overall", None, "1-10", None, None)])
    w = derived_weights(s)
    assert w.weights == pytest.approx({"A": 0.75, "B": 0.25})
    assert w.rule.startswith("derived regression weights")
    ipa = importance_performance(s).set_index("group")
    assert ipa.loc["A", "importance"] == pytest.approx(0.75)
    assert ipa.loc["A", "importance_share"] == pytest.approx(0.75)
    assert ipa.loc["A", "performance"] == pytest.approx(a100.mean())


def test_fornell_rule_weights_items_by_normalised_outer_weights(small):
    outer = pd.DataFrame({"item": ["d1", "s1"], "weight": [0.3, 0.1]})
    w = weights_from_outer_weights(outer)
    assert w.weights == pytest.approx({"d1": 0.75, "s1": 0.25}) and w.level == "item"
    r = satisfaction_index(small, w)
    # d1 mean over answered: (1000+750+500+0)/4 = 562.5; s1 625 → 0.75·562.5 + 0.25·625
    assert r["index"].iloc[0] == pytest.approx(0.75 * 562.5 + 0.25 * 625)


def test_nps_by_hand():
    got = net_promoter([10, 9, 9, 10, 9, 8, 7, 6, 0, NAN])
    # n = 9: 5 promoters, 2 passives, 2 detractors; NPS = 100 (5 − 2)/9 = 33.33
    assert (got["respondents"], got["promoters"], got["passives"], got["detractors"]) == \
        (9, 5, 2, 2)
    assert got["nps"] == pytest.approx(100 / 3)
    # Var = (5/9 + 2/9 − (3/9)²)/9 = (7/9 − 1/9)/9 = 6/81; se = 0.27217
    half = 1.959963984540054 * 100 * math.sqrt(6 / 81)
    assert got["nps_low"] == pytest.approx(100 / 3 - half)
    assert got["nps_high"] == pytest.approx(min(100.0, 100 / 3 + half))
    assert round(got["nps_low"], 2) == -20.01


def test_nps_interval_is_cut_to_the_scale():
    got = net_promoter([10, 10, 10])
    assert (got["nps"], got["nps_low"], got["nps_high"]) == (100.0, 100.0, 100.0)


def test_csat_top_two_box_and_wilson_by_hand():
    got = top_two_box([5, 4, 4, 3, 2], scale_max=5)
    assert (got["respondents"], got["top_two_box"], got["csat"]) == (5, 3, 60.0)
    # Wilson, p = 0.6, n = 5, z² = 3.8415: (0.6 + 0.38415 ∓ 1.96·√(0.048 + 0.038415)) / 1.76829
    assert got["csat_low"] == pytest.approx(23.0724, abs=1e-3)
    assert got["csat_high"] == pytest.approx(88.2379, abs=1e-3)
    # on a 0-10 scale the top two boxes are 9 and 10
    assert top_two_box([10, 9, 8, 0], scale_max=10)["top_two_box"] == 2


def test_nps_and_csat_tables_by_store():
    s = _survey({"ltr": [10, 9, 3, 8, 0], "o": [5, 4, 2, 5, 1]},
                [("ltr", "recommend", None, "0-10", None, None),
                 ("o", "overall", None, "1-5", None, None)],
                store=["A", "A", "A", "B", "B"])
    n = nps_table(s, "store").set_index("store")
    assert n.loc["A", "nps"] == pytest.approx(100 / 3) and n.loc["B", "nps"] == -50.0
    c = csat_table(s, "store").set_index("store")
    assert c.loc["A", "csat"] == pytest.approx(200 / 3) and c.loc["B", "csat"] == 50.0


def test_expectation_gap_by_hand():
    s = _survey({"p": [5, 4, 3, 5, NAN], "e": [4, 4, 4, 3, 5]},
                [("p", "attribute", "p", "1-5", None, None),
                 ("e", "expectation", None, "1-5", "p", None)])
    g = expectation_gap(s).iloc[0]
    # d = 25, 0, −25, 50 (0-100): mean 12.5, sd √(3125/3) = 32.275, t(0.975, 3) = 3.18245
    assert g["respondents"] == 4 and g["gap"] == pytest.approx(12.5)
    assert (g["perception"], g["expectation"]) == (81.25, 68.75)
    half = 3.182446305284263 * math.sqrt(3125 / 3) / 2
    assert g["gap_low"] == pytest.approx(12.5 - half) and g["gap_high"] == pytest.approx(12.5 + half)
    assert round(g["gap_low"], 2) == -38.86


def test_quadrants_and_the_total_effects_hook(small):
    assert quadrant(0.5, 80, 0.3, 60) == "keep_up"
    assert quadrant(0.5, 40, 0.3, 60) == "concentrate"
    assert quadrant(0.1, 40, 0.3, 60) == "low_priority"
    assert quadrant(0.1, 80, 0.3, 60) == "overkill"
    effects = pd.DataFrame({"group": ["delivery", "salesperson"], "total_effect": [0.2, 0.6]})
    t = importance_from_total_effects(small, effects).set_index("group")
    assert t.loc["salesperson", "importance_share"] == pytest.approx(0.75)
    assert t.loc["delivery", "performance"] == pytest.approx(56.25)
    assert t.loc["salesperson", "quadrant"] == "keep_up"
    assert t.loc["delivery", "quadrant"] == "low_priority"


def test_each_customers_own_figures_from_the_latest_answer(small):
    small.responses["customer_id"] = ["X", "X", "Y", "Z", "W"]
    small.responses["response_date"] = pd.to_datetime(
        ["2024-01-01", "2024-02-01", "2024-01-01", "2024-01-01", "2024-01-01"])
    own = customer_satisfaction(small).set_index("customer_id")
    # X's latest: delivery 750, salesperson 500 → 0.6·750 + 0.4·500 = 650; overall 7 on 1-10
    assert own.loc["X", "satisfaction_index"] == pytest.approx(650)
    assert own.loc["X", "overall_satisfaction"] == pytest.approx(100 * 6 / 9)
    # Z answered only salesperson: the index is that group's score
    assert own.loc["Z", "satisfaction_index"] == pytest.approx(1000)
    assert len(own) == 4


def test_survey_features_see_only_answers_up_to_the_cut_off(small):
    from cvm.satisfaction.breakdown import survey_features

    small.responses["customer_id"] = ["X", "X", "Y", "Z", "W"]
    small.responses["response_date"] = pd.to_datetime(
        ["2024-01-01", "2024-03-01", "2024-01-10", "2024-05-01", "2024-01-01"])
    early = survey_features(small, "2024-02-01").set_index("customer_id")
    # X's March answer is after the cut-off: the January one (1000 and 1000 → 1000) counts
    assert early.loc["X", "satisfaction_index"] == pytest.approx(1000)
    assert early.loc["X", "days_since_survey"] == 31
    assert "Z" not in early.index and sorted(early.index) == ["W", "X", "Y"]
    late = survey_features(small, "2024-12-31").set_index("customer_id")
    assert late.loc["X", "satisfaction_index"] == pytest.approx(650)
    assert survey_features(small, "2023-12-31").empty


def test_own_figures_name_their_columns_and_a_0_to_recommend_is_a_detractor():
    from cvm.satisfaction.breakdown import SATISFACTION_COLUMNS, SURVEY_FEATURES, survey_features

    survey = _survey({"d": [5, 1, 3, 4], "s": [1, 5, 3, 3], "overall": [10, 1, 5, 8],
                      "ltr": [0, 6, 7, 9]},
                     [("d", "attribute", "delivery", "1-5", None, None),
                      ("s", "attribute", "staff", "1-5", None, None),
                      ("overall", "overall", None, "1-10", None, None),
                      ("ltr", "recommend", None, "0-10", None, None)])
    own = customer_satisfaction(survey)
    assert list(own.columns) == ["customer_id", *SATISFACTION_COLUMNS]
    # 0 is the bottom of the 0-10 scale and a detractor; 6 too; 7 passive; 9 promoter
    assert own["nps_group"].tolist() == ["detractor", "detractor", "passive", "promoter"]
    features = survey_features(survey, "2024-12-31")
    assert list(features.columns) == ["customer_id", *SURVEY_FEATURES]
    # weights given by the caller are used: item s alone, 1 → 0, 5 → 1000, 3 → 500
    given = IndexWeights({"s": 1.0}, "item", "by hand")
    assert survey_features(survey, "2024-12-31", given)["satisfaction_index"].tolist() == \
        [0.0, 1000.0, 500.0, 500.0]


def test_nps_and_csat_of_no_answers_and_of_all_detractors():
    none = net_promoter([NAN, NAN])
    assert (none["respondents"], none["promoters"], none["detractors"]) == (0, 0, 0)
    assert math.isnan(none["nps"]) and math.isnan(none["nps_low"]) and math.isnan(none["nps_high"])
    one = net_promoter([10])
    assert (one["nps"], one["nps_low"], one["nps_high"]) == (100.0, 100.0, 100.0)
    worst = net_promoter([0, 3, 6])
    assert (worst["nps"], worst["nps_low"], worst["nps_high"]) == (-100.0, -100.0, -100.0)
    # two detractors, one promoter: −33.3, interval cut at −100 below
    mixed = net_promoter([0, 0, 10])
    assert mixed["nps_low"] == -100.0 and mixed["nps_high"] < 100
    empty = top_two_box([], scale_max=5)
    assert empty["respondents"] == 0 and math.isnan(empty["csat"])
    assert top_two_box([3], scale_max=5)["csat"] == 0.0


def test_nps_and_csat_tables_overall_and_the_upper_cut():
    s = _survey({"ltr": [10, 10, 10, 9, 8], "o": [5, 5, 4, 3, 1]},
                [("ltr", "recommend", None, "0-10", None, None),
                 ("o", "overall", None, "1-5", None, None)])
    n = nps_table(s).iloc[0]
    # 4 promoters, 1 passive: NPS 80, se √((0.8 − 0.64)/5) = 0.1789; 80 + 35.1 is cut to 100
    assert (n["respondents"], n["nps"], n["nps_high"]) == (5, 80.0, 100.0)
    assert n["nps_low"] == pytest.approx(80 - 1.959963984540054 * 100 * math.sqrt(0.032))
    assert "store" not in nps_table(s).columns
    c = csat_table(s).iloc[0]
    assert (c["respondents"], c["top_two_box"], c["csat"]) == (5, 3, 60.0)
    assert top_two_box([], scale_max=5)["top_two_box"] == 0


def _two_groups(a, b, overall=None):
    answers = {"a": a, "b": b}
    items = [("a", "attribute", "A", "1-5", None, None), ("b", "attribute", "B", "1-5", None, None)]
    if overall is not None:
        answers["o"] = overall
        items.append(("o", "overall", None, "1-5", None, None))
    return _survey(answers, items)


def test_derived_weights_fall_back_to_equal_and_say_why():
    from cvm.satisfaction.index import equal_weights, given_weights

    fallback = "equal group weights (too few complete answers with overall satisfaction to " \
               "derive weights)"
    # no overall item
    assert derived_weights(_two_groups([1, 2, 3, 4], [2, 3, 4, 5])).rule == fallback
    # 2 groups need 4 complete answers: 3 are too few, 4 are enough
    few = _two_groups([1, 2, 5, NAN], [2, 5, 4, 3], [1, 3, 5, 4])
    assert derived_weights(few).rule == fallback
    enough = _two_groups([1, 2, 5, 3], [2, 5, 4, 3], [1, 3, 5, 3])
    assert derived_weights(enough).rule.startswith("derived regression weights")
    # collinear group scores: no unique regression
    same = _two_groups([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5])
    assert derived_weights(same).rule == fallback
    # overall falls as both groups rise: no positive coefficient
    against = _two_groups([1, 2, 3, 4, 5, 1], [1, 3, 2, 5, 4, 2], [5, 4, 3, 2, 1, 5])
    w = derived_weights(against)
    assert w.rule == fallback and w.weights == {"A": 0.5, "B": 0.5}
    # one group: weight 1 whatever the answers
    one = _survey({"a": [1, 5]}, [("a", "attribute", "A", "1-5", None, None)])
    assert derived_weights(one).weights == {"A": 1.0}
    assert equal_weights(enough).weights == {"A": 0.5, "B": 0.5}
    assert given_weights(enough) is None


def test_choosing_weights():
    from cvm.satisfaction.survey import SurveyError

    s = _two_groups([1, 2, 5, 3], [2, 5, 4, 3], [1, 3, 5, 3])
    assert choose_weights(s, "equal").weights == {"A": 0.5, "B": 0.5}
    assert choose_weights(s, "auto").rule.startswith("derived")
    with pytest.raises(SurveyError, match="no group weights"):
        choose_weights(s, "given")
    partial = _two_groups([1, 2], [3, 4])
    partial.items.loc[0, "weight"] = 2.0  # A weighed, B not: not a given set
    assert choose_weights(partial, "auto").rule.startswith("equal")
    with pytest.raises(SurveyError, match="must not all be 0"):
        IndexWeights.normalised({"A": 0.0, "B": 0.0}, "group", "given")


def test_a_group_nobody_answered_counts_for_nothing():
    from cvm.satisfaction.index import index_value

    matrix = np.array([[800.0, NAN], [600.0, NAN]])
    assert index_value(matrix, np.array([0.5, 0.5])) == pytest.approx(700.0)
    assert math.isnan(index_value(np.array([[NAN, NAN]]), np.array([0.5, 0.5])))
    assert math.isnan(index_value(np.array([[NAN, 500.0]]), np.array([0.5, 0.0])))
