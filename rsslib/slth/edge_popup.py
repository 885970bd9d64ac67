"""Edge-popup: training a random network by choosing which weights to keep (thesis Section 4.1).

Ramanujan et al. (2020): every weight of a random bias-free ReLU MLP gets a score, the
forward pass uses the top-k fraction of scores in each layer, and scores follow the
gradient as if the mask were the identity (straight-through). The evidence, before the
SLTH was proved, that a random network contains a good subnetwork.

Keep fraction, not prune fraction. In the reference code of edge-popup
(allenai/hidden-networks) the option ``prune_rate`` is used as the fraction of weights
*kept* by the top-k mask, while its help text and the paper's wording read as the fraction
*removed* (their issue #9). Every function here takes ``keep``: the fraction of weights
that remain.

Networks, seeding and training are those of :mod:`rsslib.slth.train`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from rsslib.slth._training import as_fraction, kept_count, problem
from rsslib.slth.train import SIZES, MaskedMLP, accuracy, init_weights, train


def layer_fractions(keep, layers: int) -> tuple[float, ...]:
    """``keep`` as one fraction in (0, 1] per layer: a number is repeated, a sequence checked."""
    if np.ndim(keep) == 0:
        return (as_fraction(keep, "keep"),) * layers
    try:
        keeps = tuple(as_fraction(k, "keep") for k in keep)
    except TypeError:
        raise ValueError(f"keep must be a number or one number per layer, got {keep!r}") from None
    if len(keeps) != layers:
        raise ValueError(f"keep must give one fraction per layer ({layers}), got {len(keeps)}")
    return keeps


class _TopK(torch.autograd.Function):
    """0/1 mask of the ``keep`` fraction of largest scores; gradient passed straight through."""

    @staticmethod
    def forward(ctx, scores, keep):
        flat = scores.detach().flatten()
        mask = torch.zeros_like(flat)
        mask[torch.topk(flat, kept_count(flat.numel(), keep), sorted=False).indices] = 1.0
        return mask.reshape(scores.shape)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class EdgePopupMLP(torch.nn.Module):
    """A random bias-free ReLU MLP trained by choosing which weights to keep (edge-popup).

    The weights are fixed (buffers); each has a trainable score. The forward pass keeps, in
    each layer, the ``keep`` fraction of weights with the largest ``|score|``. The gradient
    of the loss with respect to a score is taken as that with respect to the mask entry,
    ``dL/ds_uv = dL/dI_v * w_uv * Z_u`` (input ``I_v`` of neuron v, output ``Z_u`` of
    neuron u): the update rule quoted in thesis Section 4.1 (Ramanujan et al., 2020).

    Parameters
    ----------
    weights : sequence of torch.Tensor
        The random weights; copied and frozen.
    keep : float or sequence of float
        Fraction of each layer's weights kept, in (0, 1]: one for every layer, or one per
        layer (e.g. the layer densities of an IMP round, whose output layer is pruned at
        half the rate).
    seed : int or numpy.random.Generator
        Seeds the initial scores (Kaiming-uniform, like the weights).
    scale : bool
        Multiply each layer's weights by ``1 / sqrt(keep)`` (that layer's ``keep``), so
        that a layer's output keeps its scale when only a fraction of its inputs remain
        (Ramanujan et al.'s "scaled" initialisations). With ``keep = 1`` this changes nothing.
    """

    def __init__(self, weights, keep, seed: int = 0, scale: bool = True):
        super().__init__()
        ws = [torch.as_tensor(w, dtype=torch.float32).detach().clone() for w in weights]
        MaskedMLP(ws)  # validates shapes
        self.keeps = layer_fractions(keep, len(ws))
        #: the fraction kept as given: a float, or a tuple with one per layer
        self.keep = self.keeps[0] if np.ndim(keep) == 0 else self.keeps
        if scale:
            ws = [w * (1.0 / math.sqrt(k)) for w, k in zip(ws, self.keeps, strict=True)]
        for i, w in enumerate(ws):
            self.register_buffer(f"w{i}", w)
        self.layers = len(ws)
        self.scores = torch.nn.ParameterList(
            torch.nn.Parameter(s)
            for s in init_weights([w.shape[1] for w in ws] + [ws[-1].shape[0]], seed)
        )

    def weight(self, i: int) -> torch.Tensor:
        return getattr(self, f"w{i}")

    def masks(self) -> list[torch.Tensor]:
        """The current top-k masks (bool)."""
        pairs = zip(self.scores, self.keeps, strict=True)
        return [_TopK.apply(s.abs(), k).bool() for s, k in pairs]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        for i, s in enumerate(self.scores):
            # |score| ranks the weights; the gradient reaches s through abs (times its sign)
            x = x @ (self.weight(i) * _TopK.apply(s.abs(), self.keeps[i])).T
            if i < self.layers - 1:
                x = F.relu(x)
        return x

    def subnetwork(self) -> MaskedMLP:
        """The selected subnetwork as a :class:`MaskedMLP` (same weights, top-k masks)."""
        return MaskedMLP([self.weight(i) for i in range(self.layers)], self.masks())


def edge_popup(
    x_train,
    y_train,
    x_test,
    y_test,
    keep,
    sizes=SIZES,
    epochs: int = 3,
    lr: float = 1e-3,
    batch: int = 60,
    seed: int = 0,
    threads: int | None = 1,
    progress=None,
) -> dict:
    """Train the scores of a random network (:func:`init_weights` with ``seed``) by edge-popup.

    ``keep`` is the fraction kept in every layer, or one fraction per layer
    (:class:`EdgePopupMLP`).

    Adam on the scores, learning rate 1e-3, chosen on a validation split of the training
    images, not on the test set: on LeNet-300-100 with half the weights kept, three epochs
    reach validation loss 0.382 at 1e-3 against 0.556 at 1e-2, mean of three seeds
    (``book/slth/data/lottery_baseline.csv``, :func:`~rsslib.slth.experiments.lottery.popup_curve`).

    Returns
    -------
    dict
        ``keep``, ``density`` (of the selected subnetwork), ``accuracy`` (test, of the
        subnetwork), ``random_accuracy`` (test, of the dense random network it was cut
        from), ``loss``, ``net`` (the trained :class:`EdgePopupMLP`).
    """
    # seed: init_weights(seed), scores seed + 1, batch order seed
    seed, sizes, (x_train, y_train), (x_test, y_test) = problem(
        x_train, y_train, x_test, y_test, sizes, seed
    )
    weights = init_weights(sizes, seed)
    net = EdgePopupMLP(weights, keep, seed=seed + 1)
    out = train(net, x_train, y_train, epochs, lr, batch, seed, threads=threads, progress=progress)
    sub = net.subnetwork()
    return {
        "keep": net.keep,
        "density": sub.density(),
        "accuracy": accuracy(net, x_test, y_test),
        "random_accuracy": accuracy(MaskedMLP(weights), x_test, y_test),
        "loss": out["loss"],
        "net": net,
    }
