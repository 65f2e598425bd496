"""The README's command examples run as written and print what the README says they print.

Each ```` ``` ```` block of the README that holds ``cvm`` commands is run, line by line, in a
folder holding the files the commands name (``sales.csv``, ``members.csv`` … made from the demo
data), by a real ``cvm`` process; a command the README shows must exit 0. The figures the README
quotes from the demo (its standard output, the lifecycle and matrix counts) are compared with a
demo run.
"""

from __future__ import annotations

import csv
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
CDNOW_SAMPLE = Path(__file__).resolve().parent / "data" / "CDNOW_sample.txt"


def _blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, re.DOTALL)


def _commands(block: str) -> list[str]:
    """The ``cvm`` command lines of a block, comments dropped."""
    out = []
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("cvm "):
            out.append(re.sub(r"\s+#.*$", "", line))
    return out


def _section(title: str) -> str:
    return README.split(title, 1)[1].split("\n## ", 1)[0]


def cvm(args: str | list[str], cwd: Path, env: dict | None = None,
        check: bool = True) -> subprocess.CompletedProcess:
    argv = shlex.split(args) if isinstance(args, str) else args
    assert argv[0] == "cvm"
    done = subprocess.run([sys.executable, "-m", "cvm", *argv[1:]], cwd=cwd,
                          capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=600)
    if check:
        assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """``cvm demo`` run as the README's first command runs it (default folder cvm-demo)."""
    folder = tmp_path_factory.mktemp("readme-demo")
    done = cvm("cvm demo", folder)
    return folder, done


@pytest.fixture(scope="module")
def shop(demo, tmp_path_factory):
    """A folder with the files the README's commands name, made from the demo's data."""
    from openpyxl import Workbook

    source = demo[0] / "cvm-demo" / "data"
    folder = tmp_path_factory.mktemp("readme-shop")
    # the demo's first 800 members and their purchases (the commands read them several times
    # over; a quarter of the demo runs each in a quarter of the time), with every row whose
    # member number is not one of the demo's (the rows the loader rejects)
    kept = re.compile(r"M100[0-7]\d\d$")

    def shop_rows(name: str) -> str:
        lines = (source / name).read_text(encoding="utf-8").splitlines()
        return "\n".join(line for i, line in enumerate(lines)
                         if i == 0 or kept.match(line.split(",", 1)[0])
                         or not re.match(r"M1\d{5}$", line.split(",", 1)[0])) + "\n"

    tx = shop_rows("demo_transactions.csv")
    (folder / "sales.csv").write_text(tx, encoding="utf-8")
    (folder / "members.csv").write_text(shop_rows("demo_customers.csv"), encoding="utf-8")
    rows = list(csv.reader(tx.splitlines()))
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(folder / "sales.xlsx")
    header, body = rows[0], rows[1:]
    for name, keep in (("jan.csv", lambda r: r[1] < "2024-07"), ("feb.csv",
                                                                  lambda r: r[1] >= "2024-07")):
        with (folder / name).open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(r for r in body if keep(r))
    (folder / "mapping.toml").write_text(
        '[transactions]\ncustomer_id = "会员编号"\npurchase_time = "交易时间"\namount = 3\n'
        'order_id = "订单号"\n', encoding="utf-8")
    return folder


def test_the_demo_prints_what_the_readme_shows(demo):
    """Every line of the README's standard-output block that is not a '…' placeholder is
    printed, in that order (a line cut short with '…' starts a printed line); the warning block
    is what standard error says."""
    _, done = demo
    section = _section("## Analyse your own data")
    stdout_block, stderr_block = _blocks(section)[1], _blocks(section)[2]
    printed = done.stdout.splitlines()
    at = 0
    for line in stdout_block.splitlines():
        if not line.strip() or line.strip().startswith("…"):
            continue
        # a line the README cuts short ends in '…': what it shows starts the printed line
        head = line.rstrip("…").rstrip() if line.endswith("…") else None
        while at < len(printed) and not (printed[at] == line or
                                         head and printed[at].startswith(head)):
            at += 1
        assert at < len(printed), f"the README shows {line!r}, the demo does not print it " \
            f"(in order):\n{done.stdout}"
    for line in stderr_block.strip().splitlines():
        assert line in done.stderr.splitlines(), done.stderr


def test_analyse_your_own_data_commands_run_as_written(shop):
    commands = _commands(_blocks(_section("## Analyse your own data"))[0])
    assert len(commands) == 4
    url = os.environ.get("CVM_TEST_POSTGRES_URL")
    for command in commands:
        if command.startswith("cvm run 'postgresql:"):
            if not url:
                continue
            _postgres_sales(url, shop / "sales.csv")
            command = f"cvm run '{url}?table=readme_sales' --workspace pg.duckdb --out pg-out"
        cvm(command, shop)
    # ./cvm-results by default; the zh run's report is in Chinese; results in ./results
    assert (shop / "cvm-results" / "report.html").exists()
    assert "客户价值" in (shop / "cvm-results" / "report.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in (shop / "results").iterdir()) == [
        "customers.csv", "customers.parquet", "rejects.csv", "report.html", "segments.csv",
        "summary.json"]
    assert (shop / "shop.duckdb").exists()
    if url:
        assert (shop / "pg-out" / "customers.csv").exists()


def _postgres_sales(url: str, sales: Path) -> None:
    import psycopg

    rows = list(csv.reader(sales.read_text(encoding="utf-8").splitlines()))[1:]
    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS readme_sales")
        conn.execute("CREATE TABLE readme_sales (customer text, date text, amount text)")
        with conn.cursor().copy("COPY readme_sales FROM STDIN") as copy:
            for r in rows:
                copy.write_row((r[0], r[1], r[2]))


def test_segment_migration_command_runs_as_written(shop):
    cvm("cvm run jan.csv feb.csv --workspace shop.duckdb --out results", shop)
    command, = [c for c in _commands(_section("## RFM")) if c.startswith("cvm compare")]
    done = cvm(command, shop)
    moves = list(csv.DictReader((shop / "moves.csv").open(encoding="utf-8-sig")))
    assert moves and {"from_segment", "to_segment", "customers"} <= set(moves[0])
    assert "(new)" in done.stdout


def test_matrix_commands_run_as_written(shop):
    cvm("cvm run sales.csv --customers members.csv", shop)
    commands = [c for b in _blocks(_section("## Lifecycle, composite value"))
                for c in _commands(b)]
    assert [c.split()[1] for c in commands] == ["matrix", "targets", "alerts"]
    for command in commands:
        cvm(command, shop)
    assert (shop / "win-back.xlsx").exists()


def test_campaign_commands_run_as_written(demo):
    folder = demo[0]
    # the run with --uplift-campaign needs May's purchases: tests/campaigns/test_run_uplift.py
    # runs it
    commands = [c for b in _blocks(_section("## Campaigns: test and learn"))
                for c in _commands(b) if "--uplift-campaign" not in c]
    assert [c.split()[2] for c in commands] == ["plan", "create", "analyse", "results"]
    done = [cvm(command, folder) for command in commands]
    assert '"per_group": 77' in done[0].stdout
    assert (folder / "to-contact.xlsx").exists()
    header = (folder / "ab-test" / "campaign-results.csv").read_text().splitlines()[0]
    assert header.startswith("segment,group,outcome,kind,n,control_n,treated_value,"
                             "control_value,lift,ci_low,ci_high,p_value")
    assert "new-year-tea-offer" in done[3].stdout


def test_clv_commands_run_as_written(tmp_path):
    commands = [c for b in _blocks(_section("## Customer lifetime value")) for c in _commands(b)]
    assert [c.split()[1] for c in commands] == ["validate-clv", "clv-scenario"]
    cvm(["cvm", "run", str(CDNOW_SAMPLE), "--as-of", "1998-06-30"], tmp_path)
    done = cvm(commands[0], tmp_path)
    assert "1,882" in done.stdout or "1882" in done.stdout, done.stdout
    cvm(commands[1], REPO)


def test_satisfaction_pls_command_runs_as_written(tmp_path):
    """The survey the command names is the mobi ECSI data (tests/data); the figures the section
    quotes are the run's."""
    import shutil

    import pandas as pd

    commands = _commands(_blocks(_section("## Satisfaction: structural model (PLS)"))[0])
    assert [c.split()[1:3] for c in commands] == [["satisfaction", "pls"]]
    shutil.copy(REPO / "tests" / "data" / "mobi_ecsi.csv", tmp_path / "mobi_ecsi.csv")
    cvm(commands[0], tmp_path)
    out = tmp_path / "pls-results"
    paths = pd.read_csv(out / "path_coefficients.csv").set_index(["from", "to"])["coefficient"]
    quality = pd.read_csv(out / "quality.csv").set_index("construct")
    text = " ".join(_section("## Satisfaction: structural model (PLS)").split())
    said = re.search(r"Satisfaction has R² ([\d.]+), driven by Quality \(([\d.]+)\), Value "
                     r"\(([\d.]+)\) and Image \(([\d.]+)\), and drives Loyalty \(([\d.]+)\)",
                     text).groups()
    assert [float(x) for x in said] == [
        round(quality.loc["Satisfaction", "r_squared"], 3),
        round(paths[("Quality", "Satisfaction")], 3), round(paths[("Value", "Satisfaction")], 3),
        round(paths[("Image", "Satisfaction")], 3), round(paths[("Satisfaction", "Loyalty")], 3)]
    for name in ("outer_weights.csv", "total_effects.csv", "loadings.csv", "htmt.csv",
                 "bootstrap.csv"):
        assert (out / name).exists(), name


def test_the_lifecycle_figures_are_the_demos(demo):
    """'On the demo data …: 224 prospects, 1,049 exploring …; 69 customers are high current and
    high potential value, holding 14.6 % of value' — counted from the demo's customers."""
    folder, _ = demo
    text = " ".join(_section("## Lifecycle, composite value").split())
    said = re.search(r"On the demo data \(.*?\): (.*?)\. Rules", text).group(1)
    rows = list(csv.DictReader((folder / "cvm-demo" / "results" / "customers.csv")
                               .open(encoding="utf-8-sig")))
    stages = {}
    for r in rows:
        stages[r["lifecycle_stage"]] = stages.get(r["lifecycle_stage"], 0) + 1
    words = {"prospects": "prospect", "exploring": "exploration", "forming": "formation",
             "stable": "stability", "declining": "decline", "churned": "churned"}
    for number, word in re.findall(r"([\d,]+) (prospects|exploring|forming|stable|declining|"
                                   r"churned)", said):
        assert int(number.replace(",", "")) == stages[words[word]], (word, stages)
    hh, share = re.search(r"([\d,]+) customers are high current and high potential value, "
                          r"holding ([\d.]+) %", said).groups()
    in_hh = [r for r in rows if r["value_quadrant"] == "HH"]
    assert int(hh.replace(",", "")) == len(in_hh)
    total = sum(float(r["monetary_total"] or 0) for r in rows)
    assert round(100 * sum(float(r["monetary_total"] or 0) for r in in_hh) / total, 1) == \
        float(share)


def test_token_and_report_commands_run_as_written(shop):
    """`cvm serve` runs in the API tests (a real server); the other two commands run here."""
    cvm("cvm run jan.csv feb.csv --workspace shop.duckdb --out results", shop)
    commands = _commands(_blocks(_section("## REST API and dashboard"))[0])
    assert [c.split()[1] for c in commands] == ["token", "serve", "report"]
    done = cvm(commands[0], shop)
    assert re.search(r"\bcvm_[A-Za-z0-9_-]{20,}", done.stdout), done.stdout
    cvm(commands[2], shop)
    pdf, = shop.glob("*.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_unified_customer_view_commands_run_as_written(shop, tmp_path):
    """Three source systems' lists (the linkage generator of the identity tests), the crm
    record the README looks up renamed C0001; the reviewed review.csv is the one cvm wrote."""
    import shutil

    sys.path.insert(0, str(REPO / "benchmarks"))
    from linkage_data import SOURCES, generate

    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    table = generate(300, random_state=11)
    ids = table["customer_id"].to_pylist()
    first_crm = next(i for i, s in enumerate(table["source"].to_pylist()) if s == "crm")
    ids[first_crm] = "C0001"
    table = table.set_column(table.schema.get_field_index("customer_id"), "customer_id",
                             [ids])
    for source in SOURCES:
        part = table.filter(pc.equal(table["source"], source)).drop(["source", "person_id"])
        pacsv.write_csv(part, tmp_path / f"{source}.csv")
    shutil.copy(shop / "sales.csv", tmp_path / "sales.csv")
    commands = _commands(_blocks(_section("## Unified customer view"))[0])
    assert [c.split()[1] for c in commands] == ["link", "link", "run", "customer"]
    cvm(commands[0], tmp_path)
    shutil.copy(tmp_path / "cvm-linkage" / "review.csv", tmp_path / "review.csv")
    for command in commands[1:3]:
        cvm(command, tmp_path)
    done = cvm(commands[3], tmp_path)
    assert "Golden record" in done.stdout and "C0001" in done.stdout, done.stdout


def test_service_log_command_runs_as_written(demo, tmp_path):
    """The demo's service log, with two rows the loader must reject, loaded as the README
    shows; read = loaded + rejected, and the rejects file lists the two."""
    import shutil

    log = demo[0] / "cvm-demo" / "data" / "demo_service_log.csv"
    shutil.copy(log, tmp_path / "service-log.csv")
    with (tmp_path / "service-log.csv").open("a", encoding="utf-8") as f:
        f.write("M100001,2024-02-30 10:00,电话,投诉,,\nM100002,2024-03-01 10:00,传真,咨询,,\n")
    command, = _commands(_blocks(_section("## Service contacts and complaints"))[0])
    done = cvm(command, tmp_path)
    lines = log.read_text(encoding="utf-8").count("\n") - 1
    assert f"{lines + 2:,} rows read, {lines:,} loaded, 2 rejected" in done.stdout, done.stdout
    rejects = (tmp_path / "contact-rejects.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rejects) == 3 and "传真" in rejects[2]


def test_satisfaction_commands_run_as_written(demo, tmp_path):
    """The survey commands run on the demo's survey, and print the load line and the index
    the README quotes."""
    data = demo[0] / "cvm-demo" / "data"
    (tmp_path / "survey.csv").write_bytes((data / "demo_survey.csv").read_bytes())
    (tmp_path / "survey.toml").write_bytes((data / "demo_survey.toml").read_bytes())
    section = _section("## Satisfaction: surveys, index and NPS")
    commands = _commands(_blocks(section)[0])
    assert [c.split()[2] for c in commands] == ["load", "index", "nps", "importance", "gap"]
    printed = [cvm(command, tmp_path).stdout for command in commands]
    quoted = re.search(r"`(survey\.csv: [^`]+)`", section).group(1)
    assert quoted in printed[0].splitlines()
    index = re.search(r"the index is (\d+) \(95 % interval (\d+)–(\d+)\)", " ".join(section.split()))
    assert re.search(rf"│\s+555 │\s+{index.group(1)} │\s+{index.group(2)}–{index.group(3)} │",
                     printed[1]), printed[1]


def test_survey_model_commands_run_as_written(demo, tmp_path):
    """The demo's survey with its model: the load keeps the model, `cvm survey model` prints
    the path coefficients and intervals the README quotes."""
    data = demo[0] / "cvm-demo" / "data"
    for source, target in (("demo_survey.csv", "survey.csv"), ("demo_survey.toml", "survey.toml"),
                           ("demo_survey_model.toml", "survey_model.toml")):
        (tmp_path / target).write_bytes((data / source).read_bytes())
    section = _section("## Satisfaction: surveys, index and NPS")
    commands = _commands(_blocks(section)[1])
    assert [c.split()[1:3] for c in commands] == [["survey", "load"], ["survey", "model"]]
    printed = [cvm(command, tmp_path).stdout for command in commands]
    text = " ".join(section.split())
    quoted = re.findall(r"(\S+) (\d\.\d{3}) \[(\d\.\d{3}), (\d\.\d{3})\]",
                        text.split("the paths to Satisfaction are", 1)[1])
    assert [q[0] for q in quoted] == ["茶饮", "店员", "速度", "门店", "价格", "Loyalty"]
    for name, estimate, low, high in quoted:
        source = "Satisfaction" if name == "Loyalty" else name
        target = "Loyalty" if name == "Loyalty" else "Satisfaction"
        assert re.search(rf"│ {source}\s+│ {target}\s+│\s+{estimate} │\s+\S+ │\s+"
                         rf"\[{low}, {high}\] │", printed[1]), printed[1]
    r2 = re.search(r"R² ([\d.]+) \(Satisfaction\) and ([\d.]+) \(Loyalty\)", text).groups()
    assert f"R²: Satisfaction {r2[0]}, Loyalty {r2[1]}" in printed[1]
    assert "417 complete answers of 555" in " ".join(printed[1].split())


def test_cohort_commands_run_as_written(demo):
    """The cohort commands run in the folder `cvm demo` wrote, and print the triangle, the
    CSV and the members' curves they say."""
    folder, _ = demo
    commands = _commands(_blocks(_section("## Cohorts and retention curves"))[0])
    assert [c.split()[1] for c in commands] == ["cohorts"] * 4
    shown = [cvm(c, folder).stdout for c in commands]
    assert "Share of each cohort that bought" in shown[0] and "2023-07-01" in shown[0]
    triangle = list(csv.reader((folder / "cohorts.csv").open(encoding="utf-8-sig")))
    assert triangle[0][:3] == ["cohort", "customers", "period_0"] and len(triangle) == 1 + 18
    # one quarterly triangle per first-day tier, low to high (titles may wrap)
    flat = " ".join(shown[2].split())
    titles = [flat.find(f"first-day spend: {t}") for t in
              ("low (bottom third of the cohort)", "middle third", "high (top third of the cohort)")]
    assert -1 not in titles and titles == sorted(titles) and "2023-07-01" in flat
    assert "Retention curves" in shown[3] and "标准会员" in shown[3]
