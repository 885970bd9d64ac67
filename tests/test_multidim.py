"""rsslib.multidim against exhaustive enumeration of all 2^n subsets and closed forms."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rsslib
from rsslib import multidim as md

TOL = 1e-12


def all_sums(x):
    """The 2^n subset sums of the rows of x, row j using the vectors whose bit is set in j."""
    n, d = x.shape
    sums = np.zeros((1, d))
    for p in range(n):
        sums = np.concatenate([sums, sums + x[p]])
    return sums


def brute_best(x, z):
    return float(np.min(np.max(np.abs(all_sums(x) - z), axis=1)))


def check_best(x, z):
    mask, err = md.best_vector_subset(x, z)
    assert err == pytest.approx(brute_best(x, z), abs=TOL)
    # the reported error is the chosen subset's
    chosen = x[mask].sum(axis=0) if mask.any() else np.zeros(x.shape[1])
    assert err == pytest.approx(float(np.max(np.abs(chosen - z))), abs=TOL)
    return mask, err


# ------------------------------------------------------------------------ exact search
@pytest.mark.parametrize("seed", range(30))
def test_random_instances_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 13))
    d = int(rng.integers(1, 4))
    x = rng.uniform(-1, 1, (n, d))
    for _ in range(3):
        check_best(x, rng.uniform(-1.5, 1.5, d))


@pytest.mark.parametrize("seed", range(15))
def test_integer_instances_with_ties(seed):
    rng = np.random.default_rng(50 + seed)
    n = int(rng.integers(1, 11))
    d = int(rng.integers(1, 4))
    x = rng.integers(-2, 3, (n, d)).astype(float)  # many equal sums, many equal errors
    for _ in range(5):
        check_best(x, rng.integers(-3, 4, d).astype(float))


def test_repeated_vectors_and_zero_target():
    x = np.tile([[0.5, -0.25]], (6, 1))
    mask, err = check_best(x, np.zeros(2))
    assert err == 0.0  # the empty subset is exact
    mask, err = check_best(x, np.array([1.5, -0.75]))
    assert err == 0.0 and mask.sum() == 3


@given(
    st.integers(0, 2**32 - 1),
    st.integers(0, 10),
    st.integers(1, 3),
)
@settings(max_examples=60)
def test_hypothesis_against_brute_force(seed, n, d):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, d)) * rng.uniform(0, 2, (n, 1))
    check_best(x, rng.normal(0, 2, d))


@pytest.mark.parametrize("seed", range(20))
def test_one_dimension_agrees_with_best_subset(seed):
    rng = np.random.default_rng(200 + seed)
    x = rng.uniform(-1, 1, int(rng.integers(0, 21)))
    z = float(rng.uniform(-1, 1))
    _, err = md.best_vector_subset(x[:, None], [z])
    assert err == pytest.approx(rsslib.best_subset(x, z)[1], abs=TOL)


def test_batch_equals_one_by_one():
    rng = np.random.default_rng(7)
    samples = rng.uniform(-1, 1, (37, 14, 3))
    targets = rng.uniform(-1, 1, (37, 3))
    masks, errors = md.best_vector_subsets(samples, targets)
    for r in range(37):
        mask, err = md.best_vector_subset(samples[r], targets[r])
        assert np.array_equal(mask, masks[r]) and err == errors[r]
    masks, errors = md.best_vector_subsets(np.zeros((0, 5, 2)), np.zeros((0, 2)))
    assert masks.shape == (0, 5) and errors.shape == (0,)


@pytest.mark.parametrize("seed", range(10))
def test_error_curve_is_the_best_error_of_each_prefix(seed):
    rng = np.random.default_rng(300 + seed)
    d = 1 + seed % 3
    x = rng.uniform(-1, 1, (11, d))
    z = rng.uniform(-1, 1, d)
    curve = md.best_error_curve(x, z)
    want = [brute_best(x[:k], z) for k in range(12)]
    assert np.allclose(curve, want, rtol=0, atol=TOL)


# ---------------------------------------------------------------- Monte Carlo layout
def test_success_probability_counts_the_brute_force_successes_on_the_same_draws():
    n, d, eps, trials, seed = 7, 2, 0.2, 150, 11
    est = md.vector_success_probability(n, d, eps, trials, seed)
    # the documented layout: targets (rows, d), then samples (rows, n, d), one generator
    rng = np.random.default_rng(seed)
    targets = rng.uniform(-1, 1, (trials, d))
    samples = rng.uniform(-1, 1, (trials, n, d))
    want = sum(brute_best(samples[r], targets[r]) <= eps for r in range(trials))
    assert est.successes == want and est.trials == trials
    assert est.low <= est.p <= est.high


def test_cover_times_curves_and_probability_are_consistent():
    n, d, eps, trials, seed = 9, 3, 0.3, 120, 4
    curves = md.vector_error_curves(n, d, trials, seed)
    times = md.vector_cover_times(n, d, eps, trials, seed)
    from_curves = np.array(
        [np.flatnonzero(c <= eps)[0] if (c <= eps).any() else n + 1 for c in curves]
    )
    assert np.array_equal(times, from_curves)
    assert np.all(np.diff(curves, axis=1) <= 0)  # more vectors never hurt
    for k in (0, 4, 9):
        est = md.vector_success_probability(k, d, eps, trials, seed)
        short = md.vector_cover_times(k, d, eps, trials, seed)
        assert est.successes == int(np.count_nonzero(short <= k))


def test_empty_sample_succeeds_with_probability_eps_to_the_d():
    # n = 0: only the empty sum 0, within eps of z iff ||z||_inf <= eps: probability eps^d
    for d, eps in ((1, 0.3), (2, 0.5)):
        est = md.vector_success_probability(0, d, eps, 4000, seed=d)
        sd = math.sqrt(eps**d * (1 - eps**d) / 4000)
        assert abs(est.p - eps**d) <= 4 * sd


def test_eps_at_least_one_always_succeeds():
    for d in (1, 2, 3):
        assert md.vector_success_probability(0, d, 1.0, 200).p == 1.0
        assert md.vector_success_probability(3, d, 1.5, 200).p == 1.0


def test_one_target_respects_the_volume_bound():
    # P(success) <= 2^n eps^d: the union of the 2^n cubes has at most that share of [-1,1]^d
    for n, d, eps in ((4, 2, 0.05), (6, 3, 0.05), (3, 1, 0.05)):
        est = md.vector_success_probability(n, d, eps, 3000, seed=n)
        assert est.low <= 2**n * eps**d


def test_critical_n_is_the_quantile_of_the_cover_times():
    d, eps, trials = 2, 0.2, 200
    times = md.vector_cover_times(12, d, eps, trials, seed=3)
    for level in (0.5, 0.9):
        nc = md.critical_n_vectors(d, eps, level, trials, seed=3, n_max=12)
        assert np.mean(times <= nc) >= level  # reaches the level at nc ...
        assert np.mean(times <= nc - 1) < level  # ... and not one vector earlier


def test_first_moment_equals_a_direct_count():
    # E[N_z] for n = 3, d = 2: average the number of good subsets over many samples
    rng = np.random.default_rng(9)
    n, d, eps = 3, 2, 0.4
    z = np.array([0.3, -0.5])
    counts = [
        np.count_nonzero(np.max(np.abs(all_sums(rng.uniform(-1, 1, (n, d))) - z), 1) <= eps)
        for _ in range(20000)
    ]
    sd = np.std(counts) / math.sqrt(len(counts))
    assert abs(np.mean(counts) - md.first_moment(n, d, eps, z)) <= 4 * sd


def test_predicted_success_at_zero_and_gaussian_threshold():
    eps, d = 0.5, 2
    # E = 1 on [-eps, eps]^d and 0 outside, so P = (1 - 1/e) eps^d (quadrature of a step)
    want = (1 - math.exp(-1)) * eps**d
    assert md.predicted_success(0, d, eps, nodes=40) == pytest.approx(want, abs=0.02)
    n = md.gaussian_threshold(2, 0.01)
    # the fixed point satisfies its equation
    rhs = 2 * math.log2(100) - 2 + math.log2(math.pi * n / 3) + math.log2(math.log(2))
    assert n == pytest.approx(rhs, abs=1e-9)
    assert md.counting_bound(3, 0.125) == pytest.approx(9.0)


def test_conditional_predictions_against_a_direct_normal_computation():
    from scipy.stats import norm

    n, eps, draws, seed = 6, 0.05, 4, 3
    # one target per sample: targets (draws, 1, 1) first, then samples (draws, n, 1)
    rng = np.random.default_rng(seed)
    z = rng.uniform(-1, 1, (draws, 1, 1))[:, 0, 0]
    x = rng.uniform(-1, 1, (draws, n, 1))[..., 0]
    e = 2**n * 2 * eps * norm.pdf(z, x.sum(1) / 2, np.sqrt((x**2).sum(1) / 4))
    want = np.mean(1 - np.exp(-e))
    assert md.conditional_prediction(n, 1, eps, draws, seed) == pytest.approx(want, rel=1e-9)
    # every target: ceil(1/eps) = 20 cell centres, no targets drawn
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (draws, n, 1))[..., 0]
    centres = -1 + 0.1 * (np.arange(20) + 0.5)
    e = (
        2**n
        * 2
        * eps
        * norm.pdf(centres[None], (x.sum(1) / 2)[:, None], np.sqrt((x**2).sum(1) / 4)[:, None])
    )
    want = np.mean(np.prod(1 - np.exp(-e), axis=1))
    got = md.conditional_prediction_every(n, 1, eps, draws, seed)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-300)


# ------------------------------------------------------------------------ the cube
@pytest.mark.parametrize("seed", range(40))
def test_cube_bracket_contains_all_approximable_in_one_dimension(seed):
    rng = np.random.default_rng(400 + seed)
    n = int(rng.integers(0, 12))
    eps = float(10 ** rng.uniform(-1.3, -0.3))
    x = rng.uniform(-1, 1, n)
    truth = rsslib.all_approximable(x, eps)
    for frac in (1.0, 0.5, 0.1):
        sufficient, necessary = md.covers_cube(x[:, None], eps, eps * frac)
        assert (not sufficient) or truth  # sufficient implies the event
        assert (not truth) or necessary  # the event implies necessary


def brute_cube(x, eps, spacing):
    m = math.ceil(2 / spacing)
    h = 2 / m
    g = -1 + h * (np.arange(m) + 0.5)
    d = x.shape[1]
    grid = np.stack(np.meshgrid(*([g] * d), indexing="ij"), -1).reshape(-1, d)
    dist = np.min(np.max(np.abs(grid[:, None, :] - all_sums(x)[None]), axis=2), axis=1)
    return bool(np.all(dist <= eps - h / 2)), bool(np.all(dist <= eps))


@pytest.mark.parametrize("seed", range(30))
def test_cube_bracket_against_brute_force_in_two_dimensions(seed):
    rng = np.random.default_rng(500 + seed)
    n = int(rng.integers(0, 11))
    x = rng.uniform(-1, 1, (n, 2))
    eps = float(rng.uniform(0.25, 0.7))
    spacing = eps * float(rng.uniform(0.2, 1.0))
    assert md.covers_cube(x, eps, spacing) == brute_cube(x, eps, spacing)
    sufficient, _ = md.covers_cube(x, eps, spacing)
    if sufficient:  # then every point of the square is within eps: try random ones
        y = rng.uniform(-1, 1, (500, 2))
        dist = np.min(np.max(np.abs(y[:, None, :] - all_sums(x)[None]), axis=2), axis=1)
        assert np.all(dist <= eps)


def test_cube_cover_times_are_first_prefixes_of_the_bracket():
    n_max, eps, spacing, trials, seed = 10, 0.45, 0.15, 25, 2
    t_s, t_n = md.cube_cover_times(n_max, 2, eps, spacing, trials, seed)
    assert np.all(t_n <= t_s)
    rng = np.random.default_rng(seed)
    rng.uniform(-1, 1, (trials, 2))  # the targets, unused
    samples = rng.uniform(-1, 1, (trials, n_max, 2))
    for r in range(trials):
        flags = [brute_cube(samples[r, :k], eps, spacing) for k in range(n_max + 1)]
        first_s = next((k for k, f in enumerate(flags) if f[0]), n_max + 1)
        first_n = next((k for k, f in enumerate(flags) if f[1]), n_max + 1)
        assert t_s[r] == first_s
        assert t_n[r] == first_n


# ------------------------------------------------------------------------ validation
def test_validation_errors_name_the_argument():
    x = np.zeros((4, 2))
    cases = [
        (lambda: md.best_vector_subset([[np.nan, 0.0]], [0.0, 0.0]), "sample"),
        (lambda: md.best_vector_subset(np.zeros(4), [0.0]), "sample"),
        (lambda: md.best_vector_subset(x, [0.0]), "target"),
        (lambda: md.best_vector_subset(x, [0.0, np.inf]), "target"),
        (lambda: md.best_vector_subset(np.zeros((63, 1)), [0.0]), "n=63"),
        (lambda: md.best_vector_subset(np.zeros((60, 200)), np.zeros(200)), "GiB"),
        (lambda: md.best_vector_subsets(np.zeros((2, 3)), np.zeros((2, 1))), "samples"),
        (lambda: md.best_vector_subsets(np.zeros((2, 3, 1)), np.zeros((3, 1))), "targets"),
        (lambda: md.vector_success_probability(3, 2, 0.0, 10), "eps"),
        (lambda: md.vector_success_probability(3, 0, 0.1, 10), "d"),
        (lambda: md.vector_success_probability(3, 2, 0.1, 0), "trials"),
        (lambda: md.vector_success_probability(-1, 2, 0.1, 10), "n"),
        (lambda: md.vector_cover_times(3, 2, -0.1, 10), "eps"),
        (lambda: md.covers_cube(x, 0.1, 0.2), "spacing"),
        (lambda: md.covers_cube(x, -0.1, 0.05), "eps"),
        (lambda: md.covers_cube(np.zeros((3, 3)), 0.1, 0.05), "d must be 1 or 2"),
        (lambda: md.covers_cube(np.zeros((41, 1)), 0.1, 0.05), "n=41"),
        (lambda: md.covers_cube(x, 0.1, 1e-4), "spacing"),
        (lambda: md.critical_n_vectors(2, 0.1, 1.5, 10), "level"),
        (lambda: md.gaussian_threshold(2, 0.1, 1.0), "level"),
        (lambda: md.first_moment(3, 2, 0.1, [0.0]), "z"),
        (lambda: md.conditional_prediction(1, 2, 0.1), "n"),
        (lambda: md.conditional_prediction_every(2, 2, 0.0), "eps"),
    ]
    for call, word in cases:
        with pytest.raises(ValueError, match=word):
            call()


# ------------------------------------------------------------------- the chapter's sweep
def test_sweep_one_target_counts_are_the_cover_times_of_the_same_instances():
    from rsslib import multidim_sweep as ms

    rows, quantiles, per_instance = ms.one_target_job(1, 50, (0.1, 0.05), 1)
    n_max = ms.one_n_max(1)
    for eps in (0.1, 0.05):
        times = md.vector_cover_times(n_max, 1, eps, 50, seed=ms.one_seed(1))
        # the stored per-instance times are these cover times, instance by instance
        assert [r[f"t_{eps:g}"] for r in per_instance] == times.tolist()
        part = [r for r in rows if r["eps"] == eps]
        assert [r["n"] for r in part] == list(range(n_max + 1))
        for r in part:
            assert r["successes"] == np.count_nonzero(times <= r["n"])
            assert r["volume_bound"] == pytest.approx(min(1.0, 2.0 ** r["n"] * eps), abs=1e-6)
    # the error quantiles are non-increasing in n (more vectors, more subsets)
    medians = [q["q50"] for q in quantiles]
    assert all(a >= b for a, b in zip(medians, medians[1:], strict=False))


def test_sweep_every_target_grid_brackets_the_exact_interval_cover_time():
    from rsslib import multidim_sweep as ms

    rows, extra, times = ms.all_targets_job(1, 0.1, 30, 1)
    grid = {r["n"]: r for r in rows if r["method"] == "grid"}
    exact = {r["n"]: r for r in rows if r["method"] == "interval"}
    assert extra == [] == times and grid.keys() == exact.keys()
    # covers_cube's proof: sufficient => every target covered => necessary
    for n, r in exact.items():
        assert grid[n]["sufficient"] <= r["sufficient"] == r["necessary"] <= grid[n]["necessary"]


def test_sweep_first_reaching_and_its_arguments():
    from rsslib import multidim_sweep as ms

    assert ms.first_reaching([0, 4, 9, 10], 10, 0.9, [3, 4, 5, 6]) == 5
    assert ms.first_reaching([0, 4], 10, 0.5, [3, 4]) == ""
    with pytest.raises(ValueError, match=r"^threads must be >= 1, got 0$"):
        ms.run(threads=0)
