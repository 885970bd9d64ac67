"""Regenerate book/slth/data/lottery_sweep.csv: IMP, lottery tickets, controls, edge-popup.

Run:  python scripts/lottery_sweep.py --workers 2 [--seeds 0 1 2] [--quick]
      (about 25 minutes on 2 cores for three seeds)

LeNet-300-100 without biases on Fashion-MNIST, each run trained for 3 epochs on one thread
(rsslib.slth.experiments.lottery holds the recipe). Per seed: the IMP chain (``imp``), the chain
rewound to the initial weights (``ticket``) with its fresh-initialisation control
(``reinit``), a random mask of every round's size trained from scratch (``random``), and
edge-popup at several fractions kept (``edge-popup``). One row per trained network.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from rsslib.slth.experiments import lottery
from rsslib.sweeps import atomic_output, open_executor, run_tasks


def run(kind: str, seed: int, arg, rounds: int, epochs: int) -> list[dict]:
    import torch

    torch.set_num_threads(1)
    if kind == "chain":
        return lottery.chain_rows(seed, arg, rounds, epochs=epochs)
    if kind == "random":
        return [lottery.random_row(seed, arg, epochs=epochs)]
    return [lottery.edge_popup_row(seed, arg, epochs=epochs)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="2 rounds, 1 epoch, 2 keeps")
    parser.add_argument("--out", type=Path, default=lottery.SWEEP)
    parser.add_argument("--workers", type=int, default=1, help="local processes")
    args = parser.parse_args(argv)
    rounds, epochs = (2, 1) if args.quick else (lottery.ROUNDS, lottery.EPOCHS)
    keeps = lottery.KEEPS[:2] if args.quick else lottery.KEEPS
    tasks = []
    for s in args.seeds:
        # the long chains first, so the pool ends with short tasks
        tasks += [("chain", s, "init", rounds, epochs), ("chain", s, "none", rounds, epochs)]
    for s in args.seeds:
        tasks += [("random", s, r, rounds, epochs) for r in range(1, rounds + 1)]
        tasks += [("edge-popup", s, k, rounds, epochs) for k in keeps]
    weights = [3 * rounds if t[0] == "chain" else 1 for t in tasks]
    workers = args.workers if args.workers > 1 else None
    with open_executor(workers, None) as (executor, _, _):
        out = run_tasks(run, tasks, executor, progress=True, desc="lottery", weights=weights)
    rows = [row for rows in out for row in rows]
    with atomic_output(args.out) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=lottery.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.out.name}")


if __name__ == "__main__":
    sys.exit(main())
