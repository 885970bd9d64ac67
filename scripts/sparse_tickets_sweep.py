"""Regenerate the data of book/beyond/sparse_tickets.ipynb (Random Fixed-Size Subset Sum).

Run:  python scripts/sparse_tickets_sweep.py [--part rss|network|all] [--quick]
      (about 8 minutes for the RSS part and 10 for the network part, one core)

RSS part -> book/beyond/data/rfss_critical_n.csv (and the cover times behind it,
rfss_cover_times.npz): critical n of subsets of exactly k and
of at most k values, k = 1..12, eps = 2^-3 .. 2^-10, from 400 seeded samples
(rsslib.fixed_size_sweep.run).

Network part -> book/beyond/data/sparse_tickets_network.csv: the digits CNN and LeNet-5's
two convolutions pruned with at most ``cap`` products per weight, three seeds
(rsslib.slth.experiments.sparse_tickets.run).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rsslib import fixed_size_sweep

DATA = fixed_size_sweep.DATA


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("rss", "network", "all"), default="all")
    parser.add_argument("--quick", action="store_true", help="a small grid, to try it out")
    parser.add_argument("--out", type=Path, default=DATA, help="folder of the CSV files")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)
    if args.part in ("rss", "all"):
        fixed_size_sweep.run(args.out / "rfss_critical_n.csv", args.quick, args.progress)
    if args.part in ("network", "all"):
        from rsslib.slth.experiments import sparse_tickets

        sparse_tickets.run(args.out / "sparse_tickets_network.csv", args.quick, args.progress)
    return 0


if __name__ == "__main__":
    sys.exit(main())
