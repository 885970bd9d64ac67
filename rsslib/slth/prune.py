"""The pruning construction of the thesis's proof.

Proposition 12.1 (thesis Proposition 32), Lemma 12.2 (thesis Lemma 34) and Theorem 13.1
(thesis Theorem 31). A target layer K (c1 x c0 x d x d) is approximated by a random pair: U
(n x c0 x d x d), then ReLU, then V (c1 x n x 1 x 1). Three moves make the pair a Random
Subset Sum machine:

1. Keep only positive entries of U. Inputs are non-negative (images, or outputs of a
   ReLU), so U+ * X >= 0 and the ReLU in between acts as the identity: the pair is the
   linear filter ``L[l,k,a,b] = sum_t V[l,t] U+[t,k,a,b]``.
2. Split the n hidden channels into c1 blocks of n // c1 and keep V[l, t] only for t in
   block l: output channel l is served by its own block (a block-diagonal mask on V). The
   last n mod c1 hidden channels belong to no block and are pruned entirely (the report
   counts them as ``leftover_channels``).
3. For each target weight K[l,k,a,b], choose which of the products V[l,t] U+[t,k,a,b]
   (t in block l, U positive) to keep: a subset sum problem, solved exactly by
   :func:`rsslib.best_subsets` on the first ``max_terms`` positive products of the block
   (in channel order; the others are pruned and counted in the report as ``unused``).
   The solution is exact over the products offered, not over the whole block.

Why logarithmic width suffices: the products ``V_t U+_t`` have an atom of mass 1/2 at 0
(wherever U is negative), so they are not super-uniform as the thesis says; but zeros change
no subset sum, and conditional on ``U_t > 0`` a product has the law of a product of two
uniforms, (1/2, log 2 / 2)-super-uniform (Lemma 3.4 (thesis Lemma 11); the thesis cites it
as "Corollary 11"). The number of positive entries is Bin(n', 1/2) for a block of n', so by
Corollary 3.2 (thesis Corollary 10) a block of O(log(1/tau)) channels approximates every
weight in [-1/2, 1/2] to tau; weights up to 1 need the block split in two halves, each
approximating half the weight. Given all the positive products, the exact solver does at
least as well as any such split.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from rsslib._validate import as_count
from rsslib.slth.network import SimpleCNN, as_filters
from rsslib.solve import best_subsets


def _check_pairs(random_filters, target_filters, tol=1e-9):
    if len(random_filters) != 2 * len(target_filters):
        raise ValueError(
            f"the random network needs 2 filters per target layer: got {len(random_filters)} "
            f"for {len(target_filters)} target layers"
        )
    for i, K in enumerate(target_filters):
        U, V = random_filters[2 * i], random_filters[2 * i + 1]
        c1, c0, d, _ = K.shape
        if U.shape[1:] != (c0, d, d):
            raise ValueError(
                f"layer {i}: random filter {2 * i} has shape {tuple(U.shape)}, expected "
                f"(n, {c0}, {d}, {d}) to match the target {tuple(K.shape)}"
            )
        if V.shape != (c1, U.shape[0], 1, 1):
            raise ValueError(
                f"layer {i}: random filter {2 * i + 1} has shape {tuple(V.shape)}, expected "
                f"({c1}, {U.shape[0]}, 1, 1)"
            )
        if U.shape[0] < c1:
            raise ValueError(
                f"layer {i}: width n={U.shape[0]} is smaller than the {c1} output channels, "
                "so the block structure (one block of n // c1 channels per output) is empty"
            )
        norm = float(K.abs().sum())
        if norm > 1 + tol:
            raise ValueError(
                f"layer {i}: the target filter has l1 norm {norm:.4g} > 1, outside the class "
                "of Theorem 13.1 (thesis Theorem 31); rescale it with "
                "rsslib.slth.normalise_filters (ReLU networks "
                "are positively homogeneous, so only the output scale changes)"
            )


def prune(random_net, target, eps: float, max_terms: int = 24, executor=None):
    """Prune ``random_net`` so that it approximates ``target`` (the proof's construction).

    Parameters
    ----------
    random_net : SimpleCNN
        The 2l-layer random network of :func:`rsslib.slth.random_cnn`.
    target : SimpleCNN or list of filters
        l filters (c_i, c_{i-1}, d_i, d_i) with l1 norm at most 1 each.
    eps : float
        Target sup error of the whole network over inputs in [0, 1]. The subset sums are
        solved exactly whatever eps is; eps only sets the budgets the errors are reported
        against, those of the proof of Theorem 13.1 (thesis Theorem 31): layer i is
        approximated within ``eps / (2 l)`` per unit of input (Lemma 12.2 (thesis Lemma 34)
        with eps' = eps / (2l)), hence each of its weights within
        ``eps / (2 l c_i d_i^2 c_{i-1})`` (Proposition 12.1 (thesis Proposition 32) with
        eps' / c_i, then the d_i^2 c_{i-1} weight errors of a filter summed into its l1
        norm by the triangle inequality).
    max_terms : int
        How many positive products per weight are handed to the exact solver: the *first*
        ``max_terms`` channels of the block (in channel order) where U is positive. The
        other positive entries of the block are pruned for that weight; the report counts
        them as ``unused``. Larger: smaller errors while unused entries remain, time
        growing like 2^(max_terms/2) per weight. Between 1 and 40.
    executor : concurrent.futures.Executor, optional
        Solve each layer's subset sums in batches on it (a process pool, a dask
        ``Client.get_executor()``), layer by layer; ``None`` solves them in this process.
        The solver is exact and deterministic, so the result does not depend on it.

    Returns
    -------
    pruned : SimpleCNN
        The random filters with masks applied: every kept entry equals the random entry,
        every other entry is 0.
    report : list of dict
        One per target layer, with keys

        - ``max_weight_error``: the largest ``|K - L|`` over the layer's weights, L the
          pair's effective filter (:func:`effective_filters`);
        - ``budget``: the proof's per-weight budget ``eps / (2 l c_i d_i^2 c_{i-1})``;
        - ``within_budget``: ``max_weight_error <= budget``;
        - ``l1_error``: the largest l1 norm of ``K - L`` over the output channels, by
          Proposition 11.4 (thesis Proposition 33) a bound on the layer's error per unit
          of input;
        - ``layer_budget``: ``eps / (2 l)``. ``within_budget`` implies
          ``l1_error <= layer_budget / c_i``; if ``l1_error <= layer_budget`` in every
          layer, the network's error over inputs in [0, 1] is at most
          ``(1 + eps/(2l))^l - 1 <= exp(eps/2) - 1 <= eps`` (eps <= 1), the recursion of
          the proof of Theorem 13.1;
        - ``positive``: positive entries of U summed over the layer's weights (each weight
          sees its output channel's block), ``unused``: how many of them fell beyond
          ``max_terms`` and were never offered to the solver;
        - ``leftover_channels``: the ``n mod c_i`` hidden channels after the last block
          (blocks have ``n // c_i`` channels). They serve no output channel and are pruned
          entirely; their entries are counted neither in ``positive`` nor in ``unused``;
        - ``kept``, ``total``, ``sparsity``: kept entries of the pair, its size, and the
          pruned fraction;
        - ``instances``: subset sum instances solved, ``seconds``: wall time.
    """
    random_filters = as_filters(random_net, "random_net")
    target_filters = as_filters(target, "target")
    _check_pairs(random_filters, target_filters)
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    max_terms = as_count(max_terms, "max_terms", minimum=1)  # 3.7 refused, not truncated
    if max_terms > 40:
        raise ValueError(f"max_terms must be in 1..40, got {max_terms}")
    depth = len(target_filters)
    pruned, report = [], []
    for i, K in enumerate(target_filters):
        t0 = time.perf_counter()
        U, V = random_filters[2 * i].numpy(), random_filters[2 * i + 1].numpy()
        c1, c0, d, _ = K.shape
        block = U.shape[0] // c1
        keep_u = np.zeros(U.shape, dtype=bool)
        keep_v = np.zeros(V.shape, dtype=bool)
        samples, targets, owners = [], [], []
        positive = unused = 0
        for out in range(c1):
            channels = np.arange(out * block, (out + 1) * block)
            keep_v[out, channels, 0, 0] = True
            # rows: target weights (k, a, b) of output channel `out`; columns: channels t
            u = U[channels].reshape(block, -1).T
            products = V[out, channels, 0, 0][None, :] * np.where(u > 0, u, 0.0)
            count = (u > 0).sum(axis=1)
            positive += int(count.sum())
            unused += int(np.maximum(count - max_terms, 0).sum())
            usable = (u > 0) & (np.cumsum(u > 0, axis=1) <= max_terms)
            order = np.argsort(~usable, axis=1, kind="stable")[:, :max_terms]
            offered = np.take_along_axis(usable, order, axis=1)
            chosen_from = np.take_along_axis(products, order, axis=1)
            samples.append(np.where(offered, chosen_from, 0.0))
            targets.append(K[out].numpy().reshape(-1))
            owners.append((channels, order, offered))
        width = max(s.shape[1] for s in samples)
        batch = np.vstack([np.pad(s, ((0, 0), (0, width - s.shape[1]))) for s in samples])
        masks, errors = best_subsets(batch, np.concatenate(targets), executor=executor)
        row = 0
        for channels, order, offered in owners:
            rows = order.shape[0]
            # the solver never selects a zero, so only offered (positive) entries are kept
            chosen = masks[row : row + rows, : order.shape[1]] & offered
            for w in range(rows):
                picked = channels[order[w, chosen[w]]]
                k, rest = divmod(w, d * d)
                a, b = divmod(rest, d)
                keep_u[picked, k, a, b] = True
            row += rows
        new_u = torch.from_numpy(np.where(keep_u, U, 0.0))
        new_v = torch.from_numpy(np.where(keep_v, V, 0.0))
        pruned += [new_u, new_v]
        kept = int(keep_u.sum() + keep_v.sum())
        total = U.size + V.size
        worst = float(errors.max(initial=0.0))
        budget = eps / (2 * depth * c1 * d * d * c0)
        report.append(
            {
                "layer": i,
                "max_weight_error": worst,
                "budget": budget,
                "within_budget": bool(worst <= budget),
                "l1_error": float(errors.reshape(c1, -1).sum(axis=1).max(initial=0.0)),
                "layer_budget": eps / (2 * depth),
                "positive": positive,
                "unused": unused,
                "leftover_channels": int(U.shape[0] - c1 * block),
                "kept": kept,
                "total": total,
                "sparsity": 1 - kept / total,
                "instances": int(errors.size),
                "seconds": time.perf_counter() - t0,
            }
        )
    return SimpleCNN(pruned), report


def effective_filters(pruned) -> list[torch.Tensor]:
    """The linear filter each pruned pair computes on non-negative inputs.

    ``L[l,k,a,b] = sum_t V[l,t] U[t,k,a,b]``; valid because the pruned U is non-negative, so
    the ReLU between U and V never clips (checked).
    """
    filters = as_filters(pruned, "pruned")
    if len(filters) % 2:
        raise ValueError("a pruned network has an even number of filters (pairs U, V)")
    out = []
    for i in range(0, len(filters), 2):
        U, V = filters[i], filters[i + 1]
        if bool((U < 0).any()):
            raise ValueError(f"filter {i} has negative entries: the ReLU is not the identity")
        out.append(torch.einsum("lt,tkab->lkab", V[:, :, 0, 0], U))
    return out
