"""Quantized Random Subset Sum: exact representation of grid targets, and its first moment.

After Kumar and Natale (2025), "Quantization vs Pruning: Insights from the Strong Lottery
Ticket Hypothesis", who carry the Number Partitioning analysis of Borgs, Chayes and Pittel
(2001) over to the Random Subset Sum Problem with finite-precision values. In units of the
grid step ``delta = 1 / M``, the random values are integers uniform on ``{-M, ..., M}``
(b-bit fixed-point numbers in [-1, 1] when ``M = 2^b``) and the targets are the integers
of the same range. Subset sums are then integers, so a target is either hit *exactly* or
missed by at least one step: there is no eps to choose.

Two events are measured, both through the interval recurrence of
:mod:`rsslib.approximable` with tolerance 1/2 (exact for integers, see below):

- one target z is a subset sum;
- every target of ``{-M, ..., M}`` is a subset sum.

The first-moment calculation of Part I's Number Partition phase transition applies as is.
The number of subsets hitting z, ``N_z``, has mean

    E[N_z] = sum_S P(sum_{i in S} X_i = z) = 2^n P(B_1 X_1 + ... + B_n X_n = z),

with ``B_i`` independent fair bits, so that ``B_i X_i`` has the law ``q = 1/2 delta_0 +
1/2 Unif{-M..M}``; :func:`expected_solutions` computes the n-fold convolution of q
exactly (to floating-point rounding) by FFT. For large n the sum is close to a normal of
variance ``n M (M + 1) / 6``, so ``E[N_z] ~ 2^n / (M sqrt(pi n / 3))`` for |z| <= M, and
``E[N_z] = 1`` at ``n = log2 M + log2(n) / 2 + log2(pi / 3) / 2``: the transition sits at
the number of bits of the grid plus a logarithmic correction, as for Number Partition.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from rsslib._validate import as_count, as_generator, as_rng, as_sample, as_seed
from rsslib.montecarlo import cover_times

#: Largest M accepted (the FFT of the first moment has about 4 n M entries).
MAX_HALF_WIDTH = 2**20
#: Largest n accepted by the first-moment computation.
MAX_N = 256


def _half_width(value) -> int:
    M = as_count(value, "half_width", minimum=1)
    if M > MAX_HALF_WIDTH:
        raise ValueError(f"half_width must be <= {MAX_HALF_WIDTH}, got {M}")
    return M


def grid_uniform(n, rng, half_width) -> np.ndarray:
    """``n`` integers uniform on ``{-half_width, ..., half_width}``, as float64.

    The values of a quantized random network in units of its grid step. Use
    ``functools.partial(grid_uniform, half_width=M)`` (or :func:`grid_sampler`) as a
    ``dist`` callable.
    """
    n = as_count(n, "n")
    M = _half_width(half_width)
    return as_rng(rng).integers(-M, M, n, endpoint=True).astype(np.float64)


def grid_sampler(half_width):
    """The ``dist`` callable ``(n, rng)`` of :func:`grid_uniform` for this half width."""
    return partial(grid_uniform, half_width=_half_width(half_width))


def _as_integers(values, name: str) -> np.ndarray:
    x = as_sample(values, name)
    if np.any(x != np.round(x)) or np.any(np.abs(x) >= 2.0**52):
        raise ValueError(f"{name} must hold integers (grid units) below 2^52 in magnitude")
    return x


def exact_cover_time(sample, target=None, half_width=None) -> int:
    """First k such that the first k values hit the target(s) exactly (n + 1: never).

    Parameters
    ----------
    sample : array_like of integers (as floats or ints), shape (n,)
    target : int, optional
        One target. Otherwise every integer of ``{-half_width, ..., half_width}``.
    half_width : int, optional
        Required when ``target`` is None.

    Notes
    -----
    Subset sums of integers are integers, so the intervals ``[s - 1/2, s + 1/2]`` of the
    recurrence with tolerance 1/2 tile the line exactly where consecutive integers are
    sums: ``[z - 1/4, z + 1/4]`` is covered iff z is a sum, and ``[-M, M]`` is covered
    iff every integer in it is. The endpoints are half-integers, exact in floating point.
    """
    from rsslib.approximable import cover_time

    x = _as_integers(sample, "sample")
    return int(cover_time(x, 0.5, _window(target, half_width)))


def _window(target, half_width):
    if target is None:
        if half_width is None:
            raise ValueError("half_width is required when target is None (all targets)")
        M = _half_width(half_width)
        return (-float(M), float(M))
    if isinstance(target, bool) or not isinstance(target, int | np.integer):
        raise ValueError(f"target must be an integer (grid units), got {target!r}")
    return (float(target) - 0.25, float(target) + 0.25)


def exact_cover_times(n, half_width, trials, seed=0, target=None) -> np.ndarray:
    """Exact cover times of ``trials`` seeded samples of ``n`` grid values.

    Samples are ``grid_uniform(n, rng, half_width)`` drawn as :func:`rsslib.cover_times`
    draws them (one ``default_rng(seed)``, chunks of rows). ``target=None`` asks for every
    integer in ``{-M..M}``, an integer ``target`` for that one. ``mean(times <= k)`` is the
    estimated probability that k values represent the target(s) exactly.

    Returns
    -------
    numpy.ndarray of int64, shape (trials,)
    """
    n = as_count(n, "n")
    M = _half_width(half_width)
    window = _window(target, M)
    seed = as_seed(seed)
    return cover_times(n, 0.5, trials, grid_sampler(M), seed, window)


def _masked_sum_pmf(n: int, M: int) -> tuple[np.ndarray, int]:
    """pmf of ``sum_i B_i X_i`` on ``{-nM, ..., nM}`` (index j is the value j - nM)."""
    size = 2 * n * M + 1
    length = 1 << max(1, math.ceil(math.log2(size)))
    q = np.zeros(length)
    q[0] = 0.5
    q[np.arange(-M, M + 1) % length] += 0.5 / (2 * M + 1)
    pmf = np.fft.irfft(np.fft.rfft(q) ** n, length)
    values = np.arange(-n * M, n * M + 1)
    out = np.clip(pmf[values % length], 0.0, None)
    return out, n * M


def expected_solutions(n, half_width, targets=None) -> np.ndarray:
    """``E[N_z]``: the expected number of subsets of n grid values summing to z exactly.

    ``E[N_z] = 2^n P(B_1 X_1 + ... + B_n X_n = z)`` with ``X_i`` uniform on ``{-M..M}``
    and ``B_i`` fair bits (the first moment of Borgs, Chayes and Pittel's analysis of
    Number Partitioning, in the subset-sum form of Kumar and Natale). The empty subset
    counts (it hits 0).

    Parameters
    ----------
    n : int
        Number of values, 0..:data:`MAX_N`.
    half_width : int
        M, 1..:data:`MAX_HALF_WIDTH`.
    targets : array_like of int, optional
        Default: every integer of ``{-M, ..., M}``.

    Returns
    -------
    numpy.ndarray of float64, one entry per target
        Exact up to the rounding of a floating-point FFT (absolute error about 1e-16
        relative to ``2^n``; ``expected_solutions`` refuses sizes where that matters).
    """
    n = as_count(n, "n")
    if n > MAX_N:
        raise ValueError(f"n must be <= {MAX_N}, got {n}")
    M = _half_width(half_width)
    z = np.arange(-M, M + 1) if targets is None else _as_integers(np.atleast_1d(targets), "targets")
    z = z.astype(np.int64)
    if n == 0:
        return (z == 0).astype(np.float64)
    pmf, offset = _masked_sum_pmf(n, M)
    inside = np.abs(z) <= n * M
    out = np.zeros(z.size)
    out[inside] = pmf[z[inside] + offset]
    return 2.0**n * out


def predicted_single(n, half_width, target) -> float:
    """First-moment (Poisson) prediction of P(target is a subset sum): ``1 - exp(-E[N_z])``
    (1 for ``target = 0``, which the empty subset always hits)."""
    e = expected_solutions(n, half_width, [target])[0]
    if target == 0:
        return 1.0  # the empty subset
    return float(-np.expm1(-e))


def predicted_all(n, half_width) -> float:
    """First-moment prediction of P(every nonzero z in {-M..M} is a subset sum).

    The targets are treated as independent, each missed with probability
    ``exp(-E[N_z])``: ``prod_{z != 0} (1 - exp(-E[N_z]))``. (z = 0 is the empty subset.)
    """
    M = _half_width(half_width)
    z = np.concatenate([np.arange(-M, 0), np.arange(1, M + 1)])
    e = expected_solutions(n, M, z)
    return float(np.exp(np.sum(np.log(-np.expm1(-np.maximum(e, 1e-300))))))


def gaussian_threshold(half_width) -> float:
    """The n at which the normal approximation ``2^n / (M sqrt(pi n / 3))`` equals 1.

    Solves ``n = log2 M + log2(pi n / 3) / 2`` by fixed-point iteration.
    """
    M = _half_width(half_width)
    n = math.log2(M) + 1.0
    for _ in range(100):
        n = math.log2(M) + 0.5 * math.log2(math.pi * n / 3.0)
    return n


def conditional_prediction(n, half_width, target=None, draws=2000, seed=0) -> float:
    """First moment *given the sample*, averaged over samples: a sharper prediction.

    Given the values x, the sum of a uniformly random subset has mean ``sum(x) / 2`` and
    variance ``sum(x^2) / 4``; by the local limit theorem the number of subsets hitting
    z is then about ``2^n phi(z; mean, variance)`` (a normal density; the sums are
    integers, one per unit of length). Unlike the unconditional ``E[N_z]``, this keeps
    the sample's own spread: a sample whose sums are centred far from z has few chances,
    whatever the average over samples says. Each target is then treated as hit with
    probability ``1 - exp(-that mean)``, independently, and the result averaged over
    ``draws`` seeded samples. (In Part I's Number Partition the target is the total over
    two, the centre of every sample's sums, which is why the plain first moment worked
    there.)

    Parameters
    ----------
    n, half_width : int
    target : int, optional
        One target; default every nonzero z of ``{-M..M}`` (z = 0 is the empty subset).
    draws : int
        Samples averaged over (Monte Carlo; the result is seeded).
    seed : int or numpy.random.Generator

    Returns
    -------
    float
    """
    n = as_count(n, "n", minimum=1)
    M = _half_width(half_width)
    draws = as_count(draws, "draws", minimum=1)
    rng = as_generator(seed)
    if target is None:
        z = np.concatenate([np.arange(-M, 0), np.arange(1, M + 1)]).astype(np.float64)
    else:
        z = np.array([float(_window(target, M)[0] + 0.25)])
        if z[0] == 0.0:
            return 1.0  # the empty subset
    x = grid_uniform(draws * n, rng, M).reshape(draws, n)
    mean = x.sum(axis=1) / 2
    var = np.maximum((x**2).sum(axis=1) / 4, 0.25)  # all-zero samples: no spread
    total = 0.0
    rows = max(1, 2**22 // z.size)
    for s in range(0, draws, rows):
        m, v = mean[s : s + rows, None], var[s : s + rows, None]
        log_e = n * math.log(2) - (z - m) ** 2 / (2 * v) - 0.5 * np.log(2 * np.pi * v)
        hit = -np.expm1(-np.exp(np.minimum(log_e, 700.0)))
        total += float(np.exp(np.log(np.maximum(hit, 1e-300)).sum(axis=1)).sum())
    return total / draws
