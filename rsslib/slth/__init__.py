"""Strong Lottery Tickets for convolutional networks (thesis Chapter 4), in torch.

Tensors use torch's layouts: filters ``(out, in, kh, kw)``, inputs ``(N, C, H, W)``, and
float64 throughout, since the approximations are checked to 1e-6 and beyond.

The construction layer (nothing here imports :mod:`rsslib.slth.experiments`):

- :mod:`~rsslib.slth.conv`: the thesis's convolution and its fast equivalent.
- :mod:`~rsslib.slth.layered`: :class:`Network`, the one feed-forward network type (padded
  convolutions, pooling, flatten, dense layers and pruned pairs) for construction,
  certificate and evaluation.
- :mod:`~rsslib.slth.network`: simple CNNs
  (Definition 11.3 (thesis Definitions 28 and 30)), the random network of
  Theorem 13.1 (thesis Theorem 31), and their conversion to and from :class:`Network`
  (:func:`to_network`, :func:`from_network`).
- :mod:`~rsslib.slth.construct`: the pruning construction of
  Proposition 12.1 (thesis Proposition 32) on any :class:`Network` (:func:`prune_network`),
  with a partition of hidden channels chosen after the draw, OBS compensation and a
  cost-aware budget, solved exactly with :func:`rsslib.best_subsets`.
- :mod:`~rsslib.slth.prune`: :func:`prune`, the construction for simple CNNs with the
  budgets of Lemma 12.2 (thesis Lemma 34) and Theorem 13.1 (an adapter over
  :func:`prune_network`).
- :mod:`~rsslib.slth.certificate`: the one certificate, :func:`certified_error` (the error
  recursion of the proof of Theorem 13.1 with measured constants) and the searched lower
  bound, as a :class:`Certificate`; the exact one-layer sup error.
- :mod:`~rsslib.slth.error`: :func:`sup_error`, the certificate for simple CNNs.
- :mod:`~rsslib.slth.gadgets`, :mod:`~rsslib.slth.gadget_layers`,
  :mod:`~rsslib.slth.dense`: Malach et al.'s single neuron against Pensia et al.'s subset
  sums, one weight and one layer of gadgets; dense targets of depth l inside random
  networks of depth l + 1 and 2l. :mod:`~rsslib.slth.mlp`: the one numpy forward pass.
- :mod:`~rsslib.slth.pensia`: Pensia et al.'s construction (each weight a subset sum of
  random products), solved exactly.
- :mod:`~rsslib.slth.neurons`, :mod:`~rsslib.slth.neuron_weights`: one ReLU neuron pruned
  by whole neurons (exact search, LP bound, local search) or by single weights (Pensia's
  construction); :mod:`~rsslib.slth.filters`: filter pruning of a first convolution from
  a random pair.
- :mod:`~rsslib.slth.train`, :mod:`~rsslib.slth.edge_popup`: the one training loop
  (:func:`~rsslib.slth.train.fit`), masked MLPs, IMP and edge-popup.

Above them, :mod:`rsslib.slth.experiments`: the chapters' runners (the digits CNN, LeNet-5
on Fashion-MNIST, lottery tickets, the width sweep, Pensia et al.'s 784-500-10 experiment,
structured pruning, sparse tickets).
"""

from rsslib.slth.certificate import Certificate, certified_error, layer_sup_error
from rsslib.slth.construct import prune_network
from rsslib.slth.conv import conv, thesis_conv
from rsslib.slth.error import sup_error
from rsslib.slth.layered import Network
from rsslib.slth.network import (
    SimpleCNN,
    from_network,
    normalise_filters,
    random_cnn,
    required_width,
    to_network,
)
from rsslib.slth.prune import effective_filters, prune

__all__ = [
    "Certificate",
    "Network",
    "SimpleCNN",
    "certified_error",
    "conv",
    "effective_filters",
    "from_network",
    "layer_sup_error",
    "normalise_filters",
    "prune",
    "prune_network",
    "random_cnn",
    "required_width",
    "sup_error",
    "thesis_conv",
    "to_network",
]
