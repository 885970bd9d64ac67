"""Benchmark: pruning a random CNN into the digits CNN (Part III), wall time and throughput.

Run:  python benchmarks/bench_prune.py [--quick]

1. The digits target of book/slth/data/digits_cnn.npz (3x3 filters, 1-32-32-10 channels,
   12,384 weights), normalised to l1 norm 1 per filter, pruned at eps = 0.01 from random
   networks with 32, 64 and 96 hidden channels per output channel: wall time of
   rsslib.slth.prune, weights (subset sum instances) solved per second, relative output error
   on the digits test images. Target: under 10 s on 2 cores for the largest.
2. How the time grows with the size of the target: random targets with 8, 16, 32 and 64
   channels in the hidden layers, blocks of 64.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR", tempfile.mkdtemp(prefix="rsslib-bench-"))

import numba  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from rsslib import slth  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "book" / "slth" / "data" / "digits_cnn.npz"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller networks (smoke run)")
    args = parser.parse_args(argv)
    print(
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"numba {numba.__version__} ({numba.get_num_threads()} threads)"
    )
    stored = np.load(DATA)
    target, _ = slth.normalise_filters([torch.from_numpy(stored[f"arr_{i}"]) for i in range(3)])
    X = torch.from_numpy((load_digits().images / 16.0)[:, None, :, :])
    with torch.no_grad():
        reference = slth.SimpleCNN(target)(X)
    k = sum(f.numel() for f in target)
    slth.prune(slth.random_cnn([1, 32, 32, 10], [3, 3, 3], [32, 32, 10]), target, 0.01, 4)

    print(f"\ndigits target: k = {k} weights, eps = 0.01")
    print(f"{'block':>5} {'random params':>13} {'prune s':>8} {'weights/s':>10} {'rel. error':>10}")
    for block in (8, 16) if args.quick else (32, 64, 96):
        net = slth.random_cnn(
            [1, 32, 32, 10], [3, 3, 3], [32 * block, 32 * block, 10 * block], seed=block
        )
        t0 = time.perf_counter()
        pruned, report = slth.prune(net, target, 0.01, max_terms=min(block, 32))
        seconds = time.perf_counter() - t0
        with torch.no_grad():
            out = slth.SimpleCNN(slth.effective_filters(pruned))(X)
        rel = float((out - reference).abs().max() / reference.abs().max())
        print(
            f"{block:>5} {net.parameter_count():>13,} {seconds:>8.2f} {k / seconds:>10,.0f} "
            f"{rel:>10.2e}"
        )

    print("\ngrowth with the target (random targets, blocks of 64, max_terms 32)")
    print(f"{'hidden channels':>15} {'k':>7} {'prune s':>8} {'weights/s':>10}")
    gen = torch.Generator().manual_seed(0)
    for c in (4, 8) if args.quick else (8, 16, 32, 64):
        channels = [1, c, c, 10]
        filters = [
            torch.rand(channels[i + 1], channels[i], 3, 3, generator=gen, dtype=torch.float64) * 2
            - 1
            for i in range(3)
        ]
        filters, _ = slth.normalise_filters(filters)
        block = 16 if args.quick else 64
        net = slth.random_cnn(channels, [3, 3, 3], [x * block for x in channels[1:]], seed=c)
        t0 = time.perf_counter()
        slth.prune(net, filters, 0.01, max_terms=32)
        seconds = time.perf_counter() - t0
        k = sum(f.numel() for f in filters)
        print(f"{c:>15} {k:>7,} {seconds:>8.2f} {k / seconds:>10,.0f}")


if __name__ == "__main__":
    main()
