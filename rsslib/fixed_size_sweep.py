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
``book/beyond/data/rfss_critical_n.csv`` (:func:`run`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from rsslib._validate import as_count, as_positive_real, as_seed
from rsslib.fixed_size import (
    fixed_size_counting_bound,
    fixed_size_cover_times,
    single_value_cover_probability,
)
from rsslib.montecarlo import MAX_N, cover_times
from rsslib.sweeps import show_progress, write_csv
from rsslib.weights import critical_from_times

#: Where the chapter's CSV files live.
DATA = Path(__file__).resolve().parents[1] / "book" / "beyond" / "data"
TRIALS = 400
SEED = 2024
SIZES = (1, 2, 3, 4, 5, 6, 8, 10, 12)
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


def critical_n_rows(eps, trials=TRIALS, seed=SEED, sizes=SIZES) -> list[dict]:
    """The rows of one eps: every (kind, k), kind ``"exact"`` or ``"at_most"``, k in
    ``sizes``, with ``counting`` (:func:`rsslib.fixed_size_counting_bound`), ``q50`` and
    ``q90`` (critical n at levels 0.5 and 0.9; None if not reached within ``n_max``) and
    ``free_q50``, ``free_q90`` (no size restriction), all from the samples of
    ``np.random.default_rng(seed)``. The sample length ``n_max`` starts at
    ``max(32, 3 * counting bound of k = 2)`` and doubles until every row has its 0.9
    quantile (or reaches :data:`rsslib.montecarlo.MAX_N`).
    """
    eps = as_positive_real(eps, "eps")
    trials = as_count(trials, "trials", minimum=1)
    seed = as_seed(seed)  # an int restarts the same samples at every n_max
    sizes = [as_count(k, "sizes[i]", minimum=1) for k in sizes]
    n_max = max(32, 3 * fixed_size_counting_bound(2, eps))
    while True:
        free_times = cover_times(n_max, eps, trials, "uniform", seed)
        free = tuple(critical_from_times(free_times, n_max, q) for q in (0.5, 0.9))
        rows = []
        for kind in ("exact", "at_most"):
            at_most = kind == "at_most"
            for k in sizes:
                row = {"kind": kind, "k": k, "eps": eps, "trials": trials}
                row["counting"] = fixed_size_counting_bound(k, eps, 2.0, at_most)
                row["free_q50"], row["free_q90"] = free
                if k == 1:  # exact; at most one value is the same event, since the empty
                    # sum covers only [-eps, eps]
                    row.update(n_max="", q50=single_value_critical_n(eps, 0.5))
                    row["q90"] = single_value_critical_n(eps, 0.9)
                else:
                    times = fixed_size_cover_times(n_max, k, eps, trials, seed, at_most=at_most)
                    row.update(
                        n_max=n_max,
                        q50=critical_from_times(times, n_max, 0.5),
                        q90=critical_from_times(times, n_max, 0.9),
                    )
                rows.append(row)
        if all(r["q90"] is not None for r in rows) or n_max >= MAX_N:
            return rows
        n_max *= 2


def run(path=None, quick=False, progress=None) -> Path:
    """Write :func:`critical_n_rows` for every eps of :data:`EPS` to ``path`` (default
    ``rfss_critical_n.csv`` in :data:`DATA`); ``quick``: 60 trials, three eps."""
    path = Path(path) if path is not None else DATA / "rfss_critical_n.csv"
    progress = show_progress(progress)
    trials = 60 if quick else TRIALS
    rows = []
    for eps in EPS[:3] if quick else EPS:
        part = critical_n_rows(eps, trials)
        rows += part
        for r in part if progress else ():
            print(f"{r['kind']} k={r['k']} eps={eps:g}: counting {r['counting']}, "
                  f"q50 {r['q50']}, q90 {r['q90']} (free {r['free_q50']})",
                  file=sys.stderr, flush=True)  # fmt: skip
    write_csv(path, COLUMNS, rows)
    return path
