"""Cover-time distributions of the Random Subset Sum process, stored for Part I's figures.

Run:  python scripts/rss_thresholds.py            (about 10 minutes on 2 cores)
      python scripts/rss_thresholds.py --quick    (a smoke run, not written to the book)

For each sampling distribution, target window and eps, draws ``trials`` samples and records
how many of them first cover the window at each n (their cover time, rsslib.cover_times).
Any success probability P(n) = P(cover time <= n) and any critical n can be read off these
counts. ``trials = max(2000, 20 / eps)`` so that even the level 1 - eps rests on about 20
failures. Samples that do not cover the window with ``n_max`` values are recorded with
cover time ``n_max + 1`` (censored).

Writes book/rss/data/cover_times.csv with columns
dist, window, eps, trials, n_max, cover_time, count.
"""

import argparse
import math
import time
from pathlib import Path

import numpy as np

import rsslib
from rsslib.thresholds import CoverTimes, write_cover_times

OUT = Path(__file__).resolve().parents[1] / "book" / "rss" / "data" / "cover_times.csv"
EPSILONS = (0.2, 0.1, 0.05, 0.02, 0.01, 5e-3, 2e-3, 1e-3, 5e-4, 2e-4, 1e-4)
# (distribution, half width of the window [-w, w], values per sample per log2(1/eps))
CONFIGS = (("uniform", 1.0, 4), ("product", 1.0, 7), ("product", 0.5, 6))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few trials, print only")
    args = parser.parse_args(argv)
    table = {}
    for dist, half, per_bit in CONFIGS:
        for k, eps in enumerate(EPSILONS):
            trials = 200 if args.quick else max(2000, math.ceil(20 / eps))
            n_max = per_bit * math.ceil(math.log2(1 / eps)) + 16
            t0 = time.perf_counter()
            times = rsslib.cover_times(
                n_max, eps, trials, dist=dist, seed=1000 * k + 7, window=(-half, half)
            )
            values, counts = np.unique(times, return_counts=True)
            censored = int(np.sum(times > n_max))
            print(
                f"{dist:>8} [-{half:g},{half:g}] eps={eps:<7g} trials={trials:>7,} "
                f"n_max={n_max:>3} median={int(np.median(times)):>3} censored={censored} "
                f"({time.perf_counter() - t0:.1f} s)",
                flush=True,
            )
            histogram = {int(v): int(c) for v, c in zip(values, counts, strict=True)}
            table[(dist, half, eps)] = CoverTimes(trials, n_max, histogram)
    if args.quick:
        return
    OUT.parent.mkdir(parents=True, exist_ok=True)
    rows = write_cover_times(OUT, table)
    print(f"wrote {rows} rows to {OUT.relative_to(OUT.parents[3])}")


if __name__ == "__main__":
    main()
