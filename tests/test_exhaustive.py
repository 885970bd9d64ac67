import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rsslib
from tests.reference import all_subsets

small_ints = st.lists(st.integers(-50, 50), max_size=8)
small_reals = st.lists(st.floats(-10, 10, allow_nan=False), max_size=8)


@given(small_ints)
def test_subset_sums_matches_itertools_on_integers(xs):
    sums = rsslib.subset_sums(np.array(xs, dtype=np.int64))
    assert sums.dtype == np.int64
    expected = sorted(sum(xs[i] for i in s) for s in all_subsets(xs))
    assert sorted(sums.tolist()) == expected


@given(small_reals)
def test_subset_sums_is_indexed_by_bitmask(xs):
    sums = rsslib.subset_sums(np.array(xs, dtype=np.float64))
    assert sums.shape == (2 ** len(xs),)
    for mask in range(2 ** len(xs)):
        chosen = rsslib.mask_to_bool(mask, len(xs))
        assert sums[mask] == pytest.approx(float(np.sum(np.array(xs)[chosen])), abs=1e-9)


def test_empty_sample_has_only_the_empty_sum():
    assert rsslib.subset_sums([]).tolist() == [0.0]


@given(small_ints, st.integers(-100, 100), st.integers(0, 5))
def test_subsets_summing_to_lists_exactly_the_witnesses(xs, z, tol):
    masks = set(rsslib.subsets_summing_to(np.array(xs, dtype=np.int64), z, tol).tolist())
    expected = {
        sum(1 << i for i in s) for s in all_subsets(xs) if abs(sum(xs[i] for i in s) - z) <= tol
    }
    assert masks == expected


def test_too_large_sample_is_refused_with_its_size():
    with pytest.raises(ValueError, match=r"n=30 .*1,073,741,824"):
        rsslib.subset_sums(np.ones(30))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.array([1.0, np.nan]), "finite"),
        (np.array([1.0, np.inf]), "finite"),
        (np.ones((2, 2)), "1-D"),
        (np.array(["a", "b"]), "real numbers"),
        (np.array([True, False]), "real numbers"),
    ],
)
def test_bad_samples_are_refused(bad, message):
    with pytest.raises(ValueError, match=f"sample .*{message}"):
        rsslib.subset_sums(bad)


def test_negative_tolerance_is_refused():
    with pytest.raises(ValueError, match="tol"):
        rsslib.subsets_summing_to([1, 2], 3, tol=-1)
