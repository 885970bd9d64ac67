import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rsslib
from rsslib import solve


def exhaustive_best(xs, target):
    sums = rsslib.subset_sums(np.asarray(xs, dtype=np.float64))
    return float(np.min(np.abs(sums - target)))


def check_answer(xs, target, mask, error):
    xs = np.asarray(xs, dtype=np.float64)
    assert mask.shape == xs.shape and mask.dtype == bool
    assert error == pytest.approx(abs(xs[mask].sum() - target), abs=1e-12)
    assert error == pytest.approx(exhaustive_best(xs, target), abs=1e-12)


def random_instances(rng, count, kind):
    for _ in range(count):
        n = int(rng.integers(0, 17))
        if kind == "uniform":
            xs = rng.uniform(-1, 1, n)
        elif kind == "product":
            xs = rng.uniform(-1, 1, n) * rng.uniform(-1, 1, n)
        elif kind == "integers":
            xs = rng.integers(-20, 21, n).astype(np.float64)
        else:  # duplicates and zeros
            xs = rng.choice([0.0, 0.0, 0.25, -0.5, 0.125, 1.0], size=n)
        target = float(rng.uniform(-3, 3)) if kind != "integers" else float(rng.integers(-30, 31))
        yield xs, target


@pytest.mark.parametrize("kind", ["uniform", "product", "integers", "duplicates_and_zeros"])
def test_optimal_against_exhaustive_enumeration(kind):
    rng = np.random.default_rng(abs(hash(kind)) % 2**32)
    for xs, target in random_instances(rng, 1500, kind):
        mask, error = rsslib.best_subset(xs, target)
        check_answer(xs, target, mask, error)


@given(
    st.lists(st.floats(-100, 100, allow_nan=False), max_size=14),
    st.floats(-300, 300, allow_nan=False),
)
def test_optimal_on_hypothesis_inputs(xs, target):
    mask, error = rsslib.best_subset(xs, target)
    check_answer(xs, target, mask, error)


def test_zeros_are_never_selected():
    rng = np.random.default_rng(1)
    for _ in range(300):
        xs = rng.choice([0.0, 0.5, -0.25, 0.75], size=int(rng.integers(1, 13)))
        mask, _ = rsslib.best_subset(xs, float(rng.uniform(-2, 2)))
        assert not np.any(mask & (xs == 0.0))


def test_batch_equals_the_loop_of_single_calls():
    rng = np.random.default_rng(2)
    for n in (0, 1, 2, 3, 7, 21, 26):
        samples = rng.uniform(-1, 1, (300, n)) * rng.uniform(-1, 1, (300, n))
        targets = rng.uniform(-0.5, 0.5, 300)
        masks, errors = rsslib.best_subsets(samples, targets)
        assert masks.shape == (300, n) and errors.shape == (300,)
        for r in range(300):
            mask, error = rsslib.best_subset(samples[r], targets[r])
            np.testing.assert_array_equal(masks[r], mask)
            assert errors[r] == error


def test_shared_sample_equals_single_calls():
    rng = np.random.default_rng(3)
    for n in (0, 1, 5, 20):
        sample = rng.uniform(-1, 1, n)
        targets = rng.uniform(-2, 2, 200)
        masks, errors = rsslib.best_subsets_for_targets(sample, targets)
        for r in range(200):
            mask, error = rsslib.best_subset(sample, targets[r])
            np.testing.assert_array_equal(masks[r], mask)
            assert errors[r] == error


def test_large_n_against_a_planted_solution():
    # n = 40: no exhaustive reference, but a planted subset gives an upper bound on the error
    rng = np.random.default_rng(4)
    for _ in range(5):
        xs = rng.integers(-(10**6), 10**6, 40).astype(np.float64)
        planted = rng.random(40) < 0.5
        target = xs[planted].sum()
        mask, error = rsslib.best_subset(xs, target)
        assert error == 0.0 and xs[mask].sum() == target


def test_results_do_not_depend_on_thread_count():
    import numba

    rng = np.random.default_rng(5)
    samples = rng.uniform(-1, 1, (500, 18))
    targets = rng.uniform(-1, 1, 500)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = rsslib.best_subsets(samples, targets)
    finally:
        numba.set_num_threads(before)
    many = rsslib.best_subsets(samples, targets)
    np.testing.assert_array_equal(one[0], many[0])
    np.testing.assert_array_equal(one[1], many[1])


def test_empty_sample_gives_empty_mask_and_abs_target():
    mask, error = rsslib.best_subset([], -0.7)
    assert mask.shape == (0,) and error == 0.7
    masks, errors = rsslib.best_subsets(np.zeros((3, 0)), [1.0, -2.0, 0.5])
    assert masks.shape == (3, 0) and errors.tolist() == [1.0, 2.0, 0.5]
    masks, errors = rsslib.best_subsets(np.zeros((0, 5)), [])
    assert masks.shape == (0, 5) and errors.shape == (0,)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rsslib.best_subset([1.0, np.nan], 0.0), "sample must be finite"),
        (lambda: rsslib.best_subset([1.0], np.inf), "target must be finite"),
        (lambda: rsslib.best_subset(np.ones((2, 2)), 0.0), "sample must be 1-D"),
        (lambda: rsslib.best_subsets(np.ones(3), [0.0]), "samples must be 2-D"),
        (lambda: rsslib.best_subsets(np.ones((2, 3)), [0.0]), "one entry per row"),
        (lambda: rsslib.best_subsets(np.full((1, 2), np.inf), [0.0]), "samples must be finite"),
        (lambda: rsslib.best_subset(np.ones(70), 0.0), "limit of 62"),
        (lambda: rsslib.best_subset(np.ones(58), 0.0), "GiB"),
        (lambda: rsslib.best_subsets_for_targets([1.0], [np.nan]), "targets must be finite"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_memory_limit_is_configurable(monkeypatch):
    monkeypatch.setattr(solve, "MAX_MEMORY_BYTES", 10_000)
    with pytest.raises(ValueError, match="MAX_MEMORY_BYTES"):
        rsslib.best_subset(np.ones(20), 1.0)


def test_one_memory_knob_for_every_meet_in_the_middle_solver(monkeypatch):
    from rsslib import multidim, sparsest

    monkeypatch.setattr(solve, "MAX_MEMORY_BYTES", 10_000)
    for call in (
        lambda: sparsest.sparsest_subset(np.ones(20), 1.0, 0.1),
        lambda: multidim.best_vector_subset(np.ones((20, 2)), np.zeros(2)),
        lambda: multidim.covers_cube(np.ones((20, 2)), 0.1, 0.1),
    ):
        with pytest.raises(ValueError, match=r"rsslib\.solve\.MAX_MEMORY_BYTES"):
            call()
