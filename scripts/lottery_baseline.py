"""Regenerate book/slth/data/lottery_baseline.csv: the dense baseline trained to convergence.

Run:  python scripts/lottery_baseline.py --workers 2 [--seeds 0 1 2] [--quick]
      (about 15 minutes on 2 cores)

LeNet-300-100 without biases on Fashion-MNIST (rsslib.slth.experiments.lottery holds the
recipe): the training images minus a validation split of 5,000; per seed and learning rate,
the dense network trained for 25 epochs with the validation loss and accuracy and the test
accuracy after every epoch (``run = dense``), and edge-popup at half the weights kept for the
sweep's 3 epochs at each of its candidate learning rates (``run = edge-popup``). The book
picks the epoch (early stopping) and the learning rate on the validation split only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rsslib.slth.experiments import lottery
from rsslib.sweeps import open_executor, run_tasks, write_csv


def run(kind: str, seed: int, lr: float, epochs: int) -> list[dict]:
    import torch

    torch.set_num_threads(1)
    if kind == "dense":
        return lottery.dense_curve(seed, lr, epochs)
    return lottery.popup_curve(seed, lr, epochs=epochs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="2 epochs, 1 epoch of edge-popup")
    parser.add_argument("--out", type=Path, default=lottery.BASELINE)
    parser.add_argument("--workers", type=int, default=1, help="local processes")
    args = parser.parse_args(argv)
    dense_epochs, popup_epochs = (2, 1) if args.quick else (lottery.MAX_EPOCHS, lottery.EPOCHS)
    tasks = [("dense", s, lr, dense_epochs) for s in args.seeds for lr in lottery.DENSE_LRS]
    tasks += [("popup", s, lr, popup_epochs) for s in args.seeds for lr in lottery.POPUP_LRS]
    weights = [t[3] * (1 if t[0] == "dense" else 2) for t in tasks]
    workers = args.workers if args.workers > 1 else None
    with open_executor(workers, None) as (executor, _, _):
        out = run_tasks(run, tasks, executor, progress=True, desc="baseline", weights=weights)
    rows = [row for rows in out for row in rows]
    write_csv(args.out, lottery.BASELINE_COLUMNS, rows)
    print(f"wrote {len(rows)} rows to {args.out.name}")


if __name__ == "__main__":
    sys.exit(main())
