"""Regenerate book/slth/data/lottery_sweep.csv: IMP, lottery tickets, controls, edge-popup.

Run:  python scripts/lottery_sweep.py --workers 2 [--seeds 0 1 2] [--quick]
      (about 25 minutes on 2 cores for three seeds, 6 more for edge-popup-layers)
      python scripts/lottery_sweep.py --workers 2 --kinds edge-popup-layers
      (only those rows: the other methods' rows of --out are kept as they are)

LeNet-300-100 without biases on Fashion-MNIST, each run trained for 3 epochs on one thread
(rsslib.slth.experiments.lottery holds the recipe). Per seed: the IMP chain (``imp``), the chain
rewound to the initial weights (``ticket``) with its fresh-initialisation control
(``reinit``), a random mask of every round's size trained from scratch (``random``), and
edge-popup at several fractions kept, the same in every layer (``edge-popup``), and edge-popup
with IMP's fraction of each layer at every round (``edge-popup-layers``). One row per trained
network.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from rsslib.slth.experiments import lottery
from rsslib.sweeps import open_executor, run_tasks, write_csv


def run(kind: str, seed: int, arg, rounds: int, epochs: int) -> list[dict]:
    import torch

    torch.set_num_threads(1)
    if kind == "chain":
        return lottery.chain_rows(seed, arg, rounds, epochs=epochs)
    if kind == "random":
        return [lottery.random_row(seed, arg, epochs=epochs)]
    if kind == "edge-popup-layers":
        return [lottery.edge_popup_layers_row(seed, arg, epochs=epochs)]
    return [lottery.edge_popup_row(seed, arg, epochs=epochs)]


#: the kinds of task, and the methods (CSV rows) each produces
KINDS = {
    "chain": ("imp", "ticket", "reinit"),
    "random": ("random",),
    "edge-popup": ("edge-popup",),
    "edge-popup-layers": ("edge-popup-layers",),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="2 rounds, 1 epoch, 2 keeps")
    parser.add_argument("--out", type=Path, default=lottery.SWEEP)
    parser.add_argument("--workers", type=int, default=1, help="local processes")
    parser.add_argument(
        "--kinds", nargs="+", choices=list(KINDS), default=list(KINDS),
        help="run only these; the rows of other methods already in --out are kept",
    )  # fmt: skip
    args = parser.parse_args(argv)
    rounds, epochs = (2, 1) if args.quick else (lottery.ROUNDS, lottery.EPOCHS)
    keeps = lottery.KEEPS[:2] if args.quick else lottery.KEEPS
    tasks = []
    for s in args.seeds:
        # the long chains first, so the pool ends with short tasks
        if "chain" in args.kinds:
            tasks += [("chain", s, "init", rounds, epochs), ("chain", s, "none", rounds, epochs)]
    for s in args.seeds:
        if "random" in args.kinds:
            tasks += [("random", s, r, rounds, epochs) for r in range(1, rounds + 1)]
        if "edge-popup" in args.kinds:
            tasks += [("edge-popup", s, k, rounds, epochs) for k in keeps]
        if "edge-popup-layers" in args.kinds:
            tasks += [("edge-popup-layers", s, r, rounds, epochs) for r in range(1, rounds + 1)]
    weights = [3 * rounds if t[0] == "chain" else 1 for t in tasks]
    workers = args.workers if args.workers > 1 else None
    with open_executor(workers, None) as (executor, _, _):
        out = run_tasks(run, tasks, executor, progress=True, desc="lottery", weights=weights)
    rows = [row for rows in out for row in rows]
    if set(args.kinds) != set(KINDS) and args.out.exists():
        produced = {m for k in args.kinds for m in KINDS[k]}
        with open(args.out, newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r["method"] not in produced] + rows
    write_csv(args.out, lottery.COLUMNS, rows)
    print(f"wrote {len(rows)} rows to {args.out.name}")


if __name__ == "__main__":
    sys.exit(main())
