"""Edge-popup (rsslib.slth.edge_popup) on tiny problems: masks, the score gradient, learning."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from rsslib.slth import edge_popup as EP
from rsslib.slth import train as T
from tests.test_train import SIZES, blobs


# --------------------------------------------------------------------- edge-popup
def test_edge_popup_keep_one_is_the_dense_random_network():
    weights = T.init_weights(SIZES, 3)
    net = EP.EdgePopupMLP(weights, keep=1.0, seed=0)
    x = torch.randn(9, 6, generator=torch.Generator().manual_seed(1))
    assert torch.equal(net(x), T.MaskedMLP(weights)(x))
    assert all(m.all() for m in net.masks())


@pytest.mark.parametrize("keep", [0.5, 0.2, 0.05])
def test_edge_popup_mask_keeps_the_largest_scores(keep):
    weights = T.init_weights(SIZES, 3)
    net = EP.EdgePopupMLP(weights, keep=keep, seed=0)
    for s, m in zip(net.scores, net.masks(), strict=True):
        k = max(1, round(keep * s.numel()))
        assert int(m.sum()) == k
        kept = s.detach().abs()[m]
        dropped = s.detach().abs()[~m]
        assert dropped.numel() == 0 or float(kept.min()) >= float(dropped.max())
    # the subnetwork computes what the edge-popup network computes (weights scaled 1/sqrt(k))
    x = torch.randn(9, 6, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(net.subnetwork()(x), net(x), atol=1e-6)
    assert torch.allclose(net.weight(0), weights[0] / math.sqrt(keep))


def test_edge_popup_keeps_one_fraction_per_layer():
    weights = T.init_weights(SIZES, 3)
    keeps = (0.5, 0.2, 0.9)[: len(weights)]
    net = EP.EdgePopupMLP(weights, keep=keeps, seed=0)
    assert net.keep == keeps
    for s, m, k, w, w0 in zip(net.scores, net.masks(), keeps, net.buffers(), weights, strict=True):
        assert int(m.sum()) == max(1, round(k * s.numel()))
        # each layer is scaled by its own 1/sqrt(keep)
        assert torch.allclose(w, w0 / math.sqrt(k))
    # the same fraction given once or once per layer is the same network
    same = EP.EdgePopupMLP(weights, keep=[0.5] * len(weights), seed=0)
    once = EP.EdgePopupMLP(weights, keep=0.5, seed=0)
    x = torch.randn(9, 6, generator=torch.Generator().manual_seed(1))
    assert torch.equal(same(x), once(x))
    with pytest.raises(ValueError, match="one fraction per layer"):
        EP.EdgePopupMLP(weights, keep=[0.5] * (len(weights) + 1))
    with pytest.raises(ValueError, match="keep"):
        EP.EdgePopupMLP(weights, keep=[0.5, 0.0, 0.5][: len(weights)])


def test_edge_popup_score_gradient_is_the_thesis_update():
    """dL/ds_uv = dL/dI_v * w_uv * Z_u * sign(s_uv) (thesis Section 4.1; sign from |s|)."""
    weights = T.init_weights((4, 5, 3), 0)
    net = EP.EdgePopupMLP(weights, keep=0.6, seed=1, scale=False)
    x = torch.rand(2, 4, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 2])
    F.cross_entropy(net(x), y).backward()
    # the same quantities by hand
    m0, m1 = (m.float() for m in net.masks())
    i1 = x @ (weights[0] * m0).T  # inputs of the hidden neurons
    z1 = torch.clamp(i1, min=0)
    i2 = (z1 @ (weights[1] * m1).T).requires_grad_()
    F.cross_entropy(i2, y).backward()
    g2 = i2.grad  # dL/dI for the output neurons, per example
    expected1 = torch.einsum("bv,vu,bu->vu", g2, weights[1], z1) * net.scores[1].sign()
    assert torch.allclose(net.scores[1].grad, expected1, atol=1e-6)
    g1 = (g2 @ (weights[1] * m1)) * (i1 > 0)
    expected0 = torch.einsum("bv,vu,bu->vu", g1, weights[0], x) * net.scores[0].sign()
    assert torch.allclose(net.scores[0].grad, expected0, atol=1e-6)


def test_edge_popup_learns_without_moving_a_weight():
    x, y = blobs(seed=1)
    out = EP.edge_popup(x, y, x, y, keep=0.5, sizes=(6, 64, 64, 3), epochs=20, lr=1e-2,
                       batch=16, seed=0)  # fmt: skip
    assert out["accuracy"] >= 0.9 > out["random_accuracy"] + 0.2
    assert out["density"] == pytest.approx(0.5, abs=0.01)
    net = out["net"]
    for i, w in enumerate(T.init_weights((6, 64, 64, 3), 0)):
        assert torch.allclose(net.weight(i), w / math.sqrt(0.5))


@pytest.mark.parametrize("keep", [0, 1.2, float("nan")])
def test_edge_popup_bad_keep(keep):
    with pytest.raises(ValueError, match="keep"):
        EP.EdgePopupMLP(T.init_weights(SIZES, 0), keep)
