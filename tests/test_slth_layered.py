"""Networks with pooling and dense layers, and the pruning construction on them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rsslib.slth import SimpleCNN
from rsslib.slth.certificate import certified_error
from rsslib.slth.construct import (
    assign_blocks,
    blocks_for_factor,
    layer_scales,
    prune_network,
    random_network,
)
from rsslib.slth.layered import Network, collapse, effective_weight


def tiny_target(seed=0):
    """conv (pad 1) -> relu -> maxpool -> conv -> relu -> avgpool -> flatten -> dense x2."""
    g = torch.Generator().manual_seed(seed)

    def r(*shape):
        return torch.rand(shape, generator=g, dtype=torch.float64) - 0.5

    return Network(
        [
            ("conv", r(3, 1, 3, 3), 1),
            ("relu",),
            ("maxpool", 2),
            ("conv", r(4, 3, 2, 2), 0),
            ("relu",),
            ("avgpool", 1),
            ("flatten",),
            ("dense", r(5, 4 * 3 * 3)),
            ("relu",),
            ("dense", r(2, 5)),
        ]
    )


def test_forward_matches_plain_torch():
    net = tiny_target()
    X = torch.rand(7, 1, 8, 8, dtype=torch.float64)
    K1, K2, W1, W2 = (net.layers[i][1] for i in net.weighted())
    h = F.max_pool2d(torch.relu(F.conv2d(X, K1, padding=1)), 2)
    h = torch.relu(F.conv2d(h, K2)).flatten(1)
    expected = torch.relu(h @ W1.T) @ W2.T
    assert torch.allclose(net(X), expected, rtol=0, atol=1e-12)
    assert torch.equal(net(X, upto=3), F.max_pool2d(torch.relu(F.conv2d(X, K1, padding=1)), 2))


def test_pair_equals_its_effective_layer_on_nonnegative_inputs():
    g = torch.Generator().manual_seed(1)
    U = torch.rand(6, 2, 3, 3, generator=g, dtype=torch.float64)  # U >= 0
    V = torch.rand(4, 6, generator=g, dtype=torch.float64) - 0.5
    pair = Network([("pair", U, V, 1)])
    X = torch.rand(3, 2, 5, 5, generator=g, dtype=torch.float64)
    L = effective_weight(pair.layers[0])
    assert L.shape == (4, 2, 3, 3)
    assert torch.allclose(pair(X), F.conv2d(X, L, padding=1), atol=1e-12)
    assert torch.allclose(collapse(pair)(X), pair(X), atol=1e-12)
    with pytest.raises(ValueError, match="negative"):
        effective_weight(("pair", U - 0.5, V, 1))


def brute_force_layer(U2, V2, K2, block, max_terms, max_subset=None):
    """Best error per weight over all subsets of the offered products (contiguous blocks),
    of at most ``max_subset`` products if given."""
    c1, m = K2.shape
    best = np.zeros((c1, m))
    for out in range(c1):
        for j in range(m):
            chans = [t for t in range(out * block, (out + 1) * block) if U2[t, j] > 0]
            prods = [V2[out, t] * U2[t, j] for t in chans[:max_terms]]
            sizes = len(prods) if max_subset is None else min(max_subset, len(prods))
            best[out, j] = min(
                abs(K2[out, j] - sum(c))
                for r in range(sizes + 1)
                for c in itertools.combinations(prods, r)
            )
    return best


@pytest.mark.parametrize("max_terms", [3, 40])
def test_prune_matches_brute_force_on_every_layer_kind(max_terms):
    target = tiny_target(2)
    net = random_network(target, [4, 4, 3, 5], seed=3)
    pruned, report = prune_network(net, target, max_terms=max_terms)
    for k, i in enumerate(target.weighted()):
        K = target.layers[i][1]
        U2 = net.layers[i][1].reshape(net.layers[i][1].shape[0], -1).numpy()
        V2 = net.layers[i][2].numpy()
        K2 = K.reshape(K.shape[0], -1).numpy()
        expected = brute_force_layer(U2, V2, K2, report[k]["block"], max_terms)
        L = effective_weight(pruned.layers[i]).reshape(K2.shape).numpy()
        np.testing.assert_allclose(np.abs(K2 - L), expected, atol=1e-12)
        assert report[k]["max_weight_error"] == pytest.approx(expected.max(), abs=1e-12)


@pytest.mark.parametrize("max_subset", [1, 2])
def test_capped_subsets_match_brute_force(max_subset):
    target = tiny_target(2)
    net = random_network(target, [4, 4, 3, 5], seed=3)
    pruned, report = prune_network(net, target, max_subset=max_subset)
    for k, i in enumerate(target.weighted()):
        K = target.layers[i][1]
        U2 = net.layers[i][1].reshape(net.layers[i][1].shape[0], -1).numpy()
        V2 = net.layers[i][2].numpy()
        K2 = K.reshape(K.shape[0], -1).numpy()
        expected = brute_force_layer(U2, V2, K2, report[k]["block"], 40, max_subset)
        L = effective_weight(pruned.layers[i]).reshape(K2.shape).numpy()
        np.testing.assert_allclose(np.abs(K2 - L), expected, atol=1e-12)
        kept_u = (pruned.layers[i][1].reshape(U2.shape).numpy() != 0).sum(axis=0)
        # each weight j of each output uses at most max_subset entries of U's column j
        assert kept_u.max() <= max_subset * K2.shape[0]
    with pytest.raises(ValueError, match="max_subset"):
        prune_network(net, target, max_subset=0)


@pytest.mark.parametrize(
    "options",
    [{}, {"balance": True}, {"balance": True, "compensate": "weights"}, {"compensate": "data"}],
)
def test_every_kept_entry_is_the_random_entry(options):
    target = tiny_target(4)
    net = random_network(target, [3, 3, 2, 4], seed=5, scales=layer_scales(target))
    data = torch.rand(16, 1, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    pruned, report = prune_network(net, target, data=data, **options)
    for i in target.weighted():
        for kept, drawn in zip(pruned.tensors(i), net.tensors(i), strict=True):
            nonzero = kept != 0
            assert torch.equal(kept[nonzero], drawn[nonzero])
        assert (pruned.layers[i][1] >= 0).all()  # only positive entries of U survive
    assert sum(r["kept"] for r in report) == sum(
        int((t != 0).sum()) for i in target.weighted() for t in pruned.tensors(i)
    )


def test_certified_error_bounds_the_error_at_every_vertex():
    """Sup over [0,1]^16 of a piecewise-linear error is not at a vertex in general, but the
    certificate must bound it everywhere: checked at all 2^16 vertices and random points."""
    g = torch.Generator().manual_seed(6)
    target = Network(
        [
            ("conv", torch.rand(2, 1, 2, 2, generator=g, dtype=torch.float64) - 0.5, 0),
            ("relu",),
            ("maxpool", 3),
            ("flatten",),
            ("dense", torch.rand(3, 2, generator=g, dtype=torch.float64) - 0.5),
        ]
    )
    pruned, _ = prune_network(random_network(target, [3, 3], seed=7), target)
    bound = certified_error(target, pruned).certified
    vertices = torch.tensor(list(itertools.product([0.0, 1.0], repeat=16)), dtype=torch.float64)
    points = torch.cat([vertices, torch.rand(20000, 16, generator=g, dtype=torch.float64)])
    X = points.reshape(-1, 1, 4, 4)
    with torch.no_grad():
        measured = float((target(X) - pruned(X)).abs().max())
    assert 0 < measured <= bound
    empty = Network([(ly[0], torch.zeros_like(ly[1]), ly[2] * 0, ly[3]) if ly[0] == "pair"
                     else ly for ly in pruned.layers])  # fmt: skip
    assert certified_error(target, empty).certified >= float(target(X).abs().max())


def test_blocks_for_factor_is_the_largest_common_block_within_budget():
    target = tiny_target()
    for factor in (3.0, 7.5, 20.0):
        blocks = blocks_for_factor(target, factor, prune=[0, 2])
        assert blocks[1] == blocks[3] == 0 and blocks[0] == blocks[2] >= 1
        idx = [target.weighted()[k] for k in (0, 2)]
        size = target.parameter_count(idx)
        assert random_network(target, blocks).parameter_count(idx) <= factor * size
        bigger = [b + 1 if b else 0 for b in blocks]
        assert random_network(target, bigger).parameter_count(idx) > factor * size
    with pytest.raises(ValueError, match="less than one"):
        blocks_for_factor(target, 0.5)


def test_cost_allocation_gives_cheap_layers_more_channels_within_budget():
    target = tiny_target()
    idx = target.weighted()
    size = target.parameter_count(idx)
    for factor in (4.0, 10.0, 25.0):
        blocks = blocks_for_factor(target, factor, allocation="cost")
        assert random_network(target, blocks).parameter_count(idx) <= factor * size
        cost = [target.layers[i][1].shape[0] * (target.layers[i][1][0].numel()
                + target.layers[i][1].shape[0]) for i in idx]  # fmt: skip
        by_cost = [b for _, b in sorted(zip(cost, blocks, strict=True))]
        assert by_cost == sorted(by_cost, reverse=True)
        assert blocks != blocks_for_factor(target, factor)
    # layers of equal cost: the same blocks as the equal allocation
    twin = Network([("dense", torch.ones(5, 5)), ("relu",), ("dense", torch.ones(5, 5))])
    assert blocks_for_factor(twin, 12, allocation="cost") == blocks_for_factor(twin, 12)
    with pytest.raises(ValueError, match="allocation"):
        blocks_for_factor(target, 10, allocation="greedy")


def test_assign_blocks_gives_every_output_its_channels_and_serves_bad_weights_better():
    rng = np.random.default_rng(0)
    c1, m, block = 6, 25, 12
    worst = {True: [], False: []}
    for seed in range(5):
        target = Network([("dense", torch.from_numpy(rng.uniform(-1, 1, (c1, m))))])
        net = random_network(target, [block], seed=seed, scales=layer_scales(target))
        U2, V2 = net.layers[0][1].numpy(), net.layers[0][2].numpy()
        owner = assign_blocks(U2, V2, target.layers[0][1].numpy(), block)
        assert sorted(np.bincount(owner[owner >= 0], minlength=c1)) == [block] * c1
        for balance in (True, False):
            _, report = prune_network(net, target, balance=balance)
            worst[balance].append(report[0]["max_weight_error"])
    # the partition is chosen for the worst weights: on average they must do better
    assert np.mean(worst[True]) < np.mean(worst[False])


def test_compensation_is_plain_rounding_when_inputs_are_uncorrelated():
    rng = np.random.default_rng(1)
    target = Network([("dense", torch.from_numpy(rng.uniform(-1, 1, (3, 8))))])
    net = random_network(target, [10], seed=2, scales=layer_scales(target))
    data = torch.eye(8, dtype=torch.float64)  # H = I / 8: nothing to push errors onto
    plain, _ = prune_network(net, target, balance=True)
    obs, _ = prune_network(net, target, balance=True, compensate="weights", data=data)
    assert torch.equal(plain.layers[0][1], obs.layers[0][1])


def test_compensation_uses_correlated_inputs():
    """Inputs that always come in equal pairs: only w_2k + w_2k+1 matters, so pushing one
    weight's error onto its twin must beat rounding each weight alone on such data: the
    twin's error is then the output's, where rounding alone adds two independent errors
    (here compensation is about 8 times smaller in mean square)."""
    rng = np.random.default_rng(3)
    target = Network([("dense", torch.from_numpy(rng.uniform(-1, 1, (4, 12))))])
    base = torch.rand(256, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    data = base.repeat_interleave(2, dim=1)
    errors = {}
    for compensate in (None, "weights"):
        total = 0.0
        for seed in range(8):
            net = random_network(target, [6], seed=seed, scales=layer_scales(target))
            pruned, _ = prune_network(net, target, balance=True, compensate=compensate, data=data)
            total += float(((pruned(data) - target(data)) ** 2).mean())
        errors[compensate] = total
    assert errors["weights"] < 0.5 * errors[None]


def test_digits_network_is_the_simple_cnn():
    from rsslib.slth.experiments.digits import network

    g = torch.Generator().manual_seed(8)
    filters = [torch.rand(4, 1, 3, 3, generator=g, dtype=torch.float64) - 0.5,
               torch.rand(3, 4, 3, 3, generator=g, dtype=torch.float64) - 0.5]  # fmt: skip
    X = torch.rand(5, 1, 8, 8, generator=g, dtype=torch.float64)
    expected = SimpleCNN(filters)(X).mean(dim=(2, 3))
    assert torch.allclose(network(filters)(X), expected, atol=1e-12)


@pytest.mark.parametrize(
    "layers, match",
    [
        ([], "at least one"),
        ([("softmax",)], "must be a tuple"),
        ([("conv", torch.zeros(2, 1, 3, 2), 0)], "conv needs"),
        ([("dense", torch.zeros(3))], "dense needs"),
        ([("maxpool", 0)], "pooling size"),
        ([("pad", (1, 1))], "four widths"),
        ([("relu", 3)], "0 arguments"),
    ],
)
def test_bad_layers_are_refused(layers, match):
    with pytest.raises(ValueError, match=match):
        Network(layers)


def test_prune_network_refuses_bad_inputs():
    target = tiny_target()
    net = random_network(target, [2, 2, 2, 2])
    with pytest.raises(ValueError, match="needs data"):
        prune_network(net, target, compensate="weights")
    with pytest.raises(ValueError, match="compensate must be"):
        prune_network(net, target, compensate="gptq")
    with pytest.raises(ValueError, match="max_terms"):
        prune_network(net, target, max_terms=41)
    # fails if a fractional count were truncated (3.7 -> 3) instead of refused
    with pytest.raises(ValueError, match=r"max_terms must be an integer, got 3\.7"):
        prune_network(net, target, max_terms=3.7)
    with pytest.raises(ValueError, match=r"max_subset must be an integer, got 1\.5"):
        prune_network(net, target, max_subset=1.5)
    with pytest.raises(ValueError, match="same number of layers"):
        prune_network(Network(net.layers[:-1]), target)
    with pytest.raises(ValueError, match="one entry per weighted layer"):
        random_network(target, [2, 2])
    X = torch.rand(2, 1, 10, 10, dtype=torch.float64)
    with pytest.raises(ValueError, match="dense layer with 36 inputs"):
        target(X)


def test_lenet_missing_weights_say_how_to_make_them(tmp_path):
    from rsslib.slth.experiments.lenet import load

    with pytest.raises(ValueError, match="train_lenet.py"):
        load(str(tmp_path / "missing.npz"))


def test_first_budget_needs_every_seed_at_every_larger_budget():
    from rsslib.slth.experiments.lenet import first_budget

    def row(budget, seed, err, factor):
        return {"target": "t", "variant": "v", "budget": budget, "seed": seed,
                "relative_error": err, "factor": factor, "agreement": 1 - err}  # fmt: skip

    rows = [row(10, 0, 5e-3, 9.5), row(10, 1, 5e-4, 9.6),  # one seed fails at 10
            row(20, 0, 9e-4, 19.1), row(20, 1, 2e-4, 19.4),
            row(30, 0, 2e-3, 29.0), row(30, 1, 1e-4, 29.9),  # a relapse at 30
            row(40, 0, 1e-4, 39.2), row(40, 1, 1e-5, 39.8)]  # fmt: skip
    assert first_budget(rows, "t", "v") == (40, 39.8)
    assert first_budget(rows, "t", "v", level=1e-2) == (10, 9.6)
    assert first_budget(rows, "t", "v", level=1e-6) == (None, None)
    assert first_budget(rows, "t", "v", level=0.999, key="agreement") == (40, 39.8)
    assert first_budget(rows, "t", "v", level=0.99, key="agreement") == (10, 9.6)
    with pytest.raises(ValueError, match="no rows"):
        first_budget(rows, "t", "w")
