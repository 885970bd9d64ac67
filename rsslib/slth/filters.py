"""Filter pruning of a convolution's first layer, against weight pruning of the same pair.

The model (da Cunha, d'Amore and Natale, 2023, read through its abstract; the chapter
``book/beyond/structured_pruning`` states it): a first convolution K (c filters of
d x d on one input channel) is replaced by a random pair. Hidden channel t has a d x d
kernel ``U_t`` with entries uniform on [0, 1], and output l reads it with weight
``V[l, t]``, uniform on [-1, 1] times a scale; hidden channels ``l b .. (l + 1) b - 1``
serve output l only (:func:`random_first_pair`). Images are non-negative and so is
``U_t``, hence ``relu(U_t * x) = U_t * x`` and the pair is the convolution with
``L_l = sum_t V[l, t] U_t``.

- *Filter pruning* keeps a subset ``S_l`` of block l's hidden channels whole:
  ``L_l = sum_{t in S_l} V[l, t] U_t``, a (d^2)-dimensional subset-sum problem in the max
  norm (:func:`block_vectors`), solved by :func:`filter_subsets` (beam search then
  swaps: an *upper* bound on the best subset's error) and, for small blocks, exactly by
  :func:`rsslib.best_vector_subset`.
- *Weight pruning* gives each of the d^2 entries of ``K_l`` its own subset of the
  products ``V[l, t] U_t[j]``, solved exactly (Part III's construction).

:func:`prune_first_pair` applies either (:class:`FirstLayerPruning`);
:func:`predicted_best_error` estimates (first moment, given the sample) how good the best
subset would be where no search can find it. The digits CNN's experiment is in
:mod:`rsslib.slth.experiments.structured`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rsslib._jit import jit
from rsslib._validate import as_count, as_generator, as_positive_real, as_real_array
from rsslib.slth._local_search import local_search
from rsslib.slth.neuron_weights import MAX_TERMS
from rsslib.solve import best_subsets

#: Largest |weight| of the first layer relative to the scale of V (Part III's choice).
TOP = 0.25
METHODS = ("filter", "weight")


# ---------------------------------------------------------------------------------------
# filters: subset sums of vectors in the max norm
# ---------------------------------------------------------------------------------------
@jit
def _beam_kernel(A, z, width):
    """Beam search: vectors in the given order, each state kept or extended by the next
    vector; the ``width`` states with the smallest max residual survive each step."""
    b, k = A.shape
    states = np.zeros((1, k))
    codes = np.zeros((1, b), dtype=np.bool_)
    for i in range(b):
        n = states.shape[0]
        cand = np.empty((2 * n, k))
        ccode = np.empty((2 * n, b), dtype=np.bool_)
        score = np.empty(2 * n)
        for r in range(n):
            for half in range(2):
                q = 2 * r + half
                e = 0.0
                e2 = 0.0
                for j in range(k):
                    val = states[r, j] + (A[i, j] if half == 1 else 0.0)
                    cand[q, j] = val
                    d = abs(z[j] - val)
                    e = max(e, d)
                    e2 += d * d
                ccode[q, :] = codes[r, :]
                ccode[q, i] = half == 1
                score[q] = e + 1e-6 * math.sqrt(e2)
        keep = np.argsort(score, kind="mergesort")[: min(width, 2 * n)]
        states = cand[keep]
        codes = ccode[keep]
    return codes


def filter_subsets(
    vectors, targets, width=2048, polish=8, max_rounds=1000
) -> tuple[np.ndarray, np.ndarray]:
    """Heuristic best subsets for a batch of multidimensional subset-sum problems.

    Row l: choose ``S`` among the b vectors ``vectors[l]`` (b, k) to minimise
    ``max_j |targets[l, j] - sum_{t in S} vectors[l, t, j]|``. Beam search of ``width``
    states over the vectors in decreasing order of their max norm (each state keeps or
    takes the next vector; the states with the smallest max residual survive), then a
    local search (best single flip, else best swap) from each of the ``polish`` best final
    states. The result is a subset: its error is an *upper* bound on the optimum (compare
    :func:`rsslib.best_vector_subset`, exact, for small b).

    Returns
    -------
    masks : numpy.ndarray of bool, shape (c, b)
    errors : numpy.ndarray, shape (c,)
    """
    A = as_real_array(vectors, "vectors").astype(np.float64)
    if A.ndim != 3 or A.shape[1] == 0:
        raise ValueError(f"vectors must be a 3-D array (c, b, k), got shape {A.shape}")
    Z = as_real_array(targets, "targets").astype(np.float64)
    if Z.shape != (A.shape[0], A.shape[2]):
        raise ValueError(f"targets must have shape {(A.shape[0], A.shape[2])}, got {Z.shape}")
    width = as_count(width, "width", minimum=1)
    polish = as_count(polish, "polish", minimum=1)
    max_rounds = as_count(max_rounds, "max_rounds")
    c, b, k = A.shape
    masks = np.zeros((c, b), dtype=bool)
    errors = np.zeros(c)
    for row in range(c):
        order = np.argsort(-np.abs(A[row]).max(axis=1), kind="stable")
        Ao = np.ascontiguousarray(A[row][order])
        codes = _beam_kernel(Ao, Z[row], width)
        best, best_mask = np.inf, None
        for q in range(min(polish, codes.shape[0])):
            mask_o = codes[q].copy()
            local_search(Ao, Z[row], mask_o, max_rounds, False)
            err = float(np.max(np.abs(Z[row] - Ao[mask_o].sum(axis=0))))
            if err < best:
                best, best_mask = err, mask_o
        masks[row, order] = best_mask
        errors[row] = np.max(np.abs(Z[row] - A[row][masks[row]].sum(axis=0)))
    return masks, errors


def predicted_best_error(vectors, target) -> float:
    """First-moment estimate of the median error of the best subset (``nan`` for fewer
    than 2k vectors, or vectors that do not span R^k: the normal approximation is then
    meaningless).

    For a uniformly random subset S, ``sum_{t in S} a_t`` has mean ``mu = sum_t a_t / 2``
    and covariance ``C = sum_t a_t a_t^T / 4``. If it has, near the target z, the normal
    density ``phi(z)`` (local central limit theorem), the expected number of the 2^b
    subsets within ``eps`` of z in the max norm is ``N(eps) = 2^b phi(z) (2 eps)^k``.
    Treating the subsets as independent (the Poisson heuristic of the chapter on quantized
    targets), the best error exceeds ``eps`` with probability ``exp(-N(eps))``, so its
    median is the ``eps`` with ``N(eps) = ln 2``:
    ``eps = (ln 2 / (2^b phi(z)))^(1/k) / 2``.

    This is an estimate, not a bound; for k = 1 it is the median error of
    :func:`rsslib.best_subset` on such samples, which the chapter checks.
    """
    A = as_real_array(vectors, "vectors").astype(np.float64)
    if A.ndim != 2 or A.shape[0] == 0:
        raise ValueError(f"vectors must be a non-empty 2-D array (b, k), got {A.shape}")
    z = as_real_array(target, "target").astype(np.float64)
    if z.shape != (A.shape[1],):
        raise ValueError(f"target must have shape ({A.shape[1]},), got {z.shape}")
    b, k = A.shape
    C = 0.25 * A.T @ A
    sign, logdet = np.linalg.slogdet(C)
    if b < 2 * k or sign <= 0 or not np.isfinite(logdet):
        return float("nan")
    x = z - 0.5 * A.sum(axis=0)
    log_phi = -0.5 * k * math.log(2 * math.pi) - 0.5 * logdet - 0.5 * x @ np.linalg.solve(C, x)
    exponent = (math.log(math.log(2)) - b * math.log(2) - log_phi) / k
    return 0.5 * math.exp(exponent) if exponent < 700 else float("inf")


# ---------------------------------------------------------------------------------------
# the random pair and its pruning
# ---------------------------------------------------------------------------------------
def filter_top(block) -> float:
    """The ``top`` used for filter pruning: ``max(1/4, sqrt(block / 32))``.

    The 2^b subset sums of a block of b filters ``V[l, t] U_t`` spread over a region whose
    width grows like ``sqrt(b)`` times V's scale; the denser the sums near the target, the
    better the best one, so the filters should shrink as the block grows, as long as the
    targets stay inside that region. Scaling V like ``1 / sqrt(b)`` keeps the region's
    width fixed; the constant 32 was chosen on seed 0 among a few rules (see the chapter).
    Weight pruning keeps Part III's 1/4: each weight has its own subset of b values.
    """
    return max(TOP, math.sqrt(as_count(block, "block", minimum=1) / 32.0))


def random_first_pair(K, block, seed, top=TOP) -> tuple[np.ndarray, np.ndarray]:
    """The random pair for a first layer K (c, 1, d, d): U (c b, 1, d, d), V (c, c b).

    U uniform on [0, 1] and V uniform on [-1, 1] times ``max|K| / top``, drawn in that order
    from ``np.random.default_rng(seed)``. Hidden channel t serves output ``t // block``.
    """
    K = as_real_array(K, "K").astype(np.float64)
    if K.ndim != 4 or K.shape[1] != 1 or K.shape[2] != K.shape[3]:
        raise ValueError(f"K must have shape (c, 1, d, d), got {K.shape}")
    block = as_count(block, "block", minimum=1)
    top = as_positive_real(top, "top")
    c, _, d, _ = K.shape
    rng = as_generator(seed)
    U = rng.uniform(0.0, 1.0, (c * block, 1, d, d))
    V = rng.uniform(-1.0, 1.0, (c, c * block)) * (float(np.abs(K).max()) / top)
    return U, V


@dataclass(frozen=True)
class FirstLayerPruning:
    """Masks on the random pair of :func:`random_first_pair` and what they give."""

    U_mask: np.ndarray  # (n, 1, d, d) bool
    V_mask: np.ndarray  # (c, n) bool
    L: np.ndarray  # (c, 1, d, d): the pruned pair's effective kernel sum_t V U
    kept: int  # kept entries of U and V
    kept_channels: int  # hidden channels with at least one kept entry


def prune_first_pair(K, U, V, method, width=2048) -> FirstLayerPruning:
    """Prune the pair (U, V) into K by whole filters or by single weights.

    ``"filter"``: for output l, a subset ``S_l`` of its block's channels, kept whole
    (:func:`filter_subsets`, an upper bound on the best filter subset's error).
    ``"weight"``: for each entry j of ``K_l``, the best subset of the products
    ``V[l, t] U_t[j]`` (exact, :func:`rsslib.best_subsets`, at most :data:`MAX_TERMS`
    products: the first ones of the block).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    K, U, V = _check_pair(K, U, V)
    width = as_count(width, "width", minimum=1)
    c, n = V.shape
    b = n // c
    k = int(np.prod(K.shape[1:]))
    U2 = U.reshape(n, k)
    chan = np.arange(n).reshape(c, b)  # chan[l] serves output l
    Vb = V[np.arange(c)[:, None], chan]  # (c, b)
    U_mask = np.zeros((n, k), dtype=bool)
    V_mask = np.zeros((c, n), dtype=bool)
    Kf = K.reshape(c, k)
    if method == "filter":
        masks, _ = filter_subsets(block_vectors(K, U, V), Kf, width=width)
        for out in range(c):
            U_mask[chan[out][masks[out]]] = True
            V_mask[out, chan[out][masks[out]]] = True
    else:
        T = min(b, MAX_TERMS)
        products = (Vb[:, :T, None] * U2[chan[:, :T]]).transpose(0, 2, 1)  # (c, k, T)
        masks, _ = best_subsets(products.reshape(c * k, T), Kf.reshape(-1))
        masks = masks.reshape(c, k, T)
        for out in range(c):
            for j in range(k):
                U_mask[chan[out, :T][masks[out, j]], j] = True
            V_mask[out, chan[out, :T]] = masks[out].any(axis=0)
    Um = np.where(U_mask, U2, 0.0)
    Vm = np.where(V_mask, V, 0.0)
    L = (Vm @ Um).reshape(K.shape)
    return FirstLayerPruning(
        U_mask.reshape(U.shape),
        V_mask,
        L,
        int(U_mask.sum() + V_mask.sum()),
        int(U_mask.any(axis=1).sum()),
    )


def _check_pair(K, U, V):
    """K (c, 1, d, d), U (n, 1, d, d) non-negative and V (c, n), n a multiple of c."""
    K = as_real_array(K, "K").astype(np.float64)
    U = as_real_array(U, "U").astype(np.float64)
    V = as_real_array(V, "V").astype(np.float64)
    if K.ndim != 4 or U.ndim != 4 or K.shape[0] == 0:
        raise ValueError(f"K and U must be 4-D arrays (c, 1, d, d), got {K.shape}, {U.shape}")
    c = K.shape[0]
    n = U.shape[0]
    if V.shape != (c, n) or U.shape[1:] != K.shape[1:] or n % c:
        raise ValueError(f"U {U.shape}, V {V.shape} do not fit K {K.shape} in blocks")
    if (U < 0).any():
        raise ValueError("U must be non-negative (the pair is then linear on images)")
    return K, U, V


def block_vectors(K, U, V) -> np.ndarray:
    """``vectors[l, s] = V[l, t] U_t`` flattened, for the s-th channel t of block l.

    Returns
    -------
    numpy.ndarray, shape (c, b, d * d)
    """
    K, U, V = _check_pair(K, U, V)
    c, n = V.shape
    chan = np.arange(n).reshape(c, n // c)
    Vb = V[np.arange(c)[:, None], chan]
    return Vb[:, :, None] * U.reshape(n, -1)[chan]
