"""Sup errors over inputs in [0, 1]: exact for one layer, certified and searched for deep nets.

The thesis states Theorem 13.1 (thesis Theorem 31) with its sup over X in
[-1, 1]^(D x D x c0), but the construction needs non-negative inputs (the ReLU between a
pruned pair is the identity only on them), as Proposition 12.1 (thesis Proposition 32)
assumes, and the book states it for inputs in [0, 1]: errors here are over [0, 1].
"""

from __future__ import annotations

import torch

from rsslib._validate import as_int_seed
from rsslib.slth.network import SimpleCNN, as_filters
from rsslib.slth.prune import effective_filters


def _signed_sums(E: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per output channel: the sum of the positive and of the negative entries of E."""
    return E.clamp(min=0).flatten(1).sum(1), (-E).clamp(min=0).flatten(1).sum(1)


def _one_signed_norm(E: torch.Tensor) -> torch.Tensor:
    """max over output channels of max(sum of positive, sum of negative entries)."""
    return torch.maximum(*_signed_sums(E)).max()


def _l1_op_norm(K: torch.Tensor) -> torch.Tensor:
    """max over output channels of the l1 norm of that channel's filter.

    The sharp constant of Proposition 11.4 (thesis Proposition 33).
    """
    return K.abs().flatten(1).sum(1).max()


def layer_sup_error(K: torch.Tensor, L: torch.Tensor):
    """Exact ``sup over X in [0,1] of ||K * X - L * X||_max``, and an input attaining it.

    For a non-negative input the error at one output entry is ``sum E_j x_j`` with
    ``E = K - L``; over ``x in [0, 1]`` its absolute value is largest, equal to the sum of the
    positive (or of the negative) entries of E, when x is 1 exactly where E has that sign.
    An output position whose window lies inside the input sees the whole kernel, so the sup
    is ``max_l max(sum E+, sum E-)``, at most the l1 bound of
    Proposition 11.4 (thesis Proposition 33) (with equality when E has one sign).

    Returns
    -------
    value : float
    X : tensor (1, c0, d, d), an input in {0, 1} on which the error equals ``value``
    """
    K = torch.as_tensor(K, dtype=torch.float64)
    L = torch.as_tensor(L, dtype=torch.float64)
    if K.shape != L.shape or K.dim() != 4:
        raise ValueError(
            f"K and L must be filters of the same shape, got {tuple(K.shape)} and {tuple(L.shape)}"
        )
    E = K - L
    pos, neg = _signed_sums(E)
    best = torch.maximum(pos, neg)
    out = int(best.argmax())
    sign = 1.0 if pos[out] >= neg[out] else -1.0
    # output (d-1, d-1) reads X[d-1-a, d-1-b] through kernel offset (a, b)
    X = (sign * E[out] > 0).to(torch.float64).flip(1, 2).unsqueeze(0)
    return float(best[out]), X


def sup_error(target, pruned, size: int = 8, restarts: int = 16, steps: int = 200, seed: int = 0):
    """Certified upper bound and searched lower bound on the network's sup error over [0, 1].

    This is the error recursion of the proof of Theorem 13.1 (thesis Theorem 31), with the
    proof's two constants replaced by measured ones. Write ``X_i`` for the target's activations
    after layer i, ``Y_i`` for the pruned network's, ``K_i`` for the target filter and
    ``L_i`` for the linear filter the i-th pruned pair computes on non-negative inputs
    (:func:`~rsslib.slth.effective_filters`). Then

    - ``delta_i``: the exact sup over Y in [0, 1] of ``||(K_i - L_i) * Y||_max``, the
      one-signed norm of ``K_i - L_i`` (:func:`layer_sup_error`); by homogeneity the layer
      error on a non-negative input Y is at most ``delta_i ||Y||_max``;
    - ``op_i = max_l ||K_i[l]||_1``, the sharp constant of Proposition 11.4
      (thesis Proposition 33) (``||K_i * Z||_max <= op_i ||Z||_max``), at most the proof's
      ``||K_i||_1 <= 1``;
    - ``R_i = op_i R_{i-1}``, ``R_0 = 1``: a bound on ``||X_i||_max`` (ReLU is
      1-Lipschitz and fixes 0);
    - ``B_i = op_i B_{i-1} + delta_i (R_{i-1} + B_{i-1})``, ``B_0 = 0``: a bound on
      ``||X_i - Y_i||_max``, because
      ``|X_i - Y_i| <= |K_i * (X_{i-1} - Y_{i-1})| + |(K_i - L_i) * Y_{i-1}|`` and
      ``0 <= Y_{i-1} <= R_{i-1} + B_{i-1}``.

    With ``op_i = R_i = 1`` the recursion is the thesis's, ``1 + B_l = prod (1 + delta_i)``.
    The lower bound comes from projected gradient ascent on ``||f(X) - N(X)||_max`` over
    X in [0, 1] of spatial size ``size``, from ``restarts`` random starts. The search runs
    on the collapsed network of the filters ``L_i``, which computes exactly what the
    pruned network computes on non-negative inputs and is much narrower.

    Parameters
    ----------
    target : SimpleCNN or list of filters
        The l target filters.
    pruned : SimpleCNN or list of filters
        2l filters, pairs (U, V) with U >= 0 (the output of
        :func:`~rsslib.slth.prune`, or any such network, e.g. all zeros: the empty mask).
    size, restarts, steps : int
        Spatial size of the searched inputs, random starts, Adam steps (0: no search).
    seed : int or numpy.random.Generator
        Seeds the torch generator of the random starts (a Generator gives one int seed).

    Returns
    -------
    dict with ``certified`` (= ``B_l``), ``lower`` (the best error found), ``per_layer``
    (the ``delta_i``), ``op_norms`` (the ``op_i``), ``activation_bounds`` (``R_1..R_l``),
    ``bounds`` (``B_1..B_l``) and ``argmax`` (the best input found, or None).
    """
    target_filters = as_filters(target, "target")
    L = effective_filters(pruned)
    if len(L) != len(target_filters):
        raise ValueError("pruned must have two filters per target layer")
    if min(int(size), int(restarts)) < 1 or int(steps) < 0:
        raise ValueError("size and restarts must be >= 1 and steps >= 0")
    seed = as_int_seed(seed)
    R, B = 1.0, 0.0
    deltas, ops, Rs, Bs = [], [], [], []
    for K, Li in zip(target_filters, L, strict=True):
        if K.shape != Li.shape:
            raise ValueError(f"target filter {tuple(K.shape)} vs pruned pair {tuple(Li.shape)}")
        delta = float(_one_signed_norm(K - Li))
        op = float(_l1_op_norm(K))
        B = op * B + delta * (R + B)
        R = op * R
        deltas.append(delta)
        ops.append(op)
        Rs.append(R)
        Bs.append(B)

    f = SimpleCNN(target_filters)
    g = SimpleCNN(L)
    gen = torch.Generator().manual_seed(seed)
    c0 = target_filters[0].shape[1]
    X = torch.rand((int(restarts), c0, int(size), int(size)), generator=gen, dtype=torch.float64)
    X.requires_grad_(True)
    opt = torch.optim.Adam([X], lr=0.05)
    best, argmax = 0.0, None
    for _ in range(int(steps)):
        gap = (f(X) - g(X)).abs().flatten(1).max(1).values
        values = gap.detach()
        i = int(values.argmax())
        if float(values[i]) > best:
            best, argmax = float(values[i]), X[i : i + 1].detach().clone()
        opt.zero_grad()
        (-gap.sum()).backward()
        opt.step()
        with torch.no_grad():
            X.clamp_(0.0, 1.0)
    return {
        "certified": B,
        "lower": best,
        "per_layer": deltas,
        "op_norms": ops,
        "activation_bounds": Rs,
        "bounds": Bs,
        "argmax": argmax,
    }
