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
    from rsslib.bounds import _certified

    bound = rsslib.proof_sample_size(eps, accounting)
    assert _certified(bound.n, bound.beta, eps, accounting) == bound.k
    assert _certified(bound.n - 1, bound.beta, eps, accounting) is None
    assert 0 < bound.k < bound.n
    assert bound.constant == pytest.approx(bound.n / np.log(1 / (2 * eps)))


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
