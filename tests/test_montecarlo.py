import math

import numpy as np
import pytest

import rsslib
from tests.reference import approximable_intervals, covers


def test_success_probability_matches_a_direct_loop_on_the_same_samples():
    n, eps, trials, seed = 8, 0.05, 300, 5
    est = rsslib.success_probability(n, eps, trials, seed=seed)
    rng = np.random.default_rng(seed)
    samples = rng.uniform(-1, 1, trials * n).reshape(trials, n)
    direct = sum(covers(approximable_intervals(s.tolist(), eps), -1, 1) for s in samples)
    assert est.successes == direct and est.trials == trials
    assert est.p == direct / trials
    assert est.low <= est.p <= est.high


def test_results_do_not_depend_on_the_number_of_threads():
    import numba

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = rsslib.cover_times(14, 0.01, 500, seed=3)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = rsslib.cover_times(14, 0.01, 500, seed=3)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, many)


def test_chunks_do_not_change_the_stream(monkeypatch):
    from rsslib import montecarlo

    whole = rsslib.cover_times(6, 0.1, 50, seed=9)
    monkeypatch.setattr(montecarlo, "CHUNK", 7)
    np.testing.assert_array_equal(rsslib.cover_times(6, 0.1, 50, seed=9), whole)


def test_cover_times_agree_with_single_sample_cover_time():
    times = rsslib.cover_times(10, 0.05, 200, dist="product", seed=1)
    rng = np.random.default_rng(1)
    samples = (rng.uniform(-1, 1, 2000) * rng.uniform(-1, 1, 2000)).reshape(200, 10)
    assert times.tolist() == [rsslib.cover_time(s, 0.05) for s in samples]


def brute_cover_time(x, eps):
    """First k such that the 2^k subset sums of x[:k], widened by eps, cover [-1, 1]."""
    sums = np.zeros(1)
    for k in range(len(x) + 1):
        if k:
            sums = np.concatenate([sums, sums + x[k - 1]])
        reach = -1.0  # [-1, reach] is covered by the sums seen so far, in increasing order
        for s in np.sort(sums):
            if s - eps > reach:
                break
            reach = max(reach, s + eps)
        if reach >= 1.0:
            return k
    return len(x) + 1


def test_critical_n_is_the_level_quantile_of_brute_force_cover_times():
    eps, level, trials = 0.1, 0.9, 60
    rows = np.random.default_rng(2).uniform(-1.0, 1.0, (trials, 64))

    def prefixes(total, rng):
        # trial r's sample is always a prefix of rows[r], whatever length is asked for
        return rows[:, : total // trials].reshape(-1).copy()

    times = np.array([brute_cover_time(r, eps) for r in rows])
    expected = int(np.sort(times)[math.ceil(level * trials) - 1])
    n_c = rsslib.critical_n(eps, level, trials, dist=prefixes)
    assert n_c == expected
    # the definition: the smallest n whose estimated success probability reaches the level
    assert rsslib.success_probability(n_c, eps, trials, dist=prefixes).p >= level
    assert rsslib.success_probability(n_c - 1, eps, trials, dist=prefixes).p < level


def test_success_grows_with_n_and_respects_packing():
    eps = 0.01
    ps = [rsslib.success_probability(n, eps, 2000, seed=4).p for n in (4, 8, 12, 16, 24)]
    assert ps == sorted(ps)
    # 2^n intervals of length 2 eps cannot cover a window of length 2 when 2^n * eps < 1
    assert rsslib.success_probability(6, eps, 500).p == 0.0
    assert ps[-1] > 0.9


def test_wilson_interval_against_closed_form_cases():
    low, high = rsslib.wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(3.8415 / (10 + 3.8415), rel=1e-4)
    low, high = rsslib.wilson_interval(50, 100)
    assert (low + high) / 2 == pytest.approx(0.5)
    with pytest.raises(ValueError, match="successes"):
        rsslib.wilson_interval(11, 10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": -1, "eps": 0.1, "trials": 10}, "n must be >= 0"),
        ({"n": 5, "eps": 0.0, "trials": 10}, "eps must be > 0"),
        ({"n": 5, "eps": 0.1, "trials": 0}, "trials must be >= 1"),
        ({"n": 5.5, "eps": 0.1, "trials": 10}, "n must be an integer"),
        ({"n": 5, "eps": 0.1, "trials": 10, "dist": "cauchy"}, "dist must be one of"),
        ({"n": 5, "eps": 0.1, "trials": 10, "window": (1, 0)}, "window"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        rsslib.success_probability(**kwargs)


def test_critical_n_bad_level():
    with pytest.raises(ValueError, match="level"):
        rsslib.critical_n(0.1, 1.5, 10)
    with pytest.raises(ValueError, match="level"):
        rsslib.critical_n(0.1, 0.0, 10)


def test_success_curve_reads_prefixes_of_shared_samples():
    ns, eps, trials, seed = [0, 3, 6, 9], 0.1, 150, 8
    curve = rsslib.success_curve(ns, eps, trials, seed=seed)
    rng = np.random.default_rng(seed)
    samples = rng.uniform(-1, 1, trials * max(ns)).reshape(trials, max(ns))
    for n, est in zip(ns, curve, strict=True):
        direct = sum(covers(approximable_intervals(s[:n].tolist(), eps), -1, 1) for s in samples)
        assert est.successes == direct
    assert [e.p for e in curve] == sorted(e.p for e in curve)
    with pytest.raises(ValueError, match="ns"):
        rsslib.success_curve([], eps, trials)
