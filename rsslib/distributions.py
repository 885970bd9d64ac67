"""Samplers, the density of a product of uniforms, and super-uniform thinning.

Thesis Section 2.1: super-uniform variables (Definition 3.1 (thesis Definition 9));
Corollary 3.2 (thesis Corollary 10), whose proof thins a super-uniform sample down to an
exactly uniform one; Lemma 3.4 (thesis Lemma 11): a product of two independent uniforms on
[-1, 1] is (1/2, log(2)/2)-super-uniform.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rsslib._validate import as_count, as_positive_real, as_sample

DISTRIBUTIONS = ("uniform", "product")


def _check_dist(dist):
    if callable(dist):
        return dist
    if isinstance(dist, str) and dist in DISTRIBUTIONS:
        return dist
    raise ValueError(f"dist must be one of {DISTRIBUTIONS} or a callable (n, rng), got {dist!r}")


def _as_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def draw(n, dist, rng) -> np.ndarray:
    """Draw ``n`` independent values.

    Parameters
    ----------
    n : int
        Number of values, >= 0.
    dist : {"uniform", "product"} or callable
        ``"uniform"``: uniform on [-1, 1] (Definition 2.1 (thesis Problem 4)).
        ``"product"``: product of two independent uniforms on [-1, 1]
        (Lemma 3.4 (thesis Lemma 11)). A callable ``dist(n, rng)`` must return ``n``
        finite values; it is checked.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    n = as_count(n, "n")
    dist = _check_dist(dist)
    rng = _as_rng(rng)
    if dist == "uniform":
        return rng.uniform(-1.0, 1.0, n)
    if dist == "product":
        return rng.uniform(-1.0, 1.0, n) * rng.uniform(-1.0, 1.0, n)
    values = as_sample(dist(n, rng), "dist(n, rng)")
    if values.size != n:
        raise ValueError(f"dist(n, rng) must return n={n} values, got {values.size}")
    return values


def product_density(x) -> np.ndarray:
    """Density of the product of two independent uniforms on [-1, 1]: ``-log|x| / 2``.

    Derivation (Lemma 3.4 (thesis Lemma 11)): ``|X_1 X_2|`` is a product of two uniforms on
    [0, 1], whose density is ``-log t`` on (0, 1]; the sign is an independent fair coin,
    which halves it. The density is 0 outside [-1, 1] and infinite at 0.
    """
    t = np.abs(as_sample(np.atleast_1d(x), "x"))
    out = np.zeros_like(t)
    inside = t <= 1.0
    with np.errstate(divide="ignore"):
        out[inside] = -0.5 * np.log(t[inside])
    return out


def thin_to_uniform(x, a, b, density: Callable[[np.ndarray], np.ndarray], rng) -> np.ndarray:
    """Keep the values of an (a, b)-super-uniform sample that make it uniform on [-a, a].

    The rejection step of the proof of Corollary 3.2 (thesis Corollary 10): with ``U_i``
    independent uniforms on [0, 1], value ``x_i`` is kept when ``|x_i| <= a`` and
    ``U_i * density(x_i) <= b``. A kept value is uniform on [-a, a], and each value is kept
    with probability exactly ``2 a b`` (the thesis writes "at least").

    Parameters
    ----------
    x : array_like, shape (n,)
        Independent draws from ``density``.
    a, b : float
        Super-uniformity parameters (Definition 3.1 (thesis Definition 9)): ``a > 0``,
        ``0 < b < 1 / (2a)``.
    density : callable
        The density of the values, vectorised.
    rng : numpy.random.Generator
        Source of the ``U_i``.

    Returns
    -------
    numpy.ndarray
        The kept values, in their original order.

    Raises
    ------
    ValueError
        If the parameters are out of range, or if ``density`` falls below ``b`` at a sampled
        point of [-a, a]: the values are then not (a, b)-super-uniform and the kept ones would
        not be uniform.
    """
    values = as_sample(x, "x")
    a = as_positive_real(a, "a")
    b = as_positive_real(b, "b")
    if not b < 1.0 / (2.0 * a):
        raise ValueError(
            f"b must be < 1/(2a) = {1 / (2 * a):g} by Definition 3.1 (thesis Definition 9), "
            f"got {b:g}"
        )
    rng = _as_rng(rng)
    u = rng.uniform(0.0, 1.0, values.size)
    in_window = np.abs(values) <= a
    f = np.asarray(density(values[in_window]), dtype=np.float64)
    if f.shape != (int(in_window.sum()),):
        raise ValueError("density must map an array of values to an array of the same shape")
    if np.any(f < b):
        worst = values[in_window][np.argmin(f)]
        raise ValueError(
            f"density({worst:g}) = {f.min():g} < b = {b:g}: the values are not "
            f"({a:g}, {b:g})-super-uniform, so thinning would not give a uniform sample"
        )
    keep = np.zeros(values.size, dtype=bool)
    keep[in_window] = u[in_window] * f <= b
    return values[keep]
