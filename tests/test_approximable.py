import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rsslib
from rsslib import _intervals, approximable
from tests.reference import approximable_intervals, covered_fraction, covers

values = st.floats(-1.5, 1.5, allow_nan=False, width=64)
samples = st.lists(values, max_size=10)
epsilons = st.sampled_from([1e-4, 1e-3, 0.01, 0.05, 0.2, 1.0, 5.0])
windows = st.sampled_from([(-1.0, 1.0), (0.0, 1.0), (-3.0, -0.5), (0.25, 0.3)])


def _close_gaps(intervals, gap=1e-12):
    """Merge neighbours closer than ``gap``. Where two intervals touch exactly (sums of
    "round" floats such as 0.25 + 0.1 - 0.05 and 0.2 + 0.1), whether they meet or leave a
    gap of one ulp depends on the order of the roundings, which differs between the
    recurrence and the enumeration; both answers are right to within rounding."""
    out = []
    for left, right in intervals:
        if out and left - out[-1][1] <= gap:
            out[-1][1] = max(out[-1][1], right)
        else:
            out.append([left, right])
    return out


def assert_same_intervals(lo, hi, expected):
    got = _close_gaps(zip(lo, hi, strict=True))
    expected = _close_gaps(expected)
    assert len(got) == len(expected)
    if expected:
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_touching_intervals_are_compared_up_to_rounding():
    """The case hypothesis found: 0.2 + 0.1 and 0.25 + 0.1 - 0.05 round apart by one ulp."""
    lo, hi = rsslib.approximable_set(np.array([0.25, 0.1]), 0.05)
    assert_same_intervals(lo, hi, [[-0.05, 0.15], [0.2, 0.4]])
    with pytest.raises(AssertionError):
        assert_same_intervals(lo, hi, [[-0.05, 0.15], [0.2, 0.3], [0.31, 0.4]])


@given(samples, epsilons)
def test_approximable_set_equals_exhaustive_union(xs, eps):
    lo, hi = rsslib.approximable_set(np.array(xs), eps)
    assert_same_intervals(lo, hi, approximable_intervals(xs, eps))
    assert np.all(np.diff(lo) > 0) and np.all(hi >= lo)
    assert np.all(lo[1:] > hi[:-1])  # disjoint and not touching


@given(samples, epsilons, windows)
def test_density_and_coverage_equal_exhaustive(xs, eps, window):
    exact = approximable_intervals(xs, eps)
    z = rsslib.density(np.array(xs), eps, window)
    assert z == pytest.approx(covered_fraction(exact, *window), abs=1e-12)
    assert rsslib.all_approximable(np.array(xs), eps, window) == covers(exact, *window)


def test_hundreds_of_random_uniform_samples():
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(0, 15))
        eps = float(10.0 ** rng.uniform(-4, -0.5))
        xs = rng.uniform(-1, 1, n)
        exact = approximable_intervals(xs.tolist(), eps)
        lo, hi = rsslib.approximable_set(xs, eps)
        assert_same_intervals(lo, hi, exact)
        assert rsslib.density(xs, eps) == pytest.approx(covered_fraction(exact, -1, 1), abs=1e-12)
        assert rsslib.all_approximable(xs, eps) == covers(exact, -1, 1)


@pytest.mark.parametrize(
    "xs",
    [
        [],
        [0.0, 0.0, 0.0],
        [0.5, 0.5, 0.5, 0.5],
        [-0.3, -0.7, -0.2, -0.9],
        [1, 2, 3],  # integers: intervals touch exactly at half-integers when eps = 0.5
    ],
)
@pytest.mark.parametrize("eps", [1e-9, 0.5, 1e3])
def test_edge_cases(xs, eps):
    lo, hi = rsslib.approximable_set(xs, eps)
    assert_same_intervals(lo, hi, approximable_intervals(xs, eps))
    exact = approximable_intervals(xs, eps)
    assert rsslib.density(xs, eps) == pytest.approx(covered_fraction(exact, -1, 1), abs=1e-12)


def test_empty_sample_gives_the_eps_ball_and_z0_equals_eps():
    lo, hi = rsslib.approximable_set([], 0.25)
    assert lo.tolist() == [-0.25] and hi.tolist() == [0.25]
    assert rsslib.density([], 0.25) == 0.25
    assert rsslib.density([], 3.0) == 1.0
    assert rsslib.density_trajectory([], 0.1).tolist() == [0.1]


def test_touching_intervals_are_merged():
    lo, hi = rsslib.approximable_set([1, 2, 3], 0.5)
    assert lo.tolist() == [-0.5] and hi.tolist() == [6.5]
    assert rsslib.all_approximable([1, 2, 3], 0.5, window=(-0.5, 6.5))


@given(samples, epsilons, windows)
def test_trajectory_is_the_density_of_each_prefix_and_non_decreasing(xs, eps, window):
    traj = rsslib.density_trajectory(np.array(xs), eps, window)
    assert traj.shape == (len(xs) + 1,)
    expected = [
        covered_fraction(approximable_intervals(xs[:k], eps), *window) for k in range(len(xs) + 1)
    ]
    np.testing.assert_allclose(traj, expected, rtol=0, atol=1e-12)
    assert np.all(np.diff(traj) >= -1e-15)


@given(samples, epsilons, windows)
def test_cover_time_is_first_covering_prefix(xs, eps, window):
    t = rsslib.cover_time(np.array(xs), eps, window)
    covered = [covers(approximable_intervals(xs[:k], eps), *window) for k in range(len(xs) + 1)]
    assert t == (covered.index(True) if any(covered) else len(xs) + 1)


@pytest.mark.xfail(strict=True, reason="window pruning: a clipped edge comes back one ulp short")
def test_window_pruning_keeps_an_edge_that_the_whole_line_covers():
    # Known bug (found by hypothesis; the same at the branch point of the kernel move):
    # at k = 6 the interval [-1.55, -1.3] is clipped to the zone edge -1.4; adding the last
    # value 0.4 gives -1.4 + 0.4 = -0.9999999999999999, one ulp inside the window, so the
    # window's edge -1 counts as uncovered although the unpruned set covers [-1.15, 2.01].
    xs = np.array([1.0, 1.0625, 1.1875, -0.75, -0.75, -0.9375, 0.4])
    lo, hi = rsslib.approximable_set(xs, 0.05)
    assert covers(list(zip(lo, hi, strict=True)), -1.0, 1.0)  # the whole line: covered
    assert rsslib.cover_time(xs, 0.05) == 7


def test_integer_and_float32_inputs_are_accepted():
    ints = rsslib.approximable_set(np.array([1, -2], dtype=np.int32), 0.1)
    floats = rsslib.approximable_set(np.array([1.0, -2.0]), 0.1)
    f32 = rsslib.approximable_set(np.array([1.0, -2.0], dtype=np.float32), 0.1)
    for got in (ints, f32):
        np.testing.assert_array_equal(got[0], floats[0])
        np.testing.assert_array_equal(got[1], floats[1])


def test_interval_count_respects_its_bound_and_a_covered_window_is_one_interval():
    rng = np.random.default_rng(3)
    for n in (10, 20, 30):
        xs = rng.uniform(-1, 1, n)
        lo, hi = rsslib.approximable_set(xs, 1e-6)
        assert len(lo) <= rsslib.interval_bound(xs, 1e-6)
        meeting_window = int(np.sum((hi >= -1) & (lo <= 1)))
        if rsslib.all_approximable(xs, 1e-6):
            assert meeting_window == 1


def test_window_pruning_does_not_change_the_density():
    rng = np.random.default_rng(11)
    for _ in range(50):
        xs = rng.uniform(-1, 1, 16)
        lo, hi = rsslib.approximable_set(xs, 1e-3)
        full = covered_fraction(list(zip(lo, hi, strict=True)), -1, 1)
        assert rsslib.density(xs, 1e-3) == pytest.approx(full, abs=1e-12)


BAD = [
    (lambda: rsslib.density([1.0, np.nan], 0.1), "sample must be finite"),
    (lambda: rsslib.density([np.inf], 0.1), "sample must be finite"),
    (lambda: rsslib.density(np.ones((2, 2)), 0.1), "sample must be 1-D"),
    (lambda: rsslib.density([0.1], 0.0), "eps must be > 0"),
    (lambda: rsslib.density([0.1], -1.0), "eps must be > 0"),
    (lambda: rsslib.density([0.1], np.nan), "eps must be finite"),
    (lambda: rsslib.density([0.1], 0.1, window=(1.0, 1.0)), "window must satisfy a < b"),
    (lambda: rsslib.density([0.1], 0.1, window=(1.0, -1.0)), "window must satisfy a < b"),
    (lambda: rsslib.density([0.1], 0.1, window=(0.0, np.inf)), r"window\[1\] must be finite"),
    (lambda: rsslib.density([0.1], 0.1, window=3.0), "window must be a pair"),
    (lambda: rsslib.approximable_set(np.ones(60), 1e-9), r"GiB"),
    (lambda: approximable.window_density([0.1], 0.1, [np.nan]), "centers must be finite"),
    (lambda: approximable.window_density([0.1], 0.1, [0.0], 0.0), "width must be > 0"),
    (lambda: approximable.window_density([np.nan], 0.1, [0.0]), "sample must be finite"),
]


@pytest.mark.parametrize(("call", "message"), BAD)
def test_bad_input_raises_value_error_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_memory_refusal_states_the_size(monkeypatch):
    monkeypatch.setattr(approximable, "MAX_MEMORY_BYTES", 1000)
    with pytest.raises(ValueError, match=r"up to [\d,]+ intervals"):
        rsslib.density(np.full(10, 0.5), 1e-3)


def test_one_memory_knob_for_every_interval_recurrence(monkeypatch):
    from rsslib import fixed_size, weights

    monkeypatch.setattr(approximable, "MAX_MEMORY_BYTES", 1000)
    x = np.full(10, 0.5)
    for call in (
        lambda: rsslib.cover_times(10, 1e-3, 5),
        lambda: fixed_size.fixed_size_cover_time(x, 1e-3, 2),
        lambda: weights.relative_cover_time(x, 0.1, 1e-3),
    ):
        with pytest.raises(ValueError, match=r"rsslib\.approximable\.MAX_MEMORY_BYTES"):
            call()


def test_batch_interval_bound_is_the_largest_row_bound():
    rng = np.random.default_rng(12)
    rows = rng.uniform(-1, 1, (30, 12))
    for window in (None, (-1.0, 1.0)):
        expected = max(_intervals.interval_bound(r, 1e-3, window) for r in rows)
        assert _intervals.interval_bound(rows, 1e-3, window) == expected


def _numeric_expected_density(xs, eps, clipped, points=4001):
    """Average of Z_{n+1}(x) over a grid of new values x (trapezoid rule)."""
    grid = np.linspace(-1, 1, points)
    if not clipped:
        values = [rsslib.density(np.append(xs, x), eps) for x in grid]
    else:
        lo, hi = rsslib.approximable_set(xs, eps, window=(-1.0, 1.0))
        values = []
        for x in grid:
            shifted = list(zip(lo + x, hi + x, strict=True))
            both = sorted(list(zip(lo, hi, strict=True)) + shifted)
            merged = []
            for a, b in both:
                if merged and a <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], b)
                else:
                    merged.append([a, b])
            values.append(covered_fraction(merged, -1, 1))
    return np.trapezoid(values, grid) / 2


@pytest.mark.parametrize("clipped", [False, True])
def test_expected_next_density_matches_numerical_integration(clipped):
    rng = np.random.default_rng(21)
    for n in (0, 1, 2, 4, 7, 10):
        xs = rng.uniform(-1, 1, n)
        exact = rsslib.expected_next_density(xs, 0.03, clipped=clipped)
        assert exact == pytest.approx(_numeric_expected_density(xs, 0.03, clipped), abs=2e-5)


def test_proposition_16_holds_on_random_prefixes():
    rng = np.random.default_rng(22)
    for _ in range(200):
        xs = rng.uniform(-1, 1, int(rng.integers(0, 14)))
        eps = float(10 ** rng.uniform(-3, -1))
        z = rsslib.density(xs, eps)
        bound = z * (1 + (1 - z) / 4)
        assert rsslib.expected_next_density(xs, eps) >= bound - 1e-12
        assert rsslib.expected_next_density(xs, eps, clipped=True) >= bound - 1e-12


def test_windowed_approximable_set_is_the_whole_line_set_cut_to_the_window():
    rng = np.random.default_rng(23)
    xs = rng.uniform(-1, 1, 12)
    lo, hi = rsslib.approximable_set(xs, 0.01)
    wlo, whi = rsslib.approximable_set(xs, 0.01, window=(-0.7, 0.4))
    keep = (hi >= -0.7) & (lo <= 0.4)
    np.testing.assert_allclose(wlo, np.clip(lo[keep], -0.7, 0.4), atol=1e-12)
    np.testing.assert_allclose(whi, np.clip(hi[keep], -0.7, 0.4), atol=1e-12)


def test_next_density_matches_appending_the_value():
    rng = np.random.default_rng(24)
    for _ in range(40):
        xs = rng.uniform(-1, 1, int(rng.integers(0, 10)))
        new = rng.uniform(-1, 1, 5)
        expected = [rsslib.density(np.append(xs, v), 0.02) for v in new]
        np.testing.assert_allclose(rsslib.next_density(xs, 0.02, new), expected, atol=1e-12)


def test_clipped_next_density_is_below_both_z_next_and_twice_z():
    # Eq. 3.7 and Eq. 3.8 of the thesis
    rng = np.random.default_rng(25)
    grid = np.linspace(-1, 1, 201)
    for _ in range(60):
        xs = rng.uniform(-1, 1, int(rng.integers(0, 12)))
        z = rsslib.density(xs, 0.01)
        clipped = rsslib.next_density(xs, 0.01, grid, clipped=True)
        assert np.all(clipped <= rsslib.next_density(xs, 0.01, grid) + 1e-12)
        assert np.all(clipped <= 2 * z + 1e-12)
        assert np.all(clipped >= z - 1e-12)


@given(samples, epsilons, st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=6))
def test_window_density_is_the_density_of_each_window(xs, eps, centers):
    # h(u) of Proposition 16: covered length of [u - 1/2, u + 1/2], checked exhaustively
    exact = approximable_intervals(xs, eps)
    h = approximable.window_density(np.array(xs), eps, centers)
    expected = [covered_fraction(exact, u - 0.5, u + 0.5) for u in centers]
    np.testing.assert_allclose(h, expected, rtol=0, atol=1e-12)


def test_window_density_halves_add_up_to_twice_z():
    # h(-1/2) + h(1/2) = 2 Z_n, the identity the intermediate value argument starts from
    rng = np.random.default_rng(26)
    for _ in range(50):
        xs = rng.uniform(-1, 1, int(rng.integers(0, 12)))
        h = approximable.window_density(xs, 0.01, [-0.5, 0.5], width=1.0)
        assert h.sum() == pytest.approx(2 * rsslib.density(xs, 0.01), abs=1e-12)
        wide = approximable.window_density(xs, 0.01, [0.0], width=2.0)
        assert wide[0] == pytest.approx(rsslib.density(xs, 0.01), abs=1e-12)
    assert approximable.window_density([], 0.1, []).size == 0
