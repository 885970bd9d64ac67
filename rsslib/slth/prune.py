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

The construction itself is :func:`rsslib.slth.prune_network` (module
:mod:`rsslib.slth.construct`), on any :class:`~rsslib.slth.Network`; :func:`prune` is its
adapter for the thesis's :class:`~rsslib.slth.SimpleCNN`, with the proof's report.

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

import torch

from rsslib._validate import as_count, as_positive_real
from rsslib.slth.construct import prune_network
from rsslib.slth.layered import effective_weight
from rsslib.slth.network import SimpleCNN, as_filters, from_network, to_network


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

    A thin adapter over :func:`rsslib.slth.prune_network`, the one construction: both
    networks are converted to :class:`~rsslib.slth.Network` (:func:`rsslib.slth.to_network`),
    pruned with contiguous blocks and no compensation, and converted back. Two things are
    the proof's own: V keeps every entry of its output's block (Proposition 12.1
    (thesis Proposition 32) prunes V to a block-diagonal mask and nothing more; an entry
    whose hidden channel keeps no U entry computes nothing either way), and the report
    adds the proof's budgets.

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
        One per target layer, with the keys of :func:`rsslib.slth.prune_network`'s report
        (same names, same quantities; ``layer`` is the target layer's index 0..l-1) except
        ``block``, plus the proof's:

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
    eps = as_positive_real(eps, "eps")
    max_terms = as_count(max_terms, "max_terms", minimum=1)  # 3.7 refused, not truncated
    network, report = prune_network(
        to_network(random_filters, pairs=True),
        to_network(target_filters),
        max_terms=max_terms,
        executor=executor,
    )
    pairs = from_network(network).filters
    depth = len(target_filters)
    pruned, proof_report = [], []
    for i, (K, rep) in enumerate(zip(target_filters, report, strict=True)):
        V = random_filters[2 * i + 1]
        c1, c0, d, _ = K.shape
        n = V.shape[1]
        block = n // c1
        # Proposition 12.1: V keeps its output's whole block (t // block == l, t < c1 block)
        in_block = (torch.arange(n) // block == torch.arange(c1)[:, None]) & (
            torch.arange(n) < c1 * block
        )
        U = pairs[2 * i]
        V = torch.where(in_block[:, :, None, None], V, torch.zeros_like(V))
        pruned += [U, V]
        kept = int((U != 0).sum() + in_block.sum())
        total = U.numel() + V.numel()
        budget = eps / (2 * depth * c1 * d * d * c0)
        proof_report.append(
            {
                "layer": i,
                "max_weight_error": rep["max_weight_error"],
                "budget": budget,
                "within_budget": bool(rep["max_weight_error"] <= budget),
                "l1_error": rep["l1_error"],
                "layer_budget": eps / (2 * depth),
                "positive": rep["positive"],
                "unused": rep["unused"],
                "leftover_channels": int(n - c1 * block),
                "kept": kept,
                "total": total,
                "sparsity": 1 - kept / total,
                "instances": rep["instances"],
                "seconds": rep["seconds"],
            }
        )
    return SimpleCNN(pruned), proof_report


def effective_filters(pruned) -> list[torch.Tensor]:
    """The linear filter each pruned pair computes on non-negative inputs.

    ``L[l,k,a,b] = sum_t V[l,t] U[t,k,a,b]``; valid because the pruned U is non-negative, so
    the ReLU between U and V never clips (checked). The collapse of
    :func:`rsslib.slth.layered.effective_weight`, pair by pair.
    """
    filters = as_filters(pruned, "pruned")
    if len(filters) % 2:
        raise ValueError("a pruned network has an even number of filters (pairs U, V)")
    pairs = zip(filters[::2], filters[1::2], strict=True)
    return [effective_weight(("pair", U, V[:, :, 0, 0], 0)) for U, V in pairs]
