"""Pair files read row by row, and the decisions stored in a real workspace: the latest about a
pair is the one in force."""

from __future__ import annotations

import dataclasses

import pytest

from cvm.identity.decisions import (Decision, DecisionError, read_decisions, store_decisions,
                                    stored_decisions)
from cvm.workspace import Workspace


def _file(tmp_path, text, name="pairs.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _read(path, kind="accept"):
    return [(d.source_l, d.source_id_l, d.source_r, d.source_id_r, d.decision, d.origin)
            for d in read_decisions(path, kind)]


def test_each_rows_decision_and_the_kind_of_the_file(tmp_path):
    path = _file(tmp_path, "source_l,source_id_l,source_r,source_id_r,decision\n"
                           "crm,1,shop,2,accept\n"
                           "crm,3,shop,4,否\n"
                           " , , , , \n"             # a blank row is skipped
                           "crm,5,shop,6,\n"         # no decision: skipped
                           "crm,7,shop,8\n"          # a short row: no decision either
                           "crm,9,shop,10, Yes \n")
    assert _read(path, "reject") == [
        ("crm", "1", "shop", "2", "link", "reject:pairs.csv"),
        ("crm", "3", "shop", "4", "separate", "reject:pairs.csv"),
        ("crm", "9", "shop", "10", "link", "reject:pairs.csv")]


def test_a_file_without_decisions_takes_its_kind_and_the_default_source(tmp_path):
    two = _file(tmp_path, "source_id_l,source_id_r\nA,B\nC,D\n", "two.csv")
    assert _read(two, "cannot-link") == [
        ("default", "A", "default", "B", "separate", "cannot-link:two.csv"),
        ("default", "C", "default", "D", "separate", "cannot-link:two.csv")]
    # the source columns present but empty also mean the default source
    four = _file(tmp_path, "source_l,source_id_l,source_r,source_id_r\n,A,shop,B\ncrm,C,,D\n",
                 "four.csv")
    assert _read(four, "must-link") == [
        ("default", "A", "shop", "B", "link", "must-link:four.csv"),
        ("crm", "C", "default", "D", "link", "must-link:four.csv")]
    # ids in the last column of a row that stops short are read as missing
    short = _file(tmp_path, "source_l,source_id_l,source_r,source_id_r\ncrm,A,shop\n",
                  "short.csv")
    with pytest.raises(DecisionError, match=r"short.csv row 2: both source ids are needed"):
        read_decisions(short, "accept")


def test_an_empty_file_has_no_decisions(tmp_path):
    assert read_decisions(_file(tmp_path, ""), "accept") == []


def test_what_a_pair_file_is_refused_for(tmp_path):
    with pytest.raises(ValueError, match="kind must be one of"):
        read_decisions(_file(tmp_path, "source_id_l,source_id_r\nA,B\n"), "maybe")
    with pytest.raises(DecisionError, match="does not exist"):
        read_decisions(tmp_path / "nowhere.csv", "accept")
    for header in ("source_id_l,other", "other,source_id_r"):
        with pytest.raises(DecisionError, match="needs the columns"):
            read_decisions(_file(tmp_path, f"{header}\nA,B\n"), "accept")
    # the row number counts the header as row 1
    bad = _file(tmp_path, "source_id_l,source_id_r,decision\nA,B,yes\nC,D,perhaps\n")
    with pytest.raises(DecisionError, match=r"row 3: decision 'perhaps' is neither"):
        read_decisions(bad, "accept")
    for row in ("A,,yes", ",B,yes"):
        one_id = _file(tmp_path, f"source_id_l,source_id_r,decision\n{row}\n")
        with pytest.raises(DecisionError, match="row 2: both source ids are needed"):
            read_decisions(one_id, "accept")


def test_a_decision_is_frozen():
    d = Decision("crm", "1", "shop", "2", "link", "accept:x.csv")
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.decision = "separate"


def test_the_latest_decision_about_a_pair_is_in_force(tmp_path):
    with Workspace(tmp_path / "ws.duckdb") as ws:
        assert store_decisions(ws, []) == 0
        assert stored_decisions(ws).num_rows == 0
        first = [Decision("shop", "2", "crm", "1", "link", "accept:a.csv"),
                 Decision("crm", "5", "crm", "6", "separate", "reject:a.csv")]
        assert store_decisions(ws, first) == 2
        # the same pair named the other way round, decided again in the same second
        assert store_decisions(ws, [Decision("crm", "1", "shop", "2", "separate",
                                             "reject:b.csv")]) == 1
        got = stored_decisions(ws).to_pylist()
        assert got == [
            {"a_source": "crm", "a_id": "1", "b_source": "shop", "b_id": "2",
             "decision": "separate", "origin": "reject:b.csv"},
            {"a_source": "crm", "a_id": "5", "b_source": "crm", "b_id": "6",
             "decision": "separate", "origin": "reject:a.csv"}]
        stamps = ws.query("SELECT decided_at FROM identity_decisions")
        assert all(s.microsecond == 0 for (s,) in stamps)
