"""The one certificate: a certified bound and a searched lower bound on a network's error.

Errors are sup errors ``sup ||target(X) - approx(X)||_max`` over inputs X in [0, 1]. The
thesis states Theorem 13.1 (thesis Theorem 31) with its sup over X in [-1, 1]^(D x D x c0),
but the construction needs non-negative inputs (the ReLU between a pruned pair is the
identity only on them), as Proposition 12.1 (thesis Proposition 32) assumes, and the book
states it for inputs in [0, 1].

- :func:`layer_sup_error`: the exact sup for one layer, with an input attaining it;
- :func:`certified_error`: the error recursion of the proof of Theorem 13.1 with measured
  constants, through every layer of a :class:`~rsslib.slth.layered.Network`;
- :func:`search_error`: the largest error projected gradient ascent finds (a lower bound).

Both take :class:`~rsslib.slth.layered.Network` pairs; :func:`rsslib.slth.sup_error` is their
adapter for the thesis's :class:`~rsslib.slth.SimpleCNN`. The answer is one
:class:`Certificate`.
"""

from __future__ import annotations

import dataclasses

import torch

from rsslib._validate import as_count, as_int_seed
from rsslib.slth.layered import WEIGHTED, Network, collapse, effective_weight


@dataclasses.dataclass(frozen=True)
class Certificate:
    """Certified upper bound and searched lower bound on a sup error over inputs in [0, 1].

    Attributes
    ----------
    certified : float
        ``B_l``, the bound after the last weighted layer.
    deltas, op_norms, activation_bounds, bounds : tuple of float
        Per weighted layer: ``delta_i`` (the layer's exact sup error per unit of input),
        ``op_i`` (the target layer's max-norm operator norm), ``R_i`` (bound on the
        target's activations) and ``B_i`` (bound on the error after layer i).
    lower : float
        The largest error found by :func:`search_error` (0.0 without a search).
    argmax : torch.Tensor or None
        The input (1, ...) attaining ``lower``, or None.
    """

    certified: float
    deltas: tuple[float, ...]
    op_norms: tuple[float, ...]
    activation_bounds: tuple[float, ...]
    bounds: tuple[float, ...]
    lower: float = 0.0
    argmax: torch.Tensor | None = dataclasses.field(default=None, compare=False, repr=False)


def _signed_sums(E: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per output (row of E flattened): the sums of the positive and of the negative parts."""
    E = E.flatten(1)
    return E.clamp(min=0).sum(1), (-E).clamp(min=0).sum(1)


def _one_signed(E: torch.Tensor) -> float:
    """sup over x in [0, 1]^in of ||E x||_max (attained by x = 1 where E has one sign)."""
    return float(torch.maximum(*_signed_sums(E)).max())


def _op_norm(W: torch.Tensor) -> float:
    """max over outputs of the l1 norm of its weights: ||W x||_max <= op ||x||_max.

    The sharp constant of Proposition 11.4 (thesis Proposition 33).
    """
    return float(W.abs().flatten(1).sum(1).max())


def layer_sup_error(K: torch.Tensor, L: torch.Tensor):
    """Exact ``sup over X in [0,1] of ||K * X - L * X||_max``, and an input attaining it.

    ``*`` is the thesis's convolution (Definition 11.2 (thesis Eq. 4.2)). For a non-negative
    input the error at one output entry is ``sum E_j x_j`` with ``E = K - L``; over
    ``x in [0, 1]`` its absolute value is largest, equal to the sum of the positive (or of the
    negative) entries of E, when x is 1 exactly where E has that sign. An output position
    whose window lies inside the input sees the whole kernel, so the sup is
    ``max_l max(sum E+, sum E-)``, at most the l1 bound of
    Proposition 11.4 (thesis Proposition 33) (with equality when E has one sign). The
    ``delta_i`` of :func:`certified_error` is this quantity.

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


def _check_networks(target, approx) -> None:
    if not isinstance(target, Network) or not isinstance(approx, Network):
        raise ValueError("target and approx must be rsslib.slth.Network instances")
    if len(target.layers) != len(approx.layers):
        raise ValueError("target and approx must have the same layers (pairs count as one)")


def certified_error(target: Network, approx: Network) -> Certificate:
    """Certified bound on ``sup ||target(X) - approx(X)||_max`` over inputs X in [0, 1].

    The error recursion of the proof of Theorem 13.1 (thesis Theorem 31), with the proof's
    two constants replaced by measured ones, layer by layer. At a weighted layer with target
    weight K and effective weight L (pairs collapsed,
    :func:`~rsslib.slth.layered.effective_weight`):

    - ``delta = sup over y in [0, 1] of ||(K - L) y||_max``, the one-signed norm of K - L
      (:func:`layer_sup_error`); by homogeneity the layer error on a non-negative input Y is
      at most ``delta ||Y||_max``;
    - ``op = max_l ||K[l]||_1``, the sharp constant of Proposition 11.4
      (thesis Proposition 33), at most the proof's ``||K||_1 <= 1``;
    - ``R <- op R`` (``R_0 = 1``) bounds the target's activations;
    - ``B <- op B + delta (R + B)`` (``B_0 = 0``) bounds the gap, because
      ``|X_i - Y_i| <= |K (X_{i-1} - Y_{i-1})| + |(K - L) Y_{i-1}|`` and
      ``0 <= Y_{i-1} <= R_{i-1} + B_{i-1}``.

    ReLU, max and average pooling, zero padding and flatten are 1-Lipschitz in the max norm,
    so B and R pass through them unchanged. With ``op_i = R_i = 1`` the recursion is the
    thesis's, ``1 + B_l = prod (1 + delta_i)``. Valid whenever every weighted layer's input
    is non-negative (an image in [0, 1], or the output of a ReLU or of pooling after one),
    which :class:`~rsslib.slth.layered.Network` does not check but LeNet-5 and the simple
    CNNs satisfy.

    Parameters
    ----------
    target, approx : Network
        The same layers, except that a weighted layer of the target may be a pair (U >= 0)
        in ``approx``.

    Returns
    -------
    Certificate
        With ``lower`` 0.0 and no ``argmax`` (see :func:`search_error`).
    """
    _check_networks(target, approx)
    R, B = 1.0, 0.0
    deltas, ops, Rs, Bs = [], [], [], []
    for i, (t, a) in enumerate(zip(target.layers, approx.layers, strict=True)):
        if t[0] in WEIGHTED:
            K, L = t[1], effective_weight(a)
            if K.shape != L.shape:
                raise ValueError(f"layer {i}: target {tuple(K.shape)} vs {tuple(L.shape)}")
            delta, op = _one_signed(K - L), _op_norm(K)
            B = op * B + delta * (R + B)
            R = op * R
            deltas.append(delta)
            ops.append(op)
            Rs.append(R)
            Bs.append(B)
        elif t[0] != a[0]:
            raise ValueError(f"layer {i}: target has {t[0]!r}, approx has {a[0]!r}")
    return Certificate(B, tuple(deltas), tuple(ops), tuple(Rs), tuple(Bs))


def _input_shape(net: Network, size: int) -> tuple[int, ...]:
    """The shape of one input: (c0, size, size) before a convolution, (in,) before a dense."""
    first = net.layers[net.weighted()[0]]
    W = first[1]
    return (W.shape[1], size, size) if W.dim() == 4 else (W.shape[1],)


def search_error(
    target: Network,
    approx: Network,
    size: int = 8,
    restarts: int = 16,
    steps: int = 200,
    seed=0,
    collapsed: bool = True,
) -> tuple[float, torch.Tensor | None]:
    """The largest ``||target(X) - approx(X)||_max`` projected gradient ascent finds.

    A lower bound on the sup error of :func:`certified_error`: Adam (learning rate 0.05) on
    ``||target(X) - approx(X)||_max`` over X in [0, 1], clamped back into the box after
    every step, from ``restarts`` random starts (uniform on [0, 1]). By default the search
    runs on the collapsed approximation (:func:`~rsslib.slth.layered.collapse`), which
    computes what ``approx`` computes on non-negative inputs and is much narrower; with
    ``collapsed=False`` it runs on ``approx`` as built (every pair with its hidden ReLU), so
    that the lower bound does not rest on that identity.

    Parameters
    ----------
    target, approx : Network
    size : int
        Spatial size of the searched inputs (c0 x size x size; unused when the first
        weighted layer is dense).
    restarts, steps : int
        Random starts, Adam steps (0: no search).
    seed : int or numpy.random.Generator
        Seeds the torch generator of the random starts (a Generator gives one int seed).
    collapsed : bool
        Search the collapsed approximation (True) or the pruned network itself (False).

    Returns
    -------
    lower : float
        The best error found (0.0 without a step).
    argmax : tensor (1, ...) or None
        The input attaining it.
    """
    _check_networks(target, approx)
    size = as_count(size, "size", minimum=1)
    restarts = as_count(restarts, "restarts", minimum=1)
    steps = as_count(steps, "steps", minimum=0)
    seed = as_int_seed(seed)
    if not isinstance(collapsed, bool):
        raise ValueError(f"collapsed must be a bool, got {collapsed!r}")
    g = collapse(approx) if collapsed else approx
    gen = torch.Generator().manual_seed(seed)
    shape = (restarts,) + _input_shape(target, size)
    X = torch.rand(shape, generator=gen, dtype=torch.float64)
    X.requires_grad_(True)
    opt = torch.optim.Adam([X], lr=0.05)
    best, argmax = 0.0, None
    for _ in range(steps):
        gap = (target(X) - g(X)).abs().flatten(1).max(1).values
        values = gap.detach()
        i = int(values.argmax())
        if float(values[i]) > best:
            best, argmax = float(values[i]), X[i : i + 1].detach().clone()
        opt.zero_grad()
        (-gap.sum()).backward()
        opt.step()
        with torch.no_grad():
            X.clamp_(0.0, 1.0)
    return best, argmax
