"""Stored cover-time distributions: reading, writing, and critical n at any level.

Long Monte Carlo sweeps (``python -m rsslib thresholds``) record, for each sampling
distribution, target window and eps, how many samples first cover the window at each n.
The success probability at n is the fraction of samples with cover time <= n, and the
critical n at level q is the q-quantile of the cover times.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

COLUMNS = ("dist", "window", "eps", "trials", "n_max", "cover_time", "count")


@dataclass
class CoverTimes:
    """Histogram of cover times for one (distribution, window, eps)."""

    trials: int
    n_max: int
    counts: dict[int, int] = field(default_factory=dict)

    def critical_n(self, level: float) -> int:
        """Smallest n with at least a fraction ``level`` of the samples covered.

        Raises ``ValueError`` if the recorded samples never reach ``level`` within ``n_max``.
        """
        if not 0.0 < level <= 1.0:
            raise ValueError(f"level must be in (0, 1], got {level}")
        times = sorted(self.counts)
        covered = np.cumsum([self.counts[t] for t in times])
        i = int(np.searchsorted(covered, level * self.trials - 1e-9))
        if i >= len(times) or times[i] > self.n_max:
            raise ValueError(f"level {level} not reached within n_max={self.n_max}")
        return times[i]

    def successes(self, n: int) -> int:
        """Number of the recorded samples covered with n values (cover time <= n)."""
        return sum(c for t, c in self.counts.items() if t <= n)

    def success_probability(self, n: int) -> float:
        """Fraction of the recorded samples covered with n values."""
        return self.successes(n) / self.trials


def read_cover_times(path) -> dict[tuple[str, float, float], CoverTimes]:
    """Read a table written by :func:`write_cover_times`, keyed by (dist, window, eps)."""
    table: dict[tuple[str, float, float], CoverTimes] = {}
    with Path(path).open(newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: expected columns {COLUMNS}, got {reader.fieldnames}")
        for row in reader:
            key = (row["dist"], float(row["window"]), float(row["eps"]))
            entry = table.setdefault(key, CoverTimes(int(row["trials"]), int(row["n_max"])))
            entry.counts[int(row["cover_time"])] = int(row["count"])
    return table


def write_cover_times(path, table: dict[tuple[str, float, float], CoverTimes]) -> int:
    """Write ``table`` as CSV with columns :data:`COLUMNS`; returns the number of rows."""
    rows = 0
    with Path(path).open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for (dist, window, eps), entry in table.items():
            for time, count in sorted(entry.counts.items()):
                writer.writerow((dist, window, eps, entry.trials, entry.n_max, time, count))
                rows += 1
    return rows
