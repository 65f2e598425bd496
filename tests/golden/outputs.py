"""Every output of the demo, captured the same way before and after a change, and compared.

``capture(folder)`` runs ``cvm demo`` (English and Chinese) into ``folder``, starts a real
``cvm serve`` on the English workspace and asks every results endpoint, and returns one
document: the results files (customers, segments, summary), the API's answers and the
report's visible text. ``differences(expected, actual)`` lists where two such documents
disagree beyond floating-point noise.

Run as a script to write the fixture the test compares with::

    python tests/golden/outputs.py tests/data/golden
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

#: relative tolerance for numbers (sums in another order, optimiser end points)
REL = 1e-6
ABS = 1e-9
#: keys whose values change from run to run by nature
VOLATILE = {"created_at", "finished_at", "started_at", "seconds", "path", "workspace", "out",
            "results", "source", "sources", "owner_pid", "owner_host", "last_used", "file",
            "files", "generated_at", "version"}
#: API answers captured (GET, analyst role)
ENDPOINTS = ["/overview", "/schemes", "/segments", "/matrix", "/lifecycle/funnel",
             "/lifecycle/flows", "/clv", "/clv/validation", "/alerts",
             "/customers?page_size=50", "/customers?page_size=20&sort=clv&order=desc",
             "/customers?page_size=20&segment=champions",
             "/customers/M100500", "/customers/M100086", "/customers/M101998",
             "/customers/M100074", "/customers/M101965", "/churn/winback?page_size=20", "/runs"]
#: looser tolerance under these keys: standard errors come from a finite-difference Hessian at
#: the optimiser's end point, which moves their sixth significant figure from run to run
LOOSER = {"standard_errors": 1e-4}
_TIMESTAMP = re.compile(r"\d{4}(-\d\d-\d\d[T ]|年\d\d?月\d\d?日 )\d\d:\d\d(:\d\d(\.\d+)?)?")
_SECONDS = re.compile(r"\d+(\.\d+)? ?(s|seconds|秒)\b")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))


def report_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return [_SECONDS.sub("<s>", _TIMESTAMP.sub("<time>", p)) for p in parser.parts]


def _csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [dict(r) for r in csv.DictReader(f)]


def _demo(folder: Path, lang: str) -> Path:
    out = folder / f"demo-{lang}"
    subprocess.run([sys.executable, "-m", "cvm", "demo", "--out", str(out), "--lang", lang],
                   check=True, capture_output=True)
    return out


def _api(workspace: Path, folder: Path) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from api.server import Server

    from cvm.api.tokens import create_token
    from cvm.workspace import Workspace

    with Workspace(workspace) as ws:
        token = create_token(ws, "analyst", name="golden")
    server = Server(workspace, {"analyst": token}, (folder / "none.csv", folder / "none.csv"))
    server.start(folder / "serve.log")
    try:
        with server.client("analyst") as c:
            return {path: c.get(path).json() for path in ENDPOINTS}
    finally:
        server.stop()


def capture(folder: Path) -> dict:
    folder = Path(folder)
    doc: dict = {}
    for lang in ("en", "zh"):
        out = _demo(folder, lang)
        results = out / "results"
        doc[lang] = {
            # the Chinese run differs in its words only: its first rows show them
            "customers": _csv_rows(results / "customers.csv")[:None if lang == "en" else 200],
            "segments": _csv_rows(results / "segments.csv"),
            "summary": json.loads((results / "summary.json").read_text(encoding="utf-8")),
            "report": report_text((results / "report.html").read_text(encoding="utf-8")),
        }
    doc["api"] = _api(folder / "demo-en" / "demo.duckdb", folder)
    return doc


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


_DISPLAYED = re.compile(r"^[¥$€]?(-?[\d,]*\d)(?:\.(\d+))?%?$")


def _displayed(text: str) -> tuple[float, float] | None:
    """A number as the report shows it ('14,149', '679.11', '66%') and one unit of its last
    digit, or None."""
    m = _DISPLAYED.match(text)
    if not m or "," not in text and "." not in text and "%" not in text:
        return None
    decimals = len(m.group(2) or "")
    value = float(m.group(1).replace(",", "") + ("." + m.group(2) if m.group(2) else ""))
    return value, 10.0 ** -decimals


def _close(a: float, b: float, rel: float = REL) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    # quantities that are zero up to rounding (e.g. 1e-28 against 3e-28) agree
    if abs(a) < 1e-12 and abs(b) < 1e-12:
        return True
    return math.isclose(a, b, rel_tol=rel, abs_tol=ABS)


def differences(expected, actual, where: str = "", out: list | None = None,
                limit: int = 50, rel: float = REL) -> list[str]:
    """Where ``actual`` differs from ``expected``: numbers beyond :data:`REL` (or the
    :data:`LOOSER` tolerance of a key above them), anything else exactly; keys in
    :data:`VOLATILE` are not compared, and of a key ending in ``_path`` only the file name
    (the checkout's folder is not a result)."""
    out = [] if out is None else out
    if len(out) >= limit:
        return out
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual), key=str):
            if key in VOLATILE:
                continue
            if key not in actual:
                out.append(f"{where}/{key}: missing")
            elif key not in expected:
                out.append(f"{where}/{key}: new")
            elif str(key).endswith("_path") and isinstance(expected[key], str):
                if Path(expected[key]).name != Path(str(actual[key])).name:
                    out.append(f"{where}/{key}: {expected[key]!r}, now {actual[key]!r}")
            else:
                differences(expected[key], actual[key], f"{where}/{key}", out, limit,
                            LOOSER.get(key, rel))
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            out.append(f"{where}: {len(expected)} items, now {len(actual)}")
            return out
        for i, (e, a) in enumerate(zip(expected, actual)):
            differences(e, a, f"{where}[{i}]", out, limit, rel)
        return out
    x, y = _number(expected), _number(actual)
    shown = (_displayed(expected), _displayed(actual)) if isinstance(expected, str) and \
        isinstance(actual, str) and "/report[" in where else (None, None)
    if shown[0] is not None and shown[1] is not None:
        # a figure rounded for display: a sum's last bits can carry it over a rounding edge
        # (14,149.5 shown as 14,149 or 14,150), one unit of its last digit and no more
        (a, unit), (b, _) = shown
        if abs(a - b) > unit * (1 + 1e-9):
            out.append(f"{where}: {expected!r}, now {actual!r}")
    elif x is not None and y is not None:
        if not _close(x, y, rel):
            out.append(f"{where}: {expected!r}, now {actual!r}")
    elif expected != actual:
        out.append(f"{where}: {expected!r}, now {actual!r}")
    return out


def write(doc: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo-outputs.json.gz"
    raw = json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=0).encode("utf-8")
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as f:
        f.write(raw)
    return path


def read(folder: Path) -> dict:
    with gzip.open(Path(folder) / "demo-outputs.json.gz", "rb") as f:
        return json.load(io.TextIOWrapper(f, encoding="utf-8"))


if __name__ == "__main__":  # pragma: no cover - writes the fixture
    import tempfile

    target = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        print(write(capture(Path(tmp)), target))
