"""Regenerate book/beyond/data/structured_*.csv (chapter book/beyond/structured_pruning).

Run:  python scripts/structured_sweep.py [--part neuron|digits|all]
      (one core, one thread: about 4 minutes for the neuron part, 2 for the digits part)

Neuron part -> structured_neuron.csv: for d = 1, 2, 3, widths m and 20 seeds, one random
two-layer ReLU network against a target neuron, pruned by whole neurons (exact search,
linear-programming lower bound, local-search upper bound) and by single weights (Pensia
et al.), errors over 512 points of the sphere and a finer set of 4096
(rsslib.slth.experiments.structured.neuron_row).

Digits part -> structured_digits.csv and structured_heuristic.csv: the first layer of the
digits CNN replaced by a random pair and pruned by whole filters or by single weights
(rsslib.slth.experiments.structured.first_layer_row), seeds 1..3 (seed 0 chose the
filter scale rule); and, for small blocks, the filter heuristic against the exact search
on each of the 32 outputs.

Each task is seeded on its own; torch and numba run with one thread.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rsslib.slth.experiments import structured


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("neuron", "digits", "all"), default="all")
    parser.add_argument("--out-dir", type=Path, default=structured.DATA)
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)
    import numba
    import torch

    torch.set_num_threads(1)
    numba.set_num_threads(1)
    for path in structured.run(args.part, args.out_dir, args.progress):
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
