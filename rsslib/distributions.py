"""Samplers, the density of a product of uniforms, and super-uniform thinning.

Thesis Section 2.1: super-uniform variables (Definition 3.1 (thesis Definition 9));
Corollary 3.2 (thesis Corollary 10), whose proof thins a super-uniform sample down to an
exactly uniform one; Lemma 3.4 (thesis Lemma 11): a product of two independent uniforms on
[-1, 1] is (1/2, log(2)/2)-super-uniform.

Samplers
--------
Every sampler of rsslib lives here, in one registry, :data:`SAMPLERS`; Part IV of the book
compares its four laws for the random values of a Random Subset Sum instance
(equivalently, for the entries of the random network that is pruned):

- ``"uniform"``: uniform on [-1, 1] (Definition 2.1 (thesis Problem 4));
- ``"product"``: the product of two independent uniforms on [-1, 1]
  (Lemma 3.4 (thesis Lemma 11));
- ``"gaussian"``: centred normal, by default with the variance 1/3 of the uniform;
- ``"hyperbolic"``: the law of Orseau, Hutter and Rivasplata (NeurIPS 2020, "Logarithmic
  pruning is all you need"): a fair random sign times a magnitude with density
  proportional to ``1/t`` on ``[low, high]`` (log-uniform), that is

      f(x) = 1 / (2 ln(high / low) |x|)   for low <= |x| <= high,   0 otherwise.

Every sampler has the signature ``(n, rng, **params)``; :func:`sampler` binds the
parameters and returns a picklable callable ``(n, rng)`` that :func:`draw`,
:func:`rsslib.cover_times` and :func:`rsslib.weights.relative_cover_times` accept as
``dist``. :func:`draw` also takes the parameter-free names of :data:`DISTRIBUTIONS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import numpy as np

from rsslib._validate import as_count, as_positive_real, as_rng, as_sample

#: The names :func:`draw` (and every ``dist`` argument) accepts as a string.
DISTRIBUTIONS = ("uniform", "product")
#: Standard deviation of the default Gaussian: the uniform on [-1, 1] has variance 1/3.
GAUSSIAN_SCALE = 1.0 / math.sqrt(3.0)


# ---------------------------------------------------------------------------------------
# samplers
# ---------------------------------------------------------------------------------------
def uniform(n, rng) -> np.ndarray:
    """``n`` values uniform on [-1, 1] (the stream of ``draw(n, "uniform", rng)``)."""
    n = as_count(n, "n")
    return as_rng(rng).uniform(-1.0, 1.0, n)


def product(n, rng) -> np.ndarray:
    """``n`` products of two independent uniforms on [-1, 1].

    Lemma 3.4 (thesis Lemma 11) shows they are super-uniform. The rng draws the n first
    factors, then the n second ones.
    """
    n = as_count(n, "n")
    rng = as_rng(rng)
    return rng.uniform(-1.0, 1.0, n) * rng.uniform(-1.0, 1.0, n)


def gaussian(n, rng, scale=GAUSSIAN_SCALE) -> np.ndarray:
    """``n`` centred normal values with standard deviation ``scale`` (default 1/sqrt(3))."""
    n = as_count(n, "n")
    scale = as_positive_real(scale, "scale")
    return as_rng(rng).normal(0.0, scale, n)


def _hyperbolic_params(low, high):
    low = as_positive_real(low, "low")
    high = as_positive_real(high, "high")
    if not low < high:
        raise ValueError(f"low must be < high, got low={low:g}, high={high:g}")
    return low, high


def hyperbolic(n, rng, low, high=1.0) -> np.ndarray:
    """``n`` values of the hyperbolic law of Orseau, Hutter and Rivasplata (2020).

    A fair random sign times a log-uniform magnitude on ``[low, high]``: the magnitude is
    ``low * (high / low) ** U`` with ``U`` uniform on [0, 1], so its density is
    ``1 / (t ln(high / low))`` and the signed value has density
    ``1 / (2 ln(high / low) |x|)`` on ``low <= |x| <= high``.

    Parameters
    ----------
    n : int
        Number of values, >= 0.
    rng : numpy.random.Generator
        Draws the n magnitudes first, then the n signs.
    low, high : float
        Support of the magnitude, ``0 < low < high``.
    """
    n = as_count(n, "n")
    low, high = _hyperbolic_params(low, high)
    rng = as_rng(rng)
    magnitude = low * np.exp(rng.uniform(0.0, 1.0, n) * math.log(high / low))
    sign = 2.0 * rng.integers(0, 2, n) - 1.0
    return sign * magnitude


def hyperbolic_density(x, low, high=1.0) -> np.ndarray:
    """Density ``1 / (2 ln(high / low) |x|)`` on ``low <= |x| <= high``, 0 elsewhere."""
    low, high = _hyperbolic_params(low, high)
    t = np.abs(np.atleast_1d(as_sample(np.ravel(x), "x")))
    out = np.zeros_like(t)
    inside = (t >= low) & (t <= high)
    out[inside] = 1.0 / (2.0 * math.log(high / low) * t[inside])
    return out


def hyperbolic_cdf(x, low, high=1.0) -> np.ndarray:
    """``P(X <= x)`` for the hyperbolic law: ``1/2 + sign(x) F(|x|) / 2`` with
    ``F(t) = ln(t / low) / ln(high / low)`` clipped to [0, 1] (F is the magnitude's CDF)."""
    low, high = _hyperbolic_params(low, high)
    v = np.atleast_1d(as_sample(np.ravel(x), "x"))
    t = np.abs(v)
    with np.errstate(divide="ignore"):
        mag = np.clip(np.log(np.maximum(t, 1e-300) / low) / math.log(high / low), 0.0, 1.0)
    return np.where(v >= 0, 0.5 + 0.5 * mag, 0.5 - 0.5 * mag)


#: Every sampler by name; the first two (:data:`DISTRIBUTIONS`) take no parameters.
SAMPLERS = {"uniform": uniform, "product": product, "gaussian": gaussian, "hyperbolic": hyperbolic}


def sampler(name, **params):
    """A ``dist`` callable ``(n, rng)`` for one of :data:`SAMPLERS`, parameters bound.

    ``sampler("hyperbolic", low=1e-3)`` draws the hyperbolic law on [1e-3, 1];
    ``sampler("gaussian", scale=1.0)`` the standard normal. The result is a
    ``functools.partial`` (picklable, so it can run on a process pool). The parameters
    are checked here, once, by a trial draw of no values.
    """
    if name not in SAMPLERS:
        raise ValueError(f"name must be one of {tuple(SAMPLERS)}, got {name!r}")
    fn = partial(SAMPLERS[name], **params)
    try:
        fn(0, np.random.default_rng(0))
    except TypeError as exc:
        raise ValueError(f"params: {exc}") from exc
    return fn


def as_dist(dist):
    """Check a ``dist`` argument: a name of :data:`DISTRIBUTIONS` or a callable ``(n, rng)``."""
    if callable(dist):
        return dist
    if isinstance(dist, str) and dist in DISTRIBUTIONS:
        return dist
    raise ValueError(f"dist must be one of {DISTRIBUTIONS} or a callable (n, rng), got {dist!r}")


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
        finite values; it is checked. The names are those of :data:`DISTRIBUTIONS`,
        drawn by the sampler of the same name in :data:`SAMPLERS`.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    n = as_count(n, "n")
    dist = as_dist(dist)
    rng = as_rng(rng)
    if isinstance(dist, str):
        return SAMPLERS[dist](n, rng)
    values = as_sample(dist(n, rng), "dist(n, rng)")
    if values.size != n:
        raise ValueError(f"dist(n, rng) must return n={n} values, got {values.size}")
    return values


# ---------------------------------------------------------------------------------------
# super-uniform values
# ---------------------------------------------------------------------------------------
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
    rng = as_rng(rng)
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
