"""The survey's structural model in a run: kept with the survey, fitted by the satisfaction
stage, importance from its total effects; and its path diagram."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from cvm.config import AnalysisConfig
from cvm.demo import write_demo_data
from cvm.ingest.load import load_transactions
from cvm.pipeline import analyse
from cvm.reports.path_diagram import path_diagram_svg
from cvm.satisfaction.demo import (DEMO_SURVEY_DEFINITION, write_demo_survey,
                                   write_demo_survey_model)
from cvm.satisfaction.pls_model import ModelFileError, load_model
from cvm.satisfaction.survey import Survey, load_survey, read_definition
from cvm.satisfaction.survey_model import (fit_survey_model, model_overview,
                                           store_survey_model, stored_survey_model)
from cvm.stages import FeatureStage, SatisfactionStage
from cvm.workspace import Workspace

AS_OF = dt.date(2024, 12, 31)
GROUPS = ["茶饮", "店员", "速度", "门店", "价格"]
MOBI = Path(__file__).resolve().parents[1] / "data" / "mobi_ecsi.csv"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The demo's data (3,000 customers, as ``cvm demo``), its survey and model, one run."""
    folder = tmp_path_factory.mktemp("survey-model")
    tx, _ = write_demo_data(folder, customers=3000)
    survey, definition = write_demo_survey(folder, tx)
    model = write_demo_survey_model(folder)
    ws = Workspace(folder / "shop.duckdb")
    load_transactions(ws, tx, as_of=AS_OF)
    load_survey(ws, survey, definition=definition)
    store_survey_model(ws, model)
    result = analyse(ws, AnalysisConfig(as_of=AS_OF), stages=[FeatureStage(),
                                                              SatisfactionStage()])
    yield ws, result, folder
    ws.close()


def test_the_demo_model_is_the_surveys_groups_satisfaction_and_loyalty(tmp_path):
    path = write_demo_survey_model(tmp_path)
    assert path.name == "demo_survey_model.toml"
    model = load_model(path)
    assert model.names == [*GROUPS, "Satisfaction", "Loyalty"]
    assert set(model.paths) == {(g, "Satisfaction") for g in GROUPS} | {("Satisfaction",
                                                                           "Loyalty")}
    (tmp_path / "survey.toml").write_text(DEMO_SURVEY_DEFINITION, encoding="utf-8")
    items = {i.name: i for i in read_definition(tmp_path / "survey.toml").items}
    for construct in model.constructs:
        for indicator in construct.indicators:
            item = items[indicator]  # every indicator is an item of the survey
            if construct.name in GROUPS:
                assert (item.role, item.group) == ("attribute", construct.name)
    assert [c.indicators for c in model.constructs[-2:]] == [("总体满意度",), ("推荐意愿",)]
    assert items["排队太久"].reversed  # turned round at load: it enters 速度 the right way


def test_the_run_fits_the_model_and_takes_importance_from_its_total_effects(demo_run):
    ws, result, _ = demo_run
    doc = result.info["stages"]["satisfaction"]
    model = doc["model"]
    assert model["name"] == "demo_survey_model.toml" and model["bootstrap"] == 500
    assert model["converged"] and model["bootstrap_failed"] == 0
    assert model["answers"] == 555 and 0 < model["respondents"] <= 555  # listwise complete
    roles = {c["name"]: (c["role"], c["group"]) for c in model["constructs"]}
    assert roles["茶饮"] == ("attribute", "茶饮") and roles["Satisfaction"][0] == "satisfaction"
    assert roles["Loyalty"] == ("loyalty", None)
    paths = {(p["from"], p["to"]): p for p in model["paths"]}
    totals = {(p["from"], p["to"]): p["estimate"] for p in model["total_effects"]}
    for p in paths.values():
        assert p["ci_lower"] < p["estimate"] < p["ci_upper"] and p["std_error"] > 0
    # the run's seed fixes the intervals (the README and docs/satisfaction.md quote them)
    tea = paths[("茶饮", "Satisfaction")]
    assert (tea["ci_lower"], tea["ci_upper"]) == pytest.approx((0.27846231, 0.38480317),
                                                               abs=1e-8)
    s_to_l = paths[("Satisfaction", "Loyalty")]["estimate"]
    for g in GROUPS:
        direct = paths[(g, "Satisfaction")]["estimate"]
        assert totals[(g, "Satisfaction")] == pytest.approx(direct, abs=1e-12)  # one route
        assert totals[(g, "Loyalty")] == pytest.approx(direct * s_to_l, abs=1e-12)
    # importance: the total effects on satisfaction, the method named
    importance = {r["group"]: r for r in doc["importance"]}
    assert {r["importance_source"] for r in doc["importance"]} == {
        "total effects of the structural model"}
    for g in GROUPS:
        assert importance[g]["importance"] == pytest.approx(totals[(g, "Satisfaction")])
    # the answers were drawn with weights 0.35/0.25/0.2/0.1/0.1: tea ranks first, store and
    # price last
    ranked = sorted(GROUPS, key=lambda g: -importance[g]["importance"])
    assert ranked[0] == "茶饮" and set(ranked[-2:]) == {"门店", "价格"}
    # 速度's two items load on it in the same direction (排队太久 was reversed at load)
    quality = {q["construct"]: q for q in model["quality"]}
    assert quality["速度"]["cronbach_alpha"] > 0.7 and quality["速度"]["ave"] > 0.5
    assert quality["Satisfaction"]["r_squared"] == pytest.approx(
        next(c["r_squared"] for c in model["constructs"] if c["name"] == "Satisfaction"))
    assert len(model["htmt"]) == 7 * 6 // 2
    assert all(p["flag"] == (p["htmt"] >= 0.85) for p in model["htmt"])
    # stored with the run
    stored = ws.result("satisfaction_paths").to_pylist()
    assert {r["kind"] for r in stored} == {"path", "total_effect"}
    assert len([r for r in stored if r["kind"] == "path"]) == 6
    assert len(ws.result("satisfaction_quality").to_pylist()) == 7


def test_the_path_diagram_of_the_demo(demo_run):
    _, result, _ = demo_run
    model = result.info["stages"]["satisfaction"]["model"]
    for lang, satisfied in (("en", "Satisfaction"), ("zh", "顾客满意")):
        svg = path_diagram_svg(model, lang)
        root = ET.fromstring(svg)  # well-formed
        ns = "{http://www.w3.org/2000/svg}"
        texts = [t.text for t in root.iter(ns + "text")]
        assert len(root.findall(ns + "line")) == 6 and len(root.findall(ns + "polygon")) == 6
        assert satisfied in texts and "茶饮" in texts
        tea = next(p for p in model["paths"] if p["from"] == "茶饮")
        assert (f"{tea['estimate']:.3f} [{tea['ci_lower']:.2f}, {tea['ci_upper']:.2f}]"
                in texts)
        assert sum(t.startswith("R² = ") for t in texts) == 2


def test_the_path_diagram_by_hand():
    model = {"constructs": [{"name": "A&B", "r_squared": None},
                            {"name": "Satisfaction", "r_squared": 0.25},
                            {"name": "Loyalty", "r_squared": 0.5}],
             "paths": [{"from": "A&B", "to": "Satisfaction", "estimate": 0.5,
                        "ci_lower": 0.2, "ci_upper": 0.8},
                       {"from": "Satisfaction", "to": "Loyalty", "estimate": -0.1,
                        "ci_lower": -0.3, "ci_upper": 0.05}]}
    svg = path_diagram_svg(model, "zh")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in root.iter(ns + "text")]
    assert "A&B" in texts and "&amp;" in svg  # the name escaped in the markup
    assert {"顾客满意", "顾客忠诚", "R² = 0.250", "R² = 0.500"} <= set(texts)
    assert "0.500 [0.20, 0.80]" in texts and "-0.100 [-0.30, 0.05]" in texts
    lines = root.findall(ns + "line")
    # the interval of the second path includes 0: grey and dashed; the first is solid
    assert lines[0].get("stroke-dasharray") is None and lines[1].get("stroke-dasharray")
    assert lines[1].get("stroke") == "#999999"
    # width grows with the size: 1 + 3·|β|
    assert float(lines[0].get("stroke-width")) == pytest.approx(2.5)
    assert float(lines[1].get("stroke-width")) == pytest.approx(1.3)
    # three columns: A&B, then Satisfaction, then Loyalty, left to right
    boxes = [float(r.get("x")) for r in root.findall(ns + "rect") if r.get("rx")]
    assert boxes == sorted(boxes) and len(boxes) == 3


def test_a_model_must_follow_its_survey(tmp_path):
    ws = Workspace(tmp_path / "w.duckdb")
    model = write_demo_survey_model(tmp_path)
    with pytest.raises(ModelFileError, match="load the survey before its model"):
        store_survey_model(ws, model)
    assert stored_survey_model(ws) is None
    (tmp_path / "survey.csv").write_text("customer,date,q,overall\nA,2024-01-01,3,4\n",
                                         encoding="utf-8")
    (tmp_path / "survey.toml").write_text(
        '[items.q]\nscale = "1-5"\ngroup = "g"\n[items.overall]\nscale = "1-5"\n'
        'role = "overall"\n', encoding="utf-8")
    load_survey(ws, tmp_path / "survey.csv", definition=tmp_path / "survey.toml")
    with pytest.raises(ModelFileError, match="'茶饮口味'.*not items of the loaded survey"):
        store_survey_model(ws, model)
    own = tmp_path / "own.toml"
    own.write_text('[constructs.g]\nindicators = ["q"]\n[constructs.Satisfaction]\n'
                   'indicators = ["overall"]\n[[paths]]\nfrom = "g"\nto = "Satisfaction"\n',
                   encoding="utf-8")
    assert store_survey_model(ws, own).names == ["g", "Satisfaction"]
    name, stored = stored_survey_model(ws)
    assert name == "own.toml" and stored.paths == (("g", "Satisfaction"),)
    ws.close()


def test_a_model_that_cannot_be_fitted_leaves_importance_to_the_regression(tmp_path):
    """Three respondents who all gave the same overall answer: no model, and the run goes on
    with derived regression weights (or none), saying why."""
    (tmp_path / "sales.csv").write_text(
        "customer,date,amount\na,2024-01-01,10\nb,2024-02-01,20\nc,2024-03-01,30\n",
        encoding="utf-8")
    (tmp_path / "survey.csv").write_text(
        "customer,date,q,overall\na,2024-01-05,3,4\nb,2024-02-05,5,4\nc,2024-03-05,1,4\n",
        encoding="utf-8")
    (tmp_path / "survey.toml").write_text(
        '[items.q]\nscale = "1-5"\ngroup = "g"\n[items.overall]\nscale = "1-5"\n'
        'role = "overall"\n', encoding="utf-8")
    (tmp_path / "model.toml").write_text(
        '[constructs.g]\nindicators = ["q"]\n[constructs.Satisfaction]\n'
        'indicators = ["overall"]\n[[paths]]\nfrom = "g"\nto = "Satisfaction"\n',
        encoding="utf-8")
    with Workspace(tmp_path / "w.duckdb") as ws:
        load_transactions(ws, tmp_path / "sales.csv", as_of=AS_OF)
        load_survey(ws, tmp_path / "survey.csv", definition=tmp_path / "survey.toml")
        store_survey_model(ws, tmp_path / "model.toml")
        result = analyse(ws, AnalysisConfig(as_of=AS_OF), stages=[FeatureStage(),
                                                                  SatisfactionStage()])
    doc = result.info["stages"]["satisfaction"]
    assert doc["model"]["name"] == "model.toml"
    assert "overall" in doc["model"]["error"] and "same answer" in doc["model"]["error"]
    assert all(r["importance_source"] == "derived regression weights"
               for r in doc["importance"])


def test_the_overview_keeps_paths_and_total_effects_apart_on_the_ecsi_model():
    """On the mobi ECSI data an indirect route makes a total effect differ from its path: each
    table carries its own bootstrap figures. Constructs mixing groups get no group; HTMT at or
    above 0.85 is flagged."""
    data = pd.read_csv(MOBI)
    items = pd.DataFrame({"item": data.columns, "role": "attribute",
                          "group": [("image" if c.startswith("IMAG") else "quality"
                                     if c.startswith("PERQ") else None) for c in data.columns]})
    items.loc[items["item"].str.startswith("CUSA"), "role"] = "overall"
    items.loc[items["item"].str.startswith("CUSL"), "role"] = "recommend"
    items.loc[items["item"] == "PERQ1", "group"] = "image"  # Quality now mixes two groups
    survey = Survey(data, items)
    fitted = fit_survey_model(survey, load_model("ecsi"), n_bootstrap=200, random_state=1)
    doc = model_overview(survey, fitted, "ecsi")
    boot = fitted.bootstrap_.set_index(["kind", "from", "to"])
    paths = {(p["from"], p["to"]): p for p in doc["paths"]}
    totals = {(p["from"], p["to"]): p for p in doc["total_effects"]}
    assert len(paths) == 12 and len(totals) == len(fitted.total_effects_)
    # SmartPLS's path Quality → Satisfaction (README: 0.512)
    assert paths[("Quality", "Satisfaction")]["estimate"] == pytest.approx(0.512, abs=5e-4)
    for kind, table in (("path", paths), ("total_effect", totals)):
        for (a, b), row in table.items():
            assert row["std_error"] == boot.loc[(kind, a, b), "std_error"]
            assert row["ci_lower"] == boot.loc[(kind, a, b), "ci_lower"]
    image = ("Image", "Satisfaction")
    assert totals[image]["estimate"] > paths[image]["estimate"] + 0.1  # via Expectation etc.
    assert totals[image]["ci_lower"] != paths[image]["ci_lower"]
    roles = {c["name"]: (c["role"], c["group"]) for c in doc["constructs"]}
    assert roles["Image"] == ("attribute", "image")
    assert roles["Quality"] == (None, None)  # items of two groups
    assert roles["Satisfaction"][0] == "satisfaction" and roles["Loyalty"][0] == "loyalty"
    htmt = fitted.htmt_
    assert any(p["flag"] for p in doc["htmt"]) and doc["htmt_limit"] == 0.85
    for p in doc["htmt"]:
        assert p["htmt"] == htmt.at[p["a"], p["b"]] and p["flag"] == (p["htmt"] >= 0.85)
