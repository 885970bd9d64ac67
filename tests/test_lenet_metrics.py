"""The stricter metrics of rsslib.slth.experiments.lenet against hand computations."""

import numpy as np
import pytest
import torch

from rsslib import slth
from rsslib.slth.experiments import lenet


def test_image_errors_divide_by_each_images_own_largest_logit():
    reference = torch.tensor([[1.0, -4.0], [0.5, 0.25]], dtype=torch.float64)
    approx = torch.tensor([[1.1, -4.0], [0.5, 0.30]], dtype=torch.float64)
    # image 0: 0.1 / 4; image 1: 0.05 / 0.5 (the global metric would give 0.1 / 4)
    np.testing.assert_allclose(lenet.image_errors(reference, approx), [0.025, 0.1])
    with pytest.raises(ValueError, match="reference and approx"):
        lenet.image_errors(reference, approx[:1])


def test_layer_errors_are_the_relative_errors_at_each_pruned_layer():
    w = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    target = slth.Network([("dense", w([[2.0, 0.0]])), ("relu",), ("dense", w([[1.0]]))])
    # the first layer pruned with effective weight (2.2, 0), the second kept
    pruned = slth.Network(
        [("pair", w([[1.0, 0.0]]), w([[2.2]]), 0), ("relu",), ("dense", w([[1.0]]))]
    )
    X = np.array([[0.5, 1.0], [1.0, 0.0]])
    # layer 1: max |2.2 x0 - 2 x0| / max |2 x0| = 0.2 / 2
    assert lenet.layer_errors(target, pruned, X, batch=1) == pytest.approx([0.1])


def test_worst_weights_counts_the_offered_products_of_the_weights_sign():
    w = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    target = slth.Network([("dense", w([[0.5]]))])
    U = w([[1.0], [0.0], [1.0], [1.0]])  # channel 1 has no positive entry: not offered
    V = w([[-0.3, 0.9, 0.2, 0.1]])
    random_net = slth.Network([("pair", U, V, 0)])
    pruned = slth.Network([("pair", U * w([[0.0], [0.0], [1.0], [1.0]]), V, 0)])
    (row,) = lenet.worst_weights(target, random_net, pruned, max_terms=2)
    # offered: channels 0 and 2 (the first two with U > 0); of the weight's sign: 0.2
    assert (row["offered"], row["right_sign"]) == (2, 1)
    assert row["reach"] == pytest.approx(0.4) and row["error"] == pytest.approx(0.4)
