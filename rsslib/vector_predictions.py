"""Predictions for the multidimensional Random Subset Sum Problem (vectors, max norm).

The measurements of :mod:`rsslib.multidim` (n vectors uniform on [-1, 1]^d, a target
eps-approximable when some subset sum is within eps in the max norm) are compared with:

- :func:`counting_bound`: the volume bound ``d log2(1/eps)``;
- :func:`first_moment`: the expected number of subsets within eps of z, exactly;
- :func:`predicted_success` (:func:`predicted_success_curve`): the first moment with the
  Poisson heuristic, averaged over the targets; :func:`gaussian_threshold` its normal
  approximation solved for n;
- :func:`conditional_prediction` (:func:`conditional_prediction_every`): the same given
  the sample (one target; every target, cells treated as independent).
"""

from __future__ import annotations

import math

import numpy as np

from rsslib._validate import _read_reals, as_count, as_positive_real, as_seed
from rsslib._vectors import as_dimension


def counting_bound(d, eps) -> float:
    """``d log2(1/eps)``: fewer vectors cannot make every target eps-approximable.

    The 2^n cubes of side 2 eps around the subset sums must cover the cube of side 2:
    ``2^n (2 eps)^d >= 2^d``. For one uniform target the same volume argument gives
    ``P(success) <= 2^n eps^d``.
    """
    d = as_dimension(d)
    eps = as_positive_real(eps, "eps")
    return d * math.log2(1.0 / eps)


def _window_probability(s: int, y: np.ndarray, eps: float) -> np.ndarray:
    """P(|T_s - y| <= eps), T_s the sum of s independent uniforms on [-1, 1]."""
    if s == 0:
        return (np.abs(y) <= eps).astype(float)
    from scipy.stats import irwinhall

    # T_s = 2 U - s with U Irwin-Hall(s) on [0, s]
    law = irwinhall(s)
    return law.cdf((y + eps + s) / 2.0) - law.cdf((y - eps + s) / 2.0)


def first_moment(n, d, eps, z) -> np.ndarray:
    """E[N_z]: the expected number of subsets of n uniform vectors within eps of z.

    By linearity, ``E[N_z] = sum_s C(n, s) prod_k P(|T_s - z_k| <= eps)``, with ``T_s``
    the sum of s independent uniforms on [-1, 1] (the coordinates of a sum of s vectors
    are independent); ``T_s`` has the Irwin-Hall law, shifted and scaled.

    Parameters
    ----------
    z : array_like, shape (d,) or (m, d)

    Returns
    -------
    numpy.ndarray of float64, shape () or (m,)
    """
    n = as_count(n, "n")
    d = as_dimension(d)
    eps = as_positive_real(eps, "eps")
    zz = _read_reals(z, "z", "an array (d,) or (m, d)").astype(np.float64)
    single = zz.ndim == 1
    zz = np.atleast_2d(zz)
    if zz.ndim != 2 or zz.shape[1] != d or not np.all(np.isfinite(zz)):
        raise ValueError(f"z must be finite, of shape (d,) or (m, d) with d={d}")
    total = np.zeros(zz.shape[0])
    for s in range(n + 1):
        total += math.comb(n, s) * np.prod(_window_probability(s, zz, eps), axis=1)
    return total[0] if single else total


def predicted_success(n, d, eps, nodes=12) -> float:
    """First moment + Poisson: ``E_z[1 - exp(-E[N_z])]``, z uniform on [-1, 1]^d.

    ``E[N_z]`` is even in each coordinate, so the average is taken over [0, 1]^d by
    Gauss-Legendre quadrature with ``nodes`` points per axis (``nodes^d`` in all). The
    coordinates of a sum of s vectors are independent, so one table of
    ``P(|T_s - u| <= eps)`` over the 1-D nodes u serves every point of the grid.
    """
    n = as_count(n, "n")
    return float(predicted_success_curve(n, d, eps, nodes)[n])


def predicted_success_curve(n_max, d, eps, nodes=12) -> np.ndarray:
    """:func:`predicted_success` for n = 0..n_max, from one table of window probabilities.

    Returns
    -------
    numpy.ndarray of float64, shape (n_max + 1,)
    """
    n_max = as_count(n_max, "n_max")
    d = as_dimension(d)
    eps = as_positive_real(eps, "eps")
    nodes = as_count(nodes, "nodes", minimum=1)
    u, w = np.polynomial.legendre.leggauss(nodes)
    u = (u + 1.0) / 2.0
    w = w / 2.0

    def outer(vec):  # prod_k vec[i_k] on the tensor grid
        out = np.ones((nodes,) * d)
        for k in range(d):
            shape = [1] * d
            shape[k] = nodes
            out = out * vec.reshape(shape)
        return out

    weights = outer(w)
    products = [outer(_window_probability(s, u, eps)) for s in range(n_max + 1)]
    curve = np.empty(n_max + 1)
    for n in range(n_max + 1):
        expected = sum(math.comb(n, s) * products[s] for s in range(n + 1))
        curve[n] = np.sum(weights * -np.expm1(-expected))
    return curve


def gaussian_threshold(d, eps, level=0.5) -> float:
    """The n at which the normal approximation of the first moment predicts ``level``.

    A random subset has about n/2 vectors; each coordinate of their sum is close to
    N(0, n/6), so near the centre of the cube ``E[N_z] ~ 2^n (2 eps)^d (pi n / 3)^{-d/2}``.
    Poisson: ``P = 1 - exp(-E[N_z])``, which equals ``level`` when ``E[N_z] = L =
    -ln(1 - level)``. Solves ``n = d log2(1/eps) - d + (d/2) log2(pi n / 3) + log2 L``
    by fixed-point iteration.
    """
    d = as_dimension(d)
    eps = as_positive_real(eps, "eps")
    level = as_positive_real(level, "level")
    if level >= 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    target = math.log2(-math.log1p(-level))
    n = max(1.0, d * math.log2(1.0 / eps))
    for _ in range(200):
        n = max(1.0, d * math.log2(1.0 / eps) - d + 0.5 * d * math.log2(math.pi * n / 3) + target)
    return n


def _conditional_log_expected(n, d, eps, draws, seed, points):
    """log E[N_g | x] for each drawn sample x and each point g (rows: samples).

    ``points``: None for one uniform target per sample (drawn first, like the Monte Carlo
    functions), or an array (k, d) of fixed points. Returns an array (draws, k).
    """
    rng = np.random.default_rng(seed)
    if points is None:
        z = rng.uniform(-1.0, 1.0, (draws, 1, d))
    else:
        z = np.broadcast_to(points[None], (draws, points.shape[0], d))
    x = rng.uniform(-1.0, 1.0, (draws, n, d))
    mean = x.sum(axis=1) / 2.0
    cov = np.einsum("rik,ril->rkl", x, x) / 4.0
    diff = z - mean[:, None, :]
    quad = np.einsum("rgk,rkl,rgl->rg", diff, np.linalg.inv(cov), diff)
    logdet = np.linalg.slogdet(cov)[1]
    return (
        n * math.log(2.0)
        + d * math.log(2.0 * eps)
        - 0.5 * (d * math.log(2.0 * math.pi) + logdet[:, None] + quad)
    )


def _conditional_args(n, d, eps, draws, seed):
    n = as_count(n, "n")
    d = as_dimension(d)
    if n < d:
        raise ValueError(f"n must be >= d={d} (the covariance is singular otherwise), got {n}")
    eps = as_positive_real(eps, "eps")
    draws = as_count(draws, "draws", minimum=1)
    return n, d, eps, draws, as_seed(seed)


def conditional_prediction(n, d, eps, draws=2000, seed=0) -> float:
    """First moment given the sample, averaged over samples and targets.

    Given the sample x, the sum of a uniformly random subset has mean ``sum(x) / 2`` and
    covariance ``sum_i x_i x_i^T / 4``; its normal approximation gives
    ``E[N_z | x] ~ 2^n (2 eps)^d phi(z)``, phi the normal density. Returns the average of
    ``1 - exp(-E[N_z | x])`` over ``draws`` pairs (x, z) drawn like the Monte Carlo
    functions (another seed layout, same law). Meaningful for n well above d.
    """
    n, d, eps, draws, seed = _conditional_args(n, d, eps, draws, seed)
    log_e = _conditional_log_expected(n, d, eps, draws, seed, None)[:, 0]
    return float(np.mean(-np.expm1(-np.exp(log_e))))


def conditional_prediction_every(n, d, eps, draws=1000, seed=0) -> float:
    """Heuristic P(every target is eps-approximable), given the sample, cells independent.

    The cube is cut into ``m^d`` cells of side about 2 eps (``m = ceil(1 / eps)``), about
    the number of targets no single subset sum can serve together; each cell centre g is
    treated as an independent target, so given the sample x the prediction is
    ``prod_g (1 - exp(-E[N_g | x]))`` with :func:`conditional_prediction`'s normal
    approximation, averaged over ``draws`` samples. A heuristic, not a bound.
    """
    n, d, eps, draws, seed = _conditional_args(n, d, eps, draws, seed)
    m = math.ceil(1.0 / eps)
    centres = -1.0 + (2.0 / m) * (np.arange(m) + 0.5)
    grid = np.stack(np.meshgrid(*([centres] * d), indexing="ij"), -1).reshape(-1, d)
    log_e = _conditional_log_expected(n, d, eps, draws, seed, grid)
    log_p = np.sum(np.log(-np.expm1(-np.exp(log_e))), axis=1)
    return float(np.mean(np.exp(log_p)))
