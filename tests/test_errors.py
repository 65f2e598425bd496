"""One error root: every error cvm raises for a user to act on is a ``CvmError``, and the command
line turns each one into its one-line message and exit code 2 (a real ``cvm`` process)."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import os
import pkgutil
import subprocess
import sys

import pytest

import cvm
from cvm.errors import ConfigError, CvmError

CVM = [sys.executable, "-m", "cvm"]

#: every error class of cvm, with the built-in base that callers may catch it by
USER_ERRORS = {
    "cvm.api.reader.MaskedColumn": PermissionError,
    "cvm.api.tokens.TokenError": ValueError,
    "cvm.api.tokens.TokenExpired": Exception,
    "cvm.api.uploads.UploadError": ValueError,
    "cvm.config.ConfigError": ValueError,
    "cvm.engine.MissingExtraError": ImportError,
    "cvm.features.rfm_schemes.SchemeError": ValueError,
    "cvm.features.weights.WeightsError": ValueError,
    "cvm.identity.decisions.DecisionError": ValueError,
    "cvm.identity.link.LinkError": RuntimeError,
    "cvm.identity.view.CustomerNotFound": LookupError,
    "cvm.ingest.columns.MappingError": ValueError,
    "cvm.ingest.members.MemberFileError": ValueError,
    "cvm.satisfaction.pls_model.ModelFileError": ValueError,
    "cvm.satisfaction.pls.PLSDataError": ValueError,
    "cvm.satisfaction.survey.SurveyError": ValueError,
    "cvm.campaigns.design.CampaignError": ValueError,
    "cvm.baskets.rules.BasketError": Exception,
    "cvm.models.uplift_evaluation.UpliftError": Exception,
    "cvm.insights.stored.BadQuery": ValueError,
    "cvm.insights.stored.NotFound": LookupError,
    "cvm.ingest.readers.SourceError": ValueError,
    "cvm.models._base.NotFittedError": AttributeError,
    "cvm.models.scenario.ScenarioError": ValueError,
    "cvm.stages.contract.AnalysisError": RuntimeError,
    "cvm.reports.typeface.FontMissing": RuntimeError,
    "cvm.results.ResultsError": OSError,
    "cvm.segments.actions.SegmentError": ValueError,
    "cvm.segments.playbook.PlaybookError": ValueError,
    "cvm.workspace.WorkspaceError": RuntimeError,
    "cvm.spark.cluster.ClusterError": RuntimeError,
    "cvm.spark.sources.SparkSourceError": ValueError,
}


def _error(dotted: str) -> type:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("dotted", sorted(USER_ERRORS))
def test_every_user_error_is_a_cvm_error_and_keeps_its_builtin_base(dotted):
    error = _error(dotted)
    assert issubclass(error, CvmError)
    assert issubclass(error, USER_ERRORS[dotted])
    # raised and caught as the root, the message is the sentence it was given
    if error.__name__ == "TokenExpired":
        exc = error("k1", dt.datetime(2024, 3, 1, 12, 30))
        message = "token k1 expired at 2024-03-01 12:30:00: ask an admin for a new one"
    else:
        exc = error(message := "the file x.csv has no amount column")
    with pytest.raises(CvmError) as caught:
        raise exc
    assert str(caught.value) == message


def test_config_error_is_one_class_wherever_it_is_imported_from():
    from cvm.config import ConfigError as from_config
    from cvm.features.weights import WeightsError

    assert from_config is ConfigError
    assert WeightsError.__mro__[1] is ConfigError


def test_no_exception_class_of_cvm_lies_outside_the_root():
    """Every exception class defined anywhere in cvm is listed above and is a CvmError: a new
    error cannot be added without the command line knowing it."""
    found = set()
    for info in pkgutil.walk_packages(cvm.__path__, "cvm."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException)
                    and obj.__module__ == info.name):
                found.add(f"{info.name}.{name}")
    found.discard("cvm.errors.CvmError")
    found.discard("cvm.errors.ConfigError")  # re-exported as cvm.config.ConfigError
    assert found == set(USER_ERRORS) - {"cvm.config.ConfigError"}


def _cvm(*args, cwd) -> subprocess.CompletedProcess:
    env = dict(os.environ, COLUMNS="120")
    return subprocess.run([*CVM, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)


SALES = "customer,date,amount\nA,2024-03-05,10\nA,2024-03-06,20\nB,2024-03-07,5\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A folder with a small sales file, one complete run in ``w.duckdb`` and broken inputs."""
    path = tmp_path_factory.mktemp("errors")
    (path / "sales.csv").write_text(SALES, encoding="utf-8")
    (path / "nocolumns.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (path / "empty.csv").write_text("customer,date,amount\n", encoding="utf-8")
    (path / "bad.toml").write_text("[transactions\n", encoding="utf-8")
    (path / "scenario.toml").write_text("nonsense", encoding="utf-8")
    (path / "accept.csv").write_text("a;b\n", encoding="utf-8")
    (path / "afile").write_text("", encoding="utf-8")
    (path / "playbook.toml").write_text("[[plays]]\ncell = 'XX'\n", encoding="utf-8")
    # Saaty's CR of this matrix is 0.148: one judgement (credit vs growth) contradicts the rest
    (path / "ahp.csv").write_text("1,9,9,9,9\n0.111,1,1,1,1\n0.111,1,1,1,0.111\n"
                                  "0.111,1,1,1,1\n0.111,1,9,1,1\n", encoding="utf-8")
    made = _cvm("-q", "run", "sales.csv", "--workspace", "w.duckdb", "--as-of", "2024-03-31",
                cwd=path)
    assert made.returncode == 0, made.stderr
    return path


NO_WORKSPACE = ("there is no workspace at nowhere.duckdb: make one by loading your transactions "
                "(cvm run FILE), or try cvm on demo data (cvm demo); give another workspace "
                "with --workspace")
CELLS = ("HH-prospective, HH-current, HH-churned, HL-prospective, HL-current, HL-churned, "
         "LH-prospective, LH-current, LH-churned, LL-prospective, LL-current, LL-churned")

#: one command per kind of user error, and the one line it prints
CASES = {
    "SourceError": (("run", "nofile.csv", "--workspace", "new.duckdb"),
                    "nofile.csv: no such file"),
    "ConfigError": (("run", "sales.csv", "--mapping", "bad.toml", "--workspace", "new.duckdb"),
                    "mapping file bad.toml is not valid TOML: Expected ']' at the end of a table "
                    "declaration (at line 1, column 14)"),
    "WorkspaceError": (("runs", "--workspace", "nowhere.duckdb"), NO_WORKSPACE),
    "CustomerNotFound": (("customer", "ZZZ", "--workspace", "w.duckdb"),
                         "no customer 'ZZZ' in workspace w.duckdb"),
    "SchemeError": (("run", "sales.csv", "--rfm-scheme", "nosuch", "--workspace", "new.duckdb"),
                    "unknown scheme 'nosuch': not a built-in scheme (seed4, cn8, std11) and not a "
                    "file ending in .toml, .yaml, .yml"),
    "AnalysisError": (("run", "empty.csv", "--workspace", "empty.duckdb"),
                      "workspace empty.duckdb holds no transactions: load a file first"),
    "LinkError": (("link", "--workspace", "w.duckdb"),
                  "workspace w.duckdb holds no customer records: give customer files"),
    "DecisionError": (("link", "--workspace", "w.duckdb", "--accept", "accept.csv"),
                      "accept.csv: needs the columns source_l, source_id_l, source_r, "
                      "source_id_r (as in review.csv); found a;b"),
    "ScenarioError": (("clv-scenario", "scenario.toml"),
                      "scenario file scenario.toml is not valid TOML: Expected '=' after a key "
                      "in a key/value pair (at end of document)"),
    "SegmentError": (("targets", "ZZ-*", "--out", "t.csv", "--workspace", "w.duckdb"),
                     f"no matrix cell matches 'ZZ-*'; cells are {CELLS}"),
    "WeightsError": (("run", "sales.csv", "--weight-method", "ahp", "--ahp-matrix", "ahp.csv",
                      "--workspace", "new.duckdb"),
                     "the pairwise comparisons are too inconsistent to use: consistency ratio "
                     "0.148 > 0.1 (λmax 5.664, CI 0.166, RI 1.12 for n = 5). The judgement that "
                     "disagrees most with the others is (credit vs growth) = 0.111, where the "
                     "other judgements imply about 0.35; revise it (Saaty's rule: CR at most "
                     "0.1)"),
    "PlaybookError": (("run", "sales.csv", "--workspace", "playbook.duckdb", "--as-of",
                       "2024-03-31", "--playbook", "playbook.toml"),
                      f"playbook playbook.toml has no [seed12] section with the 12 cells ({CELLS})"),
    "ResultsError": (("run", "sales.csv", "--workspace", "results.duckdb", "--as-of",
                      "2024-03-31", "--out", "afile/x"),
                     "the results folder afile/x could not be written (File exists); nothing "
                     "was written"),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_command_line_prints_each_user_error_as_one_line(folder, kind):
    args, message = CASES[kind]
    proc = _cvm(*args, cwd=folder)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1] == f"error: {message}"
