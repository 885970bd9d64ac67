"""Benchmark: pruning a random network into LeNet-5 (all layers), time by layer.

Run:  python benchmarks/bench_lenet.py [--quick] [--factor 40]

For the stored LeNet-5 (book/slth/data/lenet5_fashion.npz, 61,470 weights) and a random
network of at most ``factor`` times its size, prunes every layer with three steps of the
chapter's ablation (literal, balanced, allocated: the full construction) and prints, per
layer, the wall time and the subset sum instances (weights) solved per second. Baseline,
in the same process: the same instances of the first convolution solved one by one with
HiGHS (scipy.optimize.milp, the kind of MIP solver the published experiments used), on a
sample, extrapolated to the whole network. Target: the whole network in under 60 s on 2
cores.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR", tempfile.mkdtemp(prefix="rsslib-bench-"))

import numba  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from rsslib.slth.construct import blocks_for_factor, random_network  # noqa: E402
from rsslib.slth.experiments.lenet import (  # noqa: E402
    LAYER_SETS,
    VARIANTS,
    calibration_images,
    load,
    prepare,
    prune_into,
)

_spec = importlib.util.spec_from_file_location(
    "bench_solver", Path(__file__).with_name("bench_solver.py")
)
bench_solver = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_solver)


def first_layer_instances(net, target, max_terms: int, count: int):
    """The subset sum instances of the first ``count`` weights of the first convolution.

    As the literal construction poses them, with contiguous blocks
    (Proposition 12.1 (thesis Proposition 32)): weight ``K[o, j]`` is approximated by a
    subset of the products ``V[o, h] U[h, j]`` over the hidden channels ``h`` of output
    ``o``'s block with ``U[h, j] > 0``, the first ``max_terms`` of them in channel order.
    """
    U, V = net.layers[0][1], net.layers[0][2]
    U2, V2 = U.reshape(U.shape[0], -1).numpy(), V.reshape(V.shape[0], -1).numpy()
    K = target.layers[0][1].reshape(V2.shape[0], -1).numpy()
    block = U2.shape[0] // V2.shape[0]
    out = []
    for i in range(count):
        o, j = divmod(i, K.shape[1])
        hidden = np.arange(o * block, (o + 1) * block)
        hidden = hidden[U2[hidden, j] > 0][:max_terms]
        out.append((V2[o, hidden] * U2[hidden, j], K[o, j]))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="factor 20, two steps")
    parser.add_argument("--factor", type=float, default=40.0)
    args = parser.parse_args(argv)
    factor = 20.0 if args.quick else args.factor
    print(
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"numba {numba.__version__} ({numba.get_num_threads()} threads), factor {factor:g}"
    )
    original, _ = load()
    data = calibration_images(2048, 0)
    totals = {}
    steps = ("literal", "allocated") if args.quick else ("literal", "balanced", "allocated")
    for variant in steps:
        calibration = data if VARIANTS[variant]["compensate"] else None
        *_, report, seconds = prune_into(
            original, LAYER_SETS["all"], factor, 0, variant, calibration=calibration
        )
        totals[variant] = seconds
        print(f"\n{variant}: {totals[variant]:.2f} s in all")
        print(f"{'layer':>6} {'weights':>8} {'block':>6} {'seconds':>8} {'weights/s':>10}")
        for r in report:
            rate = r["instances"] / r["seconds"]
            print(
                f"{r['layer']:>6} {r['instances']:>8,} {r['block']:>6} "
                f"{r['seconds']:>8.2f} {rate:>10,.0f}"
            )

    # baseline: HiGHS on a sample of the first convolution's instances (literal offer)
    target, scales = prepare(original, "top")
    net = random_network(target, blocks_for_factor(target, factor), seed=0, scales=scales)
    sample = 20 if args.quick else 60
    instances = first_layer_instances(net, target, 40, sample)
    t0 = time.perf_counter()
    for values, weight in instances:
        bench_solver.highs_solve(values, weight)
    per_instance = (time.perf_counter() - t0) / sample
    whole = per_instance * original.parameter_count()
    print(
        f"\nHiGHS baseline: {per_instance * 1e3:.1f} ms per instance on {sample} instances, "
        f"about {whole:.0f} s for the {original.parameter_count():,} weights"
    )
    for variant, seconds in totals.items():
        print(f"{variant}: {whole / seconds:,.0f} times faster than the HiGHS estimate")


if __name__ == "__main__":
    main()
