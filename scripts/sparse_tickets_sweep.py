"""Regenerate the data of book/beyond/sparse_tickets.ipynb (Random Fixed-Size Subset Sum).

Run:  python scripts/sparse_tickets_sweep.py [--part rss|network|all] [--quick]
      (about 3 minutes for the RSS part and 10 for the network part, one core)

RSS part -> book/beyond/data/rfss_critical_n.csv. For subsets of exactly k and of at most
k values (rsslib.fixed_size), k = 1..12, and eps = 2^-3 .. 2^-10, the cover times of
``TRIALS`` seeded samples of uniform values on [-1, 1]; a row stores their 0.5- and
0.9-quantiles (critical n at success levels 0.5 and 0.9), the counting bound, and the
same quantiles with no size restriction (rsslib.cover_time), all from the same samples.
k = 1 is read off the exact covering probability
(rsslib.fixed_size.single_value_cover_probability) instead: its critical n reaches
thousands, where simulation is slow and the closed form is exact.

Network part -> book/beyond/data/sparse_tickets_network.csv. The digits CNN
(rsslib.slth.experiments.digits.prune_digits, Part III's construction, uniform weights) and
LeNet-5's two convolutions on Fashion-MNIST (rsslib.slth.experiments.lenet.measure, the "balanced"
variant, no compensation) pruned from random networks of a grid of sizes, each weight
approximated by the best subset of at most ``cap`` products (``cap`` empty: no limit),
three seeds.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from functools import cache
from pathlib import Path

import numpy as np
import torch

import rsslib
from rsslib import fixed_size
from rsslib.slth.experiments import digits
from rsslib.sweeps import atomic_output

DATA = Path(__file__).resolve().parents[1] / "book" / "beyond" / "data"
TRIALS = 400
SEED = 2024
SIZES = (1, 2, 3, 4, 5, 6, 8, 10, 12)
EPS = tuple(2.0**-j for j in range(3, 11))
RSS_COLUMNS = (
    "kind", "k", "eps", "trials", "n_max", "counting", "q50", "q90", "free_q50", "free_q90",
)  # fmt: skip

DIGITS_BUDGETS = (20, 30, 40, 60, 80, 120, 160)
DIGITS_CAPS = (1, 2, 3, 4, 6, 8, None)
LENET_BUDGETS = (20, 30, 40, 60)
LENET_CAPS = (2, 3, 4, 6, None)
NET_SEEDS = (0, 1, 2)
NET_COLUMNS = (
    "net", "budget", "cap", "seed", "factor", "kept", "random_size", "target_size",
    "relative_error", "agreement", "pruned_accuracy", "target_accuracy",
)  # fmt: skip


def quantile(times: np.ndarray, n_max: int, level: float):
    """The level-quantile of the cover times, or None if fewer samples were covered."""
    times = np.sort(times)
    q = int(times[math.ceil(level * times.size - 1e-9) - 1])
    return q if q <= n_max else None


@cache
def exact_single_critical(eps: float, level: float) -> int:
    """Smallest n with P(n intervals of half-width eps cover [-1, 1]) >= level (k = 1)."""
    lo, hi = 1, 2
    while fixed_size.single_value_cover_probability(hi, eps) < level:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:  # the probability is non-decreasing in n (more points cover more)
        mid = (lo + hi) // 2
        if fixed_size.single_value_cover_probability(mid, eps) >= level:
            hi = mid
        else:
            lo = mid
    return hi


def free_quantiles(eps: float, trials: int, n_max: int) -> tuple:
    """Critical n with no size restriction, from the samples the fixed-size rows use."""
    rng = np.random.default_rng(SEED)
    samples = rsslib.draw(trials * n_max, "uniform", rng).reshape(trials, n_max)
    times = np.array([rsslib.cover_time(s, eps) for s in samples])
    return quantile(times, n_max, 0.5), quantile(times, n_max, 0.9)


def rss_rows(eps: float, trials: int) -> list[dict]:
    """The rows of one eps: every (kind, k) from the same samples (common random numbers,
    so the critical n can only fall as k grows in the at-most rows), their length doubled
    until every row has 90% of its samples covered."""
    n_max = max(32, 3 * fixed_size.fixed_size_counting_bound(2, eps))
    while True:
        free = free_quantiles(eps, trials, n_max)
        rows = []
        for kind in ("exact", "at_most"):
            for k in SIZES:
                at_most = kind == "at_most"
                row = {"kind": kind, "k": k, "eps": eps, "trials": trials}
                row["counting"] = fixed_size.fixed_size_counting_bound(k, eps, 2.0, at_most)
                row["free_q50"], row["free_q90"] = free
                if k == 1:  # exact; at most one value is the same event, since the empty
                    # sum covers only [-eps, eps]
                    row.update(n_max="", q50=exact_single_critical(eps, 0.5))
                    row["q90"] = exact_single_critical(eps, 0.9)
                else:
                    times = fixed_size.fixed_size_cover_times(
                        n_max, k, eps, trials, SEED, at_most=at_most
                    )
                    row.update(
                        n_max=n_max,
                        q50=quantile(times, n_max, 0.5),
                        q90=quantile(times, n_max, 0.9),
                    )
                rows.append(row)
        if all(r["q90"] is not None for r in rows) or n_max >= rsslib.montecarlo.MAX_N:
            return rows
        n_max *= 2


def run_rss(path: Path, quick: bool) -> None:
    trials = 60 if quick else TRIALS
    rows = []
    for eps in EPS[:3] if quick else EPS:
        rows += rss_rows(eps, trials)
        for r in rows[-2 * len(SIZES) :]:
            print(f"{r['kind']} k={r['k']} eps={eps:g}: counting {r['counting']}, "
                  f"q50 {r['q50']}, q90 {r['q90']} (free {r['free_q50']})",
                  file=sys.stderr, flush=True)  # fmt: skip
    with atomic_output(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, RSS_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def net_row(name: str, r: dict, random_size: int, target_size: int) -> dict:
    """One CSV row from a pruning result, rounded to what the chapter reads."""
    return {
        "net": name,
        "factor": round(r["factor"], 4),
        "kept": r["kept"],
        "random_size": random_size,
        "target_size": target_size,
        "relative_error": float(f"{r['relative_error']:.4g}"),
        "agreement": round(r["agreement"], 4),
        "pruned_accuracy": round(r["pruned_accuracy"], 4),
        "target_accuracy": round(r["target_accuracy"], 4),
    }


def digits_row(budget: float, cap, seed: int) -> dict:
    r = digits.prune_digits(None, budget, seed, max_subset=cap)
    return net_row("digits", r, r["random_size"], r["target_size"])


def lenet_row(budget: float, cap, seed: int) -> dict:
    from rsslib.slth.experiments.lenet import measure

    r = measure("conv", budget, seed, "balanced", max_subset=cap)
    return net_row("lenet5-conv", r, r["random_params"], r["target_params"])


def run_network(path: Path, quick: bool) -> None:
    torch.set_num_threads(1)
    grids = [("digits", DIGITS_BUDGETS, DIGITS_CAPS, digits_row)]
    grids.append(("lenet5-conv", LENET_BUDGETS, LENET_CAPS, lenet_row))
    rows = []
    for name, budgets, caps, make in grids:
        seeds = NET_SEEDS[:1] if quick else NET_SEEDS
        for budget in budgets[:2] if quick else budgets:
            for cap in caps:
                for seed in seeds:
                    row = make(budget, cap, seed)
                    row.update(budget=budget, cap="" if cap is None else cap, seed=seed)
                    rows.append(row)
                    print(f"{name} budget={budget} cap={cap} seed={seed}: error "
                          f"{row['relative_error']:.3g}, kept {row['kept']}",
                          file=sys.stderr, flush=True)  # fmt: skip
    with atomic_output(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, NET_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("rss", "network", "all"), default="all")
    parser.add_argument("--quick", action="store_true", help="a small grid, to try it out")
    parser.add_argument("--out", type=Path, default=DATA, help="folder of the CSV files")
    args = parser.parse_args(argv)
    if args.part in ("rss", "all"):
        run_rss(args.out / "rfss_critical_n.csv", args.quick)
    if args.part in ("network", "all"):
        run_network(args.out / "sparse_tickets_network.csv", args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
