"""The structured-pruning chapter's experiments: one neuron, and the digits CNN's filters.

What ``scripts/structured_sweep.py`` runs and the chapter ``book/beyond/structured_pruning``
recomputes live:

- :func:`neuron_row`: one instance of one ReLU neuron (:mod:`rsslib.slth.neurons`),
  neuron pruning (exact, bounds) against weight pruning
  (:mod:`rsslib.slth.neuron_weights`); :func:`neuron_table` the whole grid.
- :func:`first_layer_row`: the digits CNN's first layer replaced by a random pair and
  pruned by whole filters or single weights (:mod:`rsslib.slth.filters`), measured on the
  450 test images as :func:`rsslib.slth.experiments.digits.prune_digits` does;
  :func:`digits_table` the whole grid, :func:`heuristic_table` the filter heuristic
  against the exact search (:func:`rsslib.best_vector_subset`).
- :func:`run` writes the three CSV files.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from rsslib._validate import as_count, as_int_seed, as_seed
from rsslib.slth.filters import (
    METHODS,
    TOP,
    block_vectors,
    filter_subsets,
    filter_top,
    predicted_best_error,
    prune_first_pair,
    random_first_pair,
)
from rsslib.slth.neuron_weights import (
    MAX_TERMS,
    pruned_weights,
    weight_certificate,
    weight_prune_neuron,
)
from rsslib.slth.neurons import (
    branch_and_bound_neuron_subset,
    d1_neuron_subset,
    local_search_neuron_subset,
    max_error,
    neuron_instance,
    neuron_lp_bound,
    sphere_points,
    subset_error,
    target_values,
)
from rsslib.sweeps import show_progress, write_csv
from rsslib.vector_subsets import best_vector_subset

#: Where the chapter's CSV files live.
DATA = Path(__file__).resolve().parents[3] / "book" / "beyond" / "data"


# ---------------------------------------------------------------------------------------
# one ReLU neuron
# ---------------------------------------------------------------------------------------
#: Test points of the sweep, and the finer set that checks the max is resolved.
POINTS, FINE_POINTS = 512, 4096


def neuron_row(d, m, seed, exact_max=40, fine_max=24, max_nodes=2 * 10**7) -> dict:
    """Everything the chapter measures on one instance (``scripts/structured_sweep.py``).

    The instance is :func:`neuron_instance` ``(m, d, seed)``; errors are taken over
    ``X = sphere_points(POINTS, d, 0)`` and, for the keys ending in ``_fine``, over a
    finer set that contains X: X and ``sphere_points(FINE_POINTS - POINTS, d, 1)``,
    ``FINE_POINTS`` in all (for d = 1 both are {1, -1}).

    Returns
    -------
    dict
        ``w_norm``; ``empty`` and ``full`` (no neuron, all neurons); ``exact`` (the best
        neuron subset: two RSS solves for d = 1, branch and bound for m <= ``exact_max``,
        None if not finished within ``max_nodes``), ``exact_done``, ``nodes``,
        ``exact_fine`` (the optimum on the fine set, m <= ``fine_max``) and
        ``exact_on_fine`` (the subset found on X, measured on the fine set);
        ``lower`` (:func:`neuron_lp_bound`), ``upper`` (the best subset found:
        :func:`local_search_neuron_subset`, or the exact one if better) and
        ``upper_on_fine``; ``neuron_kept`` (weights of the ``upper`` subset, d + 1 per
        neuron); ``weight``, ``weight_certificate``, ``weight_sphere`` (``||e||_2``, valid
        on the whole sphere), ``weight_on_fine``, ``weight_kept`` for
        :func:`weight_prune_neuron`. For d = 1, ``lower`` and ``upper`` are the exact value.
    """
    d = as_count(d, "d", minimum=1)
    m = as_count(m, "m", minimum=1)
    seed = as_int_seed(seed)  # the instance and the local searches use it
    exact_max = as_count(exact_max, "exact_max")
    fine_max = as_count(fine_max, "fine_max")
    max_nodes = as_count(max_nodes, "max_nodes", minimum=1)
    X = sphere_points(POINTS, d, 0)
    Xf = np.vstack([X, sphere_points(FINE_POINTS - POINTS, d, 1)]) if d > 1 else X
    inst = neuron_instance(m, d, seed)
    U, v, w = inst.U, inst.v, inst.w
    row = {"d": d, "m": m, "seed": int(seed), "w_norm": float(np.linalg.norm(w))}
    row["empty"] = float(target_values(w, X).max())
    row["full"] = max_error(U, v, w, X)
    exact = exact_fine = on_fine = nodes = kept_mask = None
    done = None
    if d == 1:
        kept_mask, exact = d1_neuron_subset(U, v, w)
        done = True
    elif m <= exact_max:
        start, _ = local_search_neuron_subset(U, v, w, X, seed=seed)
        res = branch_and_bound_neuron_subset(U, v, w, X, max_nodes, start=start)
        done, nodes, kept_mask = res.exact, res.nodes, res.mask
        exact = res.error if res.exact else None
        if m <= fine_max:
            fine = branch_and_bound_neuron_subset(U, v, w, Xf, max_nodes, start=res.mask)
            exact_fine = fine.error if fine.exact else None
        on_fine = subset_error(U, v, w, Xf, res.mask)
    if d == 1:
        lower, upper, up_mask = exact, exact, kept_mask
    else:
        lower, _ = neuron_lp_bound(U, v, w, X)
        up_mask, upper = local_search_neuron_subset(U, v, w, X, seed=seed)
        if kept_mask is not None and subset_error(U, v, w, X, kept_mask) < upper:
            up_mask, upper = kept_mask, subset_error(U, v, w, X, kept_mask)
    wp = weight_prune_neuron(U, v, w)
    Up, vp = pruned_weights(U, v, wp)
    row.update(
        exact=exact,
        exact_done=done,
        nodes=nodes,
        exact_fine=exact_fine,
        exact_on_fine=on_fine,
        lower=lower,
        upper=upper,
        upper_on_fine=subset_error(U, v, w, Xf, up_mask),
        neuron_kept=int(up_mask.sum()) * (d + 1),
        weight=max_error(Up, vp, w, X),
        weight_certificate=weight_certificate(wp.coordinate_errors, X),
        weight_sphere=float(np.linalg.norm(wp.coordinate_errors)),
        weight_on_fine=max_error(Up, vp, w, Xf),
        weight_kept=wp.kept,
    )
    return row


# ---------------------------------------------------------------------------------------
# the digits CNN's first layer
# ---------------------------------------------------------------------------------------
def first_layer_problems(block, seed, top=None) -> tuple[np.ndarray, np.ndarray]:
    """The 32 filter-pruning problems of the digits CNN's first layer: ``vectors``
    (32, block, 9) and ``targets`` (32, 9), with the pair of :func:`random_first_pair`
    (``top`` defaults to :func:`filter_top`)."""
    from rsslib.slth.experiments.digits import load

    block = as_count(block, "block", minimum=1)
    seed = as_seed(seed)
    K = load()[0][0].numpy()
    U, V = random_first_pair(K, block, seed, filter_top(block) if top is None else top)
    return block_vectors(K, U, V), K.reshape(K.shape[0], -1)


def first_layer_row(block, seed, method, width=2048, top=None) -> dict:
    """Prune the digits CNN's first layer from a random pair; measure it on the test set.

    ``top`` (the largest |K| over V's scale) defaults to :data:`TOP` for weight pruning
    and :func:`filter_top` for filter pruning: the same draw (same seed), scaled
    differently.

    The target is the stored digits CNN (:func:`rsslib.slth.experiments.digits.load`); its first
    convolution is replaced by the pruned pair, collapsed to its effective kernel
    (exact: U >= 0 on images >= 0), the other layers kept as trained. Compared on the 450
    test images with :func:`rsslib.slth.experiments.lenet.compare`.

    Returns
    -------
    dict
        ``block``, ``seed``, ``method``, ``layer_error`` (max |K - L| / max |K|),
        ``l1_error`` (max over outputs of the l1 norm of K_l - L_l, over max |K|),
        ``median_unit_error`` (the median, over the units solved, of their errors over
        max |K|: the 32 filters' max-norm errors, or the 288 weights' errors) and
        ``predicted_median`` (the median of :func:`predicted_best_error` over the same
        units: what the best subsets would probably achieve),
        ``relative_error``, ``agreement``, ``pruned_accuracy``, ``target_accuracy``,
        ``top``, ``kept`` and ``random_params`` (entries of the pair), ``kept_channels`` (hidden
        channels with a kept entry), ``target_params`` (entries of K).
    """
    import torch

    from rsslib.slth.experiments.digits import load, network
    from rsslib.slth.experiments.lenet import compare, logits

    block = as_count(block, "block", minimum=1)
    seed = as_int_seed(seed)  # stored in the row
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if top is None:
        top = filter_top(block) if method == "filter" else TOP
    filters, x_test, y_test = load()
    K = filters[0].numpy()
    U, V = random_first_pair(K, block, seed, top)
    res = prune_first_pair(K, U, V, method, width=width)
    approx = network([torch.from_numpy(res.L), *filters[1:]])
    result = compare(logits(network(filters), x_test), logits(approx, x_test), y_test)
    scale = float(np.abs(K).max())
    E = (K - res.L).reshape(K.shape[0], -1)
    vectors = block_vectors(K, U, V)
    Kf = K.reshape(K.shape[0], -1)
    if method == "filter":
        units = np.abs(E).max(axis=1)
        predicted = [predicted_best_error(vectors[o], Kf[o]) for o in range(Kf.shape[0])]
    else:
        T = min(block, MAX_TERMS)
        units = np.abs(E).reshape(-1)
        predicted = [
            predicted_best_error(vectors[o, :T, j : j + 1], Kf[o, j : j + 1])
            for o in range(Kf.shape[0])
            for j in range(Kf.shape[1])
        ]
    return {
        "block": block,
        "seed": int(seed),
        "method": method,
        "layer_error": float(np.abs(E).max() / scale),
        "l1_error": float(np.abs(E).sum(axis=1).max() / scale),
        "median_unit_error": float(np.median(units) / scale),
        "predicted_median": float(np.median(predicted) / scale),
        **result,
        "top": float(top),
        "kept": res.kept,
        "kept_channels": res.kept_channels,
        "random_params": int(U.size + V.size),
        "target_params": int(K.size),
    }


# ---------------------------------------------------------------------------------------
# the sweep of scripts/structured_sweep.py
# ---------------------------------------------------------------------------------------
#: Neuron part: seeds per (d, m), the widths m per d, and :func:`neuron_row`'s limits.
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
#: Digits part: blocks per method, seeds (seed 0 chose the filter scale rule), and the
#: blocks small enough for the exact search.
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


def _g(x) -> str:
    """Four significant digits (the CSV is compared with a live recomputation)."""
    return "" if x is None else f"{x:.4e}"


def _report(progress: bool, message: str, t0: float) -> None:
    if progress:
        print(f"{message} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)


def neuron_table(progress=False) -> list[dict]:
    """:func:`neuron_row` over the grid (:data:`WIDTHS`, :data:`SEEDS`), as CSV rows."""
    progress = show_progress(progress)
    rows = []
    for d, widths in WIDTHS.items():
        for m in widths:
            t0 = time.perf_counter()
            for seed in range(SEEDS):
                row = neuron_row(d, m, seed, EXACT_MAX, FINE_MAX, BB_NODES)
                for key, value in row.items():
                    if isinstance(value, float) or value is None:
                        row[key] = _g(value)
                    elif isinstance(value, bool):
                        row[key] = int(value)
                rows.append(row)
            _report(progress, f"d={d} m={m}", t0)
    return rows


def digits_table(progress=False) -> list[dict]:
    """:func:`first_layer_row` over the grid of blocks and seeds, as CSV rows."""
    progress = show_progress(progress)
    rows = []
    for method, blocks in (("weight", WEIGHT_BLOCKS), ("filter", FILTER_BLOCKS)):
        for b in blocks:
            for seed in DIGIT_SEEDS:
                t0 = time.perf_counter()
                r = first_layer_row(b, seed, method)
                errors = ("layer_error", "l1_error", "median_unit_error", "predicted_median")
                rows.append(
                    {
                        **{k: r[k] for k in ("method", "block", "seed", "kept")},
                        "total": r["random_params"],
                        "top": round(r["top"], 6),
                        "kept_channels": r["kept_channels"],
                        "target_params": r["target_params"],
                        **{k: _g(r[k]) for k in (*errors, "relative_error")},
                        **{
                            k: round(r[k], 4)
                            for k in ("agreement", "pruned_accuracy", "target_accuracy")
                        },
                    }
                )
                _report(progress, f"{method} b={b} seed={seed}: layer {r['layer_error']:.2e}", t0)
    return rows


def heuristic_table(progress=False) -> list[dict]:
    """:func:`rsslib.slth.filters.filter_subsets` against the exact best filter subset
    (:func:`rsslib.best_vector_subset`) on each of the 32 outputs, for small blocks."""
    progress = show_progress(progress)
    rows = []
    for b in HEURISTIC_BLOCKS:
        t0 = time.perf_counter()
        for seed in DIGIT_SEEDS[:1]:
            vectors, targets = first_layer_problems(b, seed)
            _, heur = filter_subsets(vectors, targets)
            for out in range(targets.shape[0]):
                _, ex = best_vector_subset(vectors[out], targets[out])
                rows.append(
                    {
                        "block": b,
                        "seed": seed,
                        "output": out,
                        "exact": _g(ex),
                        "heuristic": _g(heur[out]),
                    }  # fmt: skip
                )
        _report(progress, f"heuristic check b={b}", t0)
    return rows


def run(part="all", out_dir=DATA, progress=None) -> list[Path]:
    """Write the chapter's CSV files for ``part`` (``"neuron"``, ``"digits"`` or ``"all"``)
    into ``out_dir``: ``structured_neuron.csv``; ``structured_heuristic.csv`` and
    ``structured_digits.csv``. Returns the paths written."""
    if part not in ("neuron", "digits", "all"):
        raise ValueError(f"part must be 'neuron', 'digits' or 'all', got {part!r}")
    out_dir = Path(out_dir)
    written = []
    if part in ("neuron", "all"):
        written.append(out_dir / "structured_neuron.csv")
        write_csv(written[-1], NEURON_COLUMNS, neuron_table(progress))
    if part in ("digits", "all"):
        written.append(out_dir / "structured_heuristic.csv")
        write_csv(written[-1], HEURISTIC_COLUMNS, heuristic_table(progress))
        written.append(out_dir / "structured_digits.csv")
        write_csv(written[-1], DIGITS_COLUMNS, digits_table(progress))
    return written
