"""Regenerate book/slth/data/ablation_sweep.csv: the construction's ablation, three targets.

Run:  python scripts/ablation_sweep.py --workers 2 [--targets lenet-conv lenet-all digits]
      [--quick]  (about half an hour on 2 cores for the whole grid, 450 networks)
      python scripts/ablation_sweep.py --strict --workers 2  (about ten minutes: the
      stricter metrics of book/slth/data/strict_metrics.csv)
      python scripts/ablation_sweep.py --digits-seeds --workers 2  (about three minutes:
      book/slth/data/ablation_digits_seeds.csv)

For each target (LeNet-5 on Fashion-MNIST with its convolutional layers pruned, LeNet-5
with every layer pruned, the digits CNN of the previous chapter), each step of the ablation
(rsslib.slth.experiments.lenet.VARIANTS: literal, rescaled, uncapped, balanced, obs, obs-data,
allocated), each
size budget F and seed: a random network of at most F times the pruned layers' size is
pruned into the target and compared with it on the test images. One row per run; the
chapter reads, per target and step, the smallest budget at which every seed reaches
relative error 1e-3.

``--strict`` reruns the LeNet-5 convolutions' runs of steps 3 (balanced) and 6 (allocated)
around their headline factors and records, beside the relative error of the logits, the
stricter metrics of rsslib.slth.experiments.lenet.measure: the worst and the median
per-image relative error, the relative error at each pruned layer's output, and the largest
weight error relative to its layer's largest weight.

``--digits-seeds`` reruns step 1 (rescaled, 24 products) on the digits CNN at budgets 80
and 120 with twelve seeds (0 to 2 are the ablation's networks) and records, beside the
relative error, the worst weight of each pruned layer and what it was offered
(rsslib.slth.experiments.lenet.worst_weights): why some rows at 120 are worse than at 80.
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
STRICT_OUT = OUT.with_name("strict_metrics.csv")
#: ``--strict``: (step, budgets) for LeNet-5's convolutions, seeds as in the ablation.
STRICT = {"balanced": (50, 60), "allocated": (30, 40, 50, 60)}
STRICT_COLUMNS = (
    "target", "variant", "budget", "seed", "factor", "relative_error", "agreement",
    "image_error_worst", "image_error_median", "conv1_error", "conv2_error",
    "conv1_weight_error", "conv2_weight_error",
)  # fmt: skip


DIGITS_SEEDS_OUT = OUT.with_name("ablation_digits_seeds.csv")
DIGITS_SEEDS = {"budgets": (80, 120), "seeds": tuple(range(12))}
DIGITS_SEEDS_COLUMNS = (
    "budget", "seed", "factor", "relative_error", "worst_layer", "worst_error", "worst_size",
    "offered", "right_sign", "reach",
)  # fmt: skip


def run_digits_seed(budget: float, seed: int, threads=None) -> dict:
    """One ``--digits-seeds`` row: the digits CNN, step 1, and the worst weight of the
    layer whose worst weight error (relative to the layer's largest weight) is largest."""
    import torch

    from rsslib.slth.experiments import lenet

    if threads is not None:
        from rsslib.sweeps import limit_numba_threads

        torch.set_num_threads(threads)
        limit_numba_threads(threads)
    filters, X_test, y_test = digits.load()
    original = digits.network(filters)
    target, net, pruned, _, _ = lenet.prune_into(original, (0, 1, 2), budget, seed, "rescaled")
    result = lenet.compare(
        lenet.logits(target, X_test), lenet.logits(lenet.collapse(pruned), X_test), y_test
    )
    layers = lenet.worst_weights(target, net, pruned, VARIANTS["rescaled"]["max_terms"])
    k = max(range(len(layers)), key=lambda i: layers[i]["error"])
    w = layers[k]
    factor = net.parameter_count(target.weighted()) / target.parameter_count(target.weighted())
    return {
        "budget": budget,
        "seed": seed,
        "factor": round(factor, 4),
        "relative_error": float(f"{result['relative_error']:.3e}"),
        "worst_layer": k,
        "worst_error": float(f"{w['error']:.3e}"),
        "worst_size": round(w["size"], 3),
        "offered": w["offered"],
        "right_sign": w["right_sign"],
        "reach": round(w["reach"], 3),
    }


def run_strict(variant: str, budget: float, seed: int, threads=None) -> dict:
    """One ``--strict`` row: LeNet-5's convolutions, every metric at three digits."""
    if threads is not None:
        import torch

        from rsslib.sweeps import limit_numba_threads

        torch.set_num_threads(threads)
        limit_numba_threads(threads)
    r = measure("conv", budget, seed, variant)
    row = {"target": "lenet-conv", "variant": variant, "budget": budget, "seed": seed}
    row["factor"] = round(r["factor"], 4)
    row["agreement"] = round(r["agreement"], 4)
    values = {
        "relative_error": r["relative_error"],
        "image_error_worst": r["image_error_worst"],
        "image_error_median": r["image_error_median"],
        "conv1_error": r["layer_errors"][0],
        "conv2_error": r["layer_errors"][1],
        "conv1_weight_error": r["max_relative_weight_errors"][0],
        "conv2_weight_error": r["max_relative_weight_errors"][1],
    }
    row.update({k: float(f"{v:.3e}") for k, v in values.items()})
    return row


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
    parser.add_argument(
        "--strict", action="store_true", help="the stricter metrics (strict_metrics.csv)"
    )
    parser.add_argument(
        "--digits-seeds", action="store_true", help="step 1 on the digits CNN, 12 seeds"
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--workers", type=int, default=1, help="local processes (one thread each if > 1)"
    )
    args = parser.parse_args(argv)
    if args.strict:
        func, columns, out = run_strict, STRICT_COLUMNS, args.out or STRICT_OUT
        seeds = SEEDS["lenet-conv"][:1] if args.quick else SEEDS["lenet-conv"]
        tasks = [(v, b, s) for v, grid in STRICT.items() for b in grid for s in seeds]
    elif args.digits_seeds:
        func, columns = run_digits_seed, DIGITS_SEEDS_COLUMNS
        out = args.out or DIGITS_SEEDS_OUT
        tasks = [(b, s) for b in DIGITS_SEEDS["budgets"] for s in DIGITS_SEEDS["seeds"]]
    else:
        func, columns, out = run, COLUMNS, args.out or OUT
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
            rows = run_tasks(func, tasks, pool, progress=True, desc="ablation")
    else:
        rows = run_tasks(func, tasks, progress=True, desc="ablation")
    tmp = out.with_suffix(".tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, out)
    print(f"wrote {len(rows)} rows to {out.name}")


if __name__ == "__main__":
    sys.exit(main())
