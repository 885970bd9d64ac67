import numpy as np
import pytest

import rsslib


@pytest.mark.parametrize(
    ("eps", "expected"),
    [(0.5, 1), (0.25, 2), (0.1, 4), (0.01, 7), (1e-3, 10), (1.0, 0), (2.0, 0), (2.0**-20, 20)],
)
def test_packing_bound_closed_form(eps, expected):
    assert rsslib.packing_lower_bound(eps) == expected


def test_no_sample_below_the_packing_bound_covers_the_window():
    rng = np.random.default_rng(0)
    for eps in (0.3, 0.1, 0.02, 0.005):
        n = rsslib.packing_lower_bound(eps) - 1
        for dist in ("uniform", "product"):
            times = rsslib.cover_times(n, eps, 3000, dist=dist, seed=int(rng.integers(1 << 31)))
            assert np.all(times > n)


def test_the_packing_bound_is_attained():
    # values 2 eps 2^i have subset sums 0, 2 eps, 4 eps, ..., so their approximable set is
    # the single interval [-eps, 2 eps 2^n - eps]. Powers of two keep every sum exact.
    for eps in (0.25, 2.0**-5, 2.0**-9):
        n = rsslib.packing_lower_bound(eps)
        tight = 2 * eps * 2.0 ** np.arange(n)
        assert rsslib.all_approximable(tight, eps, window=(-eps, 2 - eps))
        assert not rsslib.all_approximable(tight[:-1], eps, window=(-eps, 2 - eps))


def test_window_length_enters_the_bound():
    assert rsslib.packing_lower_bound(0.01, window=(-0.5, 0.5)) == 6
    with pytest.raises(ValueError, match="window"):
        rsslib.packing_lower_bound(0.01, window=(1, 1))
    with pytest.raises(ValueError, match="eps"):
        rsslib.packing_lower_bound(-1)


@pytest.mark.parametrize("accounting", ["corrected", "as written"])
@pytest.mark.parametrize("eps", [0.3, 0.05, 1e-3, 1e-6])
def test_proof_sample_size_is_certified_and_minimal_for_its_beta(eps, accounting):
    bound = rsslib.proof_sample_size(eps, accounting)
    assert 0 < bound.beta < 1 / 8
    assert 0 < bound.k < bound.n
    # the independent reference below, at the returned beta: n values suffice, n - 1 do not
    assert brute_force_n(eps, accounting, [bound.beta], bound.n, bound.n)[0] == bound.n
    # and the returned split itself certifies
    assert split_certifies(eps, accounting, bound.beta, bound.k, bound.n - bound.k)
    assert bound.constant == pytest.approx(bound.n / np.log(1 / (2 * eps)))
    assert bound.p == pytest.approx(1 - 7 / (8 * (1 - bound.beta)))


def split_certifies(eps, accounting, beta, k, m):
    """Whether k growth values then m decay values certify eps at beta: the printed formulas
    (Proposition 6.6 (thesis Proposition 20) and Lemma 7.2 (thesis Lemma 23)), as in
    brute_force_n, for one split."""
    p = 1 - 7 / (8 * (1 - beta))
    e = eps / 2 if accounting == "corrected" else eps
    a = np.ceil(np.log(1 / (2 * e)) / np.log(1 + beta))
    slack = k * p - a
    g = np.exp(-2 * slack**2 / k) if slack > 0 else 1.0
    if accounting == "corrected":
        return 1 - (1 - g) * (1 - min(1.0, 0.875**m / e)) <= eps
    return g <= eps / 2 and 0.875**m <= eps / 2


def brute_force_n(eps, accounting, betas, k_max, m_max):
    """Least k + m at each beta of a grid, straight from the printed formulas.

    Independent of rsslib.bounds: every k <= k_max is tried with every m <= m_max.
    """
    betas = np.asarray(betas, dtype=float)
    if betas.size > 1000:  # in chunks, to keep the (beta, k) table small
        parts = np.array_split(betas, -(-betas.size // 1000))
        return np.concatenate([brute_force_n(eps, accounting, b, k_max, m_max) for b in parts])
    k = np.arange(1, k_max + 1)
    p = 1 - 7 / (8 * (1 - betas))
    e = eps / 2 if accounting == "corrected" else eps  # the precision the process runs at
    a = np.ceil(np.log(1 / (2 * e)) / np.log(1 + betas))
    slack = k[None, :] * p[:, None] - a[:, None]
    g = np.where(slack > 0, np.exp(-2 * np.maximum(slack, 0) ** 2 / k[None, :]), 1.0)
    best = np.full(betas.size, np.iinfo(np.int64).max)
    for m in range(1, m_max + 1):
        if accounting == "corrected":
            d = min(1.0, 0.875**m / e)  # Markov's 1/eps in Lemma 7.2 (thesis Lemma 23)
            ok = 1 - (1 - g) * (1 - d) <= eps
        else:
            ok = (g <= eps / 2) & (0.875**m <= eps / 2)
        first = np.argmax(ok, axis=1)  # least feasible k - 1, where any
        total = np.where(ok.any(axis=1), first + 1 + m, np.iinfo(np.int64).max)
        best = np.minimum(best, total)
    return best


@pytest.mark.parametrize("accounting", ["corrected", "as written"])
@pytest.mark.parametrize("eps", [0.3333, 0.30826, 0.2, 0.1])
def test_no_beta_does_better_and_the_returned_one_attains_it(eps, accounting):
    bound = rsslib.proof_sample_size(eps, accounting)
    m_max = 80  # the decay phase needs at most about 40 values at these eps
    # no beta of a grid over the whole of (0, 1/8) needs fewer values ...
    everywhere = np.arange(1, 2500) * 5e-5
    assert brute_force_n(eps, accounting, everywhere, bound.n, m_max).min() >= bound.n
    # ... and betas just above the returned one attain it
    near = bound.beta + np.linspace(0, 1e-6, 20)
    assert brute_force_n(eps, accounting, near, bound.n, m_max).min() == bound.n


@pytest.mark.parametrize(
    ("eps", "accounting", "expected"),
    [(0.30826, "as written", 356), (0.3333, "corrected", 541), (0.30826, "corrected", 577)],
)
def test_a_fine_beta_scan_finds_the_same_minimum(eps, accounting, expected):
    # a search that refined beta only around the best point of a coarse grid returned
    # 359, 542 and 579 here (issue 11: 359 at eps = 0.30826, as written)
    bound = rsslib.proof_sample_size(eps, accounting)
    assert bound.n == expected
    fine = np.arange(35_000, 55_001) * 1e-6  # step 1e-6 where the optimum lies
    assert brute_force_n(eps, accounting, fine, bound.n, 80).min() == bound.n


def test_corrected_accounting_never_certifies_fewer_values():
    for eps in (0.3, 0.1, 1e-2, 1e-5):
        corrected = rsslib.proof_sample_size(eps, "corrected").n
        assert corrected >= rsslib.proof_sample_size(eps, "as written").n


@pytest.mark.parametrize("accounting", ["corrected", "as written"])
def test_proof_constant_tends_to_its_closed_form_limit(accounting):
    limit, beta = rsslib.proof_constant_limit(accounting)
    assert 0 < beta < 1 / 8
    far = rsslib.proof_constant(1e-60, accounting)
    assert far == pytest.approx(limit, rel=0.02)
    # and it decreases towards the limit
    assert rsslib.proof_constant(1e-4, accounting) > far > limit * 0.99


@pytest.mark.parametrize("accounting", ["corrected", "as written"])
def test_proof_constant_limit_is_the_minimum_over_beta(accounting):
    # the formula written out here, independently of bounds: (kappa p - a)^2 = kappa / 2
    decay = (2.0 if accounting == "corrected" else 1.0) / np.log(8 / 7)
    beta = np.linspace(1e-5, 0.125 - 1e-5, 200_001)
    p = 1 - 7 / (8 * (1 - beta))
    a = 1 / np.log1p(beta)
    kappa = ((np.sqrt(0.5) + np.sqrt(0.5 + 4 * p * a)) / (2 * p)) ** 2
    assert np.allclose((kappa * p - a) ** 2, kappa / 2, rtol=1e-9)
    total = kappa + decay
    # the convexity the docstring proves, on the grid: second differences are positive
    assert np.all(np.diff(total, 2) > 0)
    limit, best = rsslib.proof_constant_limit(accounting)
    i = int(np.argmin(total))
    # no grid point is lower, and the grid's best point brackets the returned beta
    assert limit <= total.min() + 1e-9
    assert beta[i - 1] <= best <= beta[i + 1]
    assert limit == pytest.approx(total.min(), rel=1e-9)


def test_proof_bounds_reject_bad_arguments():
    with pytest.raises(ValueError, match="1/3"):
        rsslib.proof_sample_size(0.4)
    with pytest.raises(ValueError, match="accounting"):
        rsslib.proof_sample_size(0.1, "optimistic")


def test_tiny_eps_does_not_underflow_into_a_free_decay_phase():
    # 0.875**m underflows to 0 for m > 5500; the decay failure must still count
    for accounting in ("corrected", "as written"):
        limit, _ = rsslib.proof_constant_limit(accounting)
        assert rsslib.proof_constant(1e-200, accounting) >= limit


def test_public_phase_bounds_match_their_formulas():
    from rsslib.bounds import alpha_beta, decay_failure_bound, growth_failure_bound, p_beta

    assert p_beta(1 / 16) == pytest.approx(1 / 15, rel=1e-15)
    # alpha factors (1 + beta) lift e to 1/2: (1 + beta)^(alpha - 1) < 1/(2e) <= (1 + beta)^alpha
    for e, beta in [(0.01, 1 / 16), (1e-4, 0.05), (0.3, 0.1)]:
        a = alpha_beta(e, beta)
        assert (1 + beta) ** (a - 1) < 1 / (2 * e) <= (1 + beta) ** a * (1 + 1e-12)
    k = np.array([10, 100, 1000])
    expected = [1.0] + [np.exp(-2 * (n / 15 - 5) ** 2 / n) for n in (100, 1000)]
    assert np.allclose(growth_failure_bound(k, 1 / 15, 5), expected, rtol=1e-12)
    m = np.array([0, 5, 80])
    assert np.allclose(decay_failure_bound(m, 0.01), np.minimum(1, 0.875**m / 0.005), rtol=1e-12)
    assert np.allclose(decay_failure_bound(m, 0.01, "as written"), 0.875**m, rtol=1e-12)
    with pytest.raises(ValueError, match="beta"):
        p_beta(0.2)
    with pytest.raises(ValueError, match="k must"):
        growth_failure_bound(0, 0.1, 1)
    with pytest.raises(ValueError, match="accounting"):
        decay_failure_bound(3, 0.1, "loose")
