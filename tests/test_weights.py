"""rsslib.weights: relative cover times against brute force, the samplers it re-exports."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import rsslib
from rsslib import weights
from rsslib.exhaustive import subset_sums


# ---------------------------------------------------------------------------------------
# samplers (tested in test_distributions.py): the names the book calls through weights
# ---------------------------------------------------------------------------------------
def test_samplers_are_those_of_distributions():
    from rsslib import distributions

    for name in (*distributions.SAMPLERS, "sampler", "hyperbolic_density", "hyperbolic_cdf"):
        assert getattr(weights, name) is getattr(distributions, name)
    assert weights.SAMPLERS is distributions.SAMPLERS
    assert weights.GAUSSIAN_SCALE == distributions.GAUSSIAN_SCALE


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
