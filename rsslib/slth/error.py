"""Sup errors over inputs in [0, 1]: exact for one layer, certified and searched for deep nets.

Theorem 31 states its sup over X in [-1, 1]^(D x D x c0), but the construction needs
non-negative inputs (the ReLU between a pruned pair is the identity only on them), as
Proposition 32 assumes: errors here are over [0, 1].
"""

from __future__ import annotations

import torch

from rsslib.slth.network import SimpleCNN
from rsslib.slth.prune import _as_filters, effective_filters


def _one_signed_norm(E: torch.Tensor) -> torch.Tensor:
    """max over output channels of max(sum of positive, sum of negative entries)."""
    pos = E.clamp(min=0).flatten(1).sum(1)
    neg = (-E).clamp(min=0).flatten(1).sum(1)
    return torch.maximum(pos, neg).max()


def _l1_op_norm(K: torch.Tensor) -> torch.Tensor:
    """max over output channels of the l1 norm of that channel's filter (Prop. 33, sharp)."""
    return K.abs().flatten(1).sum(1).max()


def layer_sup_error(K: torch.Tensor, L: torch.Tensor):
    """Exact ``sup over X in [0,1] of ||K * X - L * X||_max``, and an input attaining it.

    For a non-negative input the error at one output entry is ``sum E_j x_j`` with
    ``E = K - L``; over ``x in [0, 1]`` its absolute value is largest, equal to the sum of the
    positive (or of the negative) entries of E, when x is 1 exactly where E has that sign.
    An output position whose window lies inside the input sees the whole kernel, so the sup
    is ``max_l max(sum E+, sum E-)``, at most the l1 bound of Proposition 33 (with equality
    when E has one sign).

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
    pos = E.clamp(min=0).flatten(1).sum(1)
    neg = (-E).clamp(min=0).flatten(1).sum(1)
    best = torch.maximum(pos, neg)
    out = int(best.argmax())
    sign = 1.0 if pos[out] >= neg[out] else -1.0
    # output (d-1, d-1) reads X[d-1-a, d-1-b] through kernel offset (a, b)
    X = (sign * E[out] > 0).to(torch.float64).flip(1, 2).unsqueeze(0)
    return float(best[out]), X


def sup_error(target, pruned, size: int = 8, restarts: int = 16, steps: int = 200, seed: int = 0):
    """Certified upper bound and searched lower bound on the network's sup error over [0, 1].

    Upper bound: with ``delta_i`` the exact one-signed norm of ``K_i - L_i`` (L_i the pair's
    effective filter), ``R_i = ||K_i||_op R_{i-1}`` (a bound on the target's activations,
    R_0 = 1) and ``B_0 = 0``, the error after layer i obeys
    ``B_i <= ||K_i||_op B_{i-1} + delta_i (R_{i-1} + B_{i-1})`` (ReLU is 1-Lipschitz, and
    the pruned network's activations are non-negative and at most R + B).
    Lower bound: projected gradient ascent on ``||f(X) - N(X)||_max`` over X in [0, 1]
    of spatial size ``size``, from ``restarts`` random starts.

    Returns
    -------
    dict with ``certified``, ``lower``, ``per_layer`` (the delta_i) and ``argmax`` (the
    best input found).
    """
    target_filters = _as_filters(target, "target")
    L = effective_filters(pruned)
    if len(L) != len(target_filters):
        raise ValueError("pruned must have two filters per target layer")
    R, B, deltas = 1.0, 0.0, []
    for K, Li in zip(target_filters, L, strict=True):
        if K.shape != Li.shape:
            raise ValueError(f"target filter {tuple(K.shape)} vs pruned pair {tuple(Li.shape)}")
        delta = float(_one_signed_norm(K - Li))
        op = float(_l1_op_norm(K))
        B = op * B + delta * (R + B)
        R = op * R
        deltas.append(delta)

    f = target if isinstance(target, SimpleCNN) else SimpleCNN(target_filters)
    g = pruned if isinstance(pruned, SimpleCNN) else SimpleCNN(_as_filters(pruned, "pruned"))
    gen = torch.Generator().manual_seed(seed)
    c0 = target_filters[0].shape[1]
    X = torch.rand((restarts, c0, size, size), generator=gen, dtype=torch.float64)
    X.requires_grad_(True)
    opt = torch.optim.Adam([X], lr=0.05)
    best, argmax = 0.0, None
    for _ in range(steps):
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
    return {"certified": B, "lower": best, "per_layer": deltas, "argmax": argmax}
