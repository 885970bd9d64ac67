"""Which random weights? Approximation with a *relative* tolerance, and the samplers.

Part IV of the book compares four laws for the random values of a Random Subset Sum
instance: uniform, product of two uniforms, Gaussian and the hyperbolic law of Orseau,
Hutter and Rivasplata (2020). Their samplers live in :mod:`rsslib.distributions` (the one
registry, :data:`~rsslib.distributions.SAMPLERS`) and are re-exported here under the names
the book uses (``weights.sampler``, ``weights.hyperbolic``, ...). Pruning the digits CNN
from random networks of each law is :func:`rsslib.slth.experiments.digits.prune_digits`
(``weights.prune_digits`` still finds it, importing :mod:`rsslib.slth` only when asked).

Relative tolerance
------------------
The thesis asks for every target ``z`` in [-1, 1] to be within an *absolute* ``eps`` of a
subset sum. A network weight of size 1e-3 approximated within 1e-2 is not approximated at
all, so here we also ask, for a range ``low <= |z| <= high``, that

    |sum_{i in S} x_i - z| <= eps |z|       for some S.

A positive sum ``s`` serves exactly the targets in ``[s / (1 + eps), s / (1 - eps)]``
(``0 < eps < 1``), and two sums ``s < s'`` leave no target between them uncovered iff
``s' - s <= 2 eps s / (1 - eps)``. Every sum that can serve a target of the range is at
least ``low (1 - eps)``, so consecutive sums closer than ``2 tau`` with ``tau = eps low``
never leave a hole. We therefore run the interval recurrence of
:mod:`rsslib.approximable` with the *absolute* tolerance ``tau``: each merged interval is
a run of sums with gaps at most ``2 tau``, which covers one contiguous stretch of targets,
and the holes between runs are exactly the places where no sum exists. The check is
exact (no discretisation of the targets), and costs what an absolute check at tolerance
``eps low`` costs.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from rsslib import approximable
from rsslib._intervals import (
    check_memory,
    cover_time_relative,
    cover_times_rows,
    interval_bound,
)
from rsslib._validate import as_batch, as_count, as_generator, as_positive_real, as_sample

# the samplers, re-exported: the book calls them as weights.sampler, weights.hyperbolic, ...
from rsslib.distributions import (  # noqa: F401
    GAUSSIAN_SCALE,
    SAMPLERS,
    draw,
    gaussian,
    hyperbolic,
    hyperbolic_cdf,
    hyperbolic_density,
    product,
    sampler,
    uniform,
)

#: Trials drawn and processed per chunk by :func:`relative_cover_times`.
CHUNK = 1024


# ---------------------------------------------------------------------------------------
# relative approximation (the kernels are in rsslib._intervals)
# ---------------------------------------------------------------------------------------
def _relative_params(eps, low, high):
    eps = as_positive_real(eps, "eps")
    if not eps < 1.0:
        raise ValueError(f"eps must be < 1 for a relative tolerance, got {eps:g}")
    low = as_positive_real(low, "low")
    high = as_positive_real(high, "high")
    if not low < high:
        raise ValueError(f"low must be < high, got low={low:g}, high={high:g}")
    return eps, low, high


def _check_relative_memory(x, eps, low, high, copies=1):
    tau = eps * low
    top = high * (1.0 + eps) + tau
    if x.shape[-1]:
        bound = copies * interval_bound(x, tau, (-top, top))
        what = f"n={x.shape[-1]}, eps={eps:g}, low={low:g}"
        check_memory(bound, what, approximable.MAX_MEMORY_BYTES)


def relative_cover_time(sample, eps, low, high=1.0) -> int:
    """Smallest k such that the first k values serve every target with relative error eps.

    Every ``z`` with ``low <= |z| <= high`` must have a subset ``S`` of the first k values
    with ``|sum_S x_i - z| <= eps |z|``. Exact (see the module docstring).

    Parameters
    ----------
    sample : array_like, shape (n,)
    eps : float
        Relative tolerance, ``0 < eps < 1``.
    low, high : float
        The range of target magnitudes, ``0 < low < high``.

    Returns
    -------
    int
        In ``0..n``, or ``n + 1`` if the whole sample does not serve every target.
    """
    x = as_sample(sample)
    eps, low, high = _relative_params(eps, low, high)
    _check_relative_memory(x, eps, low, high)
    return int(cover_time_relative(x, eps, low, high))


def all_relatively_approximable(sample, eps, low, high=1.0) -> bool:
    """Whether every ``low <= |z| <= high`` is within ``eps |z|`` of a subset sum."""
    x = as_sample(sample)
    return relative_cover_time(x, eps, low, high) <= x.size


def relative_cover_times(n, eps, low, trials, dist="uniform", seed=0, high=1.0) -> np.ndarray:
    """Relative cover times (:func:`relative_cover_time`) of ``trials`` seeded samples.

    Samples are drawn in chunks of :data:`CHUNK` rows from one
    ``np.random.default_rng(seed)`` (``dist(rows * n, rng)`` reshaped to ``(rows, n)``,
    as :func:`rsslib.cover_times` does) and processed in parallel; the result does not
    depend on the number of threads. The fraction of times ``<= k`` estimates the
    probability that k values serve the whole range.

    Returns
    -------
    numpy.ndarray of int64, shape (trials,)
    """
    n = as_count(n, "n")
    eps, low, high = _relative_params(eps, low, high)
    trials = as_count(trials, "trials", minimum=1)
    rng = as_generator(seed)
    out = np.empty(trials, dtype=np.int64)
    for start in range(0, trials, CHUNK):
        rows = min(CHUNK, trials - start)
        samples = draw(rows * n, dist, rng).reshape(rows, n)
        _check_relative_memory(samples, eps, low, high, numba.get_num_threads())
        out[start : start + rows] = cover_times_rows(samples, eps, low, high, True)
    return out


def critical_from_times(times, n, level) -> int | None:
    """Smallest k with ``mean(times <= k) >= level``, or None if ``k <= n`` does not reach it.

    ``times`` are cover times of samples of ``n`` values (``n + 1`` meaning "not
    covered"): the answer is their ``level``-quantile, the critical n of
    :func:`rsslib.critical_n`.
    """
    t = np.sort(np.asarray(as_sample(times, "times")))
    n = as_count(n, "n")
    level = as_positive_real(level, "level")
    if level > 1.0:
        raise ValueError(f"level must be in (0, 1], got {level}")
    if t.size == 0:
        raise ValueError("times must hold at least one cover time")
    needed = math.ceil(level * t.size - 1e-9)
    k = int(t[needed - 1])
    return k if k <= n else None


def greedy_residuals(samples, targets) -> np.ndarray:
    """What a greedy "binary decomposition" leaves of each target.

    Row r of ``samples`` is scanned by decreasing magnitude, and a value is taken when it
    brings the running residual strictly closer to 0 (residual ``targets[r]`` at the
    start). This is the kind of construction whose analysis calls for the hyperbolic law
    (Orseau, Hutter and Rivasplata 2020): a value of every scale is needed, and the
    hyperbolic law puts the same mass on every octave. The exact solvers of
    :mod:`rsslib.solve` search all subsets instead.

    Parameters
    ----------
    samples : array_like, shape (m, n)
    targets : array_like, shape (m,)

    Returns
    -------
    numpy.ndarray, shape (m,)
        ``targets - (sum of the values taken)``, row by row.
    """
    x, res = as_batch(samples, targets)
    n = x.shape[1]
    order = np.argsort(-np.abs(x), axis=1, kind="stable")
    ordered = np.take_along_axis(x, order, axis=1)
    for j in range(n):
        v = ordered[:, j]
        res = np.where(np.abs(res - v) < np.abs(res), res - v, res)
    return res


def __getattr__(name):
    # prune_digits moved to rsslib.slth.experiments.digits (core modules do not import rsslib.slth);
    # the book's notebooks import it from here, so the name still resolves, lazily
    if name == "prune_digits":
        from rsslib.slth.experiments.digits import prune_digits

        return prune_digits
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
