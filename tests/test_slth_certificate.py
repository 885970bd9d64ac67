"""One network path and one certificate: SimpleCNN <-> Network, prune as an adapter over
prune_network (against an independent brute-force construction), certified_error and
search_error on Networks (against brute force over the corners of the input box)."""

import dataclasses
import inspect
import itertools

import numpy as np
import pytest
import torch

from rsslib import slth
from rsslib.slth import certificate
from rsslib.slth.certificate import Certificate, certified_error, search_error


def random_filters(seed, channels, kernels):
    gen = torch.Generator().manual_seed(seed)
    return [
        torch.randn(channels[i + 1], channels[i], d, d, generator=gen, dtype=torch.float64)
        for i, d in enumerate(kernels)
    ]


def corners(shape):
    """Every input in {0, 1}^shape, a batch."""
    points = torch.tensor(list(itertools.product((0.0, 1.0), repeat=int(np.prod(shape)))))
    return points.to(torch.float64).reshape(-1, *shape)


# --- the converter -------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(3))
def test_converted_network_computes_the_simple_cnn(seed):
    channels, kernels = [2, 3, 4, 1], [3, 1, 2]
    filters = random_filters(seed, channels, kernels)
    X = torch.rand(4, 2, 6, 6, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    # Definition 11.3 written out with the loop convolution of Definition 11.2
    expected = X
    for i, K in enumerate(filters):
        expected = slth.thesis_conv(K, expected)
        expected = torch.relu(expected) if i < len(filters) - 1 else expected
    net = slth.SimpleCNN(filters)
    converted = net.to_network()
    with torch.no_grad():
        torch.testing.assert_close(converted(X), expected, rtol=0, atol=1e-12)
        torch.testing.assert_close(converted(X), net(X), rtol=0, atol=1e-12)
    back = slth.SimpleCNN.from_network(converted)
    assert all(torch.equal(a, b) for a, b in zip(back.filters, filters, strict=True))


def test_converted_pairs_compute_the_random_network():
    net = slth.random_cnn([2, 3, 2], [3, 2], [7, 5], seed=4)
    X = torch.rand(3, 2, 5, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    converted = slth.to_network(net, pairs=True)
    assert [ly[0] for ly in converted.layers] == ["pad", "pair", "relu", "pad", "pair"]
    with torch.no_grad():
        torch.testing.assert_close(converted(X), net(X), rtol=0, atol=1e-12)
    back = slth.from_network(converted)
    assert all(torch.equal(a, b) for a, b in zip(back.filters, net.filters, strict=True))


def test_from_network_refuses_what_is_not_a_simple_cnn():
    K = torch.ones(1, 1, 2, 2, dtype=torch.float64)
    for layers in (
        [("conv", K, 0)],  # no padding
        [("pad", (0, 0, 0, 0)), ("conv", K, 0)],  # the wrong padding for d = 2
        [
            ("pad", (1, 0, 1, 0)),
            ("conv", K, 0),
            ("maxpool", 2),
            ("pad", (1, 0, 1, 0)),
            ("conv", K, 0),
        ],  # fmt: skip
    ):
        with pytest.raises(ValueError, match="simple CNN"):
            slth.from_network(slth.Network(layers))
    with pytest.raises(ValueError, match="even number"):
        slth.to_network([K], pairs=True)


# --- prune is the proof's construction -----------------------------------------------------
def reference_prune(U, V, K, max_terms):
    """The construction of Proposition 12.1 written from its statement, by brute force:
    blocks of n // c1 consecutive hidden channels, V kept on its output's block, and for
    each weight the best subset of the products of the first ``max_terms`` channels of the
    block where U > 0 (every subset enumerated)."""
    c1, n = K.shape[0], U.shape[0]
    block = n // c1
    keep_u = np.zeros(U.shape, dtype=bool)
    keep_v = np.zeros(V.shape, dtype=bool)
    for out in range(c1):
        channels = range(out * block, (out + 1) * block)
        keep_v[out, list(channels)] = True
        for j in itertools.product(*(range(s) for s in K.shape[1:])):
            usable = [t for t in channels if U[(t, *j)] > 0][:max_terms]
            best = min(
                (
                    abs(sum(V[out, t, 0, 0] * U[(t, *j)] for t in subset) - K[(out, *j)]),
                    subset,
                )
                for r in range(len(usable) + 1)
                for subset in itertools.combinations(usable, r)
            )[1]
            for t in best:
                keep_u[(t, *j)] = True
    return keep_u, keep_v


@pytest.mark.parametrize(
    ("seed", "channels", "kernels", "widths", "max_terms"),
    [
        (0, [1, 2], [2], [9], 4),
        (1, [2, 3, 2], [2, 1], [11, 8], 5),
        (2, [1, 2, 2], [3, 2], [14, 6], 6),
        (3, [2, 1], [2], [13], 24),
    ],
)
def test_prune_masks_are_the_brute_force_construction(seed, channels, kernels, widths, max_terms):
    targets, _ = slth.normalise_filters(random_filters(seed, channels, kernels))
    net = slth.random_cnn(channels, kernels, widths, seed=seed)
    pruned, report = slth.prune(net, targets, eps=0.1, max_terms=max_terms)
    for i, K in enumerate(targets):
        U, V = (f.numpy() for f in net.filters[2 * i : 2 * i + 2])
        keep_u, keep_v = reference_prune(U, V, K.numpy(), max_terms)
        # fails if a mask differs from the proof's in a single entry (V on the whole block)
        assert np.array_equal(pruned.filters[2 * i].numpy(), np.where(keep_u, U, 0.0))
        assert np.array_equal(pruned.filters[2 * i + 1].numpy(), np.where(keep_v, V, 0.0))
        c1, c0, d, _ = K.shape
        rep = report[i]
        assert rep["layer"] == i and rep["kept"] == keep_u.sum() + keep_v.sum()
        assert rep["total"] == U.size + V.size and rep["leftover_channels"] == widths[i] % c1
        assert rep["budget"] == pytest.approx(0.1 / (2 * len(targets) * c1 * d * d * c0))
        L = slth.effective_filters(pruned)[i]
        assert rep["max_weight_error"] == pytest.approx(float((K - L).abs().max()), abs=1e-15)


# --- one certificate -----------------------------------------------------------------------
def pruned_pair(target_weight, seed, block=6):
    """A random pair pruned into a one-layer target Network (dense or conv)."""
    target = slth.Network(
        [("dense", target_weight)] if target_weight.dim() == 2 else [("conv", target_weight, 0)]
    )
    net = slth.construct.random_network(target, [block], seed=seed)
    return target, slth.prune_network(net, target, max_terms=block)[0]


@pytest.mark.parametrize("seed", range(3))
def test_one_layer_certificate_is_the_brute_force_sup(seed):
    gen = torch.Generator().manual_seed(seed)
    for K in (
        torch.rand(3, 5, generator=gen, dtype=torch.float64) - 0.5,
        torch.rand(2, 2, 2, 2, generator=gen, dtype=torch.float64) - 0.5,
    ):
        target, approx = pruned_pair(K, seed)
        X = corners(tuple(K.shape[1:]))
        # one linear layer: the sup of |error| over the box [0, 1]^m is at a corner
        with torch.no_grad():
            brute = float((target(X) - approx(X)).abs().max())
        cert = certified_error(target, approx)
        assert cert.certified == pytest.approx(brute, rel=1e-12)
        assert cert.deltas == pytest.approx((brute,), rel=1e-12)
        assert cert.op_norms == pytest.approx((float(K.abs().flatten(1).sum(1).max()),))


@pytest.mark.parametrize("seed", range(3))
def test_two_layer_certificate_bounds_the_error_at_corners_and_random_inputs(seed):
    gen = torch.Generator().manual_seed(10 + seed)
    target = slth.Network(
        [
            ("dense", torch.rand(4, 6, generator=gen, dtype=torch.float64) - 0.5),
            ("relu",),
            ("dense", torch.rand(2, 4, generator=gen, dtype=torch.float64) - 0.5),
        ]
    )
    net = slth.construct.random_network(target, [3, 3], seed=seed)
    approx, _ = slth.prune_network(net, target)
    X = torch.cat([corners((6,)), torch.rand(5000, 6, generator=gen, dtype=torch.float64)])
    with torch.no_grad():
        measured = float((target(X) - approx(X)).abs().max())
    cert = certified_error(target, approx)
    # fails if the recursion under-estimated the error anywhere we looked
    assert 0 < measured <= cert.certified
    assert cert.certified == cert.bounds[-1] and len(cert.deltas) == 2
    lower, argmax = search_error(target, approx, restarts=4, steps=30, seed=seed)
    with torch.no_grad():
        attained = float((target(argmax) - approx(argmax)).abs().max())
    assert attained == pytest.approx(lower, rel=1e-12) and lower <= cert.certified


def scalar_chain(a, b, la, lb):
    """Target x -> b relu(a x) and a pruned network of two 1 x 1 pairs with effective
    weights la, lb (U = 1): the smallest depth-2 case of the recursion."""
    w = lambda v: torch.tensor([[v]], dtype=torch.float64)  # noqa: E731
    target = slth.Network([("dense", w(a)), ("relu",), ("dense", w(b))])
    approx = slth.Network([("pair", w(1.0), w(la), 0), ("relu",), ("pair", w(1.0), w(lb), 0)])
    return target, approx


def bounds_the_error(certify, target, approx) -> bool:
    """The check the chapters run: the certificate is at least the error on a fine grid of
    inputs in [0, 1] (here the whole box: the input is one number)."""
    X = torch.linspace(0, 1, 1001, dtype=torch.float64)[:, None]
    with torch.no_grad():
        true = float((target(X) - approx(X)).abs().max())
    return true <= certify(target, approx).certified * (1 + 1e-12)


def without_op_term():
    """A mutated copy of certified_error whose recursion drops ||K||_op B_{i-1}."""
    source = inspect.getsource(certificate.certified_error)
    line = "B = op * B + delta * (R + B)"
    assert source.count(line) == 1  # the line this test mutates (update both if renamed)
    namespace = dict(vars(certificate))
    exec(source.replace(line, "B = delta * (R + B)"), namespace)
    return namespace["certified_error"]


def test_depth_two_certificate_is_attained_and_a_missing_op_term_is_caught():
    # both layers overshoot (one-signed errors, delta = 0.1 each, ||K||op = 1/2): the
    # error at x = 1 is 0.6^2 - 0.5^2 = 0.11, the correct recursion gives
    # B_2 = 0.5 * 0.1 + 0.1 * (0.5 + 0.1) = 0.11 (attained), the one without the
    # op B term 0.1 * (0.5 + 0.1) = 0.06
    target, approx = scalar_chain(0.5, 0.5, 0.6, 0.6)
    cert = certified_error(target, approx)
    assert cert.certified == pytest.approx(0.11, rel=1e-12)
    # fails if the recursion were unsound here, or loose where it should be attained
    assert bounds_the_error(certified_error, target, approx)
    with torch.no_grad():
        at_one = float((target(torch.ones(1, 1)) - approx(torch.ones(1, 1))).abs().max())
    assert at_one >= 0.999 * cert.certified
    # the power of the check: the mutated recursion (0.06 < 0.11) does not pass it
    wrong = without_op_term()
    assert wrong(target, approx).certified == pytest.approx(0.06, rel=1e-12)
    assert not bounds_the_error(wrong, target, approx)
    # the search on the pruned pairs as built (not collapsed) finds the attained error
    lower, argmax = search_error(target, approx, restarts=4, steps=60, seed=0, collapsed=False)
    assert lower >= 0.99 * cert.certified and float(argmax.min()) > 0.9


@pytest.mark.parametrize("seed", range(3))
def test_search_on_the_pairs_agrees_with_the_collapsed_search(seed):
    targets, _ = slth.normalise_filters(random_filters(seed, [1, 2, 2], [2, 2]))
    pruned, _ = slth.prune(slth.random_cnn([1, 2, 2], [2, 2], [12, 12], seed=seed), targets, 0.1)
    t, a = slth.to_network(targets), slth.to_network(pruned, pairs=True)
    found = [
        search_error(t, a, size=4, restarts=3, steps=15, seed=seed, collapsed=c)
        for c in (True, False)
    ]
    # the same function on inputs >= 0: fails if the pairs' hidden ReLU clipped anywhere
    assert found[1][0] == pytest.approx(found[0][0], rel=1e-9)
    with torch.no_grad():
        attained = float((t(found[1][1]) - a(found[1][1])).abs().max())
    assert attained == pytest.approx(found[1][0], rel=1e-12)
    assert found[1][0] <= certified_error(t, a).certified


def test_sup_error_is_the_certificate_of_the_converted_networks():
    targets, _ = slth.normalise_filters(random_filters(5, [1, 2, 2], [2, 2]))
    pruned, _ = slth.prune(slth.random_cnn([1, 2, 2], [2, 2], [12, 12], seed=5), targets, 0.1)
    res = slth.sup_error(targets, pruned, size=4, restarts=3, steps=15, seed=2)
    t, a = slth.to_network(targets), slth.to_network(pruned, pairs=True)
    lower, argmax = search_error(t, a, size=4, restarts=3, steps=15, seed=2)
    assert isinstance(res, Certificate)
    assert res == dataclasses.replace(certified_error(t, a), lower=lower)
    assert torch.equal(res.argmax, argmax)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.certified = 0.0


# --- one API style ------------------------------------------------------------------------
def small():
    target = [torch.full((2, 1, 2, 2), 0.1, dtype=torch.float64)]
    return target, slth.random_cnn([1, 2], [2], [6], seed=0)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (
            lambda: slth.sup_error(
                small()[0], slth.prune(small()[1], small()[0], 0.1)[0], seed="abc"
            ),
            "seed",
        ),  # fmt: skip
        (
            lambda: search_error(
                slth.to_network(small()[0]), slth.to_network(small()[0]), seed="abc"
            ),
            "seed",
        ),  # fmt: skip
        (
            lambda: search_error(
                slth.to_network(small()[0]), slth.to_network(small()[0]), steps=2.5
            ),
            "steps",
        ),  # fmt: skip
        (
            lambda: search_error(
                slth.to_network(small()[0]), slth.to_network(small()[0]), collapsed="no"
            ),
            "collapsed",
        ),  # fmt: skip
        (lambda: slth.random_cnn([1, 2], [2], [6], seed="abc"), "seed"),
        (lambda: slth.random_cnn([1, 2], [2], [6.5]), "widths"),
        (lambda: slth.prune(small()[1], small()[0], 0.1, max_terms=3.7), "max_terms"),
        (lambda: slth.prune(small()[1], small()[0], -0.1), "eps"),
        (
            lambda: slth.prune_network(
                slth.to_network(small()[1], pairs=True), slth.to_network(small()[0]), max_terms=3.7
            ),
            "max_terms",
        ),  # fmt: skip
        (
            lambda: slth.prune_network(
                slth.to_network(small()[1], pairs=True), slth.to_network(small()[0]), damping="x"
            ),
            "damping",
        ),  # fmt: skip
        (lambda: slth.required_width([1, 2], [3], eps=0.0, C=1.0), "eps"),
        (lambda: slth.Network([("maxpool", 1.5)]), "pooling size"),
    ],
)
def test_bad_arguments_are_refused_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()
