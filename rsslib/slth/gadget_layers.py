"""A layer of gadgets: the sup error of a pruned random layer, measured at every width.

Each weight (k, j) of a target layer W (d_out x d_in) is realised by its own gadget of
:mod:`rsslib.slth.gadgets`, pruned by one of its two methods (Malach et al.'s single
neuron, Pensia et al.'s subset). On inputs in [-1, 1]^d_in the pruned weight acts as
``w_plus[k, j]`` on ``x_j > 0`` and as ``w_minus[k, j]`` on ``x_j < 0``; the layer's
exact sup error is Proposition 10.4 (:func:`gadget_layer_sup_error`).
:func:`layer_error_curves` measures it over random targets at a range of widths,
:func:`needed_width` reads the width a success level needs off them, and
:func:`malach_layer_prediction` is the single neuron's sufficient-condition prediction.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from rsslib._validate import as_count, as_generator, as_matrix, as_positive_real
from rsslib.slth._gadget_common import (
    MAX_HALF,
    half_positions,
    level_arg,
    method_arg,
    smallest_n,
)
from rsslib.slth.gadgets import malach_success_probability
from rsslib.solve import best_subsets

__all__ = [
    "gadget_layer_sup_error",
    "layer_error_curves",
    "malach_layer_prediction",
    "needed_width",
    "random_layer_target",
]


def _matrix(values, name: str) -> np.ndarray:
    return as_matrix(values, name).astype(np.float64)


def random_layer_target(d_out, d_in, seed) -> np.ndarray:
    """A random target layer: entries uniform on [-1, 1], each row rescaled to l1 norm 1.

    Parameters
    ----------
    d_out, d_in : int
        Shape, each >= 1.
    seed : int or numpy.random.Generator
        A Generator is drawn from directly (pass one to draw several layers from one
        stream); an int seeds ``np.random.default_rng``.

    Returns
    -------
    numpy.ndarray of float64, shape (d_out, d_in)
    """
    d_out = as_count(d_out, "d_out", 1)
    d_in = as_count(d_in, "d_in", 1)
    rng = as_generator(seed)
    w = rng.uniform(-1.0, 1.0, (d_out, d_in))
    return w / np.abs(w).sum(1, keepdims=True)


def gadget_layer_sup_error(w, w_plus, w_minus) -> float:
    """Exact sup over x in [-1, 1]^d_in of the max-norm error of a pruned layer of gadgets
    (Proposition 10.4).

    Weight (k, j) acts as ``w_plus[k, j]`` on ``x_j > 0`` and as ``w_minus[k, j]`` on
    ``x_j < 0``. Output k's error is ``sum_j e+_kj relu(x_j) - e-_kj relu(-x_j)``
    (``e = w_hat - w``), linear on each orthant, so its sup over the box is at a vertex:
    ``max(sum_j max(0, e+, -e-), -sum_j min(0, e+, -e-))``. With ``w_plus == w_minus``
    this is the familiar ``max_k sum_j |w_hat_kj - w_kj|``.

    Parameters
    ----------
    w, w_plus, w_minus : array_like, shape (d_out, d_in)

    Returns
    -------
    float
    """
    w = _matrix(w, "w")
    wp = _matrix(w_plus, "w_plus")
    wm = _matrix(w_minus, "w_minus")
    if wp.shape != w.shape or wm.shape != w.shape:
        raise ValueError("w, w_plus and w_minus must have one shape")
    return float(_layer_sup(wp - w, wp - w, wm - w, wm - w).max())


def _layer_sup(ep_lo, ep_hi, em_lo, em_hi):
    """Sup error per output row (axis -1 summed), signed errors known within [lo, hi]:
    an upper bound, exact when lo == hi."""
    up = np.maximum(0.0, np.maximum(ep_hi, -em_lo)).sum(-1)
    down = np.minimum(0.0, np.minimum(ep_lo, -em_hi)).sum(-1)
    return np.maximum(up, -down)


def _signed_subset_errors(a_half, counts, w, k_max, stop):
    """Signed best errors (sum - w) of each row's first k values, k = 0..k_max.

    Beyond the first k at which |error| <= stop[r] (or beyond counts[r]) the search
    stops: entries are then NaN and the caller bounds them by the last magnitude.
    """
    rows = a_half.shape[0]
    out = np.full((rows, k_max + 1), np.nan)
    out[:, 0] = -w
    done = np.abs(w) <= stop
    for k in range(1, k_max + 1):
        todo = np.flatnonzero(~done & (counts >= k))
        if todo.size == 0:
            break
        masks, err = best_subsets(a_half[todo, :k], w[todo])
        sums = np.where(masks, a_half[todo, :k], 0.0).sum(1)
        out[todo, k] = sums - w[todo]
        done[todo] = err <= stop[todo]
    return out


def _single_signed_errors(a, sign, w, widths):
    """Signed error of the best of {nothing, one neuron of the half} among the first n."""
    rows, n_max = a.shape
    dist = np.where(sign, np.abs(a - w[:, None]), np.inf)
    run = np.minimum.accumulate(dist, axis=1)
    new = (dist == run) & np.isfinite(dist)
    idx = np.maximum.accumulate(np.where(new, np.arange(n_max), -1), axis=1)
    cols = np.asarray(widths) - 1
    pick = idx[:, cols]
    val = np.take_along_axis(a, np.maximum(pick, 0), axis=1) - w[:, None]
    best = np.where(pick >= 0, val, -w[:, None])
    # the empty choice wins when |w| is below the best single distance
    return np.where(np.abs(w)[:, None] <= np.abs(best), -w[:, None], best)


def layer_error_curves(d_out, d_in, trials, method, widths, seed=0, stop=1e-8, chunk=None):
    """Exact sup error of a pruned random layer, at each width, for random targets.

    Each trial draws a target layer (:func:`random_layer_target`) and, for each of its
    ``d_out * d_in`` weights, its own block of ``max(widths)`` gadget neurons; the layer of
    width n uses the first n of each block. Weight (k, j) is pruned with ``method`` in each
    half (as :func:`prune_gadget`) and the layer's error over x in [-1, 1]^d_in is
    :func:`gadget_layer_sup_error`.

    For ``"subset"``, a half's search stops at the first prefix whose error is <= ``stop``
    (or at :data:`MAX_HALF` values); at larger widths that weight then enters with the
    magnitude of its last error and the worse sign. The result is therefore an upper bound,
    exact up to that point and larger than the exact value by at most ``d_in * stop``.

    Parameters
    ----------
    d_out, d_in : int
        Layer shape, each >= 1.
    trials : int
        Independent targets and draws, >= 1.
    method : {"single", "subset"}
    widths : array_like of int
        Increasing widths (neurons per weight), each >= 1.
    seed : int or numpy.random.Generator
        Seeds ``np.random.default_rng``: per chunk of trials, the targets, then u, then v.
    stop : float
        See above, > 0.
    chunk : int, optional
        Trials drawn at once; default all for ``"subset"``, about 2^22 neurons for
        ``"single"``. The draws depend on it: keep it fixed when comparing runs.

    Returns
    -------
    numpy.ndarray of float64, shape (trials, len(widths))
    """
    d_out = as_count(d_out, "d_out", 1)
    d_in = as_count(d_in, "d_in", 1)
    trials = as_count(trials, "trials", 1)
    method = method_arg(method)
    ws = np.asarray(widths)
    if ws.ndim != 1 or ws.size == 0 or not np.issubdtype(ws.dtype, np.integer):
        raise ValueError("widths must be a non-empty 1-D array of integers")
    if ws[0] < 1 or np.any(np.diff(ws) <= 0):
        raise ValueError("widths must be increasing and >= 1")
    rng = as_generator(seed)
    stop = as_positive_real(stop, "stop")
    n_max = int(ws[-1])
    per_trial = d_out * d_in
    if chunk is None:
        chunk = trials if method == "subset" else max(1, 2**22 // (per_trial * n_max))
    chunk = as_count(chunk, "chunk", 1)
    out = np.empty((trials, ws.size))
    for start in range(0, trials, chunk):
        m = min(chunk, trials - start)
        w = np.stack([random_layer_target(d_out, d_in, rng) for _ in range(m)]).reshape(-1)
        u = rng.uniform(-1.0, 1.0, (w.size, n_max))
        v = rng.uniform(-1.0, 1.0, (w.size, n_max))
        a = u * v
        lo_hi = []
        for sign in (u > 0, u < 0):
            if method == "single":
                e = _single_signed_errors(a, sign, w, ws)
                lo_hi.append((e, e))
                continue
            pos, counts = half_positions(sign)
            k_max = min(MAX_HALF, n_max)
            a_half = np.take_along_axis(a, np.minimum(pos, n_max) - 1, axis=1)[:, :k_max]
            signed = _signed_subset_errors(a_half, counts, w, k_max, np.full(w.size, stop))
            k_true = sign.cumsum(1)[:, ws - 1]
            known = ~np.isnan(signed)
            last = np.maximum.accumulate(np.where(known, np.arange(k_max + 1), 0), axis=1)
            k_eff = np.take_along_axis(last, np.minimum(k_true, k_max), axis=1)
            e = np.take_along_axis(signed, k_eff, axis=1)
            exact = k_eff == k_true
            mag = np.abs(e)
            lo_hi.append((np.where(exact, e, -mag), np.where(exact, e, mag)))
        shape = (m, d_out, d_in, ws.size)
        parts = (np.moveaxis(x.reshape(shape), 3, 1) for lh in lo_hi for x in lh)
        out[start : start + m] = _layer_sup(*parts).max(-1)
    return out


def needed_width(errors, widths, eps, level, confidence=0.95) -> tuple[int, int, int]:
    """Smallest width at which a fraction >= level of the trials have error <= eps.

    Parameters
    ----------
    errors : array_like, shape (T, len(widths))
        From :func:`layer_error_curves`.
    widths : array_like of int
    eps, level, confidence : float

    Returns
    -------
    (estimate, low, high) : tuple of int
        ``low`` and ``high`` are the smallest widths whose Wilson ``confidence`` interval
        for the success fraction reaches above, and lies entirely above, ``level``: the
        widths the data cannot tell apart from the estimate. -1 where no width qualifies.
    """
    err = _matrix(errors, "errors")
    ws = np.asarray(widths)
    if ws.ndim != 1 or ws.size != err.shape[1]:
        raise ValueError("widths must have one entry per column of errors")
    eps = as_positive_real(eps, "eps")
    level = level_arg(level)
    confidence = level_arg(confidence, "confidence")
    t = err.shape[0]
    frac = (err <= eps).mean(0)
    z = stats.norm.ppf(0.5 + confidence / 2)
    centre = (frac + z * z / (2 * t)) / (1 + z * z / t)
    half = z * np.sqrt(frac * (1 - frac) / t + z * z / (4 * t * t)) / (1 + z * z / t)

    def first(cond):
        idx = np.flatnonzero(cond)
        return int(ws[idx[0]]) if idx.size else -1

    return first(frac >= level), first(centre + half >= level), first(centre - half >= level)


def malach_layer_prediction(d_out, d_in, eps, level, targets=2000, seed=0) -> int:
    """Width at which every weight of a random layer is within eps / d_in, both halves.

    A sufficient condition for the layer error to be <= eps (each output sums d_in weight
    errors); its probability given the target W is
    ``prod_kj malach_success_probability(n, eps / d_in, W_kj)`` exactly, averaged here over
    ``targets`` random layers (:func:`random_layer_target`). An upper prediction for the
    single-neuron layer: the exact sup error can pass eps earlier.

    Returns
    -------
    int
        The smallest n with averaged probability >= level.
    """
    d_out = as_count(d_out, "d_out", 1)
    d_in = as_count(d_in, "d_in", 1)
    eps = as_positive_real(eps, "eps")
    level = level_arg(level)
    targets = as_count(targets, "targets", 1)
    rng = as_generator(seed)
    ws = np.stack([random_layer_target(d_out, d_in, rng) for _ in range(targets)])
    tol = eps / d_in

    def success(n):
        return float(np.prod(malach_success_probability(n, tol, ws), axis=(1, 2)).mean())

    return smallest_n(success, level)
