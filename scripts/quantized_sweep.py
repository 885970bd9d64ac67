"""Regenerate book/beyond/data/exact_representation.csv (chapter book/beyond/quantized).

Run:  python scripts/quantized_sweep.py     (about a minute on 2 cores)

For b = 2, 4, ..., 14 bits (grid half width M = 2^b, values and targets integers of
{-M..M}, i.e. multiples of 2^-b in [-1, 1]) and n up to b + 16 values, the exact cover
times of TRIALS seeded samples (rsslib.quantized.exact_cover_times) for two events: the
one target z = M / 2 is a subset sum ("one"), every integer of {-M..M} is ("all"). Each
row holds the number of samples of the n-value prefix that succeed, and three
predictions: the unconditional first moment (Poisson), the first moment given the sample
averaged over samples, and nothing else.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from rsslib import quantized

OUT = Path(__file__).resolve().parents[1] / "book" / "beyond" / "data" / "exact_representation.csv"
BITS = (2, 4, 6, 8, 10, 12, 14)
TRIALS = 2000
EXTRA = 16
SEEDS = {"one": 1, "all": 2}
DRAWS = {"one": 4000, "all": 400}
COLUMNS = (
    "bits", "half_width", "event", "target", "n", "trials", "successes",
    "first_moment", "conditional",
)  # fmt: skip


def rows_for(bits: int, event: str) -> list[dict]:
    M = 2**bits
    target = M // 2 if event == "one" else None
    n_max = bits + EXTRA
    times = quantized.exact_cover_times(n_max, M, TRIALS, SEEDS[event], target)
    out = []
    for n in range(max(1, bits - 3), n_max + 1):
        if event == "one":
            first = quantized.predicted_single(n, M, target)
        else:
            first = quantized.predicted_all(n, M)
        cond = quantized.conditional_prediction(n, M, target, DRAWS[event], seed=SEEDS[event])
        out.append(
            {
                "bits": bits,
                "half_width": M,
                "event": event,
                "target": "" if target is None else target,
                "n": n,
                "trials": TRIALS,
                "successes": int(np.count_nonzero(times <= n)),
                "first_moment": round(first, 6),
                "conditional": round(cond, 6),
            }
        )
    return out


def main() -> None:
    rows = []
    for bits in BITS:
        for event in ("one", "all"):
            rows += rows_for(bits, event)
            print(f"b={bits} {event}", file=sys.stderr, flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
