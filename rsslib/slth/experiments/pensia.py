"""Pensia et al.'s subset-sum experiment, solved exactly, with the pruned network evaluated.

Pensia, Rajput, Nagle, Vishwakarma and Papailiopoulos (2020) approximate every weight of a
trained 784-500-10 ReLU network (397,000 weights) by a subset sum of n = 21 random values
at eps = 0.01, one Gurobi MIP per weight (77,266 s on 36 cores). :func:`run` solves every
weight exactly by meet in the middle, twice, with the construction of
:mod:`rsslib.slth.pensia` (minimum error, and fewest values within eps), and evaluates the
pruned networks on the 10,000 Fashion-MNIST test images next to the baseline that zeroes
every weight with ``|w| <= eps``. ``scripts/pensia_experiment.py`` runs it and stores the
result in ``book/slth/data/pensia_experiment.json`` (read back by :func:`load_result`); the
chapter ``pensia_revisited`` recomputes it.

The target network (784-500-10, ReLU, no biases, Pensia et al.'s training recipe) is
trained, stored and loaded by :mod:`rsslib.slth.experiments.pensia_target`.

Their Experiment 1 code does not build the two layers: it draws 21 values uniform on
[min W, max W] of the target once per output row and reuses them for every weight of the
row; :func:`pensia_code_variant` runs that variant (and, for comparison, one draw per
weight). :func:`rsslib.slth.experiments.pensia_seeds.seed_runs` repeats the experiment
over several random networks, with the target and the zeroing baseline fixed. The paper is
cited in full in :mod:`rsslib.slth.pensia`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import numba
import numpy as np

from rsslib._validate import as_int_seed, as_positive_real, as_real_array
from rsslib._validate import as_matrix as _matrix
from rsslib._validate import as_weight_list as _weights
from rsslib.slth.experiments._checks import experiment_args, labels_arg, reporter
from rsslib.slth.mlp import forward
from rsslib.slth.pensia import (
    EPS,
    N_VALUES,
    kept_counts,
    products,
    pruned_network_logits,
    random_network,
    random_param_counts,
    reconstruct,
    solve_layer,
    zero_small,
)
from rsslib.solve import best_subsets
from rsslib.sparsest import sparsest_subsets

__all__ = [
    "REAL_NETWORKS",
    "SWEEP_EPS",
    "accuracy",
    "eps_sweep",
    "error_stats",
    "histogram_counts",
    "load_result",
    "pensia_code_variant",
    "relative_logit_error",
    "run",
]

#: Tolerances of :func:`eps_sweep`.
SWEEP_EPS = (0.001, 0.003, 0.01, 0.03, 0.1)
#: Names of the pruned networks :func:`run` can also run as real networks.
REAL_NETWORKS = {"sparsest": "sp_masks", "min_error": "min_masks"}
#: Key prefixes renamed since the stored JSON was written (old -> new), mapped by
#: :func:`load_result`.
RENAMED_KEYS = {"rel_logit_error_": "relative_logit_error_"}


# ---------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------


def _error_arrays(errors, name: str = "errors") -> list[np.ndarray]:
    if isinstance(errors, np.ndarray) or not isinstance(errors, Sequence) or not errors:
        raise ValueError(f"{name} must be a non-empty list of arrays")
    out = [as_real_array(e, f"{name}[{i}]") for i, e in enumerate(errors)]
    if sum(e.size for e in out) == 0:
        raise ValueError(f"{name} must hold at least one value")
    return out


# ---------------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------------
def accuracy(logits, labels) -> float:
    """Fraction of rows of ``logits`` whose largest entry is at the index ``labels`` gives."""
    arr = _matrix(logits, "logits")
    lab = labels_arg(labels, len(arr))
    return float(np.mean(arr.argmax(1) == lab))


def relative_logit_error(reference, logits) -> float:
    """``max |reference - logits| / max |reference|`` over all entries.

    Raises
    ------
    ValueError
        If the shapes differ or ``reference`` is all zeros.
    """
    ref = as_real_array(reference, "reference")
    out = as_real_array(logits, "logits")
    if ref.shape != out.shape or ref.size == 0:
        raise ValueError(f"reference and logits must have one shape, got {ref.shape}, {out.shape}")
    scale = np.abs(ref).max()
    if scale == 0:
        raise ValueError("reference must not be all zeros (the error is relative to it)")
    return float(np.abs(ref - out).max() / scale)


def error_stats(errors, eps) -> dict:
    """Largest and mean per-weight error, and the fraction of errors ``<= eps``.

    Parameters
    ----------
    errors : list of array_like
        Per-weight errors, one array per layer (pooled).
    eps : float
        Tolerance, > 0.

    Returns
    -------
    dict
        ``{"max", "mean", "fraction_within_eps"}``, Python floats.
    """
    eps = as_positive_real(eps, "eps")
    flat = np.concatenate([e.reshape(-1) for e in _error_arrays(errors)])
    return {
        "max": float(flat.max()),
        "mean": float(flat.mean()),
        "fraction_within_eps": float(np.mean(flat <= eps)),
    }


def histogram_counts(errors, bins) -> list[int]:
    """Histogram of the pooled errors, values outside ``[bins[0], bins[-1]]`` clipped in.

    An error below ``bins[0]`` (a zero error, say) counts in the first bin, one above
    ``bins[-1]`` in the last.
    """
    edges = as_real_array(bins, "bins")
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("bins must be a 1-D increasing array of at least 2 edges")
    flat = np.concatenate([e.reshape(-1) for e in _error_arrays(errors)])
    return np.histogram(np.clip(flat, edges[0], edges[-1]), bins=edges)[0].tolist()


# ---------------------------------------------------------------------------------------
# the experiment, step by step
# ---------------------------------------------------------------------------------------
def _real_networks(real_network) -> tuple[str, ...]:
    names = tuple(real_network or ())
    unknown = set(names) - set(REAL_NETWORKS)
    if unknown:
        raise ValueError(
            f"real_network must name networks among {sorted(REAL_NETWORKS)}, got {unknown}"
        )
    return names


def _solve_network(weights, seed, eps, n, say):
    """Step 1: draw the random network, solve every weight twice; layers, values, solutions
    and the timings (keys ``seconds*``, ``numba_threads``)."""
    # compile both solvers before timing
    warm = np.random.default_rng(0).uniform(-1, 1, (4, n))
    best_subsets(warm, np.zeros(4))
    sparsest_subsets(warm, np.zeros(4), eps)

    instances = sum(w.size for w in weights)
    say(f"random network: n = {n} products per weight, {instances} weights")
    t0 = time.perf_counter()
    layers = random_network(weights, n, seed)
    a_all = [products(u, v) for u, v in layers]
    t_build = time.perf_counter() - t0
    sols = []
    for i, (w, a) in enumerate(zip(weights, a_all, strict=True)):
        say(f"solving layer {i + 1}: {w.size} weights, min error then sparsest")
        sols.append(solve_layer(w, a, eps))
        say(f"  {sols[-1]['seconds_min_error']:.1f} s + {sols[-1]['seconds_sparsest']:.1f} s")
    t_min = sum(s["seconds_min_error"] for s in sols)
    t_sp = sum(s["seconds_sparsest"] for s in sols)
    seconds = t_build + sum(s["seconds_min_error"] + s["seconds_sparsest"] for s in sols)
    say(f"all {instances} instances, both solves, network built: {seconds:.1f} s")
    timings = {
        "seconds": seconds,
        "seconds_build": t_build,
        "seconds_min_error": t_min,
        "seconds_sparsest": t_sp,
        "numba_threads": numba.get_num_threads(),
    }
    return layers, a_all, sols, timings


def _network_logits(weights, a_all, sols, x_test, eps) -> dict:
    """Step 2: the test logits of the target, of both pruned networks (from their
    reconstructed weights), of zeroing, and, as a diagnostic (not a pruning), of the pruned
    networks with their infeasible weights exact."""
    w_min = [reconstruct(a, s["min_masks"]) for a, s in zip(a_all, sols, strict=True)]
    w_sp = [reconstruct(a, s["sp_masks"]) for a, s in zip(a_all, sols, strict=True)]

    def infeasible_exact(ws):
        return [np.where(s["feasible"], wh, w) for wh, w, s in zip(ws, weights, sols, strict=True)]

    nets = {
        "target": weights,
        "min_error": w_min,
        "sparsest": w_sp,
        "zeroing": zero_small(weights, eps),
        "min_error_infeasible_exact": infeasible_exact(w_min),
        "sparsest_infeasible_exact": infeasible_exact(w_sp),
    }
    return {name: forward(ws, x_test) for name, ws in nets.items()}


def _accuracy_results(logits, y_test) -> dict:
    """Step 3a: accuracies, agreement with the target's predictions, relative logit errors."""
    f = logits
    out = {"target_accuracy": accuracy(f["target"], y_test)}
    names = ("min_error", "sparsest", "zeroing")
    out |= {f"accuracy_{k}": accuracy(f[k], y_test) for k in names}
    out |= {
        f"agreement_{k}": float(np.mean(f[k].argmax(1) == f["target"].argmax(1))) for k in names
    }
    names += ("min_error_infeasible_exact", "sparsest_infeasible_exact")
    out |= {f"relative_logit_error_{k}": relative_logit_error(f["target"], f[k]) for k in names}
    return out


def _size_results(weights, sols, eps, n) -> dict:
    """Step 3b: the infeasible weights and the sizes of the pruned networks (kept values,
    kept two-layer weights, zeroing's weights) and of the random network."""
    sp_kept = [kept_counts(s["sp_masks"]) for s in sols]
    min_kept = [kept_counts(s["min_masks"]) for s in sols]
    w_zero = zero_small(weights, eps)
    return {
        "infeasible_weights": [
            {"layer": i + 1, "w": float(w[r, c]), "min_error": float(s["min_err"][r, c])}
            for i, (w, s) in enumerate(zip(weights, sols, strict=True))
            for r, c in np.argwhere(~s["feasible"])
        ],
        "kept_values": sum(k[0] for k in sp_kept),
        "kept_weights_two_layer": sum(k[1] for k in sp_kept),
        "kept_values_min_error": sum(k[0] for k in min_kept),
        "kept_weights_two_layer_min_error": sum(k[1] for k in min_kept),
        "kept_weights_zeroing": int(sum(np.count_nonzero(w) for w in w_zero)),
        "kept_values_per_layer": [k[0] for k in sp_kept],
        "kept_weights_two_layer_per_layer": [k[1] for k in sp_kept],
        "kept_values_min_error_per_layer": [k[0] for k in min_kept],
        **random_param_counts([w.shape for w in weights], n),
        "target_weights_max_abs": float(max(np.abs(w).max() for w in weights)),
        "target_weights_within_eps": float(
            np.mean(np.concatenate([np.abs(w).reshape(-1) <= eps for w in weights]))
        ),
    }


def _error_results(weights, sols, eps, n) -> dict:
    """Step 3c: the per-weight errors, summarised, counted by subset size and histogrammed."""
    w_zero = zero_small(weights, eps)
    sizes = np.concatenate([s["sp_masks"].sum(-1).reshape(-1) for s in sols])
    bins = np.logspace(-8, 0, 33)
    min_err = [s["min_err"] for s in sols]
    sp_err = [s["sp_err"] for s in sols]
    return {
        "error_min_error": error_stats(min_err, eps),
        "error_sparsest": error_stats(sp_err, eps),
        "error_zeroing": error_stats(
            [np.abs(w - z) for w, z in zip(weights, w_zero, strict=True)], eps
        ),
        "infeasible": int(sum((~s["feasible"]).sum() for s in sols)),
        "sparsest_size_counts": np.bincount(sizes, minlength=n + 1).tolist(),
        "sparsest_size_counts_per_layer": [
            np.bincount(s["sp_masks"].sum(-1).reshape(-1), minlength=n + 1).tolist() for s in sols
        ],
        "error_histogram_bins": bins.tolist(),
        "error_histogram_min_error": histogram_counts(min_err, bins),
        "error_histogram_sparsest": histogram_counts(sp_err, bins),
        "per_layer_error_min_error_max": [float(e.max()) for e in min_err],
        "per_layer_error_sparsest_max": [float(e.max()) for e in sp_err],
    }


def _real_network_results(layers, sols, logits, x_test, y_test, names, say) -> dict:
    """Step 4: the pruned random networks run themselves, against their reconstructions."""
    out = {}
    if names:
        say("running the pruned random network itself (sparse, float64)")
    for name in names:
        key = REAL_NETWORKS[name]
        real, mismatched = pruned_network_logits(layers, [s[key] for s in sols], x_test)
        out[f"network_{name}_accuracy"] = accuracy(real, y_test)
        out[f"network_{name}_max_logit_diff"] = float(np.abs(real - logits[name]).max())
        out[f"network_{name}_mismatched_entries"] = mismatched
        say(
            f"  {name}: accuracy {out[f'network_{name}_accuracy']:.4f}, "
            f"max |logit difference| with the reconstructed weights "
            f"{out[f'network_{name}_max_logit_diff']:.1e}, mismatched entries {mismatched}"
        )
    return out


def run(
    weights,
    x_test,
    y_test,
    seed: int,
    eps: float = EPS,
    n: int = N_VALUES,
    sweep: bool = True,
    real_network=("sparsest", "min_error"),
    code_variant: bool = True,
    progress: bool = False,
) -> dict:
    """Pensia et al.'s experiment [1]_ on one target, solved exactly; the JSON dictionary.

    Draws the random network (:func:`rsslib.slth.pensia.random_network`), solves every
    weight twice (:func:`rsslib.slth.pensia.solve_layer`), and evaluates on
    ``(x_test, y_test)`` the target, the minimum-error and sparsest pruned networks (from
    their reconstructed weights) and the zeroing baseline
    (:func:`rsslib.slth.pensia.zero_small`); counts sizes and summarises the per-weight
    errors.

    Parameters
    ----------
    weights : list of array_like
        The target's weight matrices (bias-free ReLU network).
    x_test : array_like, shape (N, d_in)
        Non-negative inputs (the construction needs x >= 0).
    y_test : array_like of int, shape (N,)
    seed : int or numpy.random.Generator
        Seed of the random network (and of the code variant), >= 0 (a numpy Generator
        gives one int seed).
    eps : float
        Tolerance, > 0.
    n : int
        Random values per weight, >= 1.
    sweep : bool
        Add ``"sweep"``: :func:`eps_sweep` at :data:`SWEEP_EPS` on the same random network.
    real_network : sequence of {"sparsest", "min_error"}
        Pruned networks also run as real networks from the masked random layers
        (:func:`rsslib.slth.pensia.pruned_network_logits`): keys
        ``network_<name>_accuracy``, ``network_<name>_max_logit_diff``,
        ``network_<name>_mismatched_entries``.
    code_variant : bool
        Add ``"pensia_code_variant"`` (their code: one draw per output row) and
        ``"pensia_code_variant_per_weight"``: :func:`pensia_code_variant`.
    progress : bool
        Report the steps, with timings, on stderr.

    Returns
    -------
    dict
        JSON-serialisable results; the keys ``seconds*`` and ``numba_threads`` depend on
        the machine, all others are deterministic.

    References
    ----------
    .. [1] A. Pensia et al., "Optimal Lottery Tickets via SubsetSum", NeurIPS 2020.
    """
    weights, eps, n = experiment_args(weights, x_test, y_test, eps, n)
    seed = as_int_seed(seed)
    names = _real_networks(real_network)
    say = reporter(progress)

    layers, a_all, sols, timings = _solve_network(weights, seed, eps, n, say)
    say("evaluating on the test set")
    logits = _network_logits(weights, a_all, sols, x_test, eps)
    result = {
        "instances": int(sum(w.size for w in weights)),
        "n": n,
        "eps": eps,
        "seed": seed,
        "layers": [list(w.shape) for w in weights],
        **timings,
        **_accuracy_results(logits, y_test),
        **_size_results(weights, sols, eps, n),
        **_error_results(weights, sols, eps, n),
        **_real_network_results(layers, sols, logits, x_test, y_test, names, say),
    }
    if code_variant:
        result["pensia_code_variant"] = pensia_code_variant(
            weights, x_test, y_test, seed, eps, n, per_row=True, progress=progress
        )
        result["pensia_code_variant_per_weight"] = pensia_code_variant(
            weights, x_test, y_test, seed, eps, n, per_row=False, progress=progress
        )
    if sweep:
        result["sweep"] = eps_sweep(
            weights, a_all, x_test, y_test, logits["target"], progress=progress
        )
    return result


def load_result(path) -> dict:
    """A result of :func:`run` stored as JSON, with keys written under older names renamed
    (:data:`RENAMED_KEYS`, in the sweep rows too), so files from before a rename still read.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path: {path} not found")

    def renamed(obj):
        if isinstance(obj, dict):
            out = {}
            for key, value in obj.items():
                for old, new in RENAMED_KEYS.items():
                    if key.startswith(old):
                        key = new + key[len(old) :]
                out[key] = renamed(value)
            return out
        if isinstance(obj, list):
            return [renamed(v) for v in obj]
        return obj

    return renamed(json.loads(path.read_text()))


def pensia_code_variant(
    weights,
    x_test,
    y_test,
    seed: int,
    eps: float = EPS,
    n: int = N_VALUES,
    per_row: bool = True,
    progress: bool = False,
) -> dict:
    """The construction of Pensia et al.'s Experiment 1 code, solved exactly.

    Their ``subset-sum/main.py`` builds no product layers. It draws n values uniform on
    [min W, max W] (the range of all the target's weights, 0 included) once per *output
    row* of each layer, and every weight of that row is a subset sum of the same n values
    (lines 160 and 166 of the first commit, fc44f1e; the comment on line 160 calls the set
    unique per weight, which it is not). ``per_row=True`` (the default) does exactly that;
    ``per_row=False`` draws n values per weight, as the comment says. Both exact solves,
    then the two pruned networks evaluated against the target. Values come from the
    stream ``SeedSequence([seed, 99])``.

    Parameters
    ----------
    weights, x_test, y_test, seed, eps, n, progress
        As for :func:`run`. The target must have two layers.
    per_row : bool
        One draw of n values per output row (their code), or one per weight.

    Returns
    -------
    dict
        ``per_row``, ``random_values`` (values drawn), ``low``, ``high`` (the range),
        ``seconds``, ``accuracy_*``, ``agreement_*`` (with the target's predictions),
        ``relative_logit_error_*`` (``*`` = ``min_error``, ``sparsest``),
        ``kept_values_min_error``, ``kept_values``, ``infeasible`` (weights with no subset
        within eps; their code would stop there), ``error_min_error``, ``error_sparsest``
        (:func:`error_stats`).
    """
    weights, eps, n = experiment_args(weights, x_test, y_test, eps, n)
    if len(weights) != 2:
        raise ValueError(f"weights must hold two layers (784-500-10), got {len(weights)}")
    seed = as_int_seed(seed)
    per_row = bool(per_row)
    say = reporter(progress)

    how = "per output row" if per_row else "per weight"
    say(f"Pensia et al.'s code variant: {n} values {how}, uniform on [min w, max w]")
    lo = min(0.0, float(min(w.min() for w in weights)))
    hi = max(0.0, float(max(w.max() for w in weights)))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 99]))
    if per_row:
        drawn = [rng.uniform(lo, hi, (w.shape[0], n)) for w in weights]
        a_layers = [
            np.broadcast_to(d[:, None, :], w.shape + (n,))
            for d, w in zip(drawn, weights, strict=True)
        ]
    else:
        drawn = [rng.uniform(lo, hi, w.shape + (n,)) for w in weights]
        a_layers = drawn
    a_code = np.concatenate([a.reshape(-1, n) for a in a_layers])
    flat_w = np.concatenate([w.reshape(-1) for w in weights]).astype(np.float64)
    t0 = time.perf_counter()
    c_masks, c_err = best_subsets(a_code, flat_w)
    cs_masks, cs_err, feasible = sparsest_subsets(a_code, flat_w, eps)
    t_code = time.perf_counter() - t0
    split = weights[0].size
    f_target = forward(weights, x_test)
    variant = {
        "per_row": per_row,
        "random_values": int(sum(d.size for d in drawn)),
        "low": lo,
        "high": hi,
        "seconds": t_code,
    }
    for name, masks in (("min_error", c_masks), ("sparsest", cs_masks)):
        c = reconstruct(a_code, masks)
        net = [c[:split].reshape(weights[0].shape), c[split:].reshape(weights[1].shape)]
        f = forward(net, x_test)
        variant[f"accuracy_{name}"] = accuracy(f, y_test)
        variant[f"agreement_{name}"] = float(np.mean(f.argmax(1) == f_target.argmax(1)))
        variant[f"relative_logit_error_{name}"] = relative_logit_error(f_target, f)
    variant |= {
        "kept_values_min_error": int(c_masks.sum()),
        "kept_values": int(cs_masks.sum()),
        "infeasible": int((~feasible).sum()),
        "error_min_error": error_stats([c_err], eps),
        "error_sparsest": error_stats([cs_err], eps),
    }
    say(f"  {variant}")
    return variant


def eps_sweep(
    weights, a_all, x_test, y_test, f_target, eps_values=SWEEP_EPS, progress: bool = False
) -> list[dict]:
    """Sparsest pruning and zeroing at several tolerances on the same random network.

    Parameters
    ----------
    weights : list of array_like
        The target's weight matrices.
    a_all : list of array_like
        The random values of each layer (:func:`products`), shapes ``w.shape + (n,)``.
    x_test, y_test
        Test inputs and labels.
    f_target : array_like
        The target's logits on ``x_test`` (:func:`forward`).
    eps_values : sequence of float
        Tolerances, each > 0.
    progress : bool
        Report each tolerance's row on stderr.

    Returns
    -------
    list of dict
        One row per tolerance: accuracies and relative logit errors of the sparsest pruned
        network and of zeroing, kept values, kept two-layer weights, weights kept by
        zeroing, infeasible weights.
    """
    ws = _weights(weights)
    x = _matrix(x_test, "x_test", ws[0].shape[1])
    labels_arg(y_test, len(x), "y_test")
    if not isinstance(a_all, Sequence) or len(a_all) != len(ws):
        raise ValueError(f"a_all must hold one array of random values per layer ({len(ws)})")
    a_all = [as_real_array(a, f"a_all[{i}]") for i, a in enumerate(a_all)]
    for i, (w, a) in enumerate(zip(ws, a_all, strict=True)):
        if a.ndim != 3 or a.shape[:2] != w.shape or a.shape[2] == 0:
            raise ValueError(f"a_all[{i}] must have shape {w.shape + ('n',)}, got {a.shape}")
    eps_values = [as_positive_real(e, "eps_values") for e in eps_values]
    say = reporter(progress)

    rows = []
    for eps in eps_values:
        say(f"sweep: eps = {eps}")
        w_sp = []
        kept_v = kept_w = 0
        infeasible = 0
        for w, a in zip(ws, a_all, strict=True):
            masks, _, feasible = sparsest_subsets(
                a.reshape(-1, a.shape[-1]), np.asarray(w, np.float64).reshape(-1), eps
            )
            masks = masks.reshape(a.shape)
            w_sp.append(reconstruct(a, masks))
            kv, kw = kept_counts(masks)
            kept_v += kv
            kept_w += kw
            infeasible += int((~feasible).sum())
        w_zero = zero_small(ws, eps)
        f_sp, f_zero = forward(w_sp, x_test), forward(w_zero, x_test)
        rows.append(
            {
                "eps": eps,
                "accuracy_sparsest": accuracy(f_sp, y_test),
                "accuracy_zeroing": accuracy(f_zero, y_test),
                "relative_logit_error_sparsest": relative_logit_error(f_target, f_sp),
                "relative_logit_error_zeroing": relative_logit_error(f_target, f_zero),
                "kept_values": kept_v,
                "kept_weights_two_layer": kept_w,
                "kept_weights_zeroing": int(sum(np.count_nonzero(w) for w in w_zero)),
                "infeasible": infeasible,
            }
        )
        say(f"  {rows[-1]}")
    return rows
