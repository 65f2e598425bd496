"""``cvm run --uplift-campaign NAME``: the uplift stage learns from a campaign of the workspace
(its arms, and who bought in its window) on the features of the day before it started, and
scores every buyer; an unknown campaign stops the run before anything is loaded."""

import datetime as dt
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

from cvm.cli import main
from cvm.ingest.load import load_transactions
from cvm.workspace import Workspace

IDS = [f"K{i:03d}" for i in range(120)]
README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def cvm(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _purchases(rng, ids, first, days, k):
    return [(c, (first + dt.timedelta(days=int(d))).isoformat(), float(a))
            for c in ids for d, a in zip(rng.integers(0, days, k), rng.integers(20, 200, k))]


def test_run_fits_uplift_on_a_stored_campaign(tmp_path, monkeypatch):
    """The README's command, run where its files are (with --json and the one purchase model,
    for speed)."""
    command = re.search(r"^cvm run .*--uplift-campaign .*$", README, re.MULTILINE).group(0)
    assert command == ("cvm run may-sales.csv --workspace shop.duckdb --as-of 2024-06-30 "
                       "--uplift-campaign may-offer")
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(4)
    path, ws_path = tmp_path / "jan-apr.csv", tmp_path / "shop.duckdb"
    # January to April: every customer buys 1–3 times
    rows = [r for c in IDS for r in _purchases(rng, [c], dt.date(2024, 1, 1), 120,
                                               int(rng.integers(1, 4)))]
    pd.DataFrame(rows, columns=["customer", "date", "amount"]).to_csv(path, index=False)
    with Workspace(ws_path) as ws:      # loaded, not analysed: the run below analyses
        load_transactions(ws, path)
    pd.DataFrame({"customer_id": IDS}).to_csv(tmp_path / "list.csv", index=False)
    assert cvm("campaign", "create", "may-offer", "--list", tmp_path / "list.csv", "--control-share",
               "0.5", "--seed", "3", "--start", "2024-05-01", "--end", "2024-05-31",
               "--workspace", ws_path).exit_code == 0
    with Workspace(ws_path) as ws:
        arms = dict(ws.query("SELECT customer_id, arm FROM campaign_members"))
    # May: a third of the control and two thirds of the treated buy
    buyers = [c for c in IDS if rng.random() < (2 / 3 if arms[c] == "treatment" else 1 / 3)]
    may = tmp_path / "may-sales.csv"
    pd.DataFrame(_purchases(rng, buyers, dt.date(2024, 5, 1), 31, 1),
                 columns=["customer", "date", "amount"]).to_csv(may, index=False)
    done = cvm(*shlex.split(command)[1:], "--clv-model", "bgnbd", "--json")
    assert done.exit_code == 0, done.output
    with Workspace(ws_path) as ws:
        run_id = ws.latest_run()
        uplift = ws.run_summary(run_id)["info"]["stages"]["uplift"]
        targets = ws.result("uplift_targets", run_id).num_rows
        held_out = ws.result("uplift_scores", run_id).to_pandas()
    assert uplift["campaign"] == "may-offer" and uplift["features_as_of"] == "2024-04-30"
    assert (uplift["customers"], uplift["treated"], uplift["control"]) == (120, 60, 60)
    # the held-out part: each member's arm, and whether it bought in May
    assert len(held_out) == uplift["held_out"] > 0
    assert held_out.treated.tolist() == [int(arms[c] == "treatment") for c in held_out.id]
    assert held_out.outcome.tolist() == [int(c in buyers) for c in held_out.id]
    for arm, key in ((1, "response_treated"), (0, "response_control")):
        bought = [c in buyers for c in held_out.id[held_out.treated == arm]]
        assert uplift[key] == sum(bought) / len(bought)
    assert targets == 120                       # every buyer of the run is scored
    missing = cvm("run", may, "--workspace", ws_path, "--uplift-campaign", "june")
    assert missing.exit_code == 2 and "no campaign 'june'" in missing.output
