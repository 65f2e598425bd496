"""The mutation check (scripts/mutate.py) on a toy module whose mutants are known by hand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "mutate.py"

TOY = textwrap.dedent('''\
    def grade(score):
        if score >= 50:
            return "pass"
        return "fail"


    def halve_until_small(x):
        while x > 1:
            x = x / 2
        return x
''')

# grade(80) and grade(10) cannot tell ">= 50" from "> 50" or ">= 51"
WEAK_TEST = textwrap.dedent('''\
    from toy import grade, halve_until_small


    def test_grade():
        assert grade(80) == "pass"
        assert grade(10) == "fail"


    def test_halve():
        assert halve_until_small(8.0) == 1.0
''')

BOUNDARY_TEST = textwrap.dedent('''\
    from toy import grade


    def test_grade_at_the_pass_mark():
        assert grade(50) == "pass"
        assert grade(49) == "fail"
''')

EQUIVALENTS = textwrap.dedent('''\
    [[equivalent]]
    module = "src/toy.py"
    line = 2
    mutation = "50 → 51"
    reason = "listed to check that the score leaves it out"

    [[equivalent]]
    module = "src/toy.py"
    line = 30
    mutation = "< → <="
    reason = "no such line: reported as stale"

    [[equivalent]]
    module = "src/other.py"
    line = 2
    mutation = "50 → 51"
    reason = "another module: ignored"
''')


def _project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "toy.py").write_text(TOY)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_toy.py").write_text(WEAK_TEST)
    (tmp_path / "tests" / "test_boundary.py").write_text(BOUNDARY_TEST)
    (tmp_path / "tests" / "mutation_equivalents.toml").write_text(EQUIVALENTS)
    return tmp_path


def _check(root: Path, *tests: str) -> tuple[dict, str]:
    # the toy tests need no pytest plugin: without them a run starts in a fraction of a second
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "src/toy.py", *tests, "--jobs", "2", "--timeout", "10",
         "--json", "out.json"], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((root / "out.json").read_text()), done.stdout


def test_known_mutants_are_caught_survive_or_time_out(tmp_path):
    root = _project(tmp_path)
    before = (root / "src" / "toy.py").read_text()
    summary, out = _check(root, "tests/test_toy.py")
    got = {(r["line"], r["label"]): r["status"] for r in summary["results"]}
    assert got == {
        (2, "condition negated"): "caught",
        (2, ">= → >"): "survived",
        (2, "50 → 51"): "survived",  # listed as equivalent
        (3, "return → return None"): "caught",
        (4, "return → return None"): "caught",
        (8, "condition negated"): "caught",
        (8, "> → >="): "caught",  # 8, 4, 2, 1, 0.5
        (8, "1 → 0"): "caught",  # halves down to 0.0
        (8, "1 → 2"): "caught",  # stops at 2
        (9, "/ → *"): "timeout",  # doubles for ever (inf > 1)
        (9, "2 → 3"): "caught",
        (10, "return → return None"): "caught",
    }
    assert (summary["mutants"], summary["caught"], summary["timeouts"], summary["survived"],
            summary["equivalent"]) == (12, 9, 1, 1, 1)
    assert summary["score"] == round(10 / 11, 4)
    assert [e["line"] for e in summary["stale_equivalents"]] == [30]
    assert "line    2  >= → >" in out and "score 90.9%" in out
    assert "equivalent entry matches no mutant: line 30 < → <=" in out
    # the module itself was never touched
    assert (root / "src" / "toy.py").read_text() == before


def test_a_boundary_test_catches_the_survivors_and_the_wrong_equivalent(tmp_path):
    root = _project(tmp_path)
    summary, out = _check(root, "tests/test_toy.py", "tests/test_boundary.py")
    assert (summary["caught"], summary["timeouts"], summary["survived"],
            summary["equivalent"]) == (11, 1, 0, 0)
    assert summary["score"] == 1.0
    assert [(m["line"], m["label"]) for m in summary["wrongly_listed"]] == [(2, "50 → 51")]
    assert "listed as equivalent but caught: line 2 50 → 51 (remove the entry)" in out
