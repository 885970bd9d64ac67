"""The multidimensional chapter's sweep (``scripts/multidim_sweep.py``).

Writes five CSV files for ``book/beyond/multidimensional``:

- ``multidim_one_target.csv``: for d = 1, 2, 3, ``TRIALS`` seeded instances (a sample of
  n_max vectors uniform on [-1, 1]^d and a target uniform on [-1, 1]^d) and the exact
  minimum max-norm error of every prefix (:func:`rsslib.multidim.vector_error_curves`);
  the success count at (n, eps) is the number of instances whose error with n vectors is
  <= eps, so every eps is read off the same instances. Each row carries three predictions
  (:mod:`rsslib.vector_predictions`): the volume bound ``min(1, 2^n eps^d)``, the first
  moment with the Poisson heuristic, and the same given the sample.
- ``multidim_all_targets.csv``: for d = 1, 2 and eps down to 0.03 (d = 2) the grid
  bracket of :func:`rsslib.multidim.cube_cover_times` (cell centres of spacing eps/4);
  for d = 1 also the exact cover time of the interval recurrence (:func:`rsslib.cover_time`)
  on the same samples.
- ``multidim_error_quantiles.csv``: quantiles over the one-target instances of the
  minimum error with n vectors.
- ``multidim_one_target_times.csv``: per one-target instance and eps, the first n whose
  error is <= eps (``n_max + 1`` if none), for the chapter's bootstrap of the critical n
  (:mod:`rsslib.bootstrap`: instances are resampled jointly across eps).
- ``multidim_critical_n.csv``: for every (d, eps) and level 0.5 and 0.9, the smallest n
  whose measured success frequency reaches the level, next to the counting bound
  ``d log2(1/eps)`` and the predictions.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rsslib._validate import as_count
from rsslib.approximable import cover_time
from rsslib.multidim import cube_cover_times, vector_error_curves
from rsslib.sweeps import limit_numba_threads, open_executor, run_tasks, write_csv
from rsslib.vector_predictions import (
    conditional_prediction,
    counting_bound,
    gaussian_threshold,
    predicted_success_curve,
)

#: Where the chapter's CSV files live.
DATA = Path(__file__).resolve().parents[1] / "book" / "beyond" / "data"
DIMENSIONS = (1, 2, 3)
EPSILONS = (0.1, 0.07, 0.05, 0.03, 0.02, 0.01)
LEVELS = (0.5, 0.9)
TRIALS = 1000
#: Every-target sweep: which (d, eps), trials, and grid spacing as a fraction of eps.
ALL_EPSILONS = {1: EPSILONS, 2: (0.1, 0.07, 0.05, 0.03)}
ALL_TRIALS = 400
SPACING = 0.25
CONDITIONAL_DRAWS = 4000

ONE_COLUMNS = (
    "d", "eps", "n", "trials", "successes", "volume_bound", "first_moment", "conditional",
)  # fmt: skip
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
QUANTILE_COLUMNS = ("d", "n", "trials", "q10", "q25", "q50", "q75", "q90")
ALL_COLUMNS = ("d", "eps", "method", "spacing", "n", "trials", "sufficient", "necessary")
CRITICAL_COLUMNS = (
    "d", "eps", "level", "counting_bound", "gaussian_threshold", "first_moment_n",
    "conditional_n", "one_target_n", "all_targets_low", "all_targets_high",
)  # fmt: skip


def one_seed(d: int) -> int:
    return 100 + d


def all_seed(d: int, eps: float) -> int:
    return 200 + 10 * d + EPSILONS.index(eps)


def one_n_max(d: int) -> int:
    """Enough vectors for the 0.9 level at the smallest eps (first moment, margin 4)."""
    return math.ceil(gaussian_threshold(d, min(EPSILONS), 0.99)) + 4


def all_n_max(d: int, eps: float) -> int:
    return min(26, math.ceil(d * math.log2(1 / eps)) + 6 + 4 * d)


def first_reaching(counts, trials: int, level: float, ns) -> int | str:
    """Smallest n whose success frequency is >= level ('' if none in the table)."""
    for n, c in zip(ns, counts, strict=True):
        if c >= level * trials - 1e-9:
            return int(n)
    return ""


def one_target_job(d: int, trials: int, epsilons, threads) -> tuple[list, list]:
    limit_numba_threads(threads)
    n_max = one_n_max(d)
    curves = vector_error_curves(n_max, d, trials, seed=one_seed(d))
    rows = []
    for eps in epsilons:
        first = predicted_success_curve(n_max, d, eps)
        for n in range(n_max + 1):
            cond = conditional_prediction(n, d, eps, CONDITIONAL_DRAWS, seed=n) if n >= d else 0.0
            rows.append(
                {
                    "d": d,
                    "eps": eps,
                    "n": n,
                    "trials": trials,
                    "successes": int(np.count_nonzero(curves[:, n] <= eps)),
                    "volume_bound": round(min(1.0, 2.0**n * eps**d), 6),
                    "first_moment": round(float(first[n]), 6),
                    "conditional": round(cond, 6),
                }
            )
    quantiles = []
    for n in range(n_max + 1):
        q = np.quantile(curves[:, n], QUANTILES)
        row = {"d": d, "n": n, "trials": trials}
        for key, value in zip(QUANTILE_COLUMNS[3:], q, strict=True):
            row[key] = float(f"{value:.6g}")
        quantiles.append(row)
    times = []  # per instance: the first n whose error is <= eps (n_max + 1: none)
    for i, row in enumerate(curves):
        first = {"d": d, "instance": i}
        for eps in epsilons:
            hit = np.flatnonzero(row <= eps)
            first[f"t_{eps:g}"] = int(hit[0]) if hit.size else n_max + 1
        times.append(first)
    return rows, quantiles, times


def all_targets_job(d: int, eps: float, trials: int, threads) -> tuple[list, list]:
    limit_numba_threads(threads)
    n_max = all_n_max(d, eps)
    spacing = SPACING * eps
    t_s, t_n = cube_cover_times(n_max, d, eps, spacing, trials, seed=all_seed(d, eps))
    h = 2.0 / math.ceil(2.0 / spacing)  # the spacing the grid actually uses
    rows = []
    for n in range(n_max + 1):
        rows.append(
            {
                "d": d,
                "eps": eps,
                "method": "grid",
                "spacing": round(h, 8),
                "n": n,
                "trials": trials,
                "sufficient": int(np.count_nonzero(t_s <= n)),
                "necessary": int(np.count_nonzero(t_n <= n)),
            }
        )
    if d == 1:  # the exact event, on the same samples (the layout of rsslib.multidim)
        rng = np.random.default_rng(all_seed(d, eps))
        rng.uniform(-1.0, 1.0, (trials, d))  # the targets, unused
        samples = rng.uniform(-1.0, 1.0, (trials, n_max, d))
        exact = np.array([cover_time(samples[r, :, 0], eps) for r in range(trials)])
        for n in range(n_max + 1):
            ok = int(np.count_nonzero(exact <= n))
            rows.append(
                {
                    "d": d,
                    "eps": eps,
                    "method": "interval",
                    "spacing": "",
                    "n": n,
                    "trials": trials,
                    "sufficient": ok,
                    "necessary": ok,
                }
            )
    return rows, [], []


def critical_rows(one_rows, all_rows, epsilons) -> list[dict]:
    rows = []
    for d in sorted({r["d"] for r in one_rows}):
        for eps in epsilons:
            part = [r for r in one_rows if r["d"] == d and r["eps"] == eps]
            grid = [
                r for r in all_rows if r["d"] == d and r["eps"] == eps and r["method"] == "grid"
            ]
            ns = [r["n"] for r in part]
            trials = part[0]["trials"]
            for level in LEVELS:
                cond_n = first_reaching(
                    [r["conditional"] * trials for r in part], trials, level, ns
                )
                row = {
                    "d": d,
                    "eps": eps,
                    "level": level,
                    "counting_bound": round(counting_bound(d, eps), 4),
                    "gaussian_threshold": round(gaussian_threshold(d, eps, level), 4),
                    "first_moment_n": first_reaching(
                        [r["first_moment"] * trials for r in part], trials, level, ns
                    ),
                    "conditional_n": cond_n,
                    "one_target_n": first_reaching(
                        [r["successes"] for r in part], trials, level, ns
                    ),
                    "all_targets_low": "",
                    "all_targets_high": "",
                }
                if grid:
                    gn = [r["n"] for r in grid]
                    gt = grid[0]["trials"]
                    row["all_targets_low"] = first_reaching(
                        [r["necessary"] for r in grid], gt, level, gn
                    )
                    row["all_targets_high"] = first_reaching(
                        [r["sufficient"] for r in grid], gt, level, gn
                    )
                rows.append(row)
    return rows


def _call(fn, arguments):
    """Run one job (module level, so process pools can pickle it)."""
    return fn(*arguments)


def run(out_dir=None, quick=False, trials=None, threads=1, workers=None, progress=None):
    """Run the sweep and write the five CSV files into ``out_dir``; returns ``out_dir``.

    ``quick``: 100 one-target trials (or ``trials``), 40 every-target trials, three eps,
    written to a new temporary folder unless ``out_dir`` is given. ``threads``: numba
    threads per job; ``workers``: local processes (None: run in this process).
    """
    threads = as_count(threads, "threads", minimum=1)
    if trials is not None:
        trials = as_count(trials, "trials", minimum=1)
    if quick:
        trials, all_trials, epsilons = trials or 100, 40, (0.1, 0.05, 0.02)
        out_dir = Path(out_dir or tempfile.mkdtemp(prefix="multidim_quick_"))
    else:
        trials, all_trials, epsilons = trials or TRIALS, ALL_TRIALS, EPSILONS
        out_dir = Path(out_dir or DATA)
    out_dir.mkdir(parents=True, exist_ok=True)
    tasks = [(one_target_job, (d, trials, epsilons, threads)) for d in DIMENSIONS]
    for d, eps_list in ALL_EPSILONS.items():
        tasks += [
            (all_targets_job, (d, eps, all_trials, threads)) for eps in eps_list if eps in epsilons
        ]
    start = time.perf_counter()
    with open_executor(workers, None) as (executor, _, where):
        print(f"{len(tasks)} jobs, {where}", file=sys.stderr)
        results = run_tasks(_call, tasks, executor, progress=progress, desc="multidim sweep")
    one_rows, all_rows, quantile_rows, time_rows = [], [], [], []
    for (fn, _), (rows, extra, times) in zip(tasks, results, strict=True):
        (one_rows if fn is one_target_job else all_rows).extend(rows)
        quantile_rows.extend(extra)
        time_rows.extend(times)
    write_csv(out_dir / "multidim_one_target.csv", ONE_COLUMNS, one_rows)
    write_csv(out_dir / "multidim_all_targets.csv", ALL_COLUMNS, all_rows)
    write_csv(out_dir / "multidim_error_quantiles.csv", QUANTILE_COLUMNS, quantile_rows)
    critical = critical_rows(one_rows, all_rows, epsilons)
    write_csv(out_dir / "multidim_critical_n.csv", CRITICAL_COLUMNS, critical)
    time_columns = ("d", "instance", *(f"t_{eps:g}" for eps in epsilons))
    write_csv(out_dir / "multidim_one_target_times.csv", time_columns, time_rows)
    print(f"wrote 5 files to {out_dir} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return out_dir
