"""rsslib.quantized against exhaustive enumeration and closed forms."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from rsslib import quantized
from rsslib.exhaustive import subset_sums


def test_grid_uniform_is_uniform_on_the_integers():
    M = 5
    x = quantized.grid_uniform(22_000, np.random.default_rng(0), M)
    assert np.all(x == np.round(x)) and x.min() == -M and x.max() == M
    counts = np.array([np.sum(x == v) for v in range(-M, M + 1)])
    assert stats.chisquare(counts).pvalue > 1e-3


def test_expected_solutions_equals_enumeration_over_every_sample():
    # E[N_z] averaged over all (2M+1)^n equally likely samples, each with its 2^n sums
    for n, M in ((3, 1), (4, 2), (3, 3)):
        counts = np.zeros(2 * M + 1)
        for xs in itertools.product(range(-M, M + 1), repeat=n):
            sums = subset_sums(np.array(xs, dtype=np.int64))
            counts += [np.count_nonzero(sums == z) for z in range(-M, M + 1)]
        exact = counts / (2 * M + 1) ** n
        assert np.allclose(quantized.expected_solutions(n, M), exact, rtol=1e-10, atol=1e-12)


def test_expected_solutions_sums_to_two_to_the_n_and_matches_the_normal_limit():
    n, M = 12, 50
    z = np.arange(-n * M, n * M + 1)
    e = quantized.expected_solutions(n, M, z)
    assert e.sum() == pytest.approx(2.0**n, rel=1e-10)  # every subset hits some z
    # for large n, 2^n / (M sqrt(pi n / 3)) at z = 0 (normal approximation, variance
    # n M (M + 1) / 6); the atom of B_i X_i at 0 makes it only approximate
    n, M = 40, 64
    e0 = quantized.expected_solutions(n, M, [0])[0]
    normal = 2.0**n / math.sqrt(2 * math.pi * n * M * (M + 1) / 6)
    assert e0 == pytest.approx(normal, rel=0.05)
    assert quantized.expected_solutions(0, 3).tolist() == [0, 0, 0, 1, 0, 0, 0]


def brute_exact_cover_time(x, targets):
    for k in range(len(x) + 1):
        sums = set(subset_sums(np.array(x[:k], dtype=np.int64)).tolist())
        if all(t in sums for t in targets):
            return k
    return len(x) + 1


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 12),
    M=st.integers(1, 40),
    one=st.booleans(),
)
def test_exact_cover_time_equals_brute_force(seed, n, M, one):
    rng = np.random.default_rng(seed)
    x = quantized.grid_uniform(n, rng, M)
    if one:
        z = int(rng.integers(-M, M, endpoint=True))
        expected = brute_exact_cover_time(x, [z])
        assert quantized.exact_cover_time(x, target=z) == expected
    else:
        expected = brute_exact_cover_time(x, range(-M, M + 1))
        assert quantized.exact_cover_time(x, half_width=M) == expected


def test_exact_cover_times_are_the_single_sample_times_of_the_seeded_stream():
    times = quantized.exact_cover_times(10, 6, 40, seed=5)
    rng = np.random.default_rng(5)
    samples = quantized.grid_uniform(400, rng, 6).reshape(40, 10)
    assert times.tolist() == [quantized.exact_cover_time(s, half_width=6) for s in samples]


def test_predictions_are_probabilities_and_increase_with_n():
    M = 16
    single = [quantized.predicted_single(n, M, 5) for n in range(2, 14)]
    every = [quantized.predicted_all(n, M) for n in range(2, 14)]
    cond = [quantized.conditional_prediction(n, M, 5, draws=500) for n in range(2, 14)]
    for curve in (single, every, cond):
        assert all(0.0 <= p <= 1.0 for p in curve)
        assert curve[0] < 0.5 < curve[-1]
    assert all(a <= b + 1e-12 for a, b in zip(single, single[1:], strict=False))
    assert all(a <= b + 1e-12 for a, b in zip(every, every[1:], strict=False))
    # all targets at once is harder than one
    assert all(e <= s + 1e-12 for e, s in zip(every, single, strict=True))


def test_conditional_prediction_matches_a_direct_monte_carlo():
    # the success probability of one target measured on 3000 samples vs the prediction
    M, n, z = 64, 8, 20
    times = quantized.exact_cover_times(n, M, 3000, seed=11, target=z)
    measured = np.mean(times <= n)
    predicted = quantized.conditional_prediction(n, M, z, draws=4000, seed=3)
    assert abs(measured - predicted) < 0.05  # binomial sd about 0.009


def test_gaussian_threshold_solves_its_equation():
    for M in (4, 256, 2**14):
        n = quantized.gaussian_threshold(M)
        assert 2.0**n / (M * math.sqrt(math.pi * n / 3)) == pytest.approx(1.0, rel=1e-9)


def test_bad_input_is_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="half_width must be >= 1"):
        quantized.grid_uniform(3, rng, 0)
    with pytest.raises(ValueError, match="half_width must be <="):
        quantized.expected_solutions(3, 2**30)
    with pytest.raises(ValueError, match="n must be <="):
        quantized.expected_solutions(10_000, 3)
    with pytest.raises(ValueError, match="sample must hold integers"):
        quantized.exact_cover_time([0.5, 1.0], target=1)
    with pytest.raises(ValueError, match="half_width is required"):
        quantized.exact_cover_time([1.0, 2.0])
    with pytest.raises(ValueError, match="target must be an integer"):
        quantized.exact_cover_time([1.0, 2.0], target=1.5)
    with pytest.raises(ValueError, match="targets must hold integers"):
        quantized.expected_solutions(3, 4, [0.5])
    with pytest.raises(ValueError, match="draws must be >= 1"):
        quantized.conditional_prediction(3, 4, draws=0)


def test_target_zero_is_always_represented_by_the_empty_subset():
    assert quantized.exact_cover_time([3.0, -2.0], target=0) == 0
    assert quantized.predicted_single(5, 8, 0) == 1.0
    assert quantized.conditional_prediction(5, 8, 0) == 1.0
