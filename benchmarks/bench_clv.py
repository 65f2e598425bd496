"""CLV models side by side with lifetimes 0.11.3, in one run, printed as ratios.

    python benchmarks/bench_clv.py            # CDNOW sample + synthetic 100k customers
    python benchmarks/bench_clv.py --large    # also 1M and 3M customers

Needs `pip install lifetimes==0.11.3` (a benchmark-only dependency, not one of cvm's). Both
libraries get the same customer summaries (frequency, recency, T in weeks, mean repeat spend);
lifetimes is used as its documentation shows (one row per customer, no weights). Fit time
includes everything each library does inside ``fit`` (for cvm: validation and compression to
unique rows). Scoring is E[purchases in the next 39 weeks | history] and P(alive) for every
customer.

Synthetic data: customers acquired uniformly over 12 weeks, observed to the end of week 39, as
in CDNOW; purchases simulated from the BG/NBD with the CDNOW estimates (r=0.243, alpha=4.414,
a=0.793, b=2.426) in continuous time and recorded to the day, as a summary built from a daily
transaction log would be; repeat spend from the Gamma-Gamma with p=6.25, q=3.74, gamma=15.44,
in cents. Random state fixed.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cvm.models import BGNBD, GammaGamma, ParetoNBD  # noqa: E402

HORIZON = 39.0


def cdnow() -> pd.DataFrame:
    for path in (ROOT / "tests" / "data" / "CDNOW_sample.txt",
                 ROOT / ".." / "shared" / "data" / "cdnow" / "CDNOW_sample.txt"):
        if path.exists():
            break
    raw = pd.read_csv(path, sep=r"\s+", header=None, names=["master_id", "id", "date", "cds", "dollars"])
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    tx = raw.groupby(["id", "date"], as_index=False)["dollars"].sum()
    end = pd.Timestamp("1997-09-30")
    tx = tx[tx["date"] <= end]
    first = tx.groupby("id")["date"].transform("min")
    g = tx.assign(first=first).groupby("id")
    out = pd.DataFrame({"frequency": g.size() - 1,
                        "recency": (g["date"].max() - g["first"].min()).dt.days / 7.0,
                        "T": (end - g["first"].min()).dt.days / 7.0})
    repeat = tx[tx["date"] > first]
    out["monetary_value"] = repeat.groupby("id")["dollars"].mean().reindex(out.index).fillna(0.0)
    return out.reset_index(drop=True)


def synthetic(n: int, random_state: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(random_state)
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    T_days = 273 - rng.integers(0, 84, n)
    T = T_days / 7.0
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    purchases_until_dropout = rng.geometric(p)
    poisson = rng.poisson(lam * T)
    x = np.minimum(purchases_until_dropout, poisson)
    t_x = np.zeros(n)
    pos = x > 0
    t_x[pos] = T[pos] * rng.beta(x[pos], poisson[pos] - x[pos] + 1)
    t_days = np.where(pos, np.clip(np.ceil(t_x * 7.0), 1, T_days), 0)
    pg, qg, gg = 6.25, 3.74, 15.44
    nu = rng.gamma(qg, 1.0 / gg, n)
    spend = np.where(pos, rng.gamma(pg * np.maximum(x, 1), 1.0 / (nu * np.maximum(x, 1))), 0.0)
    return pd.DataFrame({"frequency": x.astype(float), "recency": t_days / 7.0, "T": T,
                         "monetary_value": np.round(spend, 2)})


def timed(fn, repeat: int = 1):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def rel_diff(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


def bench(name: str, data: pd.DataFrame, skip_lifetimes_pareto: bool, repeat: int) -> list[dict]:
    import lifetimes

    f, rec, T = data["frequency"], data["recency"], data["T"]
    rows = []
    n_unique = len(data[["frequency", "recency", "T"]].drop_duplicates())
    print(f"\n== {name}: {len(data):,} customers, {n_unique:,} unique (x, t_x, T) rows")

    specs = [
        ("BG/NBD", BGNBD, lifetimes.BetaGeoFitter, ("r", "alpha", "a", "b"), ("r", "alpha", "a", "b")),
        ("Pareto/NBD", ParetoNBD, lifetimes.ParetoNBDFitter, ("r", "alpha", "s", "beta"), ("r", "alpha", "s", "beta")),
    ]
    for label, ours_cls, theirs_cls, ours_names, theirs_names in specs:
        t_ours, ours = timed(lambda: ours_cls().fit(data), repeat)
        row = {"data": name, "model": label, "cvm_fit_s": t_ours}
        if label == "Pareto/NBD" and skip_lifetimes_pareto:
            print(f"{label:11s} fit  cvm {t_ours:8.3f}s   lifetimes skipped (--lifetimes-pareto-limit)")
            rows.append(row)
            continue
        t_theirs, theirs = timed(lambda: theirs_cls().fit(f, rec, T), 1)
        p_ours = np.array([ours.params_[k] for k in ours_names])
        p_theirs = np.array([theirs.params_[k] for k in theirs_names])
        row.update(lifetimes_fit_s=t_theirs, fit_ratio=t_theirs / t_ours, param_rel_diff=rel_diff(p_ours, p_theirs))
        print(f"{label:11s} fit  cvm {t_ours:8.3f}s   lifetimes {t_theirs:8.3f}s   ratio {t_theirs / t_ours:7.1f}x"
              f"   params max rel diff {row['param_rel_diff']:.1e}   cvm converged={ours.converged_} iters={ours.n_iter_}")
        # scoring with each library's own parameters, then predictions compared
        ts_ours, (e_ours, pa_ours) = timed(lambda: (ours.expected_purchases(HORIZON, data), ours.probability_alive(data)), repeat)
        ts_theirs, (e_theirs, pa_theirs) = timed(lambda: (
            theirs.conditional_expected_number_of_purchases_up_to_time(HORIZON, f, rec, T),
            theirs.conditional_probability_alive(f, rec, T)), repeat)
        row.update(cvm_score_s=ts_ours, lifetimes_score_s=ts_theirs, score_ratio=ts_theirs / ts_ours,
                   pred_rel_diff=max(rel_diff(e_ours, e_theirs), rel_diff(pa_ours, pa_theirs)),
                   lifetimes_nan=int(np.isnan(np.asarray(e_theirs, float)).sum() + np.isnan(np.asarray(pa_theirs, float)).sum()),
                   cvm_nan=int(np.isnan(e_ours).sum() + np.isnan(pa_ours).sum()))
        print(f"{label:11s} score cvm {ts_ours:7.3f}s   lifetimes {ts_theirs:8.3f}s   ratio {ts_theirs / ts_ours:7.1f}x"
              f"   predictions max rel diff {row['pred_rel_diff']:.1e}   NaN cvm/lifetimes {row['cvm_nan']}/{row['lifetimes_nan']}")
        rows.append(row)

    repeat_buyers = data[data["frequency"] > 0]
    t_ours, gg = timed(lambda: GammaGamma().fit(data), repeat)
    t_theirs, gg_l = timed(lambda: lifetimes.GammaGammaFitter().fit(repeat_buyers["frequency"], repeat_buyers["monetary_value"]), 1)
    diff = rel_diff([gg.params_[k] for k in ("p", "q", "gamma")], [gg_l.params_[k] for k in ("p", "q", "v")])
    print(f"{'Gamma-Gamma':11s} fit  cvm {t_ours:8.3f}s   lifetimes {t_theirs:8.3f}s   ratio {t_theirs / t_ours:7.1f}x"
          f"   params max rel diff {diff:.1e}")
    rows.append({"data": name, "model": "Gamma-Gamma", "cvm_fit_s": t_ours, "lifetimes_fit_s": t_theirs,
                 "fit_ratio": t_theirs / t_ours, "param_rel_diff": diff})
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", action="store_true", help="also 1M and 3M synthetic customers")
    parser.add_argument("--lifetimes-pareto-limit", type=int, default=1_000_000,
                        help="skip lifetimes' Pareto/NBD (Nelder-Mead, many minutes) on sets larger "
                             "than this many customers (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N timings for cvm (default 3)")
    parser.add_argument("--csv", type=Path, help="write the figures to this CSV file")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    import lifetimes

    print(f"cvm vs lifetimes {lifetimes.__version__}; numpy {np.__version__}, pandas {pd.__version__}")
    sizes = [("synthetic 100k", 100_000)] + ([("synthetic 1M", 1_000_000), ("synthetic 3M", 3_000_000)]
                                             if args.large else [])
    rows = bench("CDNOW sample", cdnow(), False, args.repeat)
    for name, n in sizes:
        rows += bench(name, synthetic(n), n > args.lifetimes_pareto_limit, args.repeat)
    table = pd.DataFrame(rows)
    print("\nSummary (ratio = lifetimes time / cvm time; > 1 means cvm is faster)")
    cols = [c for c in ("data", "model", "cvm_fit_s", "lifetimes_fit_s", "fit_ratio", "cvm_score_s",
                        "lifetimes_score_s", "score_ratio", "param_rel_diff", "pred_rel_diff") if c in table]
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.4g}".format):
        print(table[cols].to_string(index=False))
    if args.csv:
        table.to_csv(args.csv, index=False)


if __name__ == "__main__":
    main()
