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
