import numpy as np
import pytest

from rsslib.bootstrap import bootstrap, counts_to_times, order_quantile
from rsslib.weights import critical_from_times


def test_order_quantile_is_the_critical_n_of_every_column():
    rng = np.random.default_rng(0)
    times = rng.integers(3, 40, (5, 101))
    for level in (0.5, 0.9, 1.0):
        got = order_quantile(times, level)
        ref = [critical_from_times(row, 100, level) for row in times]
        np.testing.assert_array_equal(got, ref)


def test_bootstrap_se_of_a_mean_matches_the_textbook_formula():
    x = np.random.default_rng(1).normal(size=400)
    est = bootstrap(np.mean, x, resamples=2000, seed=2)
    se = x.std(ddof=1) / np.sqrt(x.size)
    assert est.value == pytest.approx(x.mean())
    assert est.se == pytest.approx(se, rel=0.1)
    assert est.low < est.value < est.high
    assert est.replicates.shape == (2000,)


def test_bootstrap_keeps_paired_arrays_paired():
    x = np.random.default_rng(3).normal(size=200)
    # the same trials in both arrays: the difference is 0 in every replicate
    est = bootstrap(lambda a, b: np.mean(a - b), x, x.copy(), resamples=50)
    assert est.se == 0.0
    # arrays of several series, trials on the last axis: one value per series
    est2 = bootstrap(lambda a: a.mean(axis=-1), np.stack([x, 2 * x]), resamples=50)
    assert est2.value.shape == (2,)
    np.testing.assert_allclose(est2.se[1], 2 * est2.se[0])


def test_bootstrap_is_seeded_and_validates():
    x = np.arange(30.0)
    a = bootstrap(np.median, x, resamples=20, seed=5)
    b = bootstrap(np.median, x, resamples=20, seed=5)
    np.testing.assert_array_equal(a.replicates, b.replicates)
    with pytest.raises(ValueError, match="same positive number"):
        bootstrap(np.mean, x, x[:3])
    with pytest.raises(ValueError, match="resamples"):
        bootstrap(np.mean, x, resamples=1)
    with pytest.raises(ValueError, match="seed"):
        bootstrap(np.mean, x, seed=-1)


def test_counts_to_times_inverts_a_success_curve():
    times = np.array([2, 3, 3, 5, 9, 9, 9, 11])  # 11: not covered with ns up to 10
    ns = np.arange(0, 11)
    counts = [(times <= n).sum() for n in ns]
    np.testing.assert_array_equal(counts_to_times(ns, counts, times.size), np.sort(times))
    with pytest.raises(ValueError, match="non-decreasing"):
        counts_to_times([1, 2], [3, 2], 5)
