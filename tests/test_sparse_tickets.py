"""The sparse-tickets chapter's sweeps: rsslib.fixed_size_sweep against direct computations,
and the arguments of rsslib.slth.experiments.sparse_tickets."""

import re

import numpy as np
import pytest

import rsslib
from rsslib import fixed_size_sweep as fs
from rsslib.slth.experiments import sparse_tickets


@pytest.mark.parametrize("eps", [0.5, 0.25, 0.125])
@pytest.mark.parametrize("level", [0.5, 0.9])
def test_single_value_critical_n_is_the_first_n_of_a_linear_scan(eps, level):
    n = 1
    while rsslib.single_value_cover_probability(n, eps) < level:
        n += 1
    assert fs.single_value_critical_n(eps, level) == n


def quantile_by_hand(times, n_max, level):
    """The smallest k with at least a fraction ``level`` of the times <= k (None past n_max)."""
    for k in range(n_max + 1):
        if np.count_nonzero(times <= k) >= level * times.size - 1e-9:
            return k
    return None


def test_critical_n_rows_are_the_quantiles_of_the_cover_times_of_the_stated_samples():
    eps, trials, seed = 0.25, 40, 3
    rows = fs.critical_n_rows(eps, trials, seed, sizes=(1, 2, 3))
    n_max = rows[1]["n_max"]
    # the samples the docstring promises: default_rng(seed), uniform, one row per trial
    samples = rsslib.draw(trials * n_max, "uniform", np.random.default_rng(seed))
    samples = samples.reshape(trials, n_max)
    free = np.array([rsslib.cover_time(x, eps) for x in samples])
    for row in rows:
        assert row["free_q50"] == quantile_by_hand(free, n_max, 0.5)
        assert row["free_q90"] == quantile_by_hand(free, n_max, 0.9)
        if row["k"] == 1 and row["kind"] == "exact":
            assert row["q50"] == fs.single_value_critical_n(eps, 0.5)
            continue
        if row["k"] == 1:  # at most one value: simulated on longer samples of its own
            n1 = row["n_max"]
            longer = rsslib.draw(trials * n1, "uniform", np.random.default_rng(seed))
            longer = longer.reshape(trials, n1)
            times = np.array(
                [rsslib.fixed_size_cover_time(x, eps, 1, at_most=True) for x in longer]
            )
            exact1 = np.array([rsslib.fixed_size_cover_time(x, eps, 1) for x in longer])
            assert row["q50"] == quantile_by_hand(times, n1, 0.5)
            # the empty sum covers [-eps, eps]: never later than exactly one, sometimes earlier
            assert (times <= exact1).all() and (times < exact1).any()
            continue
        at_most = row["kind"] == "at_most"
        times = np.array(
            [rsslib.fixed_size_cover_time(x, eps, row["k"], at_most=at_most) for x in samples]
        )
        assert row["q50"] == quantile_by_hand(times, n_max, 0.5)
        assert row["q90"] == quantile_by_hand(times, n_max, 0.9)
        # no sample of fewer values than the counting bound can cover the window
        assert row["counting"] <= row["q50"] <= row["q90"]
        # subsets of at most k values include those of exactly k, and free ones include both
        if at_most:
            exact = next(r for r in rows if r["kind"] == "exact" and r["k"] == row["k"])
            assert row["free_q50"] <= row["q50"] <= exact["q50"]


def test_cover_times_are_stored_and_read_back(tmp_path):
    table = fs.cover_time_table(0.25, 30, 1, sizes=(1, 2))
    path = fs.write_cover_times(tmp_path / "t.npz", {0.25: table})
    stored = np.load(path)
    assert stored["sizes"].tolist() == [1, 2] and stored["eps"].tolist() == [0.25]
    np.testing.assert_array_equal(stored["exact"][0, 1], table[("exact", 2)][0])
    np.testing.assert_array_equal(stored["free"][0], table["free"][0])
    assert stored["n_max_at_most"][0, 0] == table[("at_most", 1)][1]


def test_invalid_arguments_name_them():
    cases = [
        (lambda: fs.single_value_critical_n(0.1, 1.5), "level must be in (0, 1], got 1.5"),
        (lambda: fs.critical_n_rows(0.1, 0), "trials must be >= 1, got 0"),
        (lambda: fs.critical_n_rows(0.1, 5, sizes=(0,)), "sizes[i] must be >= 1, got 0"),
        (
            lambda: sparse_tickets.network_row("mnist", 20, None, 0),
            "net must be one of ('digits', 'lenet5-conv'), got 'mnist'",
        ),
        (lambda: sparse_tickets.network_row("digits", 20, 0, 0), "cap must be >= 1, got 0"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            call()
