"""Regenerate book/slth/data/whole_network_sweep.csv: random CNNs pruned into the digits CNN.

A thin wrapper around ``python -m rsslib prune-sweep --out
book/slth/data/whole_network_sweep.csv`` (about ten minutes on 2 cores); extra arguments
are passed on, e.g. ``--workers 2`` or ``--blocks 4 16 --seeds 0`` for a quick look. The
sweep itself is :mod:`rsslib.slth.experiments.digits`.
"""

import sys
from pathlib import Path

from rsslib.__main__ import main

OUT = Path(__file__).resolve().parents[1] / "book" / "slth" / "data" / "whole_network_sweep.csv"

if __name__ == "__main__":
    sys.exit(main(["prune-sweep", "--out", str(OUT), *sys.argv[1:]]))
