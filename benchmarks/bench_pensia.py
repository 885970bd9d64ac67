"""Benchmark: the two exact solvers of the Pensia et al. experiment vs exhaustive search.

Run:  python benchmarks/bench_pensia.py [--quick]

The instances of the experiment (rsslib.slth.experiments.pensia,
scripts/pensia_experiment.py): the stored Fashion-MNIST target's weights
(book/slth/data/pensia_target.npz) against the n = 21 products v u of the random network
that rsslib.slth.pensia.random_network draws with the experiment's seed, eps = 0.01.
Without the stored target, normal targets with the same median |w| against products drawn
by rsslib.slth.pensia.random_layer. In one process, on the same instances:

1. rsslib.best_subsets (minimum error) and rsslib.sparsest.sparsest_subsets (fewest values
   within eps) on all 397,000 instances (``--quick``: 40,000): instances per second;
2. the baseline, exhaustive enumeration of the 2^21 subset sums (rsslib.exhaustive, numpy)
   on a small sample, answering both questions; its answers are compared with the solvers'.
Prints the speed-up of each solver over the baseline.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("NUMBA_CACHE_DIR", tempfile.mkdtemp(prefix="rsslib-bench-"))

import numba  # noqa: E402
import numpy as np  # noqa: E402

import rsslib  # noqa: E402
from rsslib.exhaustive import subset_sums  # noqa: E402
from rsslib.slth import pensia  # noqa: E402
from rsslib.slth.experiments import pensia_target  # noqa: E402
from rsslib.sparsest import sparsest_subsets  # noqa: E402

N, EPS = pensia.N_VALUES, pensia.EPS
SEED = 1  # the experiment's seed (scripts/pensia_experiment.py --seed)


def instances(rng, m):
    """m instances (all of them if m is larger): values (m, N), targets (m,), source."""
    if pensia_target.TARGET.exists():
        weights = pensia_target.load_target()
        layers = pensia.random_network(weights, N, SEED)
        a = np.concatenate([pensia.products(u, v).reshape(-1, N) for u, v in layers])
        w = np.concatenate([x.ravel() for x in weights]).astype(float)
        if m < w.size:
            rows = rng.permutation(w.size)[:m]
            a, w = a[rows], w[rows]
        return a, w, f"weights of {pensia_target.TARGET.name}, the experiment's random network"
    w = rng.normal(0.0, 0.0037, m)  # median |w| about 0.0025, like the stored target
    u, v = pensia.random_layer(1, m, N, SEED, 0)
    a = pensia.products(u, v)[0]
    return a, w, "normal targets (no stored target found)"


def exhaustive(a_row, w, sizes):
    """Both answers by enumerating all 2^n sums: (min error, sparsest size, its error)."""
    err = np.abs(subset_sums(a_row) - w)
    ok = err <= EPS
    if not ok.any():
        return err.min(), -1, err.min()
    k = sizes[ok].min()
    return err.min(), int(k), err[ok & (sizes == k)].min()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer instances")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(2026)
    m = 40_000 if args.quick else 397_000
    a, w, source = instances(rng, m)
    print(f"numba {numba.__version__}, {numba.get_num_threads()} threads; {w.size} "
          f"instances, n = {N}, eps = {EPS}; targets: {source}")  # fmt: skip

    rsslib.best_subsets(a[:8], w[:8])  # compile
    sparsest_subsets(a[:8], w[:8], EPS)
    t0 = time.perf_counter()
    min_masks, min_err = rsslib.best_subsets(a, w)
    t_min = time.perf_counter() - t0
    t0 = time.perf_counter()
    sp_masks, sp_err, feasible = sparsest_subsets(a, w, EPS)
    t_sp = time.perf_counter() - t0

    sample = rng.choice(w.size, 10 if args.quick else 30, replace=False)
    sizes = np.array([bin(i).count("1") for i in range(2**N)])
    t0 = time.perf_counter()
    brute = [exhaustive(a[r], w[r], sizes) for r in sample]
    t_brute = (time.perf_counter() - t0) / sample.size

    for (e_min, k, e_k), r in zip(brute, sample, strict=True):
        assert abs(min_err[r] - e_min) <= 1e-12, "minimum error differs from enumeration"
        if k >= 0:
            assert feasible[r] and sp_masks[r].sum() == k, "sparsest size differs"
            assert abs(sp_err[r] - e_k) <= 1e-12, "sparsest error differs"
        else:
            assert not feasible[r]

    rate_min, rate_sp = w.size / t_min, w.size / t_sp
    print(f"exhaustive (numpy, 2^{N} sums): {1 / t_brute:10.1f} instances/s "
          f"({sample.size} instances, answers agree with both solvers)")  # fmt: skip
    print(f"best_subsets (min error):       {rate_min:10.0f} instances/s "
          f"({t_min:.1f} s in all), {rate_min * t_brute:,.0f}x exhaustive")  # fmt: skip
    print(f"sparsest_subsets (eps = {EPS}):  {rate_sp:10.0f} instances/s "
          f"({t_sp:.1f} s in all), {rate_sp * t_brute:,.0f}x exhaustive")  # fmt: skip
    print(f"kept values: min error {int(min_masks.sum()):,}, sparsest "
          f"{int(sp_masks.sum()):,}; infeasible {int((~feasible).sum())}")  # fmt: skip


if __name__ == "__main__":
    main()
