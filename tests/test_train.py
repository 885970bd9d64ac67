"""Training, masks, IMP with rewind and edge-popup (rsslib.slth.train) on tiny problems."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rsslib.slth import train as T

SIZES = (6, 8, 5, 3)


def blobs(n=240, seed=0, dim=6, classes=3):
    """Three well separated Gaussian clusters: a problem a trained MLP must solve."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (classes, dim))
    y = rng.integers(0, classes, n)
    x = centres[y] + rng.normal(0, 0.5, (n, dim))
    return x.astype(np.float32), y


def naive_forward(weights, x):
    h = torch.as_tensor(x, dtype=torch.float32)
    for i, w in enumerate(weights):
        h = h @ w.T
        if i < len(weights) - 1:
            h = torch.clamp(h, min=0)
    return h


# --------------------------------------------------------------------- initial weights
def test_init_weights_shapes_bounds_and_seed():
    ws = T.init_weights(SIZES, 3)
    assert [tuple(w.shape) for w in ws] == [(8, 6), (5, 8), (3, 5)]
    for w in ws:
        assert float(w.abs().max()) <= math.sqrt(6 / w.shape[1])
    assert all(torch.equal(a, b) for a, b in zip(ws, T.init_weights(SIZES, 3), strict=True))
    assert not torch.equal(ws[0], T.init_weights(SIZES, 4)[0])


@pytest.mark.parametrize("sizes", [(5,), (5, 0, 2), (5, 2.5, 3), "abc", None])
def test_bad_sizes(sizes):
    with pytest.raises(ValueError, match="sizes"):
        T.init_weights(sizes)


# --------------------------------------------------------------------- masks
@pytest.mark.parametrize("density", [1.0, 0.5, 0.37, 0.01])
def test_random_masks_keep_exact_counts(density):
    shapes = [(30, 20), (7, 30), (3, 7)]
    masks = T.random_masks(shapes, density, seed=1)
    for m, shape in zip(masks, shapes, strict=True):
        assert m.dtype == torch.bool and tuple(m.shape) == shape
        assert int(m.sum()) == max(1, round(density * math.prod(shape)))


def test_random_masks_per_layer_and_seeded():
    shapes = [(30, 20), (7, 30)]
    masks = T.random_masks(shapes, [0.25, 0.5], seed=2)
    assert [int(m.sum()) for m in masks] == [150, 105]
    again = T.random_masks(shapes, [0.25, 0.5], seed=2)
    other = T.random_masks(shapes, [0.25, 0.5], seed=3)
    assert all(torch.equal(a, b) for a, b in zip(masks, again, strict=True))
    assert not torch.equal(masks[0], other[0])


@pytest.mark.parametrize("density", [0, -0.1, 1.5, float("nan"), "x"])
def test_random_masks_bad_density(density):
    with pytest.raises(ValueError, match="density"):
        T.random_masks([(3, 3)], density)


def test_random_masks_wrong_length():
    with pytest.raises(ValueError, match="one value per layer"):
        T.random_masks([(3, 3), (2, 3)], [0.5])


@pytest.mark.parametrize("fraction", [0.0, 0.2, 0.4, 0.9, 1.0])
def test_magnitude_masks_remove_the_smallest_kept(fraction):
    gen = torch.Generator().manual_seed(5)
    weights = [torch.randn(12, 10, generator=gen), torch.randn(4, 12, generator=gen)]
    masks = T.random_masks([w.shape for w in weights], 0.7, seed=0)
    new = T.magnitude_masks(weights, masks, fraction)
    for w, m, n in zip(weights, masks, new, strict=True):
        kept = int(m.sum())
        remove = min(round(fraction * kept), kept - 1)
        assert int(n.sum()) == kept - remove
        assert not (n & ~m).any(), "a pruned weight came back"
        # brute force: the removed ones are the `remove` smallest |w| among the kept
        mags = sorted(float(v) for v in w[m].abs())
        removed = sorted(float(v) for v in w[m & ~n].abs())
        assert removed == mags[:remove]


def test_magnitude_masks_last_layer_rate_and_ties():
    weights = [torch.ones(4, 5), torch.ones(2, 4)]
    masks = [torch.ones(4, 5, dtype=torch.bool), torch.ones(2, 4, dtype=torch.bool)]
    new = T.magnitude_masks(weights, masks, 0.5, last_fraction=0.25)
    assert [int(m.sum()) for m in new] == [10, 6]
    # all magnitudes tie: the lower flat indices go first
    assert not new[0].flatten()[:10].any() and new[0].flatten()[10:].all()


def test_magnitude_masks_bad_input():
    with pytest.raises(ValueError, match="fraction"):
        T.magnitude_masks([torch.ones(2, 2)], [torch.ones(2, 2)], 1.5)
    with pytest.raises(ValueError, match="shapes"):
        T.magnitude_masks([torch.ones(2, 2)], [torch.ones(2, 3)], 0.5)


def test_pruning_schedule_matches_iterated_masks():
    weights = T.init_weights(SIZES, 0)
    masks = [torch.ones_like(w, dtype=torch.bool) for w in weights]
    schedule = T.pruning_schedule(SIZES, 5, 0.4, 0.2)
    assert schedule[0] == [48, 40, 15]
    for r in range(1, 6):
        masks = T.magnitude_masks(weights, masks, 0.4, 0.2)
        assert [int(m.sum()) for m in masks] == schedule[r]


# --------------------------------------------------------------------- masked network
def test_masked_forward_ignores_pruned_values_and_their_gradients():
    weights = T.init_weights(SIZES, 1)
    masks = T.random_masks([w.shape for w in weights], 0.5, seed=1)
    x = torch.randn(7, 6, generator=torch.Generator().manual_seed(0))
    net = T.MaskedMLP(weights, masks)
    zeroed = [w * m for w, m in zip(weights, masks, strict=True)]
    assert torch.allclose(net(x), naive_forward(zeroed, x), atol=1e-6)
    with torch.no_grad():  # change the pruned entries: the output must not move
        for w, m in zip(net.weights, masks, strict=True):
            w[~m] = 100.0
    assert torch.allclose(net(x), naive_forward(zeroed, x), atol=1e-6)
    net(x).sum().backward()
    for w, m in zip(net.weights, masks, strict=True):
        assert float(w.grad[~m].abs().max()) == 0.0
    assert net.kept() == sum(int(m.sum()) for m in masks)
    assert net.density() == pytest.approx(net.kept() / sum(w.numel() for w in weights))


def test_masked_mlp_bad_shapes():
    with pytest.raises(ValueError, match="chain"):
        T.MaskedMLP([torch.ones(3, 4), torch.ones(2, 5)])
    with pytest.raises(ValueError, match="shapes"):
        T.MaskedMLP([torch.ones(3, 4)], [torch.ones(4, 3)])


# --------------------------------------------------------------------- training
def test_training_learns_blobs_and_is_deterministic():
    x, y = blobs()
    before = T.accuracy(T.MaskedMLP(T.init_weights(SIZES, 0)), x, y)
    nets = []
    for _ in range(2):
        net = T.MaskedMLP(T.init_weights(SIZES, 0))
        T.train(net, x, y, epochs=30, lr=1e-2, batch=16, seed=0)
        nets.append(net)
    after = T.accuracy(nets[0], x, y)
    assert after >= 0.95 > before + 0.2
    for a, b in zip(nets[0].weights, nets[1].weights, strict=True):
        assert torch.equal(a, b)


def test_training_keeps_pruned_weights_where_they_were():
    x, y = blobs()
    weights = T.init_weights(SIZES, 0)
    masks = T.random_masks([w.shape for w in weights], 0.3, seed=0)
    net = T.MaskedMLP(weights, masks)
    T.train(net, x, y, epochs=3, lr=1e-2, batch=16)
    for w0, w, m in zip(weights, net.weights, masks, strict=True):
        assert torch.equal(w.detach()[~m], w0[~m])
        assert not torch.equal(w.detach()[m], w0[m])


def test_snapshot_steps():
    x, y = blobs(40)
    net = T.MaskedMLP(T.init_weights(SIZES, 0))
    out = T.train(net, x, y, epochs=2, batch=10, snapshot_step=0)
    assert out["steps"] == 8
    assert all(
        torch.equal(s, w) for s, w in zip(out["snapshot"], T.init_weights(SIZES, 0), strict=True)
    )
    net = T.MaskedMLP(T.init_weights(SIZES, 0))
    out = T.train(net, x, y, epochs=2, batch=10, snapshot_step=8)
    assert all(torch.equal(s, w) for s, w in zip(out["snapshot"], net.weights, strict=True))
    with pytest.raises(ValueError, match="beyond"):
        T.train(net, x, y, epochs=1, batch=10, snapshot_step=9)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"epochs": 0}, "epochs"),
        ({"lr": 0.0}, "lr"),
        ({"lr": float("inf")}, "lr"),
        ({"batch": 0}, "batch"),
        ({"seed": -1}, "seed"),
    ],
)
def test_train_bad_arguments(kwargs, match):
    x, y = blobs(20)
    with pytest.raises(ValueError, match=match):
        T.train(T.MaskedMLP(T.init_weights(SIZES, 0)), x, y, **kwargs)


def test_train_bad_data():
    x, y = blobs(20)
    net = T.MaskedMLP(T.init_weights(SIZES, 0))
    with pytest.raises(ValueError, match="labels"):
        T.train(net, x, y[:-1])
    x[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        T.train(net, x, y)


def test_training_restores_thread_count():
    x, y = blobs(20)
    threads = torch.get_num_threads()
    T.train(T.MaskedMLP(T.init_weights(SIZES, 0)), x, y, epochs=1, threads=1)
    assert torch.get_num_threads() == threads


# --------------------------------------------------------------------- IMP and rewinding
def imp_blobs(rewind, rounds=3):
    x, y = blobs()
    xt, yt = blobs(seed=0)
    return T.imp(x, y, xt, yt, rounds, 0.5, 0.25, rewind=rewind, sizes=SIZES, epochs=4,
                 lr=1e-2, batch=16, seed=2), (x, y)  # fmt: skip


def test_imp_densities_are_the_schedule():
    records, _ = imp_blobs("init")
    schedule = T.pruning_schedule(SIZES, 3, 0.5, 0.25)
    for rec, kept in zip(records, schedule, strict=True):
        assert [int(m.sum()) for m in rec["masks"]] == kept
        assert rec["density"] == sum(kept) / sum(schedule[0])


def test_imp_with_rewind_restarts_from_the_initial_weights():
    records, (x, y) = imp_blobs("init")
    for rec in records[1:]:
        # the round is exactly training the original initialisation under its mask
        net = T.MaskedMLP(rec["init"], rec["masks"])
        T.train(net, x, y, epochs=4, lr=1e-2, batch=16, seed=2 + rec["round"])
        assert all(torch.equal(a, b) for a, b in zip(net.effective(), rec["weights"], strict=True))
        # and its mask is the magnitude pruning of the previous round's trained weights
    for prev, rec in zip(records[:-1], records[1:], strict=True):
        expected = T.magnitude_masks(prev["weights"], prev["masks"], 0.5, 0.25)
        assert all(torch.equal(a, b) for a, b in zip(expected, rec["masks"], strict=True))


def test_imp_without_rewind_continues_from_the_trained_weights():
    records, (x, y) = imp_blobs("none")
    for prev, rec in zip(records[:-1], records[1:], strict=True):
        net = T.MaskedMLP(prev["weights"], rec["masks"])
        T.train(net, x, y, epochs=4, lr=1e-2, batch=16, seed=2 + rec["round"])
        assert all(torch.equal(a, b) for a, b in zip(net.effective(), rec["weights"], strict=True))


def test_imp_rewind_to_step_zero_is_rewind_to_init():
    a, _ = imp_blobs("init", rounds=1)
    b, _ = imp_blobs(0, rounds=1)
    assert a[1]["accuracy"] == b[1]["accuracy"]
    assert all(torch.equal(p, q) for p, q in zip(a[1]["weights"], b[1]["weights"], strict=True))
    c, _ = imp_blobs(5, rounds=1)  # a later rewind point starts elsewhere
    assert not torch.equal(a[1]["weights"][0], c[1]["weights"][0])


def test_imp_bad_rewind():
    x, y = blobs(20)
    with pytest.raises(ValueError, match="rewind"):
        T.imp(x, y, x, y, 1, rewind="late", sizes=SIZES)
    with pytest.raises(ValueError, match="features"):
        T.imp(x[:, :5], y, x, y, 1, sizes=SIZES)


# --------------------------------------------------------------------- the one loop, fit
def reference_loop(model, params, x, y, epochs, lr, batch, gen, optimizer, schedule):
    """The training loops the scripts had before fit, written out (Adam or SGD, cosine per
    epoch or one-cycle per batch, batch order from gen)."""
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr)
    else:
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=5e-4)
    steps = epochs * ((len(x) + batch - 1) // batch)
    if schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    elif schedule == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        for s in range(0, len(x), batch):
            idx = perm[s : s + batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if schedule == "onecycle":
                sched.step()
        if schedule == "cosine":
            sched.step()


def tiny_cnn(gen):
    return [
        torch.randn(4, 1, 3, 3, dtype=torch.float64, generator=gen).requires_grad_(),
        torch.randn(3, 4, 3, 3, dtype=torch.float64, generator=gen).requires_grad_(),
    ]


def cnn_forward(filters, x):
    h = F.relu(F.conv2d(x, filters[0], padding=1))
    return F.conv2d(h, filters[1], padding=1).mean(dim=(2, 3))


@pytest.mark.parametrize(
    "optimizer, schedule", [("adam", "cosine"), ("adam", "onecycle"), ("sgd", "cosine"),
                            ("adam", None)]
)  # fmt: skip
def test_fit_is_the_written_out_loop_bit_for_bit(optimizer, schedule):
    # a CNN whose weights and batch order come from one torch stream (the digits script)
    x = torch.rand(37, 1, 6, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(9))
    y = torch.randint(0, 3, (37,), generator=torch.Generator().manual_seed(8))
    gen = torch.Generator().manual_seed(0)
    ref = tiny_cnn(gen)
    reference_loop(lambda v: cnn_forward(ref, v), ref, x, y, 3, 1e-2, 8, gen, optimizer,
                   schedule)  # fmt: skip
    gen = torch.Generator().manual_seed(0)
    ours = tiny_cnn(gen)
    kwargs = {"momentum": 0.9, "weight_decay": 5e-4} if optimizer == "sgd" else {}
    out = T.fit(lambda v: cnn_forward(ours, v), x.numpy(), y.numpy(), 3, 1e-2, 8, gen,
                optimizer=optimizer, schedule=schedule, params=ours, **kwargs)  # fmt: skip
    assert out["steps"] == 3 * 5 and len(out["losses"]) == 3
    for a, b in zip(ref, ours, strict=True):
        assert a.dtype == b.dtype == torch.float64
        assert torch.equal(a, b)


def test_fit_int_seed_is_a_fresh_torch_generator_and_on_epoch_sees_each_epoch():
    x, y = blobs(50)
    seen = []
    a = T.MaskedMLP(T.init_weights(SIZES, 0))
    out = T.fit(a, x, y, 2, 1e-2, 16, 5, on_epoch=lambda e, loss: seen.append((e, loss)))
    assert [e for e, _ in seen] == [1, 2] and [v for _, v in seen] == out["losses"]
    b = T.MaskedMLP(T.init_weights(SIZES, 0))
    T.fit(b, x, y, 2, 1e-2, 16, torch.Generator().manual_seed(5))
    assert all(torch.equal(u, v) for u, v in zip(a.weights, b.weights, strict=True))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"schedule": "linear"}, "schedule"),
        ({"momentum": 0.9}, "momentum"),
        ({"optimizer": "sgd", "momentum": 1.0}, "momentum"),
        ({"optimizer": "sgd", "weight_decay": -1.0}, "weight_decay"),
        ({"seed": "abc"}, "seed"),
        ({"progress": "yes"}, "progress"),
        ({"epochs": 1.5}, "epochs"),
    ],
)
def test_fit_bad_arguments(kwargs, match):
    x, y = blobs(20)
    args = {"epochs": 1, "lr": 1e-3, "batch": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        T.fit(T.MaskedMLP(T.init_weights(SIZES, 0)), x, y, **args)


def test_fit_needs_params_for_a_function():
    x, y = blobs(20)
    net = T.MaskedMLP(T.init_weights(SIZES, 0))
    with pytest.raises(ValueError, match="params"):
        T.fit(lambda v: net(v), x, y, 1, 1e-3, 4)
