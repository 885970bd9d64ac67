"""Pensia et al.'s subset-sum experiment redone exactly on Fashion-MNIST, pruned net evaluated.

Run:  python scripts/pensia_experiment.py --json book/slth/data/pensia_experiment.json

A command-line wrapper around :mod:`rsslib.slth.experiments.pensia`, whose docstring
describes the experiment (the construction is :mod:`rsslib.slth.pensia`, the target
:mod:`rsslib.slth.experiments.pensia_target`). The script loads Fashion-MNIST, loads the
target from ``book/slth/data/pensia_target.npz`` (or trains and stores it: ``--retrain``,
or when the file is missing), runs :func:`rsslib.slth.experiments.pensia.run` (both exact
solves of all 397,000 weights, evaluation on the 10,000 test images, Pensia et al.'s code
variants, the eps sweep unless ``--no-sweep``), then
:func:`rsslib.slth.experiments.pensia_seeds.seed_runs` over the random networks of seeds
1..``--seeds`` (key ``seed_runs``; seed 1 is the main run), and writes the result as JSON,
with the keys ``epochs`` and ``target_file_bytes`` added. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rsslib.slth.experiments.pensia import run
from rsslib.slth.experiments.pensia_seeds import seed_runs
from rsslib.slth.experiments.pensia_target import TARGET, get_target, load_data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, required=True, help="where to write results")
    parser.add_argument("--seed", type=int, default=1, help="training and random network")
    parser.add_argument("--epochs", type=int, default=10, help="training epochs")
    parser.add_argument("--retrain", action="store_true", help="ignore the cached target")
    parser.add_argument("--target", type=Path, default=TARGET, help="cached target weights")
    parser.add_argument("--no-sweep", action="store_true", help="skip the eps sweep")
    parser.add_argument("--seeds", type=int, default=10, help="random networks 1..SEEDS")
    args = parser.parse_args(argv)

    x_train, y_train, x_test, y_test = load_data()
    weights = get_target(
        x_train, y_train, args.epochs, args.seed, args.retrain, args.target, progress=True
    )
    result = run(weights, x_test, y_test, args.seed, sweep=not args.no_sweep, progress=True)
    seeds = range(1, args.seeds + 1)
    result["seed_runs"] = seed_runs(weights, x_test, y_test, seeds, progress=True)
    result["epochs"] = args.epochs
    result["target_file_bytes"] = args.target.stat().st_size
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(
        f"target {result['target_accuracy']:.4f}, min error "
        f"{result['accuracy_min_error']:.4f}, sparsest {result['accuracy_sparsest']:.4f}, "
        f"zeroing {result['accuracy_zeroing']:.4f}; kept values {result['kept_values']}, "
        f"two-layer weights {result['kept_weights_two_layer']}; {result['seconds']:.1f} s"
    )
    print(f"written {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
