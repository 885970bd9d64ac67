"""rsslib.sparsest against exhaustive enumeration of all 2^n subsets."""

from itertools import combinations

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rsslib
from rsslib.sparsest import (
    best_subset_of_size,
    best_subsets_of_size,
    sparsest_subset,
    sparsest_subsets,
)

TOL = 1e-12


def brute(x, target):
    """Sizes and errors of all 2^n subsets (bit i of row index = x[i] taken)."""
    x = np.asarray(x, dtype=float)
    n = x.size
    bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    sums = np.array([sum(x[i] for i in range(n) if row[i]) for row in bits])
    return bits.sum(1), np.abs(sums - target)


def brute_sparsest(x, target, eps):
    """(feasible, minimum size, minimum error at that size) or (False, None, min error)."""
    sizes, errors = brute(x, target)
    ok = errors <= eps
    if not ok.any():
        return False, None, errors.min()
    k = sizes[ok].min()
    return True, k, errors[ok & (sizes == k)].min()


def check_sparsest(x, target, eps):
    mask, error, feasible = sparsest_subset(x, target, eps)
    want_feasible, k, want_error = brute_sparsest(x, target, eps)
    assert feasible == want_feasible
    if feasible:
        assert mask.sum() == k
    assert error == pytest.approx(want_error, abs=TOL)
    # the reported error is the chosen subset's
    assert error == pytest.approx(abs(np.asarray(x, float)[mask].sum() - target), abs=TOL)


@pytest.mark.parametrize("seed", range(40))
def test_random_floats_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 13))
    x = rng.uniform(-1, 1, n) * rng.uniform(0, 1, n)
    for _ in range(5):
        check_sparsest(x, rng.uniform(-1, 1), 10 ** rng.uniform(-3, 0))


@pytest.mark.parametrize("seed", range(20))
def test_integers_with_many_ties(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 12))
    x = rng.integers(-5, 6, n)
    for target in range(-8, 9):
        for eps in (0.5, 1.5, 3.0):
            check_sparsest(x, target, eps)


@given(
    st.lists(st.floats(-10, 10, allow_nan=False, width=32), max_size=11),
    st.floats(-20, 20),
    st.floats(1e-3, 5),
)
def test_hypothesis_floats(xs, target, eps):
    check_sparsest(np.array(xs, dtype=np.float64), target, eps)


@given(st.lists(st.integers(-50, 50), max_size=11), st.integers(-100, 100))
def test_hypothesis_integers_fixed_size(xs, target):
    sizes, errors = brute(xs, target)
    for k in range(len(xs) + 1):
        mask, error = best_subset_of_size(np.array(xs, dtype=np.int64), target, k)
        assert mask.sum() == k
        assert error == errors[sizes == k].min()


@pytest.mark.parametrize("seed", range(10))
def test_fixed_size_against_brute_force(seed):
    rng = np.random.default_rng(200 + seed)
    n = int(rng.integers(0, 13))
    x = rng.normal(size=n)
    target = rng.normal()
    sizes, errors = brute(x, target)
    for k in range(n + 1):
        mask, error = best_subset_of_size(x, target, k)
        assert mask.sum() == k
        assert error == pytest.approx(errors[sizes == k].min(), abs=TOL)
        assert error == pytest.approx(abs(x[mask].sum() - target), abs=TOL)


@pytest.mark.parametrize("seed", range(8))
def test_at_most_k_against_brute_force(seed):
    rng = np.random.default_rng(300 + seed)
    n = int(rng.integers(1, 13))
    x = rng.normal(size=n)
    target = rng.normal()
    sizes, errors = brute(x, target)
    masks, errs = best_subsets_of_size(np.tile(x, (n + 1, 1)), np.full(n + 1, target), 0)
    for k in range(n + 1):
        mask, error = best_subset_of_size(x, target, k, at_most=True)
        assert mask.sum() <= k
        assert error == pytest.approx(errors[sizes <= k].min(), abs=TOL)
        assert error == pytest.approx(abs(x[mask].sum() - target), abs=TOL)
        batch_masks, batch_errors = best_subsets_of_size(x[None], [target], k, at_most=True)
        assert (batch_masks[0] == mask).all() and batch_errors[0] == error
    assert not masks.any() and errs == pytest.approx(np.full(n + 1, abs(target)))


def test_larger_n_against_small_combinations():
    """n = 30 is beyond enumeration, but a sparsest subset of size <= 3 can be checked
    against all C(30, <= 3) small subsets."""
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(30):
        x = rng.uniform(-1, 1, 30) * rng.uniform(0, 1, 30)
        target, eps = rng.uniform(-0.5, 0.5), 0.01
        best = {}
        for k in range(4):
            best[k] = min(abs(sum(x[list(c)]) - target) for c in combinations(range(30), k))
        mask, error, feasible = sparsest_subset(x, target, eps)
        assert feasible  # sanity check: 2^30 sums, eps = 0.01
        small = [k for k in range(4) if best[k] <= eps]
        if small:
            checked += 1
            assert mask.sum() == small[0]
            assert error == pytest.approx(best[small[0]], abs=TOL)
        else:
            assert mask.sum() > 3
    assert checked >= 10  # sanity check: the comparison ran


def test_edge_cases():
    x = np.array([0.3, -0.2, 0.7])
    # target 0 (or within eps of 0): the empty subset
    mask, error, feasible = sparsest_subset(x, 0.0, 1e-6)
    assert feasible and not mask.any() and error == 0.0
    mask, error, feasible = sparsest_subset(x, 0.5, 1e6)
    assert feasible and not mask.any() and error == 0.5
    # n = 0
    mask, error, feasible = sparsest_subset([], 0.25, 0.5)
    assert mask.shape == (0,) and feasible and error == 0.25
    mask, error, feasible = sparsest_subset([], 0.25, 0.1)
    assert not feasible and error == 0.25
    # n = 1
    mask, error, feasible = sparsest_subset([0.4], 0.41, 0.02)
    assert feasible and mask.tolist() == [True] and error == pytest.approx(0.01)
    mask, error, feasible = sparsest_subset([0.4], 0.1, 0.02)
    assert not feasible and mask.tolist() == [False] and error == pytest.approx(0.1)
    # zeros are never taken by the sparsest subset, but fill a fixed size
    mask, _, feasible = sparsest_subset([0.0, 0.5, 0.0], 0.5, 0.01)
    assert feasible and mask.tolist() == [False, True, False]
    mask, error = best_subset_of_size([0.0, 0.5, 0.0], 0.5, 2)
    assert mask.sum() == 2 and mask[1] and error == 0.0


def test_infeasible_rows_give_the_min_error_subset():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, (50, 10))
    t = rng.uniform(5.5, 20, 50)  # many beyond the total: infeasible at eps = 0.01
    masks, errors, feasible = sparsest_subsets(x, t, 0.01)
    _, min_errors = rsslib.best_subsets(x, t)
    assert (~feasible).sum() >= 10  # sanity check: the case is exercised
    np.testing.assert_allclose(errors[~feasible], min_errors[~feasible], atol=TOL)
    assert np.all(errors[~feasible] > 0.01)
    assert np.all(errors[feasible] <= 0.01 + TOL)


def test_batch_equals_single_rows_and_threads():
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, (300, 16)) * rng.uniform(0, 1, (300, 16))
    t = rng.uniform(-0.5, 0.5, 300)
    masks, errors, feasible = sparsest_subsets(x, t, 0.01)
    for r in range(0, 300, 37):
        m, e, f = sparsest_subset(x[r], t[r], 0.01)
        assert np.array_equal(m, masks[r]) and e == errors[r] and f == feasible[r]
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        again = sparsest_subsets(x, t, 0.01)
    finally:
        numba.set_num_threads(old)
    for a, b in zip(again, (masks, errors, feasible), strict=True):
        assert np.array_equal(a, b)
    fixed_masks, fixed_errors = best_subsets_of_size(x, t, 3)
    for r in range(0, 300, 41):
        m, e = best_subset_of_size(x[r], t[r], 3)
        assert np.array_equal(m, fixed_masks[r]) and e == fixed_errors[r]
    assert np.all(fixed_masks.sum(1) == 3)


def test_sparsest_is_no_larger_than_min_error():
    """The min-error subset is feasible whenever anything is, so it is never sparser."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (2000, 21)) * rng.uniform(0, 1, (2000, 21))
    t = rng.normal(0, 0.1, 2000)
    masks, errors, feasible = sparsest_subsets(x, t, 0.01)
    min_masks, min_errors = rsslib.best_subsets(x, t)
    ok = min_errors <= 0.01
    assert np.array_equal(feasible, ok)
    assert np.all(masks.sum(1)[ok] <= min_masks.sum(1)[ok])
    assert np.all(errors[ok] <= 0.01 + TOL)


def test_empty_batch():
    masks, errors, feasible = sparsest_subsets(np.zeros((0, 5)), np.zeros(0), 0.1)
    assert masks.shape == (0, 5) and errors.shape == (0,) and feasible.shape == (0,)
    masks, errors = best_subsets_of_size(np.zeros((0, 5)), np.zeros(0), 2)
    assert masks.shape == (0, 5) and errors.shape == (0,)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sparsest_subset([1.0, np.nan], 0.0, 0.1), "sample must be finite"),
        (lambda: sparsest_subset([[1.0]], 0.0, 0.1), "sample must be 1-D"),
        (lambda: sparsest_subset([1.0], np.inf, 0.1), "target must be finite"),
        (lambda: sparsest_subset([1.0], 0.0, 0.0), "eps must be > 0"),
        (lambda: sparsest_subset([1.0], 0.0, -1.0), "eps must be > 0"),
        (lambda: sparsest_subset([1.0], 0.0, np.nan), "eps must be finite"),
        (lambda: sparsest_subset(np.ones(63), 0.0, 0.1), "exceeds the solver's limit"),
        (lambda: sparsest_subset(np.ones(62), 0.0, 0.1), "GiB"),
        (lambda: sparsest_subsets(np.ones(3), np.ones(3), 0.1), "samples must be 2-D"),
        (lambda: sparsest_subsets(np.ones((3, 2)), np.ones(2), 0.1), "one entry per row"),
        (lambda: sparsest_subsets(np.ones((2, 2)), [0.0, np.inf], 0.1), "targets must be"),
        (lambda: sparsest_subsets(np.ones((2, 2)), np.ones(2), 0), "eps must be > 0"),
        (lambda: best_subset_of_size([1.0, 2.0], 0.0, 3), "k must be at most"),
        (lambda: best_subset_of_size([1.0, 2.0], 0.0, -1), "k must be >= 0"),
        (lambda: best_subset_of_size([1.0, 2.0], 0.0, 1.5), "k must be an integer"),
        (lambda: best_subsets_of_size(np.ones((2, 2)), np.ones(2), 5), "k must be at most"),
    ],
)
def test_validation(call, message):
    with pytest.raises(ValueError, match=message):
        call()
