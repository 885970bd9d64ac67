"""Regenerate book/slth/data/ablation_sweep.csv: the construction's ablation, three targets.

Run:  python scripts/ablation_sweep.py --workers 2 [--targets lenet-conv lenet-all digits]
      [--quick]  (about half an hour on 2 cores for the whole grid, 450 networks)

For each target (LeNet-5 on Fashion-MNIST with its convolutional layers pruned, LeNet-5
with every layer pruned, the digits CNN of the previous chapter), each step of the ablation
(rsslib.slth.experiments.lenet.VARIANTS: literal, rescaled, uncapped, balanced, obs, obs-data,
allocated), each
size budget F and seed: a random network of at most F times the pruned layers' size is
pruned into the target and compared with it on the test images. One row per run; the
chapter reads, per target and step, the smallest budget at which every seed reaches
relative error 1e-3.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from rsslib.slth.experiments import digits
from rsslib.slth.experiments.lenet import VARIANTS, measure
from rsslib.sweeps import run_tasks

OUT = Path(__file__).resolve().parents[1] / "book" / "slth" / "data" / "ablation_sweep.csv"
COLUMNS = (
    "target", "variant", "budget", "seed", "factor", "kept", "relative_error", "agreement",
    "pruned_accuracy", "target_accuracy",
)  # fmt: skip
#: Budgets of the steps that cap the products offered per weight at 24 (cheap at any size).
BUDGETS = {
    "lenet-conv": (10, 15, 20, 25, 30, 35, 40, 50, 60, 80, 120),
    "lenet-all": (20, 30, 40, 50, 60, 80, 120),
    "digits": (10, 15, 20, 25, 30, 35, 40, 50, 60, 80, 120),
}
#: The other steps offer up to 40 products, whose exact solution costs 2^20 per half at
#: large budgets; they reach 1e-3 well before, so their grid stops at 60.
BUDGETS_UNCAPPED = {t: tuple(b for b in grid if b <= 60) for t, grid in BUDGETS.items()}
STEPS = {
    "lenet-conv": tuple(VARIANTS),
    "lenet-all": ("literal", "rescaled", "balanced", "allocated"),
    "digits": tuple(VARIANTS),
}
SEEDS = {"lenet-conv": (0, 1, 2), "lenet-all": (0, 1), "digits": (0, 1, 2)}


def run(target: str, variant: str, budget: float, seed: int, threads=None) -> dict:
    if threads is not None:
        import torch

        from rsslib.sweeps import limit_numba_threads

        torch.set_num_threads(threads)
        limit_numba_threads(threads)
    if target == "digits":
        r = digits.ablation_row(variant, budget, seed)
    else:
        r = measure(target.split("-")[1], budget, seed, variant)
    row = {"target": target, "variant": variant, "budget": budget, "seed": seed}
    row.update({k: r[k] for k in COLUMNS if k in r and k not in row})
    for k in ("relative_error",):
        row[k] = float(f"{row[k]:.3e}")
    for k in ("factor", "agreement", "pruned_accuracy", "target_accuracy"):
        row[k] = round(row[k], 4)
    return row


def budgets(target: str, variant: str, quick: bool = False) -> tuple:
    grid = (BUDGETS if VARIANTS[variant]["max_terms"] <= 24 else BUDGETS_UNCAPPED)[target]
    return grid[2::3] if quick else grid


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", default=list(BUDGETS), choices=list(BUDGETS))
    parser.add_argument("--quick", action="store_true", help="seed 0 and three budgets only")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--workers", type=int, default=1, help="local processes (one thread each if > 1)"
    )
    args = parser.parse_args(argv)
    tasks = [
        (t, v, b, s)
        for t in args.targets
        for v in STEPS[t]
        for b in budgets(t, v, args.quick)
        for s in (SEEDS[t][:1] if args.quick else SEEDS[t])
    ]
    if args.workers > 1:
        # one thread per process; numba's threads do not survive fork
        tasks = [task + (1,) for task in tasks]
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(args.workers, mp_context=context) as pool:
            rows = run_tasks(run, tasks, pool, progress=True, desc="ablation")
    else:
        rows = run_tasks(run, tasks, progress=True, desc="ablation")
    tmp = args.out.with_suffix(".tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, args.out)
    print(f"wrote {len(rows)} rows to {args.out.name}")


if __name__ == "__main__":
    sys.exit(main())
