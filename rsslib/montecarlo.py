"""Monte Carlo estimates of the RSS success probability.

The problem is that of Definition 2.1 (thesis Problem 4); the probability is the one
Theorem 2.2 (thesis Theorem 6) bounds. Success for one sample means: every z in the window
is eps-approximable. Trials run in parallel (``numba.prange``); samples are drawn in Python,
so the estimate depends only on the arguments, never on the number of threads.

Two seeded layouts:

- ``executor=None`` (the default, used by the book's notebooks): one generator
  ``np.random.default_rng(seed)`` draws the chunks one after the other in this process.
- ``executor=`` any ``concurrent.futures.Executor`` (:class:`rsslib.sweeps.InlineExecutor`,
  a process pool, a dask ``Client.get_executor()``): chunk ``i`` has its own generator
  spawned from ``seed`` (:mod:`rsslib.sweeps`), so the chunks can run anywhere, and the
  result is the same for every executor and worker count (though not the same samples as
  the single-generator layout).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numba
import numpy as np

from rsslib import approximable, sweeps
from rsslib._intervals import check_memory, cover_times_rows, interval_bound
from rsslib._validate import as_count, as_positive_real, as_seed, as_window
from rsslib.distributions import as_dist, draw

#: Trials drawn and processed per chunk (bounds memory; part of the seeded stream layout).
CHUNK = 4096
#: critical_n gives up beyond this many values.
MAX_N = 4096
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """A success probability with its Wilson 95% confidence interval."""

    p: float
    low: float
    high: float
    successes: int
    trials: int

    def __str__(self) -> str:
        return f"{self.p:.4f} [{self.low:.4f}, {self.high:.4f}] ({self.trials} trials)"


def wilson_interval(successes: int, trials: int, z: float = _Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95% for the default z)."""
    successes = as_count(successes, "successes")
    trials = as_count(trials, "trials", minimum=1)
    if successes > trials:
        raise ValueError(f"successes ({successes}) must be <= trials ({trials})")
    p = successes / trials
    z2 = z * z
    denom = 1.0 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


def _cover_times_of(samples, eps, a, b):
    """Cover times of the rows of ``samples``, after checking the memory they may need."""
    n = samples.shape[1]
    if n:  # every thread may hold the worst sample's intervals at once
        bound = numba.get_num_threads() * interval_bound(samples, eps, (a, b))
        check_memory(bound, f"n={n}, eps={eps:g}", approximable.MAX_MEMORY_BYTES)
    return cover_times_rows(samples, eps, a, b, False)


def _cover_times_chunk(n, eps, rows, dist, seed_seq, a, b, threads=None):
    """One chunk of the chunk-seeded layout (runs in a worker; module level to pickle)."""
    sweeps.limit_numba_threads(threads)
    samples = draw(rows * n, dist, np.random.default_rng(seed_seq)).reshape(rows, n)
    return _cover_times_of(samples, eps, a, b)


def cover_times(
    n,
    eps,
    trials,
    dist="uniform",
    seed=0,
    window=(-1.0, 1.0),
    progress=False,
    executor=None,
    threads=None,
) -> np.ndarray:
    """Cover time of each of ``trials`` independent samples of ``n`` values.

    The cover time of a sample is the first k such that every z in ``window`` is
    eps-approximable with its first k values (``n + 1`` if never). The empirical success
    probability at any ``k <= n`` is then ``mean(times <= k)``: one run gives the whole
    curve, non-decreasing in k because all prefixes share their values.

    Parameters
    ----------
    n : int
        Values per sample, >= 0.
    eps : float
        Tolerance, > 0.
    trials : int
        Number of independent samples, >= 1.
    dist : {"uniform", "product"} or callable
        See :func:`rsslib.draw`. A callable is called once per chunk as
        ``dist(rows * n, rng)`` and reshaped to ``(rows, n)``.
    seed : int, numpy.random.Generator or numpy.random.SeedSequence
        A non-negative int seeds ``np.random.default_rng``; a Generator is drawn from
        directly (with an ``executor``: the chunks' generators are spawned from it); a
        SeedSequence (what ``python -m rsslib thresholds`` passes) is used as an int would be.
    window : (float, float)
        The targets ``z`` that must all be approximable.
    progress : bool or None
        Report progress on stderr (for long runs). With an ``executor``: a tqdm bar, and
        ``None`` means "on a terminal, not in CI".
    executor : concurrent.futures.Executor, optional
        Run the chunk-seeded layout on this executor (see the module docstring). A
        callable ``dist`` must then be picklable for process pools and dask.
    threads : int, optional
        numba threads per chunk in the workers (e.g. cores / workers, to avoid
        oversubscription). Does not change the result.

    Returns
    -------
    numpy.ndarray of int64, shape (trials,)
    """
    n = as_count(n, "n")
    eps = as_positive_real(eps, "eps")
    trials = as_count(trials, "trials", minimum=1)
    seed = as_seed(seed, sequence=True)
    dist = as_dist(dist)
    a, b = as_window(window)
    if threads is not None:
        threads = as_count(threads, "threads", minimum=1)
    if executor is not None:
        plan = sweeps.chunk_plan(trials, sweeps.CHUNK)
        seeds = sweeps.chunk_seeds(seed, len(plan))
        tasks = [
            (n, eps, rows, dist, child, a, b, threads)
            for (_, rows), child in zip(plan, seeds, strict=True)
        ]
        weights = [rows for _, rows in plan]
        parts = sweeps.run_tasks(
            _cover_times_chunk,
            tasks,
            executor,
            progress,
            f"cover times eps={eps:g}",
            weights=weights,
        )
        return np.concatenate(parts)
    rng = np.random.default_rng(seed)
    out = np.empty(trials, dtype=np.int64)
    for start in range(0, trials, CHUNK):
        rows = min(CHUNK, trials - start)
        samples = draw(rows * n, dist, rng).reshape(rows, n)
        out[start : start + rows] = _cover_times_of(samples, eps, a, b)
        if progress:
            print(f"\rcover_times: {start + rows:,}/{trials:,} trials", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    return out


def success_probability(
    n, eps, trials, dist="uniform", seed=0, window=(-1.0, 1.0), progress=False, executor=None
) -> Estimate:
    """Estimate P(every z in ``window`` is eps-approximable with n values).

    The probability Theorem 2.2 (thesis Theorem 6) bounds. ``seed``, ``executor``: see
    :func:`cover_times`.

    Returns
    -------
    Estimate
        ``p`` with its Wilson 95% interval ``[low, high]``.
    """
    n = as_count(n, "n")  # checked here so the message names this function's argument
    seed = as_seed(seed, sequence=True)
    return success_curve([n], eps, trials, dist, seed, window, progress, executor)[0]


def success_curve(
    ns, eps, trials, dist="uniform", seed=0, window=(-1.0, 1.0), progress=False, executor=None
):
    """Success probability at every n in ``ns`` from one set of samples.

    Draws ``trials`` samples of ``max(ns)`` values and reads every estimate off their cover
    times: the estimate at n uses the first n values of each sample. Each estimate is a
    valid ``trials``-sample estimate; the curve is non-decreasing in n because the samples
    are shared (common random numbers). ``seed``, ``executor``: see :func:`cover_times`.

    Returns
    -------
    list of Estimate, one per entry of ``ns``.
    """
    ns = [as_count(n, "ns[i]") for n in ns]
    if not ns:
        raise ValueError("ns must list at least one sample size")
    seed = as_seed(seed, sequence=True)
    times = cover_times(max(ns), eps, trials, dist, seed, window, progress, executor)
    return estimates_from_times(times, ns)


def estimates_from_times(times, ns) -> list[Estimate]:
    """The success probability at each n of ``ns`` read off cover times: the fraction of
    samples covered by their first n values, with its Wilson interval."""
    times = np.asarray(times)
    out = []
    for n in ns:
        successes = int(np.count_nonzero(times <= n))
        low, high = wilson_interval(successes, times.size)
        out.append(Estimate(successes / times.size, low, high, successes, times.size))
    return out


def critical_n(eps, level, trials, dist="uniform", seed=0, window=(-1.0, 1.0)) -> int:
    """Smallest n whose estimated success probability is at least ``level``.

    Uses :func:`cover_times` on samples of a trial length ``n_max`` (doubled until enough
    trials are covered): the estimate at n is the fraction of cover times <= n, so the
    answer is the ``level``-quantile of the cover times.

    Raises
    ------
    ValueError
        If ``level`` is not in (0, 1], or if no n up to ``MAX_N`` reaches it.
    """
    eps = as_positive_real(eps, "eps")
    level = as_positive_real(level, "level")
    if level > 1.0:
        raise ValueError(f"level must be in (0, 1], got {level}")
    trials = as_count(trials, "trials", minimum=1)
    seed = as_seed(seed, sequence=True)  # an int restarts the same stream at every n_max
    needed = math.ceil(level * trials - 1e-9)
    n_max = max(16, 4 * math.ceil(math.log2(1.0 / min(eps, 0.5))))
    while True:
        times = np.sort(cover_times(n_max, eps, trials, dist, seed, window))
        if times[needed - 1] <= n_max:
            return int(times[needed - 1])
        if n_max >= MAX_N:
            raise ValueError(
                f"fewer than {level:.0%} of the trials are covered with n={MAX_N} values"
            )
        n_max = min(2 * n_max, MAX_N)
