"""The error recursion of Theorem 31's proof (rsslib.slth.sup_error), checked by hand."""

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


def test_recursion_terms_follow_their_definitions():
    target, pruned = small_case(1, depth=3)
    res = slth.sup_error(target, pruned, steps=0)
    L = slth.effective_filters(pruned)
    R, B = 1.0, 0.0
    for i, (K, Li) in enumerate(zip(target, L, strict=True)):
        E = (K - Li).flatten(1)
        delta = float(torch.maximum(E.clamp(min=0).sum(1), (-E).clamp(min=0).sum(1)).max())
        op = float(K.abs().flatten(1).sum(1).max())
        B = op * B + delta * (R + B)
        R = op * R
        assert res["per_layer"][i] == pytest.approx(delta, rel=1e-12)
        assert res["op_norms"][i] == pytest.approx(op, rel=1e-12)
        assert res["activation_bounds"][i] == pytest.approx(R, rel=1e-12)
        assert res["bounds"][i] == pytest.approx(B, rel=1e-12)
    assert res["certified"] == res["bounds"][-1]
    assert res["lower"] == 0.0 and res["argmax"] is None


def test_certificate_is_below_the_thesis_form_and_above_exhaustive_binary_inputs():
    target, pruned = small_case(2, depth=2, c=2, d=2)
    res = slth.sup_error(target, pruned, steps=0)
    thesis = float(np.prod(1 + np.array(res["per_layer"])) - 1)
    assert res["certified"] <= thesis * (1 + 1e-12)  # ||K||op <= ||K||_1 <= 1
    # every binary 3x3 input: the true error over them never exceeds the certificate
    f, g = slth.SimpleCNN(target), pruned
    X = torch.tensor(list(itertools.product((0.0, 1.0), repeat=9)), dtype=torch.float64)
    X = X.reshape(-1, 1, 3, 3)
    with torch.no_grad():
        worst = float((f(X) - g(X)).abs().max())
    assert 0 < worst <= res["certified"] * (1 + 1e-12)


def test_search_on_collapsed_network_finds_an_error_of_the_pruned_network():
    target, pruned = small_case(3, depth=2)
    res = slth.sup_error(target, pruned, size=4, restarts=4, steps=40)
    assert 0 < res["lower"] <= res["certified"] * (1 + 1e-12)
    with torch.no_grad():
        actual = float((slth.SimpleCNN(target)(res["argmax"]) - pruned(res["argmax"])).abs().max())
    assert actual == pytest.approx(res["lower"], rel=1e-9)


def test_empty_mask_error_is_the_size_of_the_target():
    target, pruned = small_case(4, depth=2)
    empty = slth.SimpleCNN([torch.zeros_like(f) for f in pruned.filters])
    res = slth.sup_error(target, empty, size=4, restarts=4, steps=40)
    # with L = 0 the recursion bounds ||f||: its certificate is at least the found output
    with torch.no_grad():
        found = float(slth.SimpleCNN(target)(res["argmax"]).abs().max())
    assert found == pytest.approx(res["lower"], rel=1e-12)
    assert res["lower"] <= res["certified"]


def test_sup_error_rejects_bad_search_settings():
    target, pruned = small_case(5, depth=1)
    with pytest.raises(ValueError, match="size and restarts"):
        slth.sup_error(target, pruned, size=0)
    with pytest.raises(ValueError, match="steps"):
        slth.sup_error(target, pruned, steps=-1)
