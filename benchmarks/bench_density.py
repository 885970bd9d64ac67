"""Benchmark: RSS success probability, rsslib vs enumerate-and-sort, same samples, same process.

Run:  python benchmarks/bench_density.py [--quick]

1. Compile time of the kernels (in a fresh numba cache, so it is a real compilation).
2. success_probability(n=22, eps=1e-3, trials=10_000) wall time, and the time per trial of
   a straightforward numpy baseline (all 2^22 subset sums, sorted, gaps checked) on the
   first trials of the same samples; the two must agree on every sample compared.
3. How the cost grows: time per trial for n = 10..60 at eps = 1e-2, 1e-4, 1e-6, both
   with early stopping (cover time) and for a full density trajectory, and the number of
   intervals of the whole-line approximable set at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

# A fresh cache makes the first call a genuine compilation, whatever ran before.
os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="rsslib-bench-")

import numba  # noqa: E402
import numpy as np  # noqa: E402

import rsslib  # noqa: E402
from rsslib import montecarlo  # noqa: E402


def baseline_covered(sample, eps, a=-1.0, b=1.0):
    """Every z in [a, b] within eps of a subset sum? Enumerate all sums, sort, check gaps."""
    sums = np.zeros(1)
    for x in sample:
        sums = np.concatenate([sums, sums + x])
    sums.sort()
    near = sums[(sums >= a - eps) & (sums <= b + eps)]
    if near.size == 0 or near[0] - eps > a or near[-1] + eps < b:
        return False
    return bool(np.all(np.diff(near) <= 2 * eps))


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials (smoke run)")
    args = parser.parse_args(argv)
    n, eps, trials, seed = 22, 1e-3, 10_000, 0
    baseline_trials = 5 if args.quick else 20

    print(f"numba {numba.__version__}, {numba.get_num_threads()} threads, numpy {np.__version__}")
    _, compile_s = timed(rsslib.success_probability, 5, 0.1, 10)
    _, compile_traj = timed(rsslib.density_trajectory, np.array([0.5]), 0.1)
    print(
        f"compile: success_probability {compile_s:.2f} s, density_trajectory {compile_traj:.2f} s"
    )

    est, fast_s = timed(rsslib.success_probability, n, eps, trials, seed=seed)
    print(f"\nsuccess_probability(n={n}, eps={eps:g}, trials={trials:,}): {est}")
    print(f"  rsslib: {fast_s:.3f} s total, {fast_s / trials * 1e6:.1f} us per trial")

    # the same samples success_probability drew: first chunk of the seeded stream
    rows = min(montecarlo.CHUNK, trials)
    samples = np.random.default_rng(seed).uniform(-1.0, 1.0, rows * n).reshape(rows, n)
    times = rsslib.cover_times(n, eps, trials, seed=seed)[:baseline_trials]
    t0 = time.perf_counter()
    base = [baseline_covered(s, eps) for s in samples[:baseline_trials]]
    base_s = (time.perf_counter() - t0) / baseline_trials
    agree = all(bool(t <= n) == b for t, b in zip(times, base, strict=True))
    ratio = base_s / (fast_s / trials)
    print(
        f"  baseline (enumerate 2^{n} sums + sort): {base_s * 1e3:.0f} ms per trial "
        f"on {baseline_trials} trials; agrees on all: {agree}"
    )
    print(f"  speed-up per trial: {ratio:,.0f}x   (target >= 1000x; 10,000 trials < 2 s)")
    if not agree:
        sys.exit("baseline and rsslib disagree")

    print("\ncost growth (per trial; intervals = whole-line set at the end, one sample)")
    print(
        f"{'eps':>7} {'n':>3} {'trials':>6} {'cover time':>11} {'P(success)':>10} "
        f"{'trajectory':>11} {'intervals':>10}"
    )
    for e in (1e-2, 1e-4, 1e-6):
        for m in range(10, 61, 10):
            k = (50 if e < 1e-5 else 200) if not args.quick else 10
            ct, t_cover = timed(rsslib.cover_times, m, e, k, seed=1)
            xs = np.random.default_rng(2).uniform(-1, 1, m)
            _, t_traj = timed(rsslib.density_trajectory, xs, e)
            try:
                count = f"{rsslib.approximable_set(xs, e)[0].size:,}"
            except ValueError:
                count = "refused"
            print(
                f"{e:>7g} {m:>3} {k:>6} {t_cover / k * 1e3:>9.3f}ms {np.mean(ct <= m):>10.3f} "
                f"{t_traj * 1e3:>9.3f}ms {count:>10}"
            )


if __name__ == "__main__":
    main()
