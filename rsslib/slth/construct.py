"""Pruning a random network into any :class:`~rsslib.slth.layered.Network` (LeNet-5 and up).

Every conv or dense layer K of the target (c1 outputs, m = c0 d^2 weights per output) is
replaced by a random pair U (n, c0, d, d) or (n, c0), ReLU, V (c1, n), entries uniform on
[-1, 1] with V multiplied by a per-layer scale; pooling, flatten and ReLU layers are copied.
The construction is that of Proposition 12.1 (thesis Proposition 32) (see
:mod:`rsslib.slth.prune`): keep the positive entries of U only, give each output channel l
its own block of b = n // c1 hidden channels, and approximate each weight ``K[l, j]`` by a
subset of the products ``V[l, t] U[t, j]`` of its block, solved exactly by
:func:`rsslib.best_subsets`. Whatever is decided, the pruned network is a mask on the random
draw: a kept entry equals the random entry.

Two ways of choosing the subsets:

- ``compensate=None``: each weight on its own, nearest subset sum to ``K[l, j]``;
- ``compensate="weights"`` or ``"data"``: the weights of one output channel are fixed one
  after the other, and the error each leaves is pushed onto the not-yet-fixed weights of the
  same channel so that the channel's output on real inputs moves as little as possible:
  the Optimal Brain Surgeon update of Hassibi & Stork (1993), in the ordered, lazy form
  GPTQ (Frantar et al., 2023) uses to quantise weights, with subset sums in place of a grid.
  It needs the inputs' second moments ``H = E[x x^T]`` (patches of ``data`` for a conv).
  ``"data"`` also takes these inputs from the network pruned so far, and re-targets each
  layer to map them to what the *target's* layer outputs on the clean inputs (least
  squares), so a layer repairs on data what the layers before it got wrong.

Two choices made after seeing the draw, both still masks: which hidden channels serve which
output (``balance=True``, :func:`assign_blocks`, instead of contiguous blocks), and how the
size budget is shared between layers (:func:`blocks_for_factor`, ``allocation="cost"``).
The chapter ``book/slth/lenet_fashion`` measures what each step buys.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from rsslib._jit import jit
from rsslib._validate import as_count, as_int_seed, as_positive_real
from rsslib.distributions import draw
from rsslib.slth.layered import WEIGHTED, Network, collapse
from rsslib.solve import best_subsets
from rsslib.sparsest import best_subsets_of_size

MAX_TERMS = 40
COMPENSATIONS = (None, "weights", "data")


ALLOCATIONS = ("equal", "cost")


def blocks_for_factor(
    target: Network, factor: float, prune=None, allocation: str = "equal"
) -> list[int]:
    """Hidden channels per output channel, per weighted layer, for a size budget.

    A pair for a layer with c1 outputs and m weights per output, with blocks of b, has
    ``b c1 (m + c1)`` entries against the layer's ``c1 m``; the pairs must stay within
    ``factor`` times the pruned layers' size. Layers not in ``prune`` (indices into
    ``target.weighted()``; default all) get 0: they are kept as trained.

    ``allocation="equal"``: every pruned layer gets the same b, the largest that fits.
    ``allocation="cost"``: a layer whose channels cost less gets more of them,
    ``b_i = floor(b_0 + 2 log2(cost_max / cost_i))`` with ``cost_i = c1 (m + c1)`` the
    price of one more channel per output and b_0 the largest that fits. If each product
    halves a subset sum's typical error and there are about b/2 products per weight, a
    weight's error is about ``2^(-b/2)``; spending the budget where it is cheapest to
    add products then equalises ``2^(-b_i/2) / cost_i`` across layers, which is this rule.
    For LeNet-5 it gives the small convolutions many more channels than the large dense
    layer, at little cost in size.
    """
    factor = as_positive_real(factor, "factor")
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {ALLOCATIONS}, got {allocation!r}")
    weighted = target.weighted()
    prune = set(range(len(weighted)) if prune is None else prune)
    if not prune or not prune <= set(range(len(weighted))):
        raise ValueError(f"prune must list some of the {len(weighted)} weighted layers")
    shapes = {k: target.layers[i][1].shape for k, i in enumerate(weighted) if k in prune}
    size = sum(s[0] * s[1:].numel() for s in shapes.values())
    cost = {k: s[0] * (s[1:].numel() + s[0]) for k, s in shapes.items()}
    top = max(cost.values())
    extra = {k: 2 * np.log2(top / c) if allocation == "cost" else 0.0 for k, c in cost.items()}

    def blocks(b0):
        return {k: int(np.floor(b0 + extra[k])) for k in cost}

    def fits(b0):
        bs = blocks(b0)
        return min(bs.values()) >= 1 and sum(bs[k] * cost[k] for k in cost) <= factor * size

    if not fits(1.0):
        raise ValueError(f"factor {factor} leaves less than one hidden channel per output")
    lo, hi = 1.0, float(factor) + 1.0  # fits(lo), not fits(hi): b_0 <= factor always
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    chosen = blocks(lo)
    return [chosen.get(k, 0) for k in range(len(weighted))]


def layer_scales(target: Network, top: float = 0.25) -> list[float]:
    """Per weighted layer, the scale that brings its largest |weight| to ``top``.

    ReLU, pooling and bias-free layers are positively homogeneous: multiplying V of pair i by
    ``s_i`` is the same as pruning the uniform network into ``K_i / s_i`` and multiplying
    the output back. ``top = 1/4`` sits well inside the range the positive products of a
    block cover (the literal construction instead divides each layer by its l1 norm).
    """
    if not 0 < as_positive_real(top, "top") <= 1:
        raise ValueError(f"top must be in (0, 1], got {top}")
    return [float(target.layers[i][1].abs().max()) / top for i in target.weighted()]


def random_network(target: Network, blocks, seed: int = 0, scales=None, dist=None) -> Network:
    """The random network to prune: a pair per weighted layer with ``blocks[k] > 0``.

    Pair k has ``n = blocks[k] * c1`` hidden channels; U and V are uniform on [-1, 1] (drawn
    in that order from one torch generator seeded with ``seed``), V times ``scales[k]``
    (default 1). Layers with ``blocks[k] == 0`` are the target's, kept as trained.
    ``dist``: another law for the entries, a callable ``(count, rng)`` as
    :func:`rsslib.draw` takes (e.g. :func:`rsslib.weights.sampler`), called with one
    ``np.random.default_rng(seed)`` for U then V of each pair; ``None`` keeps the uniform.
    ``seed``: a non-negative int, or a numpy Generator from which one int seed is drawn.
    """
    seed = as_int_seed(seed)
    if dist is not None and not callable(dist):
        raise ValueError(f"dist must be None or a callable (count, rng), got {dist!r}")
    rng = np.random.default_rng(seed) if dist is not None else None

    def entries(shape):
        count = int(np.prod(shape))
        return torch.from_numpy(draw(count, dist, rng).reshape(shape))

    weighted = target.weighted()
    blocks = [as_count(b, f"blocks[{k}]") for k, b in enumerate(blocks)]
    scales = [1.0] * len(weighted) if scales is None else list(scales)
    scales = [as_positive_real(s, f"scales[{k}]") for k, s in enumerate(scales)]
    if len(blocks) != len(weighted) or len(scales) != len(weighted):
        raise ValueError(f"blocks and scales need one entry per weighted layer ({len(weighted)})")
    gen = torch.Generator().manual_seed(seed)
    layers, k = [], 0
    for layer in target.layers:
        if layer[0] == "pair":
            raise ValueError("the target must not contain pairs")
        if layer[0] not in WEIGHTED:
            layers.append(layer)
            continue
        W, b = layer[1], blocks[k]
        if b == 0:
            layers.append(layer)
        else:
            n = b * W.shape[0]
            if dist is None:
                shape = (n,) + tuple(W.shape[1:])
                U = 2 * torch.rand(shape, generator=gen, dtype=torch.float64) - 1
                V = 2 * torch.rand((W.shape[0], n), generator=gen, dtype=torch.float64) - 1
            else:
                U, V = entries((n,) + tuple(W.shape[1:])), entries((W.shape[0], n))
            layers.append(("pair", U, V * scales[k], layer[2] if layer[0] == "conv" else 0))
        k += 1
    return Network(layers)


def assign_blocks(
    U2: np.ndarray, V2: np.ndarray, K2: np.ndarray, block: int, weight: float = 0.3
) -> np.ndarray:
    """Which output channel each hidden channel serves: ``owner`` (n,), -1 for none.

    The proof splits the hidden channels into contiguous blocks. Any partition will do for
    the proof, and one chosen after seeing the draw is still a mask (V entries outside it
    are pruned), so we choose it to serve the worst weights. In rounds, each output l in
    turn takes the free hidden channel t (alternately one with ``V[l, t] > 0`` and one with
    ``V[l, t] < 0``) that most decreases the sum over its weights j of

    ``2^-c[l, j] + weight * max(0, 2 |K[l, j]| - s[l, j]) / max|K|``,

    where ``c[l, j]`` counts the products ``V[l, t] U[t, j]`` with ``U[t, j] > 0`` it holds
    (each halves the typical error of a subset sum) and ``s[l, j]`` sums those with the sign
    of ``K[l, j]`` (a subset can reach ``K[l, j]`` only if they add up to more than it).
    With contiguous blocks a weight's count is Bin(b, 1/2) and its block's V entries can
    be mostly of one sign: the few weights left with a handful of products, or none of the
    right sign, set the network's error. If no free channel of the wanted sign is left, any
    free channel is taken.
    """
    c1, n = V2.shape
    if block * c1 > n:
        raise ValueError(f"{c1} blocks of {block} need {block * c1} hidden channels, got {n}")
    Up = np.ascontiguousarray(np.where(U2 > 0, U2, 0.0))
    scale = float(np.abs(K2).max()) or 1.0
    return _assign_kernel(
        Up, np.ascontiguousarray(V2), np.ascontiguousarray(K2), int(block), weight / scale
    )


@jit
def _assign_kernel(Up, V2, K2, block, weight):
    c1, n = V2.shape
    m = Up.shape[1]
    owner = np.full(n, -1, dtype=np.int64)
    halves = np.ones((c1, m))  # 2^-count
    short = 2.0 * np.abs(K2)  # same-sign mass still missing
    taken = np.zeros((c1, 2), dtype=np.int64)
    for _ in range(block):
        for out in range(c1):
            want = 1.0 if taken[out, 0] <= taken[out, 1] else -1.0
            best, best_t = -1.0, -1
            for relax in range(2):
                for t in range(n):
                    if owner[t] >= 0 or (relax == 0 and V2[out, t] * want <= 0):
                        continue
                    v = V2[out, t]
                    gain = 0.0
                    for j in range(m):
                        u = Up[t, j]
                        if u > 0:
                            gain += 0.5 * halves[out, j]
                            if v * K2[out, j] > 0:
                                gain += weight * min(short[out, j], abs(v) * u)
                    if gain > best:
                        best, best_t = gain, t
                if best_t >= 0:
                    break
            t = best_t
            owner[t] = out
            taken[out, 0 if V2[out, t] > 0 else 1] += 1
            for j in range(m):
                u = Up[t, j]
                if u > 0:
                    halves[out, j] *= 0.5
                    if V2[out, t] * K2[out, j] > 0:
                        short[out, j] = max(short[out, j] - abs(V2[out, t]) * u, 0.0)
    return owner


def _blocks_of(owner: np.ndarray, c1: int, block: int, contiguous: bool) -> np.ndarray:
    """(c1, block) hidden channel indices serving each output."""
    if contiguous:
        return np.arange(c1 * block).reshape(c1, block)
    return np.stack([np.nonzero(owner == out)[0] for out in range(c1)])


def _offered(U2: np.ndarray, V2: np.ndarray, chan: np.ndarray, max_terms: int):
    """Products offered to weight (l, j): the first ``max_terms`` positive U among the
    hidden channels ``chan[l]`` serving output l.

    Returns ``values`` (c1, m, T) with zeros where nothing is offered, ``offered`` (c1, m, T)
    bool, ``channel`` (c1, m, T) the hidden channel of each offered product, and the counts
    of positive and of unused (positive but beyond the cap) entries.
    """
    c1, block = chan.shape
    T = min(block, max_terms)
    Ub = U2[chan].transpose(0, 2, 1)  # (c1, m, block)
    Vb = V2[np.arange(c1)[:, None], chan]  # (c1, block)
    positive = Ub > 0
    usable = positive & (np.cumsum(positive, axis=2) <= T)
    order = np.argsort(~usable, axis=2, kind="stable")[:, :, :T]
    offered = np.take_along_axis(usable, order, axis=2)
    products = Vb[:, None, :] * np.where(positive, Ub, 0.0)
    values = np.where(offered, np.take_along_axis(products, order, axis=2), 0.0)
    channel = np.take_along_axis(np.broadcast_to(chan[:, None, :], Ub.shape), order, axis=2)
    count = positive.sum(axis=2)
    return values, offered, channel, int(count.sum()), int(np.maximum(count - T, 0).sum())


def _patches(layer: tuple, X: torch.Tensor) -> torch.Tensor:
    """Rows are the vectors a conv/dense layer's outputs are dot products with."""
    if X.dim() == 2:
        return X
    W = layer[1]
    cols = F.unfold(X, W.shape[-1], padding=layer[-1])  # (N, c0 d d, positions)
    return cols.transpose(1, 2).reshape(-1, cols.shape[1])


def _moments(target, approx, index, data, batch=256):
    """``H = E[y y^T]`` for the approximation's inputs y and ``C = E[x y^T]`` for the
    target's inputs x at layer ``index``, over ``data`` (in batches)."""
    m = target.layers[index][1][0].numel()
    H = torch.zeros(m, m, dtype=torch.float64)
    C = torch.zeros(m, m, dtype=torch.float64)
    rows = 0
    with torch.no_grad():
        for s in range(0, len(data), batch):
            Xb = torch.as_tensor(data[s : s + batch], dtype=torch.float64)
            y = _patches(target.layers[index], approx(Xb, upto=index))
            x = _patches(target.layers[index], target(Xb, upto=index))
            H += y.T @ y
            C += x.T @ y
            rows += y.shape[0]
    return (H / rows).numpy(), (C / rows).numpy()


def _obs_factor(H: np.ndarray, damping: float) -> np.ndarray:
    """Upper Cholesky factor of ``(H + damping mean(diag H) I)^-1`` (dead inputs: H_jj = 1)."""
    H = H.copy()
    dead = np.diag(H) <= 0
    H[dead, :] = 0
    H[:, dead] = 0
    H[dead, dead] = 1
    H += damping * np.mean(np.diag(H)) * np.eye(len(H))
    return np.linalg.cholesky(np.linalg.inv(H)).T


def _solve_compensated(values, offered, W, H, damping):
    """Fix the weights of each output in turn, pushing each one's error onto the later ones.

    Each output (row of W) fixes its weights in decreasing order of the error the nearest
    subset sum leaves on its own, so the worst-served weights go first and the best-served
    ones, whose errors nobody compensates, go last. The rows are independent; step k
    solves the k-th weight of every row in one batch.
    """
    c1, m = W.shape
    alone = np.abs(
        W
        - (
            values
            * best_subsets(values.reshape(-1, values.shape[2]), W.reshape(-1))[0].reshape(
                values.shape
            )
        ).sum(2)
    )
    orders = np.argsort(-alone, axis=1, kind="stable")
    Ws = np.take_along_axis(W, orders, axis=1)
    factors = np.stack([_obs_factor(H[np.ix_(o, o)], damping) for o in orders])
    masks = np.zeros(values.shape, dtype=bool)
    rows = np.arange(c1)
    for k in range(m):
        j = orders[:, k]
        vals = values[rows, j, :]
        mask, _ = best_subsets(vals, Ws[:, k])
        mask &= offered[rows, j, :]
        masks[rows, j, :] = mask
        err = (Ws[:, k] - (vals * mask).sum(axis=1)) / factors[:, k, k]
        Ws[:, k + 1 :] -= err[:, None] * factors[:, k, k + 1 :]
    return masks


def prune_network(
    random_net: Network,
    target: Network,
    *,
    max_terms: int = MAX_TERMS,
    compensate: str | None = None,
    data=None,
    damping: float = 0.01,
    balance: bool = False,
    max_subset: int | None = None,
    progress: bool = False,
    executor=None,
) -> tuple[Network, list[dict]]:
    """Prune ``random_net`` (from :func:`random_network`) into ``target``.

    Parameters
    ----------
    random_net, target : Network
        Same layers, except that some weighted layers of the target are pairs in
        ``random_net`` (the others are copied unchanged).
    max_terms : int
        Products offered per weight: the first ``max_terms`` positive entries of U in the
        block, in channel order (1..40; the literal construction of the digits chapters
        uses ``min(block, 32)``).
    compensate : None, "weights" or "data"
        See the module docstring. "weights" and "data" need ``data``: input images (N, ...)
        whose layer inputs estimate H (a few thousand training images).
    damping : float
        Added to H's diagonal, relative to its mean (GPTQ's default, 0.01).
    balance : bool
        Choose which hidden channels serve which output (:func:`assign_blocks`) instead of
        the proof's contiguous blocks. The partition is chosen for the layer's weights as
        given (before any compensation).
    max_subset : int, optional
        Approximate each weight by at most this many products (the best subset of at most
        ``max_subset`` values, :func:`rsslib.sparsest.best_subsets_of_size`), so a weight
        keeps at most ``max_subset`` entries of U: the sparse tickets of Natale et al.
        (2024). Only with ``compensate=None``.
    progress : bool
        Report one line per pruned layer on stderr.
    executor : concurrent.futures.Executor, optional
        Solve each layer's subset sums in batches on it (a process pool, a dask
        ``Client.get_executor()``; :func:`rsslib.best_subsets`), layer by layer; ``None``
        solves them in this process. The solver is exact and deterministic, so the result
        does not depend on it. Only with ``compensate=None`` and no ``max_subset``.

    Returns
    -------
    pruned : Network
        ``random_net`` with masks applied: U keeps the chosen entries, V the entries of the
        block's channels that feed at least one kept U entry; all else is 0.
    report : list of dict, one per pruned layer
        ``layer`` (index), ``block``, ``max_weight_error`` (max ``|K - L|`` against the
        target's weights, L the pair's effective weight), ``l1_error`` (max over outputs of
        the l1 norm of ``K - L``), ``positive`` and ``unused`` (positive U entries, and
        those beyond ``max_terms``), ``kept``, ``total``, ``instances`` and ``seconds``.
    """
    if not isinstance(random_net, Network) or not isinstance(target, Network):
        raise ValueError("random_net and target must be rsslib.slth.Network instances")
    if len(random_net.layers) != len(target.layers):
        raise ValueError("random_net and target must have the same number of layers")
    max_terms = as_count(max_terms, "max_terms", minimum=1)  # 3.7 refused, not truncated
    if max_terms > MAX_TERMS:
        raise ValueError(f"max_terms must be in 1..{MAX_TERMS}, got {max_terms}")
    if compensate not in COMPENSATIONS:
        raise ValueError(f"compensate must be one of {COMPENSATIONS}, got {compensate!r}")
    if compensate is not None and (data is None or len(data) == 0):
        raise ValueError(f"compensate={compensate!r} needs data (input images)")
    damping = as_positive_real(damping, "damping")
    if max_subset is not None:
        max_subset = as_count(max_subset, "max_subset", minimum=1)
        if compensate is not None:
            raise ValueError("max_subset is supported only with compensate=None")
    if executor is not None and (compensate is not None or max_subset is not None):
        raise ValueError("executor is supported only with compensate=None and no max_subset")
    if not isinstance(progress, bool | np.bool_):
        raise ValueError(f"progress must be a bool, got {progress!r}")
    layers, report = list(random_net.layers), []
    for i, (t, r) in enumerate(zip(target.layers, random_net.layers, strict=True)):
        if r[0] != "pair":
            if r[0] != t[0]:
                raise ValueError(f"layer {i}: target has {t[0]!r}, random_net has {r[0]!r}")
            continue
        if t[0] not in WEIGHTED:
            raise ValueError(f"layer {i}: a pair stands for a {t[0]!r} layer")
        t0 = time.perf_counter()
        K, (U, V) = t[1], r[1:3]
        if tuple(U.shape[1:]) != tuple(K.shape[1:]) or V.shape[0] != K.shape[0]:
            raise ValueError(
                f"layer {i}: pair {tuple(U.shape)}, {tuple(V.shape)} vs {tuple(K.shape)}"
            )
        if U.shape[0] < K.shape[0]:
            raise ValueError(f"layer {i}: width {U.shape[0]} < {K.shape[0]} outputs")
        c1 = K.shape[0]
        block = U.shape[0] // c1
        U2, V2 = U.reshape(U.shape[0], -1).numpy(), V.numpy()
        W = K.reshape(c1, -1).numpy()
        owner = assign_blocks(U2, V2, W, block) if balance else None
        chan = _blocks_of(owner, c1, block, not balance)
        values, offered, channel, positive, unused = _offered(U2, V2, chan, int(max_terms))
        if compensate is None and max_subset is not None:
            flat = values.reshape(-1, values.shape[2])
            size = min(int(max_subset), flat.shape[1])
            masks, _ = best_subsets_of_size(flat, W.reshape(-1), size, at_most=True)
            masks = masks.reshape(values.shape) & offered
        elif compensate is None:
            masks, _ = best_subsets(
                values.reshape(-1, values.shape[2]), W.reshape(-1), executor=executor
            )
            masks = masks.reshape(values.shape) & offered
        else:
            # the network pruned so far: collapsed pairs before layer i, the target after
            current = (
                collapse(Network(layers[:i] + target.layers[i:]))
                if compensate == "data"
                else target
            )
            H, C = _moments(target, current, i, data)
            if compensate == "data":
                # least squares: the weights that best map the pruned inputs to the
                # target's outputs on the clean inputs
                Hd = H + damping * np.mean(np.diag(H)) * np.eye(len(H))
                W = W + np.linalg.solve(Hd, ((C - H).T @ W.T)).T
            masks = _solve_compensated(values, offered, W, H, damping)
        keep_u = np.zeros(U2.shape, dtype=bool)
        lidx, jidx, tidx = np.nonzero(masks)
        keep_u[channel[lidx, jidx, tidx], jidx] = True
        keep_v = np.zeros(V2.shape, dtype=bool)
        used = keep_u.any(axis=1)
        serves = np.full(U2.shape[0], -1)
        serves[chan.reshape(-1)] = np.repeat(np.arange(c1), block)
        inside = used & (serves >= 0)
        keep_v[serves[inside], np.nonzero(inside)[0]] = True
        newU = torch.from_numpy(np.where(keep_u, U2, 0.0).reshape(U.shape))
        newV = torch.from_numpy(np.where(keep_v, V2, 0.0))
        layers[i] = ("pair", newU, newV, r[3])
        L = (np.where(keep_v, V2, 0.0) @ np.where(keep_u, U2, 0.0)).reshape(K.shape)
        E = (K.numpy() - L).reshape(c1, -1)
        report.append(
            {
                "layer": i,
                "block": block,
                "max_weight_error": float(np.abs(E).max()),
                "l1_error": float(np.abs(E).sum(axis=1).max()),
                "positive": positive,
                "unused": unused,
                "kept": int(keep_u.sum() + keep_v.sum()),
                "total": U.numel() + V.numel(),
                "instances": int(W.size),
                "seconds": time.perf_counter() - t0,
            }
        )
        if progress:
            rep = report[-1]
            print(
                f"layer {i} ({t[0]} {tuple(K.shape)}): block {block}, "
                f"{rep['instances']} weights in {rep['seconds']:.1f} s, "
                f"max weight error {rep['max_weight_error']:.2e}",
                file=sys.stderr,
                flush=True,
            )
    return Network(layers), report
