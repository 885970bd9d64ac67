"""Critical n of Random Fixed-Size Subset Sum (the sparse-tickets chapter's RSS sweep).

For subsets of exactly k and of at most k values (:mod:`rsslib.fixed_size`), and a
tolerance eps, the critical n at success level q is the q-quantile of the cover times of
random samples of uniform values on [-1, 1] (:func:`rsslib.weights.critical_from_times`).
:func:`critical_n_rows` gives, for one eps, the 0.5- and 0.9-quantiles for every k, the
counting bound, and the same quantiles with no size restriction
(:func:`rsslib.cover_times`), all from the same samples (common random numbers). k = 1 is
read off the exact covering probability (:func:`single_value_critical_n`): its critical n
reaches thousands, where simulation is slow and the closed form is exact.
``scripts/sparse_tickets_sweep.py`` writes the rows to
``book/beyond/data/rfss_critical_n.csv`` and the cover times behind them to
``rfss_cover_times.npz`` (:func:`run`), which the chapter bootstraps
(:mod:`rsslib.bootstrap`). At most one value is not exactly one: the empty sum covers
[-eps, eps], so that row is simulated.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from rsslib._validate import as_count, as_positive_real, as_seed
from rsslib.fixed_size import (
    fixed_size_counting_bound,
    fixed_size_cover_times,
    single_value_cover_probability,
)
from rsslib.montecarlo import MAX_N, cover_times
from rsslib.sweeps import atomic_output, show_progress, write_csv
from rsslib.weights import critical_from_times

#: Where the chapter's CSV files live.
DATA = Path(__file__).resolve().parents[1] / "book" / "beyond" / "data"
TRIALS = 400
SEED = 2024
SIZES = tuple(range(1, 13))
EPS = tuple(2.0**-j for j in range(3, 11))
COLUMNS = (
    "kind", "k", "eps", "trials", "n_max", "counting", "q50", "q90", "free_q50", "free_q90",
)  # fmt: skip


def single_value_critical_n(eps, level) -> int:
    """Smallest n with P(n intervals of half-width eps around uniform points cover
    [-1, 1]) >= ``level``: :func:`rsslib.fixed_size.single_value_cover_probability`,
    non-decreasing in n (more points cover more), bisected after doubling."""
    eps = as_positive_real(eps, "eps")
    level = as_positive_real(level, "level")
    if level > 1.0:
        raise ValueError(f"level must be in (0, 1], got {level}")
    lo, hi = 1, 2
    while single_value_cover_probability(hi, eps) < level:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if single_value_cover_probability(mid, eps) >= level:
            hi = mid
        else:
            lo = mid
    return hi


def cover_time_table(eps, trials=TRIALS, seed=SEED, sizes=SIZES, level=0.97) -> dict:
    """Cover times of ``trials`` samples of one eps, by kind and size.

    Keys: ``"free"`` (no size restriction, :func:`rsslib.cover_times`) and
    ``(kind, k)`` for kind ``"exact"`` or ``"at_most"`` and k in ``sizes``; values
    ``(times, n_max)``, a cover time ``n_max + 1`` meaning "not covered by ``n_max``
    values". For k >= 2 and the free times the samples are the same (common random
    numbers: ``np.random.default_rng(seed)``, rows of ``n_max`` values); ``n_max`` starts
    at ``max(32, 3 * counting bound of k = 2)`` and doubles until the ``level``-quantile
    of every row is covered (or :data:`rsslib.montecarlo.MAX_N`), so that resampled
    0.9-quantiles are not cut off. k = 1 needs thousands of values at small eps: its two
    kinds get their own, longer samples from the same seed, starting at twice the exact
    0.9-critical n of exactly one value.
    """
    eps = as_positive_real(eps, "eps")
    trials = as_count(trials, "trials", minimum=1)
    seed = as_seed(seed)  # an int restarts the same samples at every n_max
    sizes = [as_count(k, "sizes[i]", minimum=1) for k in sizes]

    def covered(times, n_max):
        return critical_from_times(times, n_max, level) is not None or n_max >= MAX_N

    table = {}
    if 1 in sizes:
        n_max = 2 * single_value_critical_n(eps, 0.9)
        while True:
            ones = {
                (kind, 1): fixed_size_cover_times(
                    n_max, 1, eps, trials, seed, at_most=kind == "at_most"
                )
                for kind in ("exact", "at_most")
            }
            if all(covered(t, n_max) for t in ones.values()):
                break
            n_max *= 2
        table.update({key: (t, n_max) for key, t in ones.items()})
    n_max = max(32, 3 * fixed_size_counting_bound(2, eps))
    while True:
        part = {"free": cover_times(n_max, eps, trials, "uniform", seed)}
        for kind in ("exact", "at_most"):
            for k in (k for k in sizes if k > 1):
                part[(kind, k)] = fixed_size_cover_times(
                    n_max, k, eps, trials, seed, at_most=kind == "at_most"
                )
        if all(covered(t, n_max) for t in part.values()):
            break
        n_max *= 2
    table.update({key: (t, n_max) for key, t in part.items()})
    return table


def critical_n_rows(eps, trials=TRIALS, seed=SEED, sizes=SIZES, table=None) -> list[dict]:
    """The rows of one eps: every (kind, k), kind ``"exact"`` or ``"at_most"``, k in
    ``sizes``, with ``counting`` (:func:`rsslib.fixed_size_counting_bound`), ``q50`` and
    ``q90`` (critical n at levels 0.5 and 0.9; None if not reached within ``n_max``) and
    ``free_q50``, ``free_q90`` (no size restriction), from the cover times of
    :func:`cover_time_table` (``table``, computed if not given). Exactly one value (k = 1)
    is read off the exact covering probability instead. At most one value is a different
    event: the empty sum covers [-eps, eps] around 0, so its row is simulated.
    """
    eps = as_positive_real(eps, "eps")
    if table is None:
        table = cover_time_table(eps, trials, seed, sizes)
    free_times, free_n = table["free"]
    free = tuple(critical_from_times(free_times, free_n, q) for q in (0.5, 0.9))
    rows = []
    for kind in ("exact", "at_most"):
        at_most = kind == "at_most"
        for k in sizes:
            times, n_max = table[(kind, k)]
            row = {"kind": kind, "k": k, "eps": eps, "trials": times.size}
            row["counting"] = fixed_size_counting_bound(k, eps, 2.0, at_most)
            row["free_q50"], row["free_q90"] = free
            if k == 1 and not at_most:  # exact formula, no sampling error
                row.update(n_max="", q50=single_value_critical_n(eps, 0.5))
                row["q90"] = single_value_critical_n(eps, 0.9)
            else:
                row.update(
                    n_max=n_max,
                    q50=critical_from_times(times, n_max, 0.5),
                    q90=critical_from_times(times, n_max, 0.9),
                )
            rows.append(row)
    return rows


def run(path=None, quick=False, progress=None) -> Path:
    """Write :func:`critical_n_rows` for every eps of :data:`EPS` to ``path`` (default
    ``rfss_critical_n.csv`` in :data:`DATA`), and the cover times behind them to
    ``rfss_cover_times.npz`` next to it (:func:`write_cover_times`, for the chapter's
    bootstrap); ``quick``: 60 trials, three eps."""
    path = Path(path) if path is not None else DATA / "rfss_critical_n.csv"
    progress = show_progress(progress)
    trials = 60 if quick else TRIALS
    rows, tables = [], {}
    for eps in EPS[:3] if quick else EPS:
        tables[eps] = cover_time_table(eps, trials)
        part = critical_n_rows(eps, trials, table=tables[eps])
        rows += part
        for r in part if progress else ():
            print(f"{r['kind']} k={r['k']} eps={eps:g}: counting {r['counting']}, "
                  f"q50 {r['q50']}, q90 {r['q90']} (free {r['free_q50']})",
                  file=sys.stderr, flush=True)  # fmt: skip
    write_csv(path, COLUMNS, rows)
    write_cover_times(path.with_name("rfss_cover_times.npz"), tables)
    return path


def write_cover_times(path, tables) -> Path:
    """Store the cover times of :func:`cover_time_table` for several eps in one ``.npz``:
    ``eps`` (e,), ``sizes`` (s,), ``exact`` and ``at_most`` (e, s, trials), ``free``
    (e, trials), and ``n_max_exact``, ``n_max_at_most`` (e, s), ``n_max_free`` (e,): a
    time ``n_max + 1`` is "not covered"."""
    eps = sorted(tables, reverse=True)
    sizes = sorted({key[1] for key in tables[eps[0]] if key != "free"})
    out = {"eps": np.array(eps), "sizes": np.array(sizes)}
    out["free"] = np.array([tables[e]["free"][0] for e in eps], dtype=np.int32)
    out["n_max_free"] = np.array([tables[e]["free"][1] for e in eps])
    for kind in ("exact", "at_most"):
        out[kind] = np.array(
            [[tables[e][(kind, k)][0] for k in sizes] for e in eps], dtype=np.int32
        )
        out[f"n_max_{kind}"] = np.array([[tables[e][(kind, k)][1] for k in sizes] for e in eps])
    path = Path(path)
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **out)
    return path
