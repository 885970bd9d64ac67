"""Regenerate book/beyond/data/structured_*.csv (chapter book/beyond/structured_pruning).

Run:  python scripts/structured_sweep.py [--part neuron|digits|all]
      (one core, one thread: about 4 minutes for the neuron part, 2 for the digits part)

Neuron part -> structured_neuron.csv. For d = 1, 2, 3, widths m and seeds 0..SEEDS-1,
one instance (rsslib.slth.structured.neuron_instance(m, d, seed)): a random bias-free
two-layer ReLU network of width m and a target neuron relu(w . x). Errors are max
deviations over X = sphere_points(512, d, seed=0) (for d = 1, X = {1, -1}), and over a
finer set of 4096 points containing X for the columns ending in ``_fine``:

- ``empty``, ``full``: the trivial answers (no neuron; all neurons);
- ``exact``: the best neuron subset (d = 1: two exact RSS solves; d >= 2 and
  m <= EXACT_MAX: branch and bound within BB_NODES nodes, ``exact_done`` says whether it
  finished; blank beyond), ``exact_fine``: the same on the fine set for m <= FINE_MAX;
  ``exact_on_fine``: the 512-point optimum's subset measured on the fine set;
- ``lower``: the linear-programming bound (valid for every subset), ``upper``: the local
  search's subset (an upper bound on the optimum), ``upper_on_fine``: that subset on the
  fine set;
- ``weight``: Pensia et al.'s weight pruning solved exactly, measured on X, with its
  certificate on X (``weight_certificate``) and on the whole sphere (``weight_sphere``),
  and ``weight_on_fine``;
- ``neuron_kept``, ``weight_kept``: kept weights (a kept neuron counts d + 1).

Digits part -> structured_digits.csv and structured_heuristic.csv. The first layer of the
digits CNN replaced by a random pair with blocks of b hidden channels per output and
pruned by whole filters or by single weights (rsslib.slth.structured.first_layer_row),
seeds 1..3 (seed 0 was used to choose the filter scale rule); and, for small blocks, the
filter heuristic against exhaustive search on each of the 32 outputs.

Each task is seeded on its own; torch runs with one thread.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "book" / "beyond" / "data"
SEEDS = 20
WIDTHS = {
    1: (4, 8, 12, 16, 20, 24, 32, 40, 48, 64),
    2: (8, 12, 16, 20, 24, 28, 32, 40, 48, 64, 96, 128, 192, 256),
    3: (8, 12, 16, 20, 24, 28, 32, 40, 48, 64, 96, 128, 192, 256),
}
EXACT_MAX, FINE_MAX, BB_NODES = 40, 24, 2 * 10**7
NEURON_COLUMNS = (
    "d", "m", "seed", "w_norm", "empty", "full", "exact", "exact_done", "nodes",
    "exact_fine", "exact_on_fine", "lower", "upper", "upper_on_fine", "neuron_kept",
    "weight", "weight_certificate", "weight_sphere", "weight_on_fine", "weight_kept",
)  # fmt: skip

FILTER_BLOCKS = (8, 12, 16, 20, 24, 32, 48, 64, 96, 128, 192, 256)
WEIGHT_BLOCKS = (4, 6, 8, 10, 12, 16, 20, 24, 32, 48)
DIGIT_SEEDS = (1, 2, 3)
HEURISTIC_BLOCKS = (8, 12, 16, 20)
DIGITS_COLUMNS = (
    "method", "block", "seed", "top", "layer_error", "l1_error", "median_unit_error",
    "predicted_median", "relative_error",
    "agreement", "pruned_accuracy", "target_accuracy", "kept", "kept_channels", "total",
    "target_params",
)  # fmt: skip
HEURISTIC_COLUMNS = ("block", "seed", "output", "exact", "heuristic")


def g(x: float) -> str:
    """Four significant digits (the CSV is compared with a live recomputation)."""
    return "" if x is None else f"{x:.4e}"


def neuron_row(d: int, m: int, seed: int) -> dict:
    from rsslib.slth import structured as st

    row = st.neuron_row(d, m, seed, EXACT_MAX, FINE_MAX, BB_NODES)
    for key, value in row.items():
        if isinstance(value, float) or value is None:
            row[key] = g(value)
        elif isinstance(value, bool):
            row[key] = int(value)
    return row


def digits_rows() -> list[dict]:
    from rsslib.slth import structured as st

    rows = []
    for method, blocks in (("weight", WEIGHT_BLOCKS), ("filter", FILTER_BLOCKS)):
        for b in blocks:
            for seed in DIGIT_SEEDS:
                t0 = time.perf_counter()
                r = st.first_layer_row(b, seed, method)
                rows.append(
                    {
                        **{k: r[k] for k in ("method", "block", "seed", "kept", "total")},
                        "top": round(r["top"], 6),
                        "kept_channels": r["kept_channels"],
                        "target_params": r["target_params"],
                        **{
                            k: g(r[k])
                            for k in (
                                "layer_error",
                                "l1_error",
                                "median_unit_error",
                                "predicted_median",
                                "relative_error",
                            )
                        },
                        **{
                            k: round(r[k], 4)
                            for k in ("agreement", "pruned_accuracy", "target_accuracy")
                        },
                    }
                )
                print(
                    f"{method} b={b} seed={seed}: layer {r['layer_error']:.2e} "
                    f"({time.perf_counter() - t0:.1f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    return rows


def heuristic_rows() -> list[dict]:
    from rsslib.slth import structured as st

    rows = []
    for b in HEURISTIC_BLOCKS:
        for seed in DIGIT_SEEDS[:1]:
            vectors, targets = st.first_layer_problems(b, seed)
            _, heur = st.filter_subsets(vectors, targets)
            for out in range(targets.shape[0]):
                _, ex = st.exact_filter_subset(vectors[out], targets[out])
                rows.append(
                    {
                        "block": b,
                        "seed": seed,
                        "output": out,
                        "exact": g(ex),
                        "heuristic": g(heur[out]),
                    }
                )
        print(f"heuristic check b={b}", file=sys.stderr, flush=True)
    return rows


def write(name: str, columns, rows) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    with open(DATA / name, "w", newline="") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    import numba
    import torch

    torch.set_num_threads(1)
    numba.set_num_threads(1)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("neuron", "digits", "all"), default="all")
    args = parser.parse_args()
    if args.part in ("neuron", "all"):
        rows = []
        for d, widths in WIDTHS.items():
            for m in widths:
                t0 = time.perf_counter()
                rows += [neuron_row(d, m, s) for s in range(SEEDS)]
                print(
                    f"d={d} m={m} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True
                )
        write("structured_neuron.csv", NEURON_COLUMNS, rows)
    if args.part in ("digits", "all"):
        write("structured_heuristic.csv", HEURISTIC_COLUMNS, heuristic_rows())
        write("structured_digits.csv", DIGITS_COLUMNS, digits_rows())


if __name__ == "__main__":
    main()
