"""The report's campaigns section, rendered from a registry snapshot as the report reads it."""

import pandas as pd

from cvm.reports.campaigns import SECTIONS, forest_svg
from cvm.reports.labels import labels_for
from cvm.reports.sections import RunResults

SNAPSHOT = [{
    "name": "tea", "status": "measured", "source": "cells", "cells": ["*-current"],
    "start": "2025-01-06", "end": "2025-02-16", "customers": 500, "treated": 400,
    "control": 100, "control_share": 0.2, "stratify": "matrix_cell", "seed": 1,
    "cost_per_contact": 6.0, "overlapping": 0,
    "headline": {"outcome": "responded", "lift": 0.045, "ci_low": 0.012, "ci_high": 0.081,
                 "p_value": 0.01, "p_adjusted": 0.02, "roi": None, "roi_low": None,
                 "roi_high": None},
    "results": [
        {"segment": "all", "group": "treatment", "outcome": "responded", "kind": "rate",
         "n": 400, "control_n": 100, "treated_value": 0.2, "control_value": 0.155,
         "lift": 0.045, "ci_low": 0.012, "ci_high": 0.081, "p_value": 0.01, "p_adjusted": 0.02,
         "significant": True, "relative_lift": 0.29, "roi": None, "roi_low": None,
         "roi_high": None},
        {"segment": "HH-current", "group": "treatment", "outcome": "responded", "kind": "rate",
         "n": 100, "control_n": 25, "treated_value": 0.4, "control_value": 0.2, "lift": 0.2,
         "ci_low": 0.01, "ci_high": 0.35, "p_value": 0.04, "p_adjusted": 0.05,
         "significant": False, "relative_lift": 1.0, "roi": None, "roi_low": None,
         "roi_high": None}],
    "looks": [{"day": "2025-01-12", "n": 400, "control_n": 100, "treated_value": 0.05,
               "control_value": 0.04, "lift": 0.01, "p_value": 1.0, "significant": False},
              {"day": "2025-01-19", "n": 400, "control_n": 100, "treated_value": 0.1,
               "control_value": 0.05, "lift": 0.05, "p_value": 0.03, "significant": True}],
}]


def _results(lang, campaigns):
    info = {"campaigns": campaigns, "stages": {"matrix": {"cells": [
        {"cell": "HH-current", "expected_response": 0.4}]}}}
    return RunResults(buyers=pd.DataFrame({"x": [1]}), everyone=pd.DataFrame(),
                      segments=pd.DataFrame(), pareto={}, run_info=info, lang=lang,
                      labels=labels_for(lang, "revenue"))


def test_section_shows_registry_results_feedback_and_monitor():
    render = SECTIONS[0].render
    en = render(_results("en", SNAPSHOT))
    assert "Campaigns in the registry: 1, measured: 1." in en.note
    assert "response +4.5 pp (+1.2 pp to +8.1 pp), adjusted p 0.020" in en.note
    assert "significant from 2025-01-19 on" in en.note
    captions = [t.caption for t in en.tables]
    assert captions[0] == "Test registry" and len(en.tables) == 4
    feedback = en.tables[2]
    assert feedback.rows == [["HH-current", "40%", "+20.0 pp", "+1.0 pp … +35.0 pp"]]
    assert en.tables[3].rows[1] == ["2025-01-19", "10.0%", "5.0%", "+5.0 pp", "0.030"]
    zh = render(_results("zh", SNAPSHOT))
    assert "登记册中共 1 个活动" in zh.note and "校正后 p 值 0.020。采用随时有效" in zh.note
    assert "自 2025-01-19 起显著" in zh.note
    assert render(_results("en", [])) is None


def test_forest_plot_places_estimates_between_their_bounds():
    svg = forest_svg([("a", 0.1, -0.1, 0.3)], "cap")
    # scale −0.1 … 0.3 over 360 px from x = 120: zero at 210, estimate at 300
    assert 'x1="210.0"' in svg and 'cx="300.0"' in svg
    assert forest_svg([], "cap") == ""


def test_both_languages_have_every_word():
    from cvm.reports.campaigns import WORDS

    assert set(WORDS["en"]) == set(WORDS["zh"])
    assert all(WORDS["en"][k] != WORDS["zh"][k] for k in WORDS["en"] if k not in ("roi",))
