"""rsslib.weights: samplers against closed forms, relative cover times against brute force."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

import rsslib
from rsslib import weights
from rsslib.exhaustive import subset_sums


# ---------------------------------------------------------------------------------------
# samplers
# ---------------------------------------------------------------------------------------
def test_uniform_and_product_are_the_streams_of_draw():
    for name in ("uniform", "product"):
        a = weights.sampler(name)(1000, np.random.default_rng(5))
        b = rsslib.draw(1000, name, np.random.default_rng(5))
        assert np.array_equal(a, b)


def test_gaussian_has_variance_one_third_by_default():
    x = weights.gaussian(50_000, np.random.default_rng(0))
    assert stats.kstest(x, stats.norm(0, 1 / math.sqrt(3)).cdf).pvalue > 1e-3
    y = weights.sampler("gaussian", scale=2.0)(50_000, np.random.default_rng(1))
    assert stats.kstest(y, stats.norm(0, 2.0).cdf).pvalue > 1e-3


def test_hyperbolic_matches_its_closed_form_cdf():
    low, high = 1e-3, 0.5
    x = weights.hyperbolic(50_000, np.random.default_rng(2), low, high)
    assert np.all((np.abs(x) >= low) & (np.abs(x) <= high))
    assert stats.kstest(x, lambda v: weights.hyperbolic_cdf(v, low, high)).pvalue > 1e-3
    # log-uniform magnitude: each of the ln(high/low) / ln 2 octaves has the same mass
    edges = low * 2.0 ** np.arange(0, int(math.log2(high / low)) + 1)
    counts, _ = np.histogram(np.abs(x), bins=edges)
    p = math.log(2) / math.log(high / low)
    sd = math.sqrt(x.size * p * (1 - p))
    assert np.all(np.abs(counts - x.size * p) <= 5 * sd)
    # half the values are negative (binomial, 5 sd)
    assert abs(np.mean(x < 0) - 0.5) <= 5 * 0.5 / math.sqrt(x.size)


def test_hyperbolic_density_integrates_to_one_and_is_the_cdf_derivative():
    low, high = 1e-2, 1.0
    f = lambda t: weights.hyperbolic_density(t, low, high)[0]  # noqa: E731
    total = 2 * integrate.quad(f, low, high, points=[0.1])[0]
    assert total == pytest.approx(1.0, abs=1e-8)
    t = np.array([-0.5, -0.05, 0.02, 0.3])
    h = 1e-7
    numeric = (
        weights.hyperbolic_cdf(t + h, low, high) - weights.hyperbolic_cdf(t - h, low, high)
    ) / (2 * h)
    assert np.allclose(numeric, weights.hyperbolic_density(t, low, high), rtol=1e-5)
    assert weights.hyperbolic_density([0.0, 0.005, 1.5], low, high).tolist() == [0, 0, 0]
    assert weights.hyperbolic_cdf([-2.0, 0.0, 2.0], low, high).tolist() == [0.0, 0.5, 1.0]


def test_samplers_refuse_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="low must be < high"):
        weights.hyperbolic(3, rng, 0.5, 0.1)
    with pytest.raises(ValueError, match="low must be > 0"):
        weights.hyperbolic(3, rng, 0.0)
    with pytest.raises(ValueError, match="scale must be > 0"):
        weights.gaussian(3, rng, scale=-1)
    with pytest.raises(ValueError, match="n must be >= 0"):
        weights.uniform(-1, rng)
    with pytest.raises(ValueError, match="rng must be"):
        weights.product(2, 7)
    with pytest.raises(ValueError, match="name must be one of"):
        weights.sampler("cauchy")
    with pytest.raises(ValueError, match="params"):
        weights.sampler("uniform", low=0.1)
    with pytest.raises(ValueError, match="params"):
        weights.sampler("hyperbolic")  # low is required


# ---------------------------------------------------------------------------------------
# relative approximation
# ---------------------------------------------------------------------------------------
def brute_relative_cover_time(x, eps, low, high):
    """First prefix whose subset sums s serve [low, high] and [-high, -low] with the
    intervals [s / (1 + eps), s / (1 - eps)], enumerating all 2^k sums."""
    for k in range(len(x) + 1):
        sums = subset_sums(x[:k])
        ok = True
        for sign in (1, -1):
            cur = low
            for s in np.sort(sign * sums[sign * sums > 0]):
                if s / (1 - eps) < cur:
                    continue
                if s / (1 + eps) > cur:
                    break
                cur = s / (1 - eps)
                if cur >= high:
                    break
            ok = ok and cur >= high
        if ok:
            return k
    return len(x) + 1


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 12),
    eps=st.floats(0.02, 0.6),
    low=st.floats(0.01, 0.5),
    ratio=st.floats(1.2, 20.0),
    law=st.sampled_from(["uniform", "product", "gaussian", "hyperbolic"]),
)
def test_relative_cover_time_equals_brute_force(seed, n, eps, low, ratio, law):
    rng = np.random.default_rng(seed)
    dist = weights.sampler(law, low=0.01) if law == "hyperbolic" else weights.sampler(law)
    x = dist(n, rng)
    high = low * ratio
    expected = brute_relative_cover_time(x, eps, low, high)
    assert weights.relative_cover_time(x, eps, low, high) == expected
    assert weights.all_relatively_approximable(x, eps, low, high) == (expected <= n)


def test_relative_cover_time_on_powers_of_two():
    # the sums of 1/2, 1/4, ..., 2^-m are the multiples of 2^-m up to 1 - 2^-m: they serve
    # every |z| in [1/8, 1] within 1/8 of |z| once 2^-m <= 2 * (1/8) * (1/8) / (1 - 1/8),
    # and with the negated values (sums of either sign) the two halves are symmetric
    x = np.array([0.5, 0.25, 0.125, 0.0625, 0.03125, -0.5, -0.25, -0.125, -0.0625, -0.03125])
    x = np.concatenate([[1.0, -1.0], x])
    assert weights.relative_cover_time(x, 0.125, 0.125) == brute_relative_cover_time(
        x, 0.125, 0.125, 1.0
    )


def test_relative_cover_times_are_seeded_and_match_single_samples():
    dist = weights.sampler("hyperbolic", low=1e-3)
    times = weights.relative_cover_times(20, 0.1, 0.05, 50, dist, seed=3)
    again = weights.relative_cover_times(20, 0.1, 0.05, 50, dist, seed=3)
    assert np.array_equal(times, again)
    samples = rsslib.draw(50 * 20, dist, np.random.default_rng(3)).reshape(50, 20)
    assert times.tolist() == [weights.relative_cover_time(s, 0.1, 0.05) for s in samples]


def test_relative_input_is_validated():
    x = np.array([0.5, -0.3])
    with pytest.raises(ValueError, match="eps must be < 1"):
        weights.relative_cover_time(x, 1.0, 0.1)
    with pytest.raises(ValueError, match="eps must be > 0"):
        weights.relative_cover_time(x, 0.0, 0.1)
    with pytest.raises(ValueError, match="low must be < high"):
        weights.relative_cover_time(x, 0.1, 2.0)
    with pytest.raises(ValueError, match="finite"):
        weights.relative_cover_time([np.nan], 0.1, 0.1)
    with pytest.raises(ValueError, match="trials must be >= 1"):
        weights.relative_cover_times(4, 0.1, 0.1, 0)
    with pytest.raises(ValueError, match="could need up to"):
        weights.relative_cover_time(np.full(60, 0.9), 1e-9, 1e-9)


def test_critical_from_times_is_the_quantile():
    times = np.array([3, 1, 2, 5, 4, 9, 9, 9, 9, 9])  # n = 8: the 9s are not covered
    assert weights.critical_from_times(times, 8, 0.5) == 5
    assert weights.critical_from_times(times, 8, 0.1) == 1
    assert weights.critical_from_times(times, 8, 0.6) is None
    with pytest.raises(ValueError, match="level must be in"):
        weights.critical_from_times(times, 8, 1.5)


def test_greedy_residuals_match_a_loop():
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, (30, 7))
    z = rng.uniform(-1, 1, 30)
    res = weights.greedy_residuals(x, z)
    for row, target, got in zip(x, z, res, strict=True):
        r = target
        for v in sorted(row, key=lambda t: -abs(t)):
            if abs(r - v) < abs(r):
                r -= v
        assert got == pytest.approx(r, abs=1e-15)
    with pytest.raises(ValueError, match="one entry per row"):
        weights.greedy_residuals(x, z[:3])


# ---------------------------------------------------------------------------------------
# random_network's dist argument (rsslib.slth.construct)
# ---------------------------------------------------------------------------------------
def test_random_network_dist_none_is_the_uniform_draw_and_a_law_is_used():
    from rsslib.slth.construct import random_network
    from rsslib.slth.layered import Network

    target = Network([("dense", torch.ones(3, 4, dtype=torch.float64))])
    default = random_network(target, [2], seed=7)
    gen = torch.Generator().manual_seed(7)
    U = 2 * torch.rand((6, 4), generator=gen, dtype=torch.float64) - 1
    V = 2 * torch.rand((3, 6), generator=gen, dtype=torch.float64) - 1
    assert torch.equal(default.layers[0][1], U) and torch.equal(default.layers[0][2], V)
    dist = weights.sampler("hyperbolic", low=0.01)
    net = random_network(target, [2], seed=7, scales=[2.0], dist=dist)
    rng = np.random.default_rng(7)
    U2, V2 = dist(24, rng).reshape(6, 4), dist(18, rng).reshape(3, 6)
    assert np.array_equal(net.layers[0][1].numpy(), U2)
    assert np.array_equal(net.layers[0][2].numpy(), 2.0 * V2)
    with pytest.raises(ValueError, match="dist must be None or a callable"):
        random_network(target, [2], dist="gaussian")
