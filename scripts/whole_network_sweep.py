"""Regenerate book/slth/data/whole_network_sweep.csv: random CNNs pruned into the digits CNN.

A thin wrapper around ``python -m rsslib prune-sweep --out
book/slth/data/whole_network_sweep.csv`` (about ten minutes on 2 cores); extra arguments
are passed on, e.g. ``--workers 2`` or ``--blocks 4 16 --seeds 0`` for a quick look. The
sweep itself is :mod:`rsslib.slth.experiments.digits`.

``--crossing`` (first argument) writes book/slth/data/whole_network_crossing.csv instead:
the literal construction ("theorem") at the blocks around its crossing of relative error
1e-3, with ten seeds (0 to 9; seeds 0 to 2 are the main sweep's networks), about ten
minutes with ``--workers 2``.
"""

import sys
from pathlib import Path

from rsslib.__main__ import main

DATA = Path(__file__).resolve().parents[1] / "book" / "slth" / "data"
OUT = DATA / "whole_network_sweep.csv"
CROSSING_OUT = DATA / "whole_network_crossing.csv"
#: Blocks and seeds of ``--crossing``.
CROSSING_BLOCKS = (56, 60, 62, 64, 68, 72)
CROSSING_SEEDS = tuple(range(10))


def arguments(argv):
    """The ``python -m rsslib`` arguments for this script's command line."""
    if argv[:1] == ["--crossing"]:
        return [
            "prune-sweep",
            "--out",
            str(CROSSING_OUT),
            "--variants",
            "theorem",
            "--blocks",
            *map(str, CROSSING_BLOCKS),
            "--seeds",
            *map(str, CROSSING_SEEDS),
            *argv[1:],
        ]
    return ["prune-sweep", "--out", str(OUT), *argv]


if __name__ == "__main__":
    sys.exit(main(arguments(sys.argv[1:])))
