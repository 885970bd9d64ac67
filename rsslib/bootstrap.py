"""Bootstrap intervals for statistics of seeded Monte Carlo samples.

The book fits slopes and exponents to critical n, which are quantiles of cover times
(:func:`rsslib.weights.critical_from_times`). Their sampling error is not binomial, so they
get a nonparametric bootstrap: resample the independent trials (the last axis of every
array, the same indices for every array, so that quantities computed on the same samples,
common random numbers, stay paired), recompute the statistic, and report the standard
deviation of the replicates and their 2.5% and 97.5% percentiles.

- :func:`bootstrap` runs it for any statistic of one or more arrays of trials.
- :func:`order_quantile` is the quantile the book calls the critical n (the smallest value
  v with ``mean(times <= v) >= level``), vectorised over leading axes.
- :func:`counts_to_times` rebuilds the trials of a stored success curve (counts of trials
  that succeeded with at most n values, non-decreasing in n) as cover times.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rsslib._validate import as_count, as_positive_real, as_seed


@dataclass(frozen=True)
class BootstrapEstimate:
    """A statistic with its bootstrap spread.

    ``value`` is the statistic on the data, ``se`` the standard deviation of the
    ``resamples`` replicates, ``low`` and ``high`` their 2.5% and 97.5% percentiles (a
    95% percentile interval), all arrays of the statistic's shape (floats for a scalar).
    ``replicates`` holds the replicates, shape ``(resamples, *value.shape)``.
    """

    value: np.ndarray | float
    se: np.ndarray | float
    low: np.ndarray | float
    high: np.ndarray | float
    resamples: int
    replicates: np.ndarray

    def __str__(self) -> str:
        if np.ndim(self.value) == 0:
            return f"{self.value:.4g} ± {self.se:.2g} [{self.low:.4g}, {self.high:.4g}]"
        return f"BootstrapEstimate(shape={np.shape(self.value)}, resamples={self.resamples})"


def _scalar_or_array(x):
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x


def bootstrap(
    statistic: Callable[..., object], *arrays, resamples: int = 1000, seed=0
) -> BootstrapEstimate:
    """Nonparametric bootstrap of ``statistic(*arrays)`` over the trials.

    Every array has its trials along its last axis, the same number ``t`` for all;
    replicate r calls ``statistic(*(a[..., idx_r] for a in arrays))`` with ``idx_r``
    ``t`` indices drawn with replacement (the same for every array: trials that share
    samples stay paired). The statistic returns a number or an array of fixed shape.
    """
    if not arrays:
        raise ValueError("arrays must hold at least one array of trials")
    arrays = [np.asarray(a) for a in arrays]
    if any(a.ndim == 0 for a in arrays):
        raise ValueError("arrays must have their trials along a last axis")
    t = arrays[0].shape[-1]
    if t == 0 or any(a.shape[-1] != t for a in arrays):
        raise ValueError("arrays must hold the same positive number of trials (last axis)")
    resamples = as_count(resamples, "resamples", minimum=2)
    rng = np.random.default_rng(as_seed(seed))
    value = np.asarray(statistic(*arrays), dtype=float)
    reps = np.empty((resamples, *value.shape))
    for r in range(resamples):
        idx = rng.integers(0, t, t)
        reps[r] = np.asarray(statistic(*(a[..., idx] for a in arrays)), dtype=float)
    low, high = np.percentile(reps, [2.5, 97.5], axis=0)
    return BootstrapEstimate(
        value=_scalar_or_array(value),
        se=_scalar_or_array(reps.std(axis=0, ddof=1)),
        low=_scalar_or_array(low),
        high=_scalar_or_array(high),
        resamples=resamples,
        replicates=reps,
    )


def order_quantile(times, level, axis=-1) -> np.ndarray:
    """The smallest value v of ``times`` with ``mean(times <= v) >= level`` along ``axis``:
    :func:`rsslib.weights.critical_from_times` on every slice (without its cut at n)."""
    level = as_positive_real(level, "level")
    if level > 1.0:
        raise ValueError(f"level must be in (0, 1], got {level}")
    t = np.sort(np.asarray(times), axis=axis)
    size = t.shape[axis]
    if size == 0:
        raise ValueError("times must hold at least one trial along axis")
    needed = math.ceil(level * size - 1e-9)
    return np.take(t, needed - 1, axis=axis)


def counts_to_times(ns, counts, trials) -> np.ndarray:
    """Cover times of ``trials`` trials whose success curve is ``counts`` at ``ns``.

    ``counts[i]`` trials succeed with ``ns[i]`` values (non-decreasing, ``ns`` increasing);
    a trial counted first at ``ns[i]`` gets cover time ``ns[i]``, one never counted gets
    ``ns[-1] + 1`` (not covered). Sorted; the order of the trials is lost, so statistics
    of several curves bootstrapped from these times are resampled independently.
    """
    ns = np.asarray(ns, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    trials = as_count(trials, "trials", minimum=1)
    if ns.ndim != 1 or ns.shape != counts.shape or ns.size == 0:
        raise ValueError("ns and counts must be 1-d arrays of the same positive length")
    if np.any(np.diff(ns) <= 0):
        raise ValueError("ns must be increasing")
    if np.any(np.diff(counts) < 0) or counts[0] < 0 or counts[-1] > trials:
        raise ValueError("counts must be non-decreasing, between 0 and trials")
    new = np.diff(counts, prepend=0)
    times = np.repeat(ns, new)
    return np.concatenate([times, np.full(trials - counts[-1], ns[-1] + 1)])
