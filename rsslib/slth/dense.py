"""Depth: a dense ReLU target of depth l pruned out of a random network of depth l + 1 or 2l.

Pensia et al. (2020) spend two random layers per target layer: target layer k becomes a
pair whose pruned products sum to about each weight (:func:`random_network_2l`,
:func:`prune_2l`; Proposition 15.1 is its single-layer step). Burkholz (2022) and
Burkholz, Laha, Mukherjee and Gotovos (2022) (the thesis's ``[Bur22]`` and
``[BLMG22, FB21]``) approximate a target of depth l by pruning a random network of depth
l + 1 instead (Proposition 10.5; :func:`random_network_lp1`, :func:`prune_lp1`). Both
work on inputs in [0, 1]^d_0, certify their sup error (:func:`certified_lp1`,
:func:`certified_2l`), and are measured by :func:`measured_error` with the forward pass
of :mod:`rsslib.slth.mlp`. Each subset-sum instance is solved exactly
(:func:`rsslib.best_subsets`) or by the fewest values within a tolerance
(:func:`rsslib.sparsest.sparsest_subsets`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rsslib._validate import as_count, as_generator, as_positive_real, as_weight_list
from rsslib.slth._gadget_common import MAX_HALF
from rsslib.slth.gadget_layers import random_layer_target
from rsslib.slth.mlp import forward
from rsslib.solve import best_subsets
from rsslib.sparsest import sparsest_subsets

__all__ = [
    "RULES",
    "certified_2l",
    "certified_lp1",
    "masked_forward",
    "measured_error",
    "parameter_counts",
    "prune_2l",
    "prune_lp1",
    "random_network_2l",
    "random_network_lp1",
    "random_target",
]

#: How each subset-sum instance is solved: least error, or fewest values within ``tol``.
RULES = ("min_error", "sparsest")


def _widths(widths, name: str = "widths") -> tuple[int, ...]:
    if isinstance(widths, np.ndarray):
        widths = widths.tolist()
    if not isinstance(widths, Sequence) or len(widths) < 2:
        raise ValueError(f"{name} must list at least two layer widths (input, output)")
    return tuple(as_count(w, f"{name}[{i}]", 1) for i, w in enumerate(widths))


def _weights(weights, name: str = "target") -> list[np.ndarray]:
    return [w.astype(np.float64) for w in as_weight_list(weights, name)]


def _rule(rule, tol):
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    if rule == "sparsest":
        return rule, as_positive_real(tol, "tol")
    if tol is not None:
        raise ValueError("tol is used only with rule='sparsest'; pass tol=None")
    return rule, None


def random_target(widths, seed=0) -> list[np.ndarray]:
    """A random dense ReLU target: layer k uniform on [-1, 1], rows rescaled to l1 norm 1.

    Parameters
    ----------
    widths : sequence of int
        ``(d_0, ..., d_l)``, l >= 1.
    seed : int or numpy.random.Generator

    Returns
    -------
    list of numpy.ndarray
        ``W_k`` of shape ``(d_k, d_{k-1})``.
    """
    ds = _widths(widths)
    rng = as_generator(seed)
    return [random_layer_target(ds[k + 1], ds[k], rng) for k in range(len(ds) - 1)]


def masked_forward(random, masks, x) -> np.ndarray:
    """:func:`rsslib.slth.mlp.forward` of the random network with every unmasked weight set
    to 0."""
    rs = _weights(random, "random")
    ms = _masks(masks, rs)
    return forward([r * m for r, m in zip(rs, ms, strict=True)], x)


def _masks(masks, rs) -> list[np.ndarray]:
    if isinstance(masks, np.ndarray) or not isinstance(masks, Sequence):
        raise ValueError("masks must be a list of boolean arrays, one per layer")
    if len(masks) != len(rs):
        raise ValueError(f"masks must hold one array per layer ({len(rs)}), got {len(masks)}")
    out = []
    for i, (m, r) in enumerate(zip(masks, rs, strict=True)):
        m = np.asarray(m)
        if m.dtype != bool or m.shape != r.shape:
            raise ValueError(f"masks[{i}] must be boolean of shape {r.shape}")
        out.append(m)
    return out


def _blocks_lp1(rho, layers: int) -> tuple[int, ...]:
    if isinstance(rho, np.ndarray):
        rho = rho.tolist()
    if isinstance(rho, Sequence):
        if len(rho) != layers:
            raise ValueError(f"rho must be one int or {layers} block sizes, got {len(rho)}")
        return tuple(as_count(r, f"rho[{i}]", 1) for i, r in enumerate(rho))
    return (as_count(rho, "rho", 1),) * layers


def random_network_lp1(widths, rho, seed=0) -> list[np.ndarray]:
    """The dense random network of depth l + 1 for a target of widths ``(d_0, ..., d_l)``.

    Random layer 1 has ``d_0 rho_1`` neurons (block j: ``rho_1`` would-be copies of input
    j), random layer k + 1 (1 <= k < l) has ``d_k rho_{k+1}`` neurons (block i: would-be
    copies of target neuron i of layer k), the last layer ``d_l`` outputs. Every weight,
    dense between consecutive layers, is uniform on [-1, 1].

    Parameters
    ----------
    widths : sequence of int
        Target widths, at least two.
    rho : int or sequence of l ints
        Block sizes ``rho_1 .. rho_l`` (one int: all equal), each >= 1.
    seed : int or numpy.random.Generator

    Returns
    -------
    list of numpy.ndarray
        Shapes ``(d_0 rho_1, d_0)``, ``(d_1 rho_2, d_0 rho_1)``, ...,
        ``(d_l, d_{l-1} rho_l)``.
    """
    ds = _widths(widths)
    rhos = _blocks_lp1(rho, len(ds) - 1)
    rng = as_generator(seed)
    sizes = [ds[0]] + [d * r for d, r in zip(ds[:-1], rhos, strict=True)] + [ds[-1]]
    return [rng.uniform(-1.0, 1.0, (sizes[k + 1], sizes[k])) for k in range(len(sizes) - 1)]


def random_network_2l(widths, n, seed=0) -> list[np.ndarray]:
    """The dense random network of depth 2l (Pensia et al.'s form) for widths (d_0..d_l).

    Target layer k becomes a pair: ``U_k`` of shape ``(d_{k-1} n, d_{k-1})`` (block j of n
    hidden neurons meant for input j) and ``V_k`` of shape ``(d_k, d_{k-1} n)``, entries
    uniform on [-1, 1].

    Returns
    -------
    list of numpy.ndarray
        ``[U_1, V_1, U_2, V_2, ...]``.
    """
    ds = _widths(widths)
    n = as_count(n, "n", 1)
    rng = as_generator(seed)
    out = []
    for k in range(len(ds) - 1):
        out.append(rng.uniform(-1.0, 1.0, (ds[k] * n, ds[k])))
        out.append(rng.uniform(-1.0, 1.0, (ds[k + 1], ds[k] * n)))
    return out


def _solve(values, targets, rule, tol):
    """Masks and sums for a batch of instances (rows of values, zeros never kept)."""
    if values.shape[1] == 0:
        return np.zeros(values.shape, dtype=bool)
    if rule == "min_error":
        masks, _ = best_subsets(values, targets)
    else:
        masks, _, _ = sparsest_subsets(values, targets, tol)
    return masks & (values != 0)


def _drop_unused(masks):
    """Prune the incoming weights of hidden neurons whose outgoing weights are all pruned
    (they cannot affect the output), from the last layer down."""
    for i in range(len(masks) - 1, 0, -1):
        unused = ~masks[i].any(0)
        masks[i - 1][unused, :] = False
    return masks


def _activation_bounds(target):
    """Per-neuron upper bounds B_k on the target's hidden activations for x in [0, 1]^d:
    B_0 = 1, B_k = relu(W_k) B_{k-1} (activations are >= 0 and inputs to a layer >= 0)."""
    bounds = [np.ones(target[0].shape[1])]
    for w in target[:-1]:
        bounds.append(np.maximum(w, 0.0) @ bounds[-1])
    return bounds


def _max_terms(max_terms) -> int:
    out = as_count(max_terms, "max_terms", 1)
    if out > MAX_HALF:
        raise ValueError(f"max_terms must be <= {MAX_HALF} (exact solver), got {out}")
    return out


def prune_lp1(target, random, rule="min_error", tol=None, max_terms=24) -> dict:
    """Prune a depth l + 1 random network (:func:`random_network_lp1`) towards ``target``
    (Proposition 10.5).

    The construction (after Burkholz 2022, for ReLU and inputs in [0, 1]^d_0):

    - layer 1: neuron c of block j keeps only its weight ``a_c`` from input j, and only if
      ``a_c > 0``; it then outputs ``a_c x_j`` exactly;
    - layer 2: neuron z of block i (target neuron i of layer 1; output i if l = 1)
      keeps, from block j, the neurons of a subset whose products ``b_zc a_c`` sum to about
      ``W_1[i, j]``: it receives ``sum_j w_hat_zj x_j``;
    - layer k + 1 (k >= 2): neuron z of block i keeps, from block j of layer k (neurons
      that each approximate target neuron j of layer k - 1), a subset of its plain random
      weights ``b_zc`` summing to about ``W_k[i, j]``.

    Each (z, j) is one Random Subset Sum instance over the first ``max_terms`` usable
    neurons of block j (the others are pruned), solved exactly (``rule="min_error"``,
    :func:`rsslib.best_subsets`) or by the fewest values within ``tol``
    (``rule="sparsest"``, :func:`rsslib.sparsest.sparsest_subsets`). Finally, every hidden
    neuron that no kept weight reads loses its incoming weights too.

    Parameters
    ----------
    target : list of array_like
        ``W_1 .. W_l``.
    random : list of array_like
        Shapes as returned by :func:`random_network_lp1` for the target's widths (the block
        sizes are read from them).
    rule : {"min_error", "sparsest"}
    tol : float, optional
        Tolerance of ``"sparsest"``.
    max_terms : int
        Values offered to each instance, 1..:data:`MAX_HALF`.

    Returns
    -------
    dict
        ``masks`` (one boolean array per random layer); ``w_hat`` (for random layer
        k + 1, the effective weights ``(rows, d_{k-1})`` its neurons realise); ``kept_l1``
        (for random layers 3 .. l + 1, ``sum_j sum_{c kept} |b_zc|`` per neuron: how much
        the errors of the copies below can add up); ``rho`` (block sizes); ``certified``
        (:func:`certified_lp1`).
    """
    ws = _weights(target)
    rs = _weights(random, "random")
    rule, tol = _rule(rule, tol)
    max_terms = _max_terms(max_terms)
    ds = [ws[0].shape[1]] + [w.shape[0] for w in ws]
    l_count = len(ws)
    if len(rs) != l_count + 1:
        raise ValueError(f"random must hold {l_count + 1} layers for a {l_count}-layer target")
    rhos = []
    for k in range(l_count):
        rows = rs[k].shape[0]
        if rows % ds[k]:
            raise ValueError(f"random[{k}] must have a multiple of {ds[k]} rows, got {rows}")
        rhos.append(rows // ds[k])
    for k in range(l_count + 1):
        rows = ds[k] * rhos[k] if k < l_count else ds[l_count]
        cols = ds[0] if k == 0 else ds[k - 1] * rhos[k - 1]
        if rs[k].shape != (rows, cols):
            raise ValueError(f"random[{k}] must have shape {(rows, cols)}, got {rs[k].shape}")

    masks = [np.zeros(r.shape, dtype=bool) for r in rs]
    d0, rho1 = ds[0], rhos[0]
    copy_cols = np.repeat(np.arange(d0), rho1)
    a = rs[0][np.arange(d0 * rho1), copy_cols]
    w_hat, kept_l1 = [], []
    for k in range(1, l_count + 1):  # random layer k + 1 realises target layer k
        w_t, r, rho_in = ws[k - 1], rs[k], rhos[k - 1]
        rows = r.shape[0]
        owner = np.arange(rows) // rhos[k] if k < l_count else np.arange(rows)
        eff = np.zeros((rows, ds[k - 1]))
        l1 = np.zeros(rows)
        for j in range(ds[k - 1]):
            cols = np.arange(j * rho_in, (j + 1) * rho_in)
            if k == 1:
                cols = cols[a[cols] > 0]
            cols = cols[:max_terms]
            values = r[:, cols] * a[cols][None, :] if k == 1 else r[:, cols]
            sel = _solve(values, w_t[owner, j], rule, tol)
            masks[k][np.ix_(np.arange(rows), cols)] = sel
            eff[:, j] = np.where(sel, values, 0.0).sum(1)
            l1 += np.where(sel, np.abs(r[:, cols]), 0.0).sum(1)
        w_hat.append(eff)
        kept_l1.append(l1)
    masks[0][np.arange(d0 * rho1), copy_cols] = masks[1].any(0)
    masks = _drop_unused(masks)
    result = {"masks": masks, "w_hat": w_hat, "kept_l1": kept_l1[1:], "rho": tuple(rhos)}
    result["certified"] = certified_lp1(ws, result)
    return result


def certified_lp1(target, pruned) -> float:
    """A bound on ``max |pruned(x) - target(x)|`` over all x in [0, 1]^d_0 (l + 1 net).

    With ``delta_k`` a bound on how far each neuron of random layer k + 1 is from the
    target neuron it stands for, and B the activation bounds of the target:

    - ``delta_1 = max_z sum_j |w_hat_zj - W_1[i(z), j]| B_0j`` (layer 1's copies are exact);
    - ``delta_k = max_z (delta_{k-1} sum_{j, c kept} |b_zc|
      + sum_j |w_hat_zj - W_k[i(z), j]| B_{k-1, j})``,

    since the neuron's input is ``sum_j sum_c b_zc g_c`` with every ``|g_c - h_j| <=
    delta_{k-1}``, and ReLU is 1-Lipschitz. The last ``delta_l`` bounds the output error.
    Neurons pruned away entirely are included in the max (the bound stays valid).

    Parameters
    ----------
    target : list of array_like
    pruned : dict
        As returned by :func:`prune_lp1`.

    Returns
    -------
    float
    """
    ws = _weights(target)
    bounds = _activation_bounds(ws)
    rhos = pruned["rho"]
    delta = 0.0
    for k, (w, eff) in enumerate(zip(ws, pruned["w_hat"], strict=True)):
        rows = eff.shape[0]
        owner = np.arange(rows) // rhos[k + 1] if k < len(ws) - 1 else np.arange(rows)
        term = np.abs(eff - w[owner]) @ bounds[k]
        if k > 0:
            term = term + delta * pruned["kept_l1"][k - 1]
        delta = float(term.max())
    return delta


def prune_2l(target, random, rule="min_error", tol=None, max_terms=24) -> dict:
    """Prune a depth 2l random network (:func:`random_network_2l`) towards ``target``.

    Pair k: hidden neuron c of block j keeps only its weight ``U_k[c, j]``, if positive;
    output i keeps, among the first ``max_terms`` such neurons of block j, a subset whose
    products ``V_k[i, c] U_k[c, j]`` sum to about ``W_k[i, j]`` (Pensia et al.). On
    non-negative inputs the pruned pair computes ``W_hat_k h`` exactly
    (``relu(u t) = u t`` for u > 0, t >= 0).

    Parameters
    ----------
    target, random, rule, tol, max_terms
        As for :func:`prune_lp1`, with ``random`` from :func:`random_network_2l`.

    Returns
    -------
    dict
        ``masks``, ``w_hat`` (the effective matrices ``W_hat_k``), ``n``, ``certified``
        (:func:`certified_2l`).
    """
    ws = _weights(target)
    rs = _weights(random, "random")
    rule, tol = _rule(rule, tol)
    max_terms = _max_terms(max_terms)
    if len(rs) != 2 * len(ws):
        raise ValueError(f"random must hold {2 * len(ws)} layers for a {len(ws)}-layer target")
    d0 = ws[0].shape[1]
    n = rs[0].shape[0] // d0
    masks, w_hat = [], []
    for k, w in enumerate(ws):
        u_k, v_k = rs[2 * k], rs[2 * k + 1]
        d_out, d_in = w.shape
        if u_k.shape != (d_in * n, d_in) or v_k.shape != (d_out, d_in * n):
            raise ValueError(
                f"random[{2 * k}], random[{2 * k + 1}] must have shapes "
                f"{(d_in * n, d_in)}, {(d_out, d_in * n)}"
            )
        mu = np.zeros(u_k.shape, dtype=bool)
        mv = np.zeros(v_k.shape, dtype=bool)
        eff = np.zeros((d_out, d_in))
        for j in range(d_in):
            cols = np.arange(j * n, (j + 1) * n)
            cols = cols[u_k[cols, j] > 0][:max_terms]
            values = v_k[:, cols] * u_k[cols, j][None, :]
            sel = _solve(values, w[:, j], rule, tol)
            mv[np.ix_(np.arange(d_out), cols)] = sel
            eff[:, j] = np.where(sel, values, 0.0).sum(1)
            mu[cols, j] = sel.any(0)
        masks += [mu, mv]
        w_hat.append(eff)
    masks = _drop_unused(masks)
    result = {"masks": masks, "w_hat": w_hat, "n": n}
    result["certified"] = certified_2l(ws, result)
    return result


def certified_2l(target, pruned) -> float:
    """A bound on ``max |pruned(x) - target(x)|`` over x in [0, 1]^d_0 (2l network).

    The pruned network is the target with ``W_hat_k`` in place of ``W_k``, so
    ``e_k = max_i (sum_j |W_hat_k[i, j]| e_{k-1} + sum_j |W_hat_k - W_k|[i, j] B_{k-1, j})``
    with ``e_0 = 0``: errors of the layer below are multiplied by the pruned layer's
    l1 row norms, close to the target's (at most 1), not by the kept weights' total size.
    """
    ws = _weights(target)
    bounds = _activation_bounds(ws)
    err = 0.0
    for k, (w, eff) in enumerate(zip(ws, pruned["w_hat"], strict=True)):
        err = float((np.abs(eff).sum(1) * err + np.abs(eff - w) @ bounds[k]).max())
    return err


def parameter_counts(random, masks) -> dict:
    """Sizes of a random network and of its pruned sub-network.

    Returns
    -------
    dict
        ``depth`` (weight layers), ``max_width`` (largest layer, inputs excluded),
        ``random_params`` (every entry of the dense random network), ``kept_weights``
        (entries the masks keep).
    """
    rs = _weights(random, "random")
    ms = _masks(masks, rs)
    return {
        "depth": len(rs),
        "max_width": int(max(r.shape[0] for r in rs)),
        "random_params": int(sum(r.size for r in rs)),
        "kept_weights": int(sum(m.sum() for m in ms)),
    }


def measured_error(target, random, masks, x) -> float:
    """``max |masked_forward(random, masks, x) - forward(target, x)|`` over rows and outputs."""
    return float(np.abs(masked_forward(random, masks, x) - forward(target, x)).max())
