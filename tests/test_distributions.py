import math

import numpy as np
import pytest
from scipy import integrate, stats

import rsslib
from rsslib import distributions


def test_draw_uniform_and_product_have_the_right_laws():
    rng = np.random.default_rng(0)
    u = rsslib.draw(20_000, "uniform", rng)
    assert u.shape == (20_000,) and np.all(np.abs(u) <= 1)
    assert stats.kstest(u, stats.uniform(-1, 2).cdf).pvalue > 1e-3
    p = rsslib.draw(20_000, "product", rng)
    # P(|X1 X2| <= t) = t (1 - log t) on (0, 1]
    cdf = lambda x: 0.5 + np.sign(x) * 0.5 * np.abs(x) * (1 - np.log(np.abs(x) + 1e-300))  # noqa: E731
    assert stats.kstest(p, cdf).pvalue > 1e-3


def test_draw_calls_a_callable_and_checks_it():
    rng = np.random.default_rng(0)
    out = rsslib.draw(5, lambda n, r: r.normal(size=n), rng)
    assert out.shape == (5,)
    with pytest.raises(ValueError, match="must return n=5"):
        rsslib.draw(5, lambda n, r: np.zeros(n + 1), rng)
    with pytest.raises(ValueError, match="finite"):
        rsslib.draw(2, lambda n, r: np.full(n, np.nan), rng)
    with pytest.raises(ValueError, match="dist must be one of"):
        rsslib.draw(2, "normal", rng)
    with pytest.raises(ValueError, match="n must be >= 0"):
        rsslib.draw(-1, "uniform", rng)
    with pytest.raises(ValueError, match="rng must be"):
        rsslib.draw(2, "uniform", 42)


def test_product_density_integrates_to_one_and_matches_a_histogram():
    total, _ = integrate.quad(lambda x: rsslib.product_density(x)[0], -1, 1, points=[0.0])
    assert total == pytest.approx(1.0, abs=1e-8)
    assert rsslib.product_density([1.5, -2.0]).tolist() == [0.0, 0.0]
    rng = np.random.default_rng(1)
    p = rsslib.draw(400_000, "product", rng)
    edges = np.linspace(-1, 1, 41)
    hist, _ = np.histogram(p, bins=edges, density=True)
    # exact mass of each bin divided by its width, from the closed-form CDF
    cdf = lambda x: 0.5 + np.sign(x) * 0.5 * np.abs(x) * (1 - np.log(np.abs(x) + 1e-300))  # noqa: E731
    mass = np.diff(cdf(edges))
    expected = mass / np.diff(edges)
    # each bin count is binomial(N, mass): allow 5 standard deviations
    sd = np.sqrt(p.size * mass * (1 - mass)) / (p.size * np.diff(edges))
    assert np.all(np.abs(hist - expected) <= 5 * sd)


def test_product_is_half_log2_over_2_super_uniform():
    x = np.linspace(-0.5, 0.5, 10_001)
    assert rsslib.product_density(x).min() >= np.log(2) / 2 - 1e-12


def test_thinning_gives_uniform_values_and_keeps_fraction_2ab():
    rng = np.random.default_rng(2)
    a, b = 0.5, np.log(2) / 2
    x = rsslib.draw(200_000, "product", rng)
    kept = rsslib.thin_to_uniform(x, a, b, rsslib.product_density, rng)
    assert np.all(np.abs(kept) <= a)
    assert stats.kstest(kept, stats.uniform(-a, 2 * a).cdf).pvalue > 1e-3
    fraction = kept.size / x.size
    sd = np.sqrt(2 * a * b * (1 - 2 * a * b) / x.size)
    assert abs(fraction - 2 * a * b) < 5 * sd


def test_thinning_refuses_a_sample_that_is_not_super_uniform():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, 100)  # density 1/2 on [-1, 1]
    with pytest.raises(ValueError, match="not .*super-uniform"):
        rsslib.thin_to_uniform(x, 0.5, 0.6, lambda t: np.full(t.shape, 0.5), rng)
    with pytest.raises(ValueError, match=r"b must be < 1/\(2a\)"):
        rsslib.thin_to_uniform(x, 1.0, 0.5, lambda t: np.full(t.shape, 0.5), rng)
    with pytest.raises(ValueError, match="a must be > 0"):
        rsslib.thin_to_uniform(x, 0.0, 0.1, lambda t: np.full(t.shape, 0.5), rng)


# ---------------------------------------------------------------------------------------
# the registry of samplers
# ---------------------------------------------------------------------------------------
def test_uniform_and_product_are_the_streams_of_draw():
    for name in ("uniform", "product"):
        a = distributions.sampler(name)(1000, np.random.default_rng(5))
        b = rsslib.draw(1000, name, np.random.default_rng(5))
        assert np.array_equal(a, b)
    # the stored notebooks depend on the exact calls: n uniforms on [-1, 1]; for the
    # product, n first factors then n second factors
    rng = np.random.default_rng(6)
    u = rng.uniform(-1.0, 1.0, 300)
    v = rng.uniform(-1.0, 1.0, 300)
    assert np.array_equal(rsslib.draw(300, "uniform", np.random.default_rng(6)), u)
    assert np.array_equal(rsslib.draw(300, "product", np.random.default_rng(6)), u * v)


def test_gaussian_has_variance_one_third_by_default():
    x = distributions.gaussian(50_000, np.random.default_rng(0))
    assert stats.kstest(x, stats.norm(0, 1 / math.sqrt(3)).cdf).pvalue > 1e-3
    y = distributions.sampler("gaussian", scale=2.0)(50_000, np.random.default_rng(1))
    assert stats.kstest(y, stats.norm(0, 2.0).cdf).pvalue > 1e-3


def test_hyperbolic_matches_its_closed_form_cdf():
    low, high = 1e-3, 0.5
    x = distributions.hyperbolic(50_000, np.random.default_rng(2), low, high)
    assert np.all((np.abs(x) >= low) & (np.abs(x) <= high))
    assert stats.kstest(x, lambda v: distributions.hyperbolic_cdf(v, low, high)).pvalue > 1e-3
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
    f = lambda t: distributions.hyperbolic_density(t, low, high)[0]  # noqa: E731
    total = 2 * integrate.quad(f, low, high, points=[0.1])[0]
    assert total == pytest.approx(1.0, abs=1e-8)
    t = np.array([-0.5, -0.05, 0.02, 0.3])
    h = 1e-7
    cdf = distributions.hyperbolic_cdf
    numeric = (cdf(t + h, low, high) - cdf(t - h, low, high)) / (2 * h)
    assert np.allclose(numeric, distributions.hyperbolic_density(t, low, high), rtol=1e-5)
    assert distributions.hyperbolic_density([0.0, 0.005, 1.5], low, high).tolist() == [0, 0, 0]
    assert distributions.hyperbolic_cdf([-2.0, 0.0, 2.0], low, high).tolist() == [0.0, 0.5, 1.0]


def test_samplers_refuse_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="low must be < high"):
        distributions.hyperbolic(3, rng, 0.5, 0.1)
    with pytest.raises(ValueError, match="low must be > 0"):
        distributions.hyperbolic(3, rng, 0.0)
    with pytest.raises(ValueError, match="scale must be > 0"):
        distributions.gaussian(3, rng, scale=-1)
    with pytest.raises(ValueError, match="n must be >= 0"):
        distributions.uniform(-1, rng)
    with pytest.raises(ValueError, match="rng must be"):
        distributions.product(2, 7)
    with pytest.raises(ValueError, match="name must be one of"):
        distributions.sampler("cauchy")
    with pytest.raises(ValueError, match="params"):
        distributions.sampler("uniform", low=0.1)
    with pytest.raises(ValueError, match="params"):
        distributions.sampler("hyperbolic")  # low is required
