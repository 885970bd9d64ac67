"""Benchmark: exact subset search, rsslib vs scipy.optimize.milp (HiGHS), same instances.

Run:  python benchmarks/bench_solver.py [--quick]

1. 200 instances with n = 21 coefficients (products of two uniforms on [-1, 1], targets
   uniform on [-0.5, 0.5]), solved by rsslib and by HiGHS through scipy.optimize.milp with
   the model  min t  s.t.  -t <= sum_i x_i s_i - z <= t,  s binary.  HiGHS's solution is
   rounded to 0/1 and its *true* error recomputed (its objective is only accurate to its
   feasibility tolerance). Prints the per-instance time ratio and how the errors compare.
2. Pruning scale (a 784-500-10 target network has about 397,000 weights): 397,000
   instances with n = 21, then 10,000 instances with n = 32 and n = 40. Prints wall time,
   the fraction of instances with error <= 0.01 and the mean number of coefficients kept.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="rsslib-bench-")

import numba  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy.optimize import Bounds, LinearConstraint, milp  # noqa: E402

import rsslib  # noqa: E402


def instances(rng, m, n):
    samples = rng.uniform(-1, 1, (m, n)) * rng.uniform(-1, 1, (m, n))
    targets = rng.uniform(-0.5, 0.5, m)
    return samples, targets


def highs_solve(xs, z):
    """min t s.t. -t <= x.s - z <= t, s in {0,1}^n, t >= 0. Returns the rounded mask."""
    n = xs.size
    c = np.zeros(n + 1)
    c[-1] = 1.0
    a = np.zeros((2, n + 1))
    a[0, :n], a[0, -1] = xs, -1.0  # x.s - t <= z
    a[1, :n], a[1, -1] = xs, 1.0  # x.s + t >= z
    constraints = LinearConstraint(a, [-np.inf, z], [z, np.inf])
    integrality = np.concatenate([np.ones(n), [0]])
    bounds = Bounds(np.zeros(n + 1), np.concatenate([np.ones(n), [np.inf]]))
    res = milp(
        c,
        constraints=constraints,
        integrality=integrality,
        bounds=bounds,
        options={"mip_rel_gap": 0.0},
    )
    if res.x is None:
        raise RuntimeError(f"HiGHS failed: {res.message}")
    return np.round(res.x[:n]).astype(bool)


def best_of(repeats, fn, *args):
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return out, best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer instances (smoke run)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(2026)
    threads = numba.get_num_threads()
    print(f"numba {numba.__version__} ({threads} threads), scipy {scipy.__version__}")

    t0 = time.perf_counter()
    rsslib.best_subsets(*instances(rng, 4, 21))
    rsslib.best_subset(np.ones(3), 1.0)
    rsslib.best_subsets_for_targets(np.ones(3), np.ones(2))
    print(f"compile (fresh cache): {time.perf_counter() - t0:.2f} s")

    m = 20 if args.quick else 200
    samples, targets = instances(rng, m, 21)
    (masks, errors), batch_s = best_of(20, rsslib.best_subsets, samples, targets)
    _, loop_s = best_of(
        5, lambda: [rsslib.best_subset(s, t) for s, t in zip(samples, targets, strict=True)]
    )
    t0 = time.perf_counter()
    highs_errors = np.array(
        [abs(s[highs_solve(s, t)].sum() - t) for s, t in zip(samples, targets, strict=True)]
    )
    highs_s = time.perf_counter() - t0
    per_fast, per_loop, per_highs = batch_s / m, loop_s / m, highs_s / m
    print(f"\n{m} instances, n = 21: per instance")
    print(f"  rsslib best_subsets (batch, {threads} threads): {per_fast * 1e6:9.1f} us")
    print(f"  rsslib best_subset (one call at a time)  : {per_loop * 1e6:9.1f} us")
    print(f"  scipy milp / HiGHS                       : {per_highs * 1e3:9.1f} ms")
    print(
        f"  ratio HiGHS / rsslib batch: {per_highs / per_fast:,.0f}x, "
        f"/ single calls: {per_highs / per_loop:,.0f}x   (target >= 10,000x)"
    )
    tol = 1e-12
    print(
        f"  errors: rsslib better in {np.sum(errors < highs_errors - tol)}, equal in "
        f"{np.sum(np.abs(errors - highs_errors) <= tol)}, worse in "
        f"{np.sum(errors > highs_errors + tol)} (must be 0)"
    )
    print(
        f"  median error rsslib {np.median(errors):.2e}, HiGHS (true, rounded) "
        f"{np.median(highs_errors):.2e}"
    )
    if np.any(errors > highs_errors + tol):
        raise SystemExit("rsslib found a worse subset than HiGHS: not optimal")

    print("\npruning scale (coefficients: products of two uniforms; targets U[-0.5, 0.5])")
    print(
        f"{'instances':>10} {'n':>3} {'wall s':>8} {'us/inst':>8} {'err<=0.01':>10} "
        f"{'kept/target':>11} {'max error':>10}"
    )
    scale = [(397_000, 21), (10_000, 32), (10_000, 40)]
    if args.quick:
        scale = [(20_000, 21), (500, 32), (100, 40)]
    for count, n in scale:
        samples, targets = instances(rng, count, n)
        t0 = time.perf_counter()
        masks, errors = rsslib.best_subsets(samples, targets)
        wall = time.perf_counter() - t0
        print(
            f"{count:>10,} {n:>3} {wall:>8.2f} {wall / count * 1e6:>8.1f} "
            f"{np.mean(errors <= 0.01):>10.4f} {masks.sum(axis=1).mean():>11.2f} "
            f"{errors.max():>10.2e}"
        )
    count = 20_000 if args.quick else 397_000
    sample = instances(rng, 1, 21)[0][0]
    targets = rng.uniform(-0.5, 0.5, count)
    t0 = time.perf_counter()
    rsslib.best_subsets_for_targets(sample, targets)
    wall = time.perf_counter() - t0
    print(
        f"one shared sample of n = 21, {count:,} targets: {wall:.2f} s "
        f"({wall / count * 1e6:.1f} us per target)"
    )


if __name__ == "__main__":
    main()
