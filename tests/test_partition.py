import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rsslib
from tests.reference import npp_decide, ssp_decide

instances = st.lists(st.integers(1, 40), min_size=0, max_size=9)


@given(instances, st.integers(-5, 200))
def test_ssp_instance_solvable_iff_its_partition_image_is(xs, z):
    image = rsslib.ssp_to_npp(np.array(xs, dtype=np.int64), z)
    assert image.dtype == np.int64
    assert image.tolist() == xs + [sum(xs) - 2 * z]
    assert ssp_decide(xs, z) == npp_decide(image.tolist())


@given(instances)
def test_partition_instance_solvable_iff_its_subset_sum_image_is(xs):
    values, target = rsslib.npp_to_ssp(np.array(xs, dtype=np.int64))
    assert values.tolist() == xs
    assert target == sum(xs) / 2
    assert npp_decide(xs) == ssp_decide(xs, target)


def test_reductions_on_random_instances_decided_exhaustively():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 11))
        xs = rng.integers(1, 2 ** int(rng.integers(1, 10)), size=n, endpoint=True)
        z = int(rng.integers(0, xs.sum(), endpoint=True))
        assert ssp_decide(xs.tolist(), z) == npp_decide(rsslib.ssp_to_npp(xs, z).tolist())


def test_real_valued_instances_keep_floats():
    image = rsslib.ssp_to_npp([0.5, 0.25], 0.5)
    assert image.dtype == np.float64
    assert image.tolist() == [0.5, 0.25, -0.25]
    values, target = rsslib.npp_to_ssp([0.5, 0.25])
    assert target == 0.375


def test_bad_target_is_refused():
    with pytest.raises(ValueError, match="z must be finite"):
        rsslib.ssp_to_npp([1, 2], float("nan"))
    with pytest.raises(ValueError, match="xs must be finite"):
        rsslib.npp_to_ssp([1.0, float("inf")])


@given(st.lists(st.integers(-1000, 1000), max_size=40))
def test_karmarkar_karp_discrepancy_matches_its_partition(xs):
    disc, mask = rsslib.karmarkar_karp(np.array(xs, dtype=np.int64))
    assert mask.shape == (len(xs),) and mask.dtype == bool
    chosen = sum(x for x, m in zip(xs, mask, strict=True) if m)
    assert disc == abs(2 * chosen - sum(xs))


@given(st.lists(st.integers(0, 60), max_size=9))
def test_karmarkar_karp_is_never_better_than_the_optimum(xs):
    from tests.reference import all_subsets

    best = min((abs(2 * sum(xs[i] for i in s) - sum(xs)) for s in all_subsets(xs)), default=0)
    disc, _ = rsslib.karmarkar_karp(np.array(xs, dtype=np.int64))
    assert disc >= best
    # differencing the two largest leaves at most the largest value
    assert disc <= max(xs, default=0)


def test_karmarkar_karp_on_a_hand_example():
    # 8,7,6,5,4 -> 6,5,4,1 -> 4,1,1 -> 3,1 -> 2 ; the optimum is 0 (8+7 = 6+5+4)
    disc, mask = rsslib.karmarkar_karp([8, 7, 6, 5, 4])
    assert disc == 2.0
    disc, mask = rsslib.karmarkar_karp([0.5, -0.25, 0.25])
    assert disc == pytest.approx(abs(2 * np.sum(np.array([0.5, -0.25, 0.25])[mask]) - 0.5))
