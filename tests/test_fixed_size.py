"""rsslib.fixed_size (Random Fixed-Size Subset Sum) against enumeration and a closed form."""

import math
from itertools import combinations

import numpy as np
import pytest

import rsslib
from rsslib.fixed_size import (
    all_fixed_size_approximable,
    fixed_size_approximable_set,
    fixed_size_counting_bound,
    fixed_size_cover_time,
    fixed_size_cover_times,
    fixed_size_critical_n,
    fixed_size_success_curve,
    single_value_cover_probability,
)


def brute_set(x, eps, k, window, at_most):
    """Union of [s - eps, s + eps] over the sums of k (or <= k) values, inside the window."""
    sizes = range(k + 1) if at_most else [k]
    sums = sorted(sum(c) for j in sizes if j <= len(x) for c in combinations(x, j))
    merged = []
    for s in sums:
        lo, hi = max(s - eps, window[0]), min(s + eps, window[1])
        if lo > hi:
            continue
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return merged


def brute_cover_time(x, eps, k, window, at_most):
    for n in range(len(x) + 1):
        got = brute_set(list(x[:n]), eps, k, window, at_most)
        if any(lo <= window[0] and hi >= window[1] for lo, hi in got):
            return n
    return len(x) + 1


@pytest.mark.parametrize("at_most", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_set_equals_enumeration(seed, at_most):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 10))
    x = list(rng.uniform(-1, 1, n))
    eps = float(rng.choice([0.01, 0.05, 0.2]))
    for k in range(0, n + 2):
        for window in [(-1.0, 1.0), (-3.0, 0.5)]:
            lo, hi = fixed_size_approximable_set(x, eps, k, window, at_most)
            ref = np.array(brute_set(x, eps, k, window, at_most)).reshape(-1, 2)
            assert lo.shape == (len(ref),), (k, window)
            np.testing.assert_allclose(lo, ref[:, 0], atol=1e-12)
            np.testing.assert_allclose(hi, ref[:, 1], atol=1e-12)


def test_at_most_n_is_the_unrestricted_set():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, 12)
    lo, hi = fixed_size_approximable_set(x, 0.01, 12, at_most=True)
    ref_lo, ref_hi = rsslib.approximable_set(x, 0.01, window=(-1.0, 1.0))
    np.testing.assert_allclose(lo, ref_lo, atol=1e-12)
    np.testing.assert_allclose(hi, ref_hi, atol=1e-12)


@pytest.mark.parametrize("at_most", [False, True])
def test_cover_time_equals_enumeration(at_most):
    rng = np.random.default_rng(11)
    for _ in range(15):
        x = rng.uniform(-1, 1, 11)
        for k in (1, 2, 3):
            eps = 0.25 if k == 1 else 0.12
            want = brute_cover_time(x, eps, k, (-1.0, 1.0), at_most)
            assert fixed_size_cover_time(x, eps, k, at_most=at_most) == want
            assert all_fixed_size_approximable(x, eps, k, at_most=at_most) == (want <= 11)


def test_cover_times_batch_equals_one_by_one():
    times = fixed_size_cover_times(30, 2, 0.05, 40, seed=5)
    samples = rsslib.draw(40 * 30, "uniform", np.random.default_rng(5)).reshape(40, 30)
    assert [fixed_size_cover_time(s, 0.05, 2) for s in samples] == times.tolist()


def reference_single_cover(n, eps, trials, seed):
    """Direct simulation of k = 1: sorted points, spacings against eps and 2 eps."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1, 1, (trials, n)), axis=1)
    ok = (x[:, 0] <= -1 + eps) & (x[:, -1] >= 1 - eps)
    return ok & (np.diff(x, axis=1) <= 2 * eps).all(axis=1)


@pytest.mark.parametrize(("n", "eps"), [(25, 0.2), (50, 0.1), (100, 0.05)])
def test_single_value_closed_form(n, eps):
    p = single_value_cover_probability(n, eps)
    sim = reference_single_cover(n, eps, 40_000, seed=n).mean()
    lib = (fixed_size_cover_times(n, 1, eps, 4000, seed=1) <= n).mean()
    assert 0.02 < p < 0.98  # the cases are not degenerate
    assert abs(sim - p) < 4 * math.sqrt(p * (1 - p) / 40_000)
    assert abs(lib - p) < 4 * math.sqrt(p * (1 - p) / 4000)


def test_single_value_small_cases():
    # one point: the window of length 2 needs eps >= 1
    assert single_value_cover_probability(1, 0.999) == 0.0
    assert single_value_cover_probability(5, 1.0) == 1.0
    # two points need first + middle/... : total length 2 <= eps + 2 eps + eps
    assert single_value_cover_probability(2, 0.49) == 0.0
    assert single_value_cover_probability(0, 0.5) == 0.0


def test_counting_bound_is_never_beaten():
    for k, eps in [(1, 0.05), (2, 0.02), (3, 0.01)]:
        bound = fixed_size_counting_bound(k, eps)
        assert math.comb(bound, k) * 2 * eps >= 2 > math.comb(bound - 1, k) * 2 * eps
        times = fixed_size_cover_times(3 * bound, k, eps, 200, seed=k)
        assert times.min() >= bound


def test_counting_bound_at_most():
    b = fixed_size_counting_bound(2, 0.01, at_most=True)
    count = sum(math.comb(b, j) for j in range(3))
    assert count * 0.02 >= 2 > sum(math.comb(b - 1, j) for j in range(3)) * 0.02
    assert b <= fixed_size_counting_bound(2, 0.01)


def test_success_curve_and_critical_n_are_quantiles():
    times = fixed_size_cover_times(40, 2, 0.05, 100, seed=2)
    curve = fixed_size_success_curve([10, 20, 40], 2, 0.05, 100, seed=2)
    assert [e.successes for e in curve] == [int((times <= n).sum()) for n in (10, 20, 40)]
    crit = fixed_size_critical_n(2, 0.05, 0.5, 100, seed=2)
    n_max = max(16, 2 * fixed_size_counting_bound(2, 0.05))  # the trial lengths it tries
    while np.sort(times := fixed_size_cover_times(n_max, 2, 0.05, 100, seed=2))[49] > n_max:
        n_max *= 2
    assert (times <= crit).mean() >= 0.5 > (times <= crit - 1).mean()


def test_more_values_never_hurt_and_at_most_dominates():
    rng = np.random.default_rng(8)
    for _ in range(10):
        x = rng.uniform(-1, 1, 40)
        exact = fixed_size_cover_time(x, 0.03, 3)
        at_most = fixed_size_cover_time(x, 0.03, 3, at_most=True)
        assert at_most <= exact


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: fixed_size_approximable_set([0.1, np.nan], 0.1, 1), "sample"),
        (lambda: fixed_size_approximable_set([0.1], 0.0, 1), "eps"),
        (lambda: fixed_size_approximable_set([0.1], 0.1, -1), "k"),
        (lambda: fixed_size_approximable_set([0.1], 0.1, 1, (1.0, -1.0)), "window"),
        (lambda: fixed_size_cover_times(5, 1, 0.1, 0), "trials"),
        (lambda: fixed_size_critical_n(1, 0.1, 1.5, 10), "level"),
        (lambda: fixed_size_counting_bound(0, 0.1), "k = 0"),
        (lambda: single_value_cover_probability(-1, 0.1), "n"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
