"""Regenerate book/slth/data/width_sweep.csv: widths needed by Malach's and Pensia's gadgets.

Runs every case of :data:`rsslib.slth.experiments.widths.SWEEP_CASES` (one weight, a 4 x 4
and an 8 x 8 layer; single neuron and subset sum) and writes one row per case and tolerance.
About two minutes on 2 cores; the chapter ``book/slth/constructions`` plots the file and
recomputes one row. Usage: ``python scripts/width_sweep.py [--out PATH]``.
"""

import argparse
import csv
import time
from pathlib import Path

from rsslib.slth.experiments import widths

OUT = Path(__file__).resolve().parents[1] / "book" / "slth" / "data" / "width_sweep.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rows = []
    for case, method, *_ in widths.SWEEP_CASES:
        start = time.perf_counter()
        part = widths.sweep_case(case, method)
        rows += part
        print(f"{case:>7} {method:>6}: {time.perf_counter() - start:6.1f} s")
        for r in part:
            print(f"    eps {r['eps']:<7g} width {r['width']:>7} [{r['low']}, {r['high']}]")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.out}")


if __name__ == "__main__":
    main()
