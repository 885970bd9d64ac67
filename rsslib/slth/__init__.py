"""Strong Lottery Tickets for convolutional networks (thesis Chapter 4), in torch.

Tensors use torch's layouts: filters ``(out, in, kh, kw)``, inputs ``(N, C, H, W)``, and
float64 throughout, since the approximations are checked to 1e-6 and beyond.

- :mod:`~rsslib.slth.conv`: the thesis's convolution and its fast equivalent.
- :mod:`~rsslib.slth.network`: simple CNNs
  (Definition 11.3 (thesis Definitions 28 and 30)) and the random network of
  Theorem 13.1 (thesis Theorem 31).
- :mod:`~rsslib.slth.prune`: the pruning construction of
  Proposition 12.1 (thesis Proposition 32), Lemma 12.2 (thesis Lemma 34) and
  Theorem 13.1, solved exactly with :func:`rsslib.best_subsets`.
- :mod:`~rsslib.slth.error`: exact and certified sup errors over inputs in [0, 1].
- :mod:`~rsslib.slth.layered`: networks with padding, pooling, flatten and dense layers, and
  the certified error chain through them.
- :mod:`~rsslib.slth.construct`: the construction on such networks, with a partition of
  hidden channels chosen after the draw, OBS compensation and a cost-aware budget.
- :mod:`~rsslib.slth.train`, :mod:`~rsslib.slth.edge_popup`: the one training loop, IMP,
  lottery tickets and edge-popup.
- :mod:`~rsslib.slth.experiments`: the chapters' runners (the digits CNN, LeNet-5 on
  Fashion-MNIST, lottery tickets), above the constructions.
- :mod:`~rsslib.slth.pensia`: Pensia et al.'s 784-500-10 experiment solved exactly.
- :mod:`~rsslib.slth.structured`: structured against weight pruning: one ReLU neuron (exact
  search, LP bound, Pensia's construction) and filter pruning of the digits CNN's first layer.
"""

from rsslib.slth.conv import conv, thesis_conv
from rsslib.slth.error import layer_sup_error, sup_error
from rsslib.slth.network import SimpleCNN, normalise_filters, random_cnn, required_width
from rsslib.slth.prune import effective_filters, prune

__all__ = [
    "SimpleCNN",
    "conv",
    "effective_filters",
    "layer_sup_error",
    "normalise_filters",
    "prune",
    "random_cnn",
    "required_width",
    "sup_error",
    "thesis_conv",
]
