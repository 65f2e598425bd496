"""The demo's outputs — results files, the API's answers and the report's text, in English and
Chinese — are the numbers the fixture in ``tests/data/golden`` holds, written from the code as
it was before the stage contract straightened the pipeline (``outputs.py`` writes it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import outputs  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "golden"


@pytest.fixture(scope="module")
def expected():
    return outputs.read(FIXTURE)


@pytest.fixture(scope="module")
def actual(tmp_path_factory):
    return outputs.capture(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("part", ["en", "zh", "api"])
def test_outputs_unchanged(expected, actual, part):
    found = outputs.differences(expected[part], actual[part], part)
    assert found == [], "\n".join(found)


def test_the_comparison_sees_a_changed_number(expected):
    changed = outputs.read(FIXTURE)["en"]
    row = changed["customers"][0]
    row["clv"] = str(float(row["clv"]) * (1 + 1e-4))
    changed["summary"]["pareto"]["gini"] = 0.5
    found = outputs.differences(expected["en"], changed, "en")
    assert found == [f"en/customers[0]/clv: {expected['en']['customers'][0]['clv']!r}, "
                     f"now {row['clv']!r}",
                     f"en/summary/pareto/gini: {expected['en']['summary']['pareto']['gini']!r},"
                     " now 0.5"]


def test_the_comparison_forgives_float_noise_only():
    assert outputs.differences({"a": 811494.8000000004, "b": "1683.599170124482"},
                               {"a": 811494.8000000003, "b": "1683.5991701244818"}) == []
    assert outputs.differences({"a": 1.0}, {"a": 1.00001}) == ["/a: 1.0, now 1.00001"]
    assert outputs.differences({"a": "let_go"}, {"a": "retain"}) == \
        ["/a: 'let_go', now 'retain'"]


def test_standard_errors_and_paths_compare_loosely_and_nothing_else_does():
    assert outputs.differences({"standard_errors": {"gamma": 16.494044}},
                               {"standard_errors": {"gamma": 16.494001}}) == []
    assert outputs.differences({"standard_errors": {"gamma": 16.49}},
                               {"standard_errors": {"gamma": 16.50}}) == \
        ["/standard_errors/gamma: 16.49, now 16.5"]
    assert outputs.differences({"params": {"gamma": 16.494044}},
                               {"params": {"gamma": 16.494001}}) == \
        ["/params/gamma: 16.494044, now 16.494001"]
    assert outputs.differences({"playbook_path": "/a/src/cvm/segments/playbooks/en.toml"},
                               {"playbook_path": "/b/src/cvm/segments/playbooks/en.toml"}) == []
    assert outputs.differences({"playbook_path": "/a/en.toml"}, {"playbook_path": "/a/zh.toml"}) \
        == ["/playbook_path: '/a/en.toml', now '/a/zh.toml'"]


def test_displayed_figures_may_move_one_unit_of_their_last_digit_only():
    """In the report's text, that is: elsewhere numbers keep their full precision."""
    def report(expected, actual):
        return outputs.differences({"report": expected}, {"report": actual}, "en")

    assert report(["14,149", "679.11", "66%"], ["14,150", "679.12", "67%"]) == []
    assert report(["14,149"], ["14,151"]) == ["en/report[0]: '14,149', now '14,151'"]
    assert report(["679.11"], ["679.13"]) == ["en/report[0]: '679.11', now '679.13'"]
    assert report(["Stability"], ["Formation"]) == ["en/report[0]: 'Stability', now 'Formation'"]
    assert outputs.differences({"clv": "679.11"}, {"clv": "679.12"}) == \
        ["/clv: '679.11', now '679.12'"]
