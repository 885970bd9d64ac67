"""Regenerate the data of book/beyond/distributions.ipynb ("Which random weights?").

Run:  python scripts/distributions_sweep.py [--part rss|network|all]
      (about 2 minutes for the RSS part and 10 for the network part on 2 cores)

RSS part -> book/beyond/data/critical_n.csv. For each law of rsslib.weights (uniform,
product, gaussian with variance 1/3, hyperbolic) and each tolerance, the cover times of
``TRIALS`` seeded samples; the row stores their 0.5- and 0.9-quantiles (the critical n at
success levels 0.5 and 0.9). Three sweeps:

- ``absolute``: every z in [-1, 1] within eps, eps = 2^-k; hyperbolic on [eps, 1];
- ``relative_eps``: every low <= |z| <= 1 within eps |z|, low = 2^-6, eps = 2^-k;
  hyperbolic on [eps low, 1];
- ``relative_range``: the same at eps = 2^-3, low = 2^-j.

Network part -> book/beyond/data/digits_width.csv. The digits CNN pruned from random
networks whose entries follow each law (rsslib.slth.experiments.digits.prune_digits), for a grid
of size budgets, three seeds, and two scales of the random V (top = 1/4, Part III's, and 1/16).
A (law, top) stops once every seed has reached relative error 1e-3 at two budgets in a
row.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

import numpy as np

import rsslib
from rsslib import weights

DATA = Path(__file__).resolve().parents[1] / "book" / "beyond" / "data"
TRIALS = 400
SEED = 2020
LAWS = ("uniform", "product", "gaussian", "hyperbolic")
RELATIVE_LOW = 2.0**-6
RANGE_EPS = 2.0**-3
SWEEPS = {
    "absolute": [(2.0**-k, None) for k in range(2, 15)],
    "relative_eps": [(2.0**-k, RELATIVE_LOW) for k in range(1, 11)],
    "relative_range": [(RANGE_EPS, 2.0**-j) for j in range(1, 15)],
}
RSS_COLUMNS = ("kind", "law", "eps", "low", "trials", "n_max", "covered", "q50", "q90")

NET_LAWS = {
    "uniform": {},
    "product": {},
    "gaussian": {},
    "hyperbolic-6": {"low": 2.0**-6},
    "hyperbolic-10": {"low": 2.0**-10},
}
TOPS = (0.25, 0.0625)
BUDGETS = (20, 25, 30, 35, 40, 50, 60, 80, 100, 120, 160)
NET_SEEDS = (0, 1, 2)
GOAL = 1e-3
NET_COLUMNS = (
    "law", "top", "budget", "seed", "factor", "relative_error", "agreement",
    "pruned_accuracy", "target_accuracy",
)  # fmt: skip


def law_for(name: str, eps: float, low: float | None):
    """The sampler of one RSS row: the hyperbolic law starts at the finest scale asked."""
    if name == "hyperbolic":
        return weights.sampler("hyperbolic", low=eps * (low if low is not None else 1.0))
    return weights.sampler(name)


def cover_times(kind: str, name: str, eps: float, low: float | None, n_max: int, trials: int):
    dist = law_for(name, eps, low)
    if kind == "absolute":
        return rsslib.cover_times(n_max, eps, trials, dist, seed=SEED)
    return weights.relative_cover_times(n_max, eps, low, trials, dist, seed=SEED)


def rss_row(kind: str, name: str, eps: float, low: float | None, trials: int = TRIALS) -> dict:
    """One row of critical_n.csv: n_max doubled until 90% of the samples are covered."""
    bits = math.log2(1.0 / (eps * (low if low is not None else 1.0)))
    n_max = int(2 * bits) + 24
    while True:
        times = cover_times(kind, name, eps, low, n_max, trials)
        q90 = weights.critical_from_times(times, n_max, 0.9)
        if q90 is not None or n_max >= 512:
            break
        n_max *= 2
    q50 = weights.critical_from_times(times, n_max, 0.5)
    return {
        "kind": kind,
        "law": name,
        "eps": eps,
        "low": "" if low is None else low,
        "trials": trials,
        "n_max": n_max,
        "covered": int(np.count_nonzero(times <= n_max)),
        "q50": "" if q50 is None else q50,
        "q90": "" if q90 is None else q90,
    }


def run_rss() -> None:
    rows = []
    for kind, grid in SWEEPS.items():
        for name in LAWS:
            for eps, low in grid:
                rows.append(rss_row(kind, name, eps, low))
                r = rows[-1]
                print(f"{kind} {name} eps={eps:g} low={low} -> {r['q50']} {r['q90']}",
                      file=sys.stderr, flush=True)  # fmt: skip
    with open(DATA / "critical_n.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, RSS_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def net_row(law: str, top: float, budget: float, seed: int) -> dict:
    from rsslib.slth.experiments.digits import prune_digits  # torch only for the network part

    name = law.split("-")[0]
    out = prune_digits(weights.sampler(name, **NET_LAWS[law]), budget, seed, top=top)
    return {
        "law": law,
        "top": top,
        "budget": budget,
        "seed": seed,
        "factor": round(out["factor"], 4),
        "relative_error": float(f"{out['relative_error']:.4g}"),
        "agreement": round(out["agreement"], 4),
        "pruned_accuracy": round(out["pruned_accuracy"], 4),
        "target_accuracy": round(out["target_accuracy"], 4),
    }


def run_network() -> None:
    rows = []
    for law in NET_LAWS:
        for top in TOPS:
            streak = 0
            for budget in BUDGETS:
                batch = [net_row(law, top, budget, s) for s in NET_SEEDS]
                rows += batch
                worst = max(r["relative_error"] for r in batch)
                print(f"{law} top={top} budget={budget}: worst {worst:.2e}",
                      file=sys.stderr, flush=True)  # fmt: skip
                streak = streak + 1 if worst <= GOAL else 0
                if streak == 2:
                    break
    with open(DATA / "digits_width.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, NET_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("rss", "network", "all"), default="all")
    args = parser.parse_args(argv)
    DATA.mkdir(parents=True, exist_ok=True)
    if args.part in ("rss", "all"):
        run_rss()
    if args.part in ("network", "all"):
        run_network()


if __name__ == "__main__":
    main()
