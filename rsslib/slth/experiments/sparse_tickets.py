"""The sparse-tickets chapter's network experiment: pruning with a cap on each subset.

For ``book/beyond/sparse_tickets``: the digits CNN
(:func:`rsslib.slth.experiments.digits.prune_digits`, Part III's construction, uniform weights)
and LeNet-5's two convolutions on Fashion-MNIST (:func:`rsslib.slth.experiments.lenet.measure`, the
"balanced" variant, no compensation) pruned from random networks of a grid of sizes, each
weight approximated by the best subset of at most ``cap`` products (``cap`` None: no
limit), three seeds. :func:`run` writes ``book/beyond/data/sparse_tickets_network.csv``
(``scripts/sparse_tickets_sweep.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from rsslib._validate import as_count, as_int_seed, as_positive_real
from rsslib.sweeps import show_progress, write_csv

#: Where the chapter's CSV files live.
DATA = Path(__file__).resolve().parents[3] / "book" / "beyond" / "data"
DIGITS_BUDGETS = (20, 30, 40, 60, 80, 120, 160)
DIGITS_CAPS = (1, 2, 3, 4, 6, 8, None)
LENET_BUDGETS = (20, 30, 40, 60)
LENET_CAPS = (2, 3, 4, 6, None)
SEEDS = (0, 1, 2)
NETS = ("digits", "lenet5-conv")
#: The CSV's columns (``random_size``/``target_size``: the stored file's names for the
#: random network's and the target's parameter counts).
COLUMNS = (
    "net", "budget", "cap", "seed", "factor", "kept", "random_size", "target_size",
    "relative_error", "agreement", "pruned_accuracy", "target_accuracy",
)  # fmt: skip


def network_row(net, budget, cap, seed) -> dict:
    """Prune ``net`` (``"digits"`` or ``"lenet5-conv"``) at width factor ``budget`` with
    subsets of at most ``cap`` products (None: no cap); one CSV row, rounded to what the
    chapter reads."""
    if net not in NETS:
        raise ValueError(f"net must be one of {NETS}, got {net!r}")
    as_positive_real(budget, "budget")  # checked; passed on as given (an int stays an int)
    if cap is not None:
        cap = as_count(cap, "cap", minimum=1)
    seed = as_int_seed(seed)  # stored in the row
    if net == "digits":
        from rsslib.slth.experiments.digits import prune_digits

        r = prune_digits(None, budget, seed, max_subset=cap)
        random_params, target_params = r["random_size"], r["target_size"]
    else:
        from rsslib.slth.experiments.lenet import measure

        r = measure("conv", budget, seed, "balanced", max_subset=cap)
        random_params, target_params = r["random_params"], r["target_params"]
    return {
        "net": net,
        "budget": budget,
        "cap": "" if cap is None else cap,
        "seed": seed,
        "factor": round(r["factor"], 4),
        "kept": r["kept"],
        "random_size": random_params,
        "target_size": target_params,
        "relative_error": float(f"{r['relative_error']:.4g}"),
        "agreement": round(r["agreement"], 4),
        "pruned_accuracy": round(r["pruned_accuracy"], 4),
        "target_accuracy": round(r["target_accuracy"], 4),
    }


def run(path=None, quick=False, progress=None) -> Path:
    """Write :func:`network_row` over the grid to ``path`` (default
    ``sparse_tickets_network.csv`` in :data:`DATA`); ``quick``: one seed, two budgets."""
    import torch

    path = Path(path) if path is not None else DATA / "sparse_tickets_network.csv"
    progress = show_progress(progress)
    torch.set_num_threads(1)
    grids = (("digits", DIGITS_BUDGETS, DIGITS_CAPS), ("lenet5-conv", LENET_BUDGETS, LENET_CAPS))
    rows = []
    for net, budgets, caps in grids:
        for budget in budgets[:2] if quick else budgets:
            for cap in caps:
                for seed in SEEDS[:1] if quick else SEEDS:
                    rows.append(network_row(net, budget, cap, seed))
                    if progress:
                        print(f"{net} budget={budget} cap={cap} seed={seed}: error "
                              f"{rows[-1]['relative_error']:.3g}, kept {rows[-1]['kept']}",
                              file=sys.stderr, flush=True)  # fmt: skip
    write_csv(path, COLUMNS, rows)
    return path
