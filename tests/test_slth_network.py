"""The error recursion of Theorem 31's proof (rsslib.slth.sup_error): each term against brute
force over the corners of the input box, the certificate against the networks it bounds and
against the thesis's closed form."""

import itertools

import numpy as np
import pytest
import torch

from rsslib import slth


def small_case(seed=0, depth=2, width=24, c=2, d=2):
    gen = torch.Generator().manual_seed(seed)
    channels, kernels = [1] + [c] * depth, [d] * depth
    filters = [
        2 * torch.rand(channels[i + 1], channels[i], d, d, generator=gen, dtype=torch.float64) - 1
        for i in range(depth)
    ]
    target, _ = slth.normalise_filters(filters)
    net = slth.random_cnn(channels, kernels, [width] * depth, seed=seed)
    pruned, _ = slth.prune(net, target, eps=0.01, max_terms=12)
    return target, pruned


def corner_max(E, corners):
    """max over output channels l and corners x of the box of |<E[l], x>|, by enumeration.

    A linear form reaches its largest absolute value on a box at a corner, so with
    ``corners = (0, 1)`` this is the sup over inputs in [0, 1], and with ``(-1, 1)`` the sup
    over inputs of max-norm 1, of one output entry whose window sees the whole kernel.
    """
    rows = E.flatten(1).numpy()
    points = np.array(list(itertools.product(corners, repeat=rows.shape[1])))
    return float(np.abs(points @ rows.T).max())


def binary_images(c0=1, D=3):
    """Every input in {0, 1}^(c0 x D x D): the corners of the input box [0, 1]."""
    X = torch.tensor(list(itertools.product((0.0, 1.0), repeat=c0 * D * D)), dtype=torch.float64)
    return X.reshape(-1, c0, D, D)


def test_recursion_terms_against_brute_force_and_the_networks_they_bound():
    target, pruned = small_case(1, depth=3)
    res = slth.sup_error(target, pruned, steps=0)
    L = slth.effective_filters(pruned)
    for i, (K, Li) in enumerate(zip(target, L, strict=True)):
        # delta_i is the sup over Y in [0, 1] of the layer error: a 0/1 corner attains it
        assert res.deltas[i] == pytest.approx(corner_max(K - Li, (0.0, 1.0)), rel=1e-12)
        # op_i is the sup of ||K_i * Z||_max over ||Z||_max <= 1: a +-1 corner attains it
        assert res.op_norms[i] == pytest.approx(corner_max(K, (-1.0, 1.0)), rel=1e-12)
    # R_i bounds the target's activations and B_i the gap to the pruned network, layer by
    # layer, on every binary 3x3 image and on random images of [0, 1]
    gen = torch.Generator().manual_seed(0)
    X = torch.cat([binary_images(), torch.rand(256, 1, 3, 3, generator=gen, dtype=torch.float64)])
    with torch.no_grad():
        for i in range(len(target)):
            f = slth.SimpleCNN(target[: i + 1])(X)
            g = slth.SimpleCNN(pruned.filters[: 2 * i + 2])(X)
            assert float(f.abs().max()) <= res.activation_bounds[i] * (1 + 1e-12)
            assert 0 < float((f - g).abs().max()) <= res.bounds[i] * (1 + 1e-12)
    assert res.certified == res.bounds[-1]
    assert res.lower == 0.0 and res.argmax is None


def test_certificate_is_the_thesis_product_when_every_filter_has_l1_norm_one():
    # op_i = 1 makes R_i = 1 and B_i = B_{i-1} + delta_i (1 + B_{i-1}): the recursion must
    # then give the closed form of the thesis, 1 + B_l = prod (1 + delta_i)
    target, pruned = small_case(6, depth=4)
    unit = [K / K.abs().flatten(1).sum(1)[:, None, None, None] for K in target]
    res = slth.sup_error(unit, pruned, steps=0)
    assert res.op_norms == pytest.approx((1.0,) * 4, rel=1e-12)
    assert res.activation_bounds == pytest.approx((1.0,) * 4, rel=1e-12)
    closed = float(np.prod(1 + np.array(res.deltas)) - 1)
    assert res.certified == pytest.approx(closed, rel=1e-12)


def test_one_layer_certificate_is_the_exact_sup_error():
    # one layer, non-negative inputs: both networks are linear, so the sup of the error
    # over [0, 1] is reached at a corner, and the certificate (B_1 = delta_1) is sharp
    target, pruned = small_case(7, depth=1)
    res = slth.sup_error(target, pruned, steps=0)
    with torch.no_grad():
        X = binary_images(1, 3)
        exact = float((slth.SimpleCNN(target)(X) - pruned(X)).abs().max())
    assert res.certified == pytest.approx(exact, rel=1e-12)


def test_certificate_is_below_the_thesis_form_and_above_exhaustive_binary_inputs():
    target, pruned = small_case(2, depth=2, c=2, d=2)
    res = slth.sup_error(target, pruned, steps=0)
    thesis = float(np.prod(1 + np.array(res.deltas)) - 1)
    assert res.certified <= thesis * (1 + 1e-12)  # ||K||op <= ||K||_1 <= 1
    # every binary 3x3 input: the true error over them never exceeds the certificate
    f, g = slth.SimpleCNN(target), pruned
    X = binary_images()
    with torch.no_grad():
        worst = float((f(X) - g(X)).abs().max())
    assert 0 < worst <= res.certified * (1 + 1e-12)


def test_search_on_collapsed_network_finds_an_error_of_the_pruned_network():
    target, pruned = small_case(3, depth=2)
    res = slth.sup_error(target, pruned, size=4, restarts=4, steps=40)
    assert 0 < res.lower <= res.certified * (1 + 1e-12)
    with torch.no_grad():
        actual = float((slth.SimpleCNN(target)(res.argmax) - pruned(res.argmax)).abs().max())
    assert actual == pytest.approx(res.lower, rel=1e-9)


def test_empty_mask_error_is_the_size_of_the_target():
    target, pruned = small_case(4, depth=2)
    empty = slth.SimpleCNN([torch.zeros_like(f) for f in pruned.filters])
    res = slth.sup_error(target, empty, size=4, restarts=4, steps=40)
    # with L = 0 the recursion bounds ||f||: its certificate is at least the found output
    with torch.no_grad():
        found = float(slth.SimpleCNN(target)(res.argmax).abs().max())
    assert found == pytest.approx(res.lower, rel=1e-12)
    assert res.lower <= res.certified


def test_sup_error_rejects_bad_search_settings():
    target, pruned = small_case(5, depth=1)
    with pytest.raises(ValueError, match="size must be >= 1"):
        slth.sup_error(target, pruned, size=0)
    with pytest.raises(ValueError, match="steps must be >= 0"):
        slth.sup_error(target, pruned, steps=-1)
