import itertools
import math

import numpy as np
import pytest
import torch

from rsslib import slth


def naive_thesis_conv(K, X):
    """Eq. 4.2 with 1-based indices, straight from the definition (tiny tensors only)."""
    n, c0, D, _ = X.shape
    c1, _, d, _ = K.shape
    out = torch.zeros(n, c1, D, D, dtype=torch.float64)
    for s, o, i, j in itertools.product(range(n), range(c1), range(1, D + 1), range(1, D + 1)):
        total = 0.0
        for ip, jp, k in itertools.product(range(1, d + 1), range(1, d + 1), range(c0)):
            r, c = i - ip + 1, j - jp + 1
            if 1 <= r <= D and 1 <= c <= D:
                total += float(K[o, k, ip - 1, jp - 1]) * float(X[s, k, r - 1, c - 1])
        out[s, o, i - 1, j - 1] = total
    return out


@pytest.mark.parametrize(
    ("c0", "c1", "d", "D"), [(1, 1, 1, 3), (2, 3, 2, 4), (3, 2, 3, 3), (1, 2, 3, 5)]
)
def test_convolutions_follow_the_definition(c0, c1, d, D):
    gen = torch.Generator().manual_seed(c0 * 100 + d * 10 + D)
    K = torch.randn(c1, c0, d, d, generator=gen, dtype=torch.float64)
    X = torch.randn(2, c0, D, D, generator=gen, dtype=torch.float64)
    reference = naive_thesis_conv(K, X)
    torch.testing.assert_close(slth.thesis_conv(K, X), reference, rtol=0, atol=1e-12)
    torch.testing.assert_close(slth.conv(K, X), reference, rtol=0, atol=1e-12)


def test_simple_cnn_composes_convolutions_and_relus():
    gen = torch.Generator().manual_seed(1)
    filters = [
        torch.randn(4, 2, 3, 3, generator=gen, dtype=torch.float64),
        torch.randn(3, 4, 1, 1, generator=gen, dtype=torch.float64),
        torch.randn(1, 3, 2, 2, generator=gen, dtype=torch.float64),
    ]
    X = torch.rand(5, 2, 6, 6, generator=gen, dtype=torch.float64)
    net = slth.SimpleCNN(filters)
    expected = slth.thesis_conv(
        filters[2],
        torch.relu(slth.thesis_conv(filters[1], torch.relu(slth.thesis_conv(filters[0], X)))),
    )
    torch.testing.assert_close(net(X), expected, rtol=0, atol=1e-12)
    assert net.channels == [2, 4, 3, 1] and net.parameter_count() == 72 + 12 + 12
    for got, want in zip(net.filters, filters, strict=True):
        assert torch.equal(got, want)


def test_random_cnn_has_the_shapes_of_theorem_31():
    net = slth.random_cnn([1, 4, 2], [3, 5], [10, 12], seed=3)
    shapes = [tuple(f.shape) for f in net.filters]
    assert shapes == [(10, 1, 3, 3), (4, 10, 1, 1), (12, 4, 5, 5), (2, 12, 1, 1)]
    assert all(float(f.abs().max()) <= 1 for f in net.filters)
    again = slth.random_cnn([1, 4, 2], [3, 5], [10, 12], seed=3)
    assert all(torch.equal(a, b) for a, b in zip(net.filters, again.filters, strict=True))


@pytest.mark.parametrize(
    ("channels", "kernels", "eps", "C", "expected"),
    [
        # 2*4*ln(1*4*9*2 / 0.01) = 8 ln 7200 = 71.05; 2*2*ln(4*2*25*2 / 0.01) = 4 ln 40000 = 42.39
        ([1, 4, 2], [3, 5], 0.01, 2.0, [72, 43]),
        # 16 ln(3*16*25*3 / 0.05) = 16 ln 72000 = 178.95; 16 ln(16*16*9*3 / 0.05) = 189.39;
        # 10 ln(16*10*9*3 / 0.05) = 10 ln 86400 = 113.67
        ([3, 16, 16, 10], [5, 3, 3], 0.05, 1.0, [179, 190, 114]),
        # 3 ln(1*1*4*1 / 0.5) = 3 ln 8 = 6.24
        ([1, 1], [2], 0.5, 3.0, [7]),
    ],
)
def test_required_width_against_hand_computed_widths(channels, kernels, eps, C, expected):
    # n_i = ceil(C c_i ln(c_{i-1} c_i d_i^2 l / eps)), Theorem 31, evaluated by hand
    assert slth.required_width(channels, kernels, eps=eps, C=C) == expected


def test_required_width_grows_by_c_i_per_factor_e_of_one_over_eps():
    # the width is logarithmic in 1/eps: dividing eps by e^k adds C c_i k to every layer
    base = slth.required_width([1, 4, 2], [3, 5], eps=0.01, C=2.0)
    for k in (1, 3, 10):
        finer = slth.required_width([1, 4, 2], [3, 5], eps=0.01 * math.exp(-k), C=2.0)
        assert finer == [base[0] + 8 * k, base[1] + 4 * k]


def tiny_problem(seed=0, width=12, c0=1, c1=2, d=2, depth=1):
    gen = torch.Generator().manual_seed(seed)
    channels = [c0] + [c1] * depth
    targets = [
        torch.randn(c1, channels[i], d, d, generator=gen, dtype=torch.float64) for i in range(depth)
    ]
    targets, _ = slth.normalise_filters(targets)
    net = slth.random_cnn(channels, [d] * depth, [width] * depth, seed=seed)
    return net, targets


@pytest.mark.parametrize("seed", range(4))
def test_prune_is_optimal_for_every_weight_against_brute_force(seed):
    max_terms = 6
    net, targets = tiny_problem(seed, width=16)
    pruned, report = slth.prune(net, targets, eps=0.01, max_terms=max_terms)
    U, V = [f.numpy() for f in net.filters]
    L = slth.effective_filters(pruned)[0].numpy()
    K = targets[0].numpy()
    c1, block = K.shape[0], U.shape[0] // K.shape[0]
    worst = 0.0
    for out in range(c1):
        channels = range(out * block, (out + 1) * block)
        for k, a, b in itertools.product(range(K.shape[1]), range(K.shape[2]), range(K.shape[3])):
            usable = [t for t in channels if U[t, k, a, b] > 0][:max_terms]
            products = [V[out, t, 0, 0] * U[t, k, a, b] for t in usable]
            best = min(
                abs(sum(s) - K[out, k, a, b])
                for r in range(len(products) + 1)
                for s in itertools.combinations(products, r)
            )
            achieved = abs(L[out, k, a, b] - K[out, k, a, b])
            assert achieved == pytest.approx(best, abs=1e-12)
            worst = max(worst, achieved)
    assert report[0]["max_weight_error"] == pytest.approx(worst, abs=1e-12)


def test_pruned_network_keeps_random_entries_and_respects_the_structure():
    net, targets = tiny_problem(5, width=20, c1=3, depth=2)
    pruned, report = slth.prune(net, targets, eps=0.01)
    for original, kept in zip(net.filters, pruned.filters, strict=True):
        nonzero = kept != 0
        assert torch.equal(kept[nonzero], original[nonzero])
    U, V = pruned.filters[0], pruned.filters[1]
    assert bool((U >= 0).all())
    block = 20 // 3
    for out in range(3):
        outside = [t for t in range(20) if not out * block <= t < (out + 1) * block]
        assert bool((V[out, outside] == 0).all())
    assert sum(r["kept"] for r in report) == sum(int((f != 0).sum()) for f in pruned.filters)
    # on non-negative inputs each pair computes its effective filter
    X = torch.rand(3, 1, 5, 5, dtype=torch.float64)
    L = slth.effective_filters(pruned)
    first_pair = slth.SimpleCNN(pruned.filters[:2])
    torch.testing.assert_close(first_pair(X), slth.conv(L[0], X), rtol=0, atol=1e-12)


def pair_computing(L):
    """A pruned pair (U >= 0, V) whose effective filter is ``L``: one hidden channel per
    entry of a filter, U its indicator, V the entry's value."""
    m = L[0].numel()
    U = torch.eye(m, dtype=torch.float64).reshape(m, *L.shape[1:])
    return [U, L.reshape(L.shape[0], m, 1, 1).clone()]


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_budgets_keep_the_worst_network_within_eps_and_are_not_twice_too_small(depth):
    # one channel per layer, filters of l1 norm 1: the case where the proof's recursion is
    # tight. Every weight of every layer misses its target by exactly the reported budget,
    # all in the same direction (the worst case for the sup error over inputs in [0, 1]).
    eps = 0.1
    net, targets = tiny_problem(depth, width=8, c0=1, c1=1, d=2, depth=depth)
    _, report = slth.prune(net, targets, eps=eps)

    def missing_by(per_weight):
        filters = []
        for K, w in zip(targets, per_weight, strict=True):
            filters += pair_computing(K - w)
        return filters

    worst = missing_by([r["budget"] for r in report])
    res = slth.sup_error(targets, worst, steps=0)
    # each layer then errs by its layer budget per unit of input, and the certificate of
    # the whole network (an upper bound on its sup error) stays within eps
    assert res.deltas == pytest.approx(tuple(r["layer_budget"] for r in report), rel=1e-12)
    assert res.certified <= eps
    X = torch.tensor(list(itertools.product((0.0, 1.0), repeat=9)), dtype=torch.float64)
    X = X.reshape(-1, 1, 3, 3)
    with torch.no_grad():
        measured = float((slth.SimpleCNN(targets)(X) - slth.SimpleCNN(worst)(X)).abs().max())
    assert 0 < measured <= res.certified * (1 + 1e-12)
    # twice the budget (eps / l per layer, without the proof's 2) no longer composes to eps:
    # (1 + eps / l)^l - 1 > eps as soon as there are two layers
    doubled = slth.sup_error(targets, missing_by([2 * r["budget"] for r in report]), steps=0)
    if depth == 1:
        assert doubled.certified == pytest.approx(eps, rel=1e-12)
    else:
        assert doubled.certified > eps


@pytest.mark.parametrize(("width", "certified"), [(24, False), (64, True)])
def test_within_budget_certifies_the_network_error(width, certified):
    eps = 0.1
    net, targets = tiny_problem(11, width=width, c0=1, c1=2, d=2, depth=2)
    pruned, report = slth.prune(net, targets, eps=eps)
    assert all(r["within_budget"] for r in report) == certified
    deltas = []
    for K, L, r in zip(targets, slth.effective_filters(pruned), report, strict=True):
        l1 = float((K - L).abs().flatten(1).sum(1).max())
        assert r["l1_error"] == pytest.approx(l1, abs=1e-12)
        if r["within_budget"]:
            assert r["l1_error"] <= r["layer_budget"] / K.shape[0] + 1e-15
        deltas.append(l1)
    bound = float(np.prod(1 + np.array(deltas)) - 1)
    X = torch.rand(256, 1, 6, 6, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        measured = float((slth.SimpleCNN(targets)(X) - pruned(X)).abs().max())
    assert measured <= bound + 1e-12
    assert (bound <= (1 + eps / 4) ** 2 - 1 <= eps) == certified


def test_leftover_channels_are_counted_and_pruned():
    # width 20 with 3 output channels: blocks of 6, hidden channels 18 and 19 in no block
    net, targets = tiny_problem(5, width=20, c1=3, depth=2)
    pruned, report = slth.prune(net, targets, eps=0.01)
    assert [r["leftover_channels"] for r in report] == [20 % 3, 20 % 3]
    for i in (0, 2):
        U, V = pruned.filters[i], pruned.filters[i + 1]
        assert bool((U[18:] == 0).all()) and bool((V[:, 18:] == 0).all())
    # the positive count covers the blocks only, not the leftover channels
    U = net.filters[0]
    in_blocks = sum(
        int((U[out * 6 : (out + 1) * 6, k] > 0).sum()) for out in range(3) for k in range(1)
    )
    assert report[0]["positive"] == in_blocks
    # a width divisible by the channels leaves none
    net, targets = tiny_problem(5, width=18, c1=3)
    assert slth.prune(net, targets, eps=0.01)[1][0]["leftover_channels"] == 0


def test_max_terms_counts_unused_entries_and_only_helps():
    net, targets = tiny_problem(4, width=40, c0=1, c1=2, d=2)
    U = net.filters[0].numpy()
    block = 20
    counts = np.array(
        [
            int((U[out * block : (out + 1) * block, k, a, b] > 0).sum())
            for out in range(2)
            for k, a, b in itertools.product(range(1), range(2), range(2))
        ]
    )
    previous = None
    for max_terms in (2, 4, 6, 8, 12, 20):
        pruned, report = slth.prune(net, targets, eps=0.01, max_terms=max_terms)
        assert report[0]["positive"] == counts.sum()
        assert report[0]["unused"] == np.maximum(counts - max_terms, 0).sum()
        errors = (slth.effective_filters(pruned)[0] - targets[0]).abs().flatten().numpy()
        # the first m positive products are a prefix of the first m' > m: never worse
        if previous is not None:
            assert np.all(errors <= previous + 1e-12)
        previous = errors
        # only the first max_terms positive channels of a block are ever kept
        kept_u = pruned.filters[0].numpy() != 0
        for out in range(2):
            rows = slice(out * block, (out + 1) * block)
            rank = np.cumsum(U[rows] > 0, axis=0)
            assert not np.any(kept_u[rows] & (rank > max_terms))
    assert report[0]["unused"] == 0


def test_layer_sup_error_is_exact_against_all_binary_inputs():
    gen = torch.Generator().manual_seed(7)
    for _ in range(5):
        K = torch.randn(2, 2, 2, 2, generator=gen, dtype=torch.float64)
        L = K + 0.1 * torch.randn(2, 2, 2, 2, generator=gen, dtype=torch.float64)
        value, X = slth.layer_sup_error(K, L)
        # linear in X, so the max over [0,1]^m is at a vertex; a d x d input already has an
        # output entry that sees the whole kernel, so enumerating its vertices is exhaustive
        best = 0.0
        for bits in itertools.product([0.0, 1.0], repeat=2 * 2 * 2):
            Xv = torch.tensor(bits, dtype=torch.float64).reshape(1, 2, 2, 2)
            best = max(best, float((slth.conv(K, Xv) - slth.conv(L, Xv)).abs().max()))
        assert value == pytest.approx(best, abs=1e-12)
        attained = float((slth.conv(K, X) - slth.conv(L, X)).abs().max())
        assert attained == pytest.approx(value, abs=1e-12)
        assert value <= float((K - L).abs().flatten(1).sum(1).max()) + 1e-12


def test_one_signed_error_attains_the_l1_bound():
    K = torch.zeros(1, 1, 2, 2, dtype=torch.float64)
    L = -torch.full((1, 1, 2, 2), 0.1, dtype=torch.float64)
    value, _ = slth.layer_sup_error(K, L)
    assert value == pytest.approx(0.4)


def test_sup_error_brackets_the_true_error():
    net, targets = tiny_problem(9, width=24, c1=2, depth=2)
    pruned, _ = slth.prune(net, targets, eps=0.01)
    res = slth.sup_error(targets, pruned, size=5, restarts=4, steps=60)
    assert 0 <= res.lower <= res.certified + 1e-12
    single, _ = slth.layer_sup_error(targets[0], slth.effective_filters(pruned)[0])
    assert res.deltas[0] == pytest.approx(single)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: slth.conv(torch.zeros(1, 2, 3, 3), torch.zeros(1, 3, 5, 5)), "input channels"),
        (lambda: slth.SimpleCNN([torch.zeros(2, 1, 3, 3), torch.zeros(1, 3, 3, 3)]), "expects 3"),
        (
            lambda: slth.prune(slth.random_cnn([1, 2], [3], [8]), [torch.ones(2, 1, 3, 3)], 0.1),
            "normalise_filters",
        ),
        (
            lambda: slth.prune(slth.random_cnn([1, 4], [3], [3]), [torch.zeros(4, 1, 3, 3)], 0.1),
            "block structure",
        ),
        (
            lambda: slth.prune(slth.random_cnn([1, 2], [3], [8]), [torch.zeros(2, 1, 5, 5)], 0.1),
            "expected",
        ),
        (
            lambda: slth.prune(
                slth.random_cnn([1, 2], [3], [8]), [torch.zeros(2, 1, 3, 3)] * 2, 0.1
            ),
            "2 filters per target layer",
        ),
        (
            lambda: slth.effective_filters([-torch.ones(2, 1, 3, 3), torch.ones(1, 2, 1, 1)]),
            "negative",
        ),
        (lambda: slth.required_width([1, 2], [3, 3], 0.1, 1.0), "channels must list"),
        # fails if a fractional max_terms were truncated (3.7 -> 3) instead of refused
        (
            lambda: slth.prune(
                slth.random_cnn([1, 2], [3], [8]), [torch.zeros(2, 1, 3, 3)], 0.1, max_terms=3.7
            ),
            r"max_terms must be an integer, got 3\.7",
        ),
        (
            lambda: slth.prune(
                slth.random_cnn([1, 2], [3], [8]), [torch.zeros(2, 1, 3, 3)], 0.1, max_terms=41
            ),
            r"max_terms must be in 1\.\.40, got 41",
        ),
    ],
)
def test_bad_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()
