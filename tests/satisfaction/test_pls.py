"""The PLS path model against published estimates and hand-checkable cases.

References (see tests/data/README.md):

* SmartPLS 2.0.M3 on the ECSI model of the mobi data, path, centroid and factorial schemes,
  printed to 8 decimals (published with the semPLS R package 1.0-10, whose regression test holds
  semPLS to them): path coefficients, outer weights, total effects, cross loadings;
* seminr 2.3.1's test fixtures for a four-construct model on the same data: Cronbach's α, ρ_C,
  AVE, ρ_A, weights, paths, HTMT, and the bootstrap standard deviations of the paths.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cvm.errors import CvmError
from cvm.satisfaction.pls import PLSPathModel
from cvm.satisfaction.pls_model import ModelFileError, load_model

DATA = Path(__file__).resolve().parents[1] / "data"
MOBI = pd.read_csv(DATA / "mobi_ecsi.csv")
SMARTPLS = pd.read_csv(DATA / "pls" / "smartpls_ecsi.csv")
SEMINR = pd.read_csv(DATA / "pls" / "seminr_mobi_small.csv", keep_default_na=False)
SMALL = DATA / "pls" / "mobi_small.toml"


@pytest.fixture(scope="module", params=["path", "centroid", "factorial"])
def ecsi(request):
    return request.param, PLSPathModel("ecsi", scheme=request.param).fit(MOBI)


def _reference(scheme: str, kind: str) -> pd.Series:
    ref = SMARTPLS[(SMARTPLS.scheme == scheme) & (SMARTPLS.kind == kind)]
    return ref.set_index(["from", "to"])["value"]


def test_path_coefficients_are_smartpls_s(ecsi):
    scheme, m = ecsi
    ref = _reference(scheme, "path")
    got = m.path_coefficients_.set_index(["from", "to"])["coefficient"]
    assert sorted(got.index) == sorted(ref.index) and len(got) == 12
    # printed to 8 decimals: agreement to the rounding plus the reference's 1e-7 stop
    assert np.abs(got - ref.loc[got.index]).max() < 5e-8


def test_outer_weights_are_smartpls_s(ecsi):
    scheme, m = ecsi
    ref = _reference(scheme, "weight")
    got = m.outer_weights_.set_index(["construct", "indicator"])["weight"]
    assert sorted(got.index) == sorted(ref.index) and len(got) == 24
    assert np.abs(got - ref.loc[got.index]).max() < 5e-8


def test_total_effects_are_smartpls_s(ecsi):
    scheme, m = ecsi
    ref = _reference(scheme, "total_effect")
    got = m.total_effects_.set_index(["from", "to"])["effect"]
    # the 21 ordered pairs joined by a route, no more
    assert sorted(got.index) == sorted(ref.index) and len(got) == 21
    assert np.abs(got - ref.loc[got.index]).max() < 5e-8


def test_cross_loadings_are_smartpls_s(ecsi):
    scheme, m = ecsi
    ref = _reference(scheme, "cross_loading")
    got = m.cross_loadings_.stack().swaplevel()
    assert np.abs(got.loc[ref.index] - ref).max() < 5e-8


def test_the_schemes_give_different_estimates():
    """The reference differs between schemes in the 4th decimal; so must we (a scheme argument
    that is ignored would pass the tests above for the path scheme alone)."""
    est = {s: PLSPathModel("ecsi", scheme=s).fit(MOBI).path_coefficients_["coefficient"]
           for s in ("path", "centroid", "factorial")}
    assert np.abs(est["path"] - est["centroid"]).max() > 1e-3
    assert np.abs(est["centroid"] - est["factorial"]).max() > 1e-4


def _seminr(kind: str) -> pd.Series:
    ref = SEMINR[SEMINR.kind == kind]
    return ref.set_index(["from", "to"])["value"].astype(float)


@pytest.fixture(scope="module")
def small():
    return PLSPathModel(SMALL, scheme="path").fit(MOBI)


@pytest.mark.parametrize("measure", ["cronbach_alpha", "rho_c", "ave", "rho_a"])
def test_reliability_is_seminr_s(small, measure):
    ref = _seminr(measure).droplevel("to")
    got = small.quality_.set_index("construct")[measure]
    assert np.abs(got.loc[ref.index] - ref).max() < 1e-8


def test_weights_paths_and_htmt_are_seminr_s(small):
    w = small.outer_weights_.set_index(["construct", "indicator"])["weight"]
    ref = _seminr("weight")
    assert np.abs(w.loc[ref.index] - ref).max() < 1e-8
    p = small.path_coefficients_.set_index(["from", "to"])["coefficient"]
    ref = _seminr("path")
    assert np.abs(p.loc[ref.index] - ref).max() < 1e-8
    ref = _seminr("htmt")
    for (a, b), v in ref.items():
        assert small.htmt_.loc[a, b] == pytest.approx(v, abs=1e-12)
        assert small.htmt_.loc[b, a] == pytest.approx(v, abs=1e-12)


def test_scores_have_unit_variance_and_give_the_paths(small):
    s = small.scores_
    assert np.allclose(s.std(ddof=1), 1.0, atol=1e-12)
    assert np.allclose(s.mean(), 0.0, atol=1e-12)
    # the paths are the OLS regression of Satisfaction's scores on its predecessors' scores
    X = s[["Image", "Expectation", "Value"]].to_numpy()
    beta, *_ = np.linalg.lstsq(X, s["Satisfaction"].to_numpy(), rcond=None)
    assert np.allclose(beta, small.path_coefficients_["coefficient"], atol=1e-12)
    fitted = X @ beta
    assert small.r_squared_["Satisfaction"] == pytest.approx(
        np.corrcoef(fitted, s["Satisfaction"])[0, 1] ** 2, abs=1e-12)


def test_single_indicator_and_single_predecessor():
    m = PLSPathModel("ecsi").fit(MOBI)
    w = m.outer_weights_.set_index("indicator")["weight"]
    assert w["CUSCO"] == 1.0
    # one predecessor: the path is the correlation of the two scores and R² its square
    pc = m.path_coefficients_.set_index(["from", "to"])["coefficient"]
    assert m.r_squared_["Expectation"] == pytest.approx(pc[("Image", "Expectation")] ** 2,
                                                        abs=1e-14)
    assert pc[("Image", "Expectation")] == pytest.approx(
        m.scores_["Image"].corr(m.scores_["Expectation"]), abs=1e-12)
    # total effect through Quality and Expectation: Image→Quality = 0.505 × 0.557
    te = m.total_effects_.set_index(["from", "to"])["effect"]
    assert te[("Image", "Quality")] == pytest.approx(
        pc[("Image", "Expectation")] * pc[("Expectation", "Quality")], abs=1e-14)


def test_mode_b_is_the_multiple_regression(tmp_path):
    """A formative (mode B) block predicting a one-indicator construct: the block's score is
    the OLS prediction of that indicator, so the path is the multiple correlation R and R² the
    regression's R² (whatever the scheme)."""
    model = tmp_path / "b.toml"
    model.write_text('[constructs.Quality]\nindicators = ["PERQ1", "PERQ2", "PERQ5"]\n'
                     'mode = "B"\n[constructs.Satisfaction]\nindicators = ["CUSA1"]\n'
                     '[[paths]]\nfrom = "Quality"\nto = "Satisfaction"\n', encoding="utf-8")
    X = MOBI[["PERQ1", "PERQ2", "PERQ5"]].to_numpy(float)
    y = MOBI["CUSA1"].to_numpy(float)
    A = np.column_stack([np.ones(len(y)), X])
    beta, *_ = np.linalg.lstsq(A, y, rcond=None)
    r2 = np.corrcoef(A @ beta, y)[0, 1] ** 2
    for scheme in ("path", "centroid", "factorial"):
        m = PLSPathModel(model, scheme=scheme).fit(MOBI)
        assert m.r_squared_["Satisfaction"] == pytest.approx(r2, abs=1e-12)
        assert m.path_coefficients_["coefficient"].iloc[0] == pytest.approx(np.sqrt(r2),
                                                                             abs=1e-12)
        # the weights are the OLS slopes on the standardised indicators, rescaled
        slopes = beta[1:] * X.std(axis=0, ddof=1)
        w = m.outer_weights_.query("construct == 'Quality'")["weight"].to_numpy()
        assert np.allclose(w / w[0], slopes / slopes[0], atol=1e-10)
        assert m.quality_.set_index("construct").loc["Quality", "rho_a"] == 1.0


def test_the_vectorised_bootstrap_is_refitting_each_resample():
    """Every resample's paths equal a plain fit on the resampled rows (the draws replayed)."""
    m = PLSPathModel("ecsi", n_bootstrap=6, random_state=7).fit(MOBI)
    rows = np.random.default_rng(7).integers(0, len(MOBI), size=(6, len(MOBI)))
    for b in range(6):
        again = PLSPathModel("ecsi").fit(MOBI.iloc[rows[b]].reset_index(drop=True))
        assert np.allclose(m.bootstrap_samples_.iloc[b].to_numpy(),
                           again.path_coefficients_["coefficient"].to_numpy(), atol=1e-9)
    path = m.bootstrap_[m.bootstrap_.kind == "path"]
    assert np.allclose(path["std_error"], m.bootstrap_samples_.std(ddof=1).to_numpy())
    assert set(m.bootstrap_.kind) == {"path", "total_effect", "weight", "loading"}


def test_bootstrap_standard_errors_agree_with_seminr_s(small):
    """seminr's 500 resamples against our 2,000: the standard errors agree within 10 % (about
    three times the Monte-Carlo error of the two estimates together)."""
    m = PLSPathModel(SMALL, n_bootstrap=2000, random_state=1).fit(MOBI)
    ref = _seminr("boot_sd_path")
    got = m.bootstrap_[m.bootstrap_.kind == "path"].set_index(["from", "to"])["std_error"]
    ratio = got.loc[ref.index] / ref
    assert ratio.between(0.9, 1.1).all(), ratio
    path = m.bootstrap_[m.bootstrap_.kind == "path"]
    assert (path.ci_lower < path.estimate).all() and (path.estimate < path.ci_upper).all()


def test_resamples_with_a_constant_indicator_are_left_out():
    """Twelve respondents, one of whom alone answers CUSCO differently: a resample that misses
    that respondent (about (11/12)^12 = 35 % of them) has a constant column and is dropped."""
    few = MOBI.iloc[:12].copy()
    few["CUSCO"] = [9] + [5] * 11
    m = PLSPathModel("ecsi", n_bootstrap=40, random_state=0).fit(few)
    rows = np.random.default_rng(0).integers(0, 12, size=(40, 12))
    missed = int((~(rows == 0).any(axis=1)).sum())
    assert 0 < missed < 40
    assert m.bootstrap_failed_ == missed
    assert len(m.bootstrap_samples_) == 40 - missed
    assert np.isfinite(m.bootstrap_[["std_error", "ci_lower", "ci_upper"]].to_numpy()).all()


def test_incomplete_rows_are_left_out():
    holey = MOBI.copy()
    holey.loc[[3, 10], "CUSA2"] = np.nan
    m = PLSPathModel("ecsi").fit(holey)
    plain = PLSPathModel("ecsi").fit(MOBI.drop(index=[3, 10]))
    assert m.n_observations_ == 248
    assert np.allclose(m.path_coefficients_["coefficient"], plain.path_coefficients_["coefficient"])


@pytest.mark.parametrize("toml, words", [
    ('[constructs.A]\nindicators=["IMAG1"]\n[constructs.B]\nindicators=["CUEX1"]\n'
     '[[paths]]\nfrom="A"\nto="B"\n[[paths]]\nfrom="B"\nto="A"\n', "cycle"),
    ('[constructs.A]\nindicators=["IMAG1"]\n[[paths]]\nfrom="A"\nto="C"\n', "not a construct"),
    ('[constructs.A]\nindicators=["IMAG1"]\nmode="C"\n', "mode"),
    ('[constructs.A]\nindicators=["IMAG1"]\n[constructs.B]\nindicators=["IMAG1"]\n', "both"),
    ('[constructs.A]\nindicators=["IMAG1"]\n[constructs.B]\nindicators=["CUEX1"]\n'
     '[constructs.C]\nindicators=["CUEX2"]\n[[paths]]\nfrom="A"\nto="B"\n', "no path"),
    ('[constructs]\n', "no \\[constructs"),
    ('title = "no constructs"\n', "no \\[constructs"),
    ('[constructs.A]\nindicators=[]\n', "needs indicators"),
    ('[constructs.A]\nindicators=["IMAG1", 2]\n', "needs indicators"),
    ('[constructs.A]\nindicators=["IMAG1"]\n[constructs.B]\nindicators=["CUEX1"]\n'
     '[[paths]]\nfrom="A"\n', "needs from"),
    ('[constructs.A]\nindicators=["IMAG1"]\n[constructs.B]\nindicators=["CUEX1"]\n'
     '[[paths]]\nto="A"\n', "needs from"),
    ('[constructs.A]\nindicators=["IMAG1"]\n[constructs.B]\nindicators=["CUEX1"]\n'
     '[[paths]]\nfrom=["A"]\nto="B"\n', "needs from"),
])
def test_model_file_errors(tmp_path, toml, words):
    path = tmp_path / "m.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ModelFileError, match=words):
        load_model(path)


def test_the_ecsi_template_is_in_causal_order():
    import dataclasses

    m = load_model("ecsi")
    assert load_model(m) is m and load_model("ECSI") == m
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.paths = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.constructs[0].mode = "B"
    assert m.names == ["Image", "Expectation", "Quality", "Value", "Satisfaction",
                       "Complaints", "Loyalty"]
    assert len(m.paths) == 12 and len(m.indicators) == 24


def test_data_errors():
    with pytest.raises(CvmError, match="CUSCO"):
        PLSPathModel("ecsi").fit(MOBI.drop(columns="CUSCO"))
    flat = MOBI.assign(IMAG2=5)
    with pytest.raises(CvmError, match="IMAG2"):
        PLSPathModel("ecsi").fit(flat)
    with pytest.raises(CvmError, match="scheme"):
        PLSPathModel("ecsi", scheme="pathweighting").fit(MOBI)


def test_one_indicator_constructs_score_one():
    """seminr's convention: a construct measured by one question is its own score; α, ρ_C, ρ_A
    and AVE are 1 whatever the single loading or weight (the formulas would divide by zero)."""
    from cvm.satisfaction import pls_quality as q

    assert q.cronbach_alpha(np.array([[1.0]])) == 1.0
    assert q.composite_reliability(np.array([0.8])) == 1.0
    assert q.average_variance_extracted(np.array([0.8])) == 1.0
    assert q.rho_a(np.array([0.5]), np.array([[1.0]])) == 1.0
    m = PLSPathModel("ecsi").fit(MOBI)
    row = m.quality_.set_index("construct").loc["Complaints"]
    assert (row[["cronbach_alpha", "rho_c", "rho_a", "ave"]] == 1.0).all()
    # the two-item formula by hand: α = 2/(2−1)·(1 − 2/(2 + 2r)) = 2r/(1 + r)
    r = MOBI["PERV1"].corr(MOBI["PERV2"])
    assert m.quality_.set_index("construct").loc["Value", "cronbach_alpha"] == pytest.approx(
        2 * r / (1 + r), abs=1e-14)


def test_htmt_with_a_one_indicator_block_by_hand():
    """HTMT(Satisfaction, Complaints) = mean |r(CUSAᵢ, CUSCO)| / √(mean |r(CUSAᵢ, CUSAⱼ)|, i<j
    × 1): the monotrait mean of a one-question block is 1."""
    m = PLSPathModel("ecsi").fit(MOBI)
    r = MOBI.corr()
    sat = ["CUSA1", "CUSA2", "CUSA3"]
    hetero = r.loc[sat, "CUSCO"].abs().mean()
    mono = np.mean([abs(r.loc[a, b]) for i, a in enumerate(sat) for b in sat[i + 1:]])
    assert m.htmt_.loc["Satisfaction", "Complaints"] == pytest.approx(hetero / np.sqrt(mono),
                                                                      abs=1e-12)
    assert m.htmt_.loc["Complaints", "Satisfaction"] == m.htmt_.loc["Satisfaction", "Complaints"]
    assert np.isnan(np.diag(m.htmt_.to_numpy())).all()
    assert not np.isnan(m.htmt_.to_numpy()[~np.eye(7, dtype=bool)]).any()


def test_construct_labels():
    from cvm.satisfaction.pls_model import CONSTRUCT_LABELS, construct_label

    assert [construct_label(n, "zh") for n in load_model("ecsi").names] == [
        "企业形象", "顾客期望", "感知质量", "感知价值", "顾客满意", "顾客抱怨", "顾客忠诚"]
    assert all(construct_label(n, "en") == n for n in CONSTRUCT_LABELS)
    assert construct_label("Price", "zh") == "Price"


def test_iterations_and_convergence():
    """At the default 1e-10 the ECSI fit takes 8 steps (6 at SmartPLS's 1e-7); stopped early it
    says so; a stop after one step is the same whether max_iter or tol ends it."""
    m = PLSPathModel("ecsi").fit(MOBI)
    assert (m.n_iter_, m.converged_) == (8, True)
    assert PLSPathModel("ecsi", tol=1e-7).fit(MOBI).n_iter_ == 6
    exact = PLSPathModel("ecsi", max_iter=8).fit(MOBI)
    assert (exact.n_iter_, exact.converged_) == (8, True)
    short = PLSPathModel("ecsi", max_iter=3).fit(MOBI)
    assert (short.n_iter_, short.converged_) == (3, False)
    one_by_count = PLSPathModel("ecsi", max_iter=1, tol=0.0).fit(MOBI)
    one_by_tol = PLSPathModel("ecsi", tol=1.0).fit(MOBI)
    assert one_by_tol.n_iter_ == 1 and one_by_tol.converged_
    assert np.array_equal(one_by_count.weights_, one_by_tol.weights_)
    assert not np.allclose(one_by_count.weights_, m.weights_, atol=1e-6)


def test_indicator_scale_does_not_matter_and_one_question_keeps_its_sign():
    """Answers on another scale (÷ 10, so every standard deviation is below 1) give the same
    model; a one-question construct reversed (11 − CUSCO) keeps weight +1 and its paths turn
    negative instead of its weight flipping."""
    base = PLSPathModel("ecsi").fit(MOBI)
    small = PLSPathModel("ecsi").fit(MOBI / 10)
    assert np.allclose(small.weights_, base.weights_, atol=1e-12)
    flipped = PLSPathModel("ecsi").fit(MOBI.assign(CUSCO=11 - MOBI["CUSCO"]))
    w = flipped.outer_weights_.set_index("indicator")["weight"]
    assert w["CUSCO"] == 1.0
    pc = flipped.path_coefficients_.set_index(["from", "to"])["coefficient"]
    ref = base.path_coefficients_.set_index(["from", "to"])["coefficient"]
    assert pc[("Satisfaction", "Complaints")] == pytest.approx(
        -ref[("Satisfaction", "Complaints")], abs=1e-6)


def test_the_fewest_respondents(tmp_path):
    """Three respondents fit a two-construct model (the path is the correlation); two do not;
    a formative block with a repeated question has no regression and says so."""
    model = tmp_path / "two.toml"
    model.write_text('[constructs.A]\nindicators = ["IMAG1"]\n[constructs.B]\n'
                     'indicators = ["CUSA1"]\n[[paths]]\nfrom = "A"\nto = "B"\n', encoding="utf-8")
    three = pd.DataFrame({"IMAG1": [1, 5, 9], "CUSA1": [2, 3, 9]})
    m = PLSPathModel(model).fit(three)
    assert m.path_coefficients_["coefficient"].iloc[0] == pytest.approx(
        three["IMAG1"].corr(three["CUSA1"]), abs=1e-14)
    with pytest.raises(CvmError, match="at least 3"):
        PLSPathModel(model).fit(three.iloc[:2])
    twice = tmp_path / "twice.toml"
    twice.write_text('[constructs.A]\nindicators = ["IMAG1", "IMAG9"]\nmode = "B"\n'
                     '[constructs.B]\nindicators = ["CUSA1", "CUSA2"]\n'
                     '[[paths]]\nfrom = "A"\nto = "B"\n', encoding="utf-8")
    with pytest.raises(CvmError, match="collinear"):
        PLSPathModel(twice).fit(MOBI.assign(IMAG9=MOBI["IMAG1"]))
