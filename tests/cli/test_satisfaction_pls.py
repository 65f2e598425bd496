"""``cvm satisfaction pls`` on the mobi ECSI survey, run as a user would (a real process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

CVM = [sys.executable, "-m", "cvm"]
DATA = Path(__file__).resolve().parents[1] / "data"
MOBI = DATA / "mobi_ecsi.csv"


def _cvm(*args, cwd=None):
    return subprocess.run([*CVM, *map(str, args)], capture_output=True, text=True, timeout=600,
                          cwd=cwd, env=dict(os.environ, COLUMNS="160"))


def test_pls_writes_the_tables_with_smartpls_numbers(tmp_path):
    out = tmp_path / "pls"
    proc = _cvm("satisfaction", "pls", MOBI, "--model", "ecsi", "--scheme", "factorial",
                "--out", out)
    assert proc.returncode == 0, proc.stderr
    paths = pd.read_csv(out / "path_coefficients.csv")
    weights = pd.read_csv(out / "outer_weights.csv")
    totals = pd.read_csv(out / "total_effects.csv")
    quality = pd.read_csv(out / "quality.csv")
    assert list(paths.columns) == ["from", "to", "coefficient"]
    assert list(weights.columns) == ["construct", "indicator", "weight"]
    assert list(totals.columns) == ["from", "to", "effect"]
    assert {"construct", "r_squared", "cronbach_alpha", "rho_c", "rho_a", "ave"} <= set(quality)
    ref = pd.read_csv(DATA / "pls" / "smartpls_ecsi.csv").query("scheme == 'factorial'")
    for kind, table, value in (("path", paths, "coefficient"), ("total_effect", totals, "effect"),
                               ("weight", weights.rename(columns={"construct": "from",
                                                                  "indicator": "to"}), "weight")):
        both = table.merge(ref[ref.kind == kind], on=["from", "to"], validate="1:1")
        assert len(both) == len(table) == len(ref[ref.kind == kind])
        assert (both[value] - both["value"]).abs().max() < 5e-8, kind
    # the printed table: Satisfaction -> Loyalty 0.48305917 (factorial)
    assert "Satisfaction" in proc.stdout and "0.483" in proc.stdout
    assert (out / "htmt.csv").exists() and (out / "loadings.csv").exists()


def test_pls_bootstrap_adds_intervals_and_chinese_table(tmp_path):
    model = tmp_path / "model.toml"
    model.write_text((DATA / "pls" / "mobi_small.toml").read_text(encoding="utf-8"),
                     encoding="utf-8")
    # a Chinese survey export: GBK text with a respondent column the model does not use
    survey = pd.read_csv(MOBI)
    survey.insert(0, "受访者", [f"张{i}" for i in range(len(survey))])
    survey.to_csv(tmp_path / "survey.csv", index=False, encoding="gb18030")
    proc = _cvm("satisfaction", "pls", "survey.csv", "--model", model, "--bootstrap", "200",
                "--seed", "3", "--lang", "zh", "--out", "res", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    paths = pd.read_csv(tmp_path / "res" / "path_coefficients.csv")
    # the estimates are those on the UTF-8 file (seminr's, to 1e-8)
    assert paths.coefficient.round(6).tolist() == [0.447004, 0.17183, 0.316425]
    assert list(paths.columns) == ["from", "to", "coefficient", "std_error", "ci_lower",
                                   "ci_upper"]
    assert (paths.std_error > 0.03).all() and (paths.std_error < 0.12).all()
    assert (paths.ci_lower < paths.coefficient).all() and (paths.coefficient < paths.ci_upper).all()
    assert "路径系数" in proc.stdout and "顾客满意" in proc.stdout
    boot = pd.read_csv(tmp_path / "res" / "bootstrap.csv")
    assert set(boot.kind) == {"path", "total_effect", "weight", "loading"}


def test_pls_errors_are_one_sentence(tmp_path):
    """In process (click's runner calls the same command): exit 2 and one sentence."""
    from click.testing import CliRunner

    from cvm.cli import main

    bad = tmp_path / "bad.toml"
    bad.write_text('[constructs.A]\nindicators = ["NOPE"]\n[constructs.B]\n'
                   'indicators = ["CUSA1"]\n[[paths]]\nfrom = "A"\nto = "B"\n', encoding="utf-8")
    runner = CliRunner()
    done = runner.invoke(main, ["satisfaction", "pls", str(MOBI), "--model", str(bad),
                                "--out", str(tmp_path / "o")])
    assert done.exit_code == 2
    assert "NOPE" in done.output and "Traceback" not in done.output
    done = runner.invoke(main, ["satisfaction", "pls", str(MOBI), "--model", "acsi2",
                                "--out", str(tmp_path / "o")])
    assert done.exit_code == 2 and "template" in done.output
    assert not (tmp_path / "o").exists()
