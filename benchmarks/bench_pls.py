"""PLS path model speed: 10,000 respondents × 30 items, the fit plus 1,000 bootstrap resamples.

The survey is synthetic: an ECSI-shaped population model (seven constructs, the twelve ECSI
paths, 5 + 4 + 7 + 3 + 4 + 3 + 4 = 30 reflective items with loadings 0.6–0.9) whose answers are
cut into a 1–10 scale. It times ``PLSPathModel(model, n_bootstrap=1000).fit(df)`` (path
scheme) end to end — standardisation, the PLS iteration, the quality measures, the 1,000
resampled correlation matrices and their estimation — and prints the wall-clock and CPU seconds
and the load average (other work on the machine stretches the wall clock). The target is 10 s.

Usage::

    python benchmarks/bench_pls.py
    python benchmarks/bench_pls.py --respondents 2000 --resamples 500 --scheme centroid
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

SIZES = {"Image": 5, "Expectation": 4, "Quality": 7, "Value": 3, "Satisfaction": 4,
         "Complaints": 3, "Loyalty": 4}
PATHS = {("Image", "Expectation"): 0.5, ("Image", "Satisfaction"): 0.2,
         ("Image", "Loyalty"): 0.2, ("Expectation", "Quality"): 0.55,
         ("Expectation", "Value"): 0.05, ("Expectation", "Satisfaction"): 0.06,
         ("Quality", "Value"): 0.55, ("Quality", "Satisfaction"): 0.5,
         ("Value", "Satisfaction"): 0.2, ("Satisfaction", "Complaints"): 0.5,
         ("Satisfaction", "Loyalty"): 0.5, ("Complaints", "Loyalty"): 0.07}


def survey(respondents: int, seed: int = 0) -> pd.DataFrame:
    """Answers on a 1–10 scale from the population model (constructs in causal order; each
    endogenous one is its paths' sum plus noise, scaled to unit variance)."""
    rng = np.random.default_rng(seed)
    latent: dict[str, np.ndarray] = {}
    for name in SIZES:
        value = rng.standard_normal(respondents)
        for (a, b), beta in PATHS.items():
            if b == name:
                value = value + beta * latent[a] / 0.6
        latent[name] = (value - value.mean()) / value.std()
    columns = {}
    for name, k in SIZES.items():
        for i in range(k):
            lam = rng.uniform(0.6, 0.9)
            x = lam * latent[name] + np.sqrt(1 - lam ** 2) * rng.standard_normal(respondents)
            columns[f"{name[:4].upper()}{i + 1}"] = np.clip(np.round(6.5 + 1.8 * x), 1, 10)
    return pd.DataFrame(columns)


def model():
    from cvm.satisfaction.pls_model import Construct, StructuralModel

    constructs = [Construct(n, tuple(f"{n[:4].upper()}{i + 1}" for i in range(k)))
                  for n, k in SIZES.items()]
    return StructuralModel.ordered(constructs, list(PATHS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=10_000)
    parser.add_argument("--resamples", type=int, default=1_000)
    parser.add_argument("--scheme", default="path", choices=["path", "centroid", "factorial"])
    args = parser.parse_args()

    from cvm.satisfaction.pls import PLSPathModel

    data = survey(args.respondents)
    spec = model()
    wall, cpu = time.perf_counter(), time.process_time()
    fitted = PLSPathModel(spec, scheme=args.scheme, n_bootstrap=args.resamples,
                          random_state=1).fit(data)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{args.respondents:,} respondents × {data.shape[1]} items, {args.scheme} scheme, "
          f"{args.resamples:,} bootstrap resamples: {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"(load average {os.getloadavg()[0]:.1f}; {fitted.n_iter_} iterations)")
    paths = fitted.bootstrap_[fitted.bootstrap_.kind == "path"]
    print(paths[["from", "to", "estimate", "std_error", "ci_lower", "ci_upper"]]
          .to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"target ≤ 10 s: {'met' if wall <= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
