import numpy as np
import pytest

import rsslib
from rsslib.thresholds import CoverTimes, read_cover_times, write_cover_times


def test_round_trip_and_quantiles_match_cover_times(tmp_path):
    times = rsslib.cover_times(20, 0.05, 500, seed=3)
    values, counts = np.unique(times, return_counts=True)
    entry = CoverTimes(500, 20, {int(v): int(c) for v, c in zip(values, counts, strict=True)})
    path = tmp_path / "ct.csv"
    assert write_cover_times(path, {("uniform", 1.0, 0.05): entry}) == values.size
    back = read_cover_times(path)[("uniform", 1.0, 0.05)]
    assert back == entry
    for level in (0.1, 0.5, 0.9, 1.0):
        expected = int(np.sort(times)[int(np.ceil(level * 500)) - 1])
        if expected <= 20:
            assert back.critical_n(level) == expected
        else:  # censored samples: the quantile is beyond what was recorded
            with pytest.raises(ValueError, match="not reached"):
                back.critical_n(level)
    assert back.success_probability(12) == np.mean(times <= 12)
    assert all(back.successes(n) == np.count_nonzero(times <= n) for n in range(22))


def test_levels_beyond_the_record_are_refused():
    entry = CoverTimes(10, 5, {3: 8, 6: 2})  # two samples censored at n_max + 1
    assert entry.critical_n(0.8) == 3
    with pytest.raises(ValueError, match="not reached"):
        entry.critical_n(0.9)
    with pytest.raises(ValueError, match="level"):
        entry.critical_n(0.0)


def test_the_stored_table_is_consistent():
    from pathlib import Path

    table = read_cover_times(Path(__file__).parents[1] / "book/rss/data/cover_times.csv")
    for (_dist, window, eps), entry in table.items():
        assert sum(entry.counts.values()) == entry.trials
        # no distribution beats the packing bound
        assert min(entry.counts) >= rsslib.packing_lower_bound(eps, window=(-window, window))
