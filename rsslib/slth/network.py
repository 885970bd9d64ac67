"""Simple CNNs and the random network of Theorem 13.1 (thesis Theorem 31).

Simple CNNs are those of Definition 11.3 (thesis Definitions 28 and 30). They convert to the
library's one network type, :class:`~rsslib.slth.layered.Network` (:func:`to_network`), on
which the construction (:func:`rsslib.slth.prune_network`) and the certificate
(:func:`rsslib.slth.certified_error`) run, and back (:func:`from_network`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from rsslib._validate import as_count, as_int_seed, as_positive_real
from rsslib.slth.conv import conv
from rsslib.slth.layered import Network


class SimpleCNN(torch.nn.Module):
    """Bias-free CNN ``K_l * relu(K_{l-1} * ... relu(K_1 * X))``.

    The simple CNN of Definition 11.3 (thesis Definitions 28 and 30).

    Parameters
    ----------
    filters : sequence of tensors (c_i, c_{i-1}, d_i, d_i)
        Consecutive filters must agree on channels. They are stored as float64 copies;
        ``.filters`` gives them back.
    """

    def __init__(self, filters: Sequence[torch.Tensor]):
        super().__init__()
        filters = [torch.as_tensor(f, dtype=torch.float64).detach().clone() for f in filters]
        if not filters:
            raise ValueError("filters must hold at least one filter")
        for i, f in enumerate(filters):
            if f.dim() != 4 or f.shape[2] != f.shape[3]:
                raise ValueError(
                    f"filters[{i}] must have shape (out, in, d, d), got {tuple(f.shape)}"
                )
            if i and f.shape[1] != filters[i - 1].shape[0]:
                raise ValueError(
                    f"filters[{i}] expects {f.shape[1]} input channels but filters[{i - 1}] "
                    f"outputs {filters[i - 1].shape[0]}"
                )
        self._filters = torch.nn.ParameterList(torch.nn.Parameter(f) for f in filters)

    @property
    def filters(self) -> list[torch.Tensor]:
        return [f.detach() for f in self._filters]

    @property
    def channels(self) -> list[int]:
        return [self._filters[0].shape[1]] + [f.shape[0] for f in self._filters]

    def parameter_count(self) -> int:
        return sum(f.numel() for f in self._filters)

    def to_network(self, pairs: bool = False) -> Network:
        """This network as a :class:`~rsslib.slth.layered.Network` (:func:`to_network`)."""
        return to_network(self, pairs=pairs)

    @classmethod
    def from_network(cls, net: Network) -> SimpleCNN:
        """The simple CNN a converted :class:`~rsslib.slth.layered.Network` stands for
        (:func:`from_network`)."""
        return from_network(net)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        X = torch.as_tensor(X, dtype=torch.float64)
        if X.dim() != 4 or X.shape[1] != self.channels[0]:
            raise ValueError(
                f"X must have shape (N, {self.channels[0]}, D, D), got {tuple(X.shape)}"
            )
        for i, f in enumerate(self._filters):
            X = conv(f, X)
            if i < len(self._filters) - 1:
                X = torch.relu(X)
        return X


def _check_architecture(channels, kernel_sizes):
    channels, kernel_sizes = list(channels), list(kernel_sizes)
    if len(channels) != len(kernel_sizes) + 1 or not kernel_sizes:
        raise ValueError("channels must list c_0..c_l and kernel_sizes d_1..d_l (l >= 1)")
    channels = [as_count(c, f"channels[{i}]", minimum=1) for i, c in enumerate(channels)]
    kernel_sizes = [
        as_count(d, f"kernel_sizes[{i}]", minimum=1) for i, d in enumerate(kernel_sizes)
    ]
    return channels, kernel_sizes


def required_width(channels, kernel_sizes, eps: float, C: float) -> list[int]:
    """Widths ``n_i = ceil(C c_i log(c_{i-1} c_i d_i^2 l / eps))``.

    The widths of Theorem 13.1 (thesis Theorem 31). The theorem only says that some universal
    C works; the chapters of Part III measure which C is enough in practice.
    """
    channels, kernel_sizes = _check_architecture(channels, kernel_sizes)
    eps, C = as_positive_real(eps, "eps"), as_positive_real(C, "C")
    depth = len(kernel_sizes)
    return [
        math.ceil(
            C
            * channels[i + 1]
            * math.log(channels[i] * channels[i + 1] * kernel_sizes[i] ** 2 * depth / eps)
        )
        for i in range(depth)
    ]


def random_cnn(channels, kernel_sizes, widths, seed: int = 0) -> SimpleCNN:
    """The 2l-layer random network N_0, entries uniform on [-1, 1].

    The random network of Theorem 13.1 (thesis Theorem 31). Layer 2i-1 has shape
    (n_i, c_{i-1}, d_i, d_i) and layer 2i has shape (c_i, n_i, 1, 1). Drawn from
    ``torch.Generator().manual_seed(seed)``; ``seed``: a non-negative int, or a numpy
    Generator from which one int seed is drawn.
    """
    channels, kernel_sizes = _check_architecture(channels, kernel_sizes)
    widths = list(widths)
    if len(widths) != len(kernel_sizes):
        raise ValueError("widths must list a positive n_i for every target layer")
    widths = [as_count(n, f"widths[{i}]", minimum=1) for i, n in enumerate(widths)]
    gen = torch.Generator().manual_seed(as_int_seed(seed))
    filters = []
    for i, (d, n) in enumerate(zip(kernel_sizes, widths, strict=True)):
        shape_u = (n, channels[i], d, d)
        shape_v = (channels[i + 1], n, 1, 1)
        filters.append(2 * torch.rand(shape_u, generator=gen, dtype=torch.float64) - 1)
        filters.append(2 * torch.rand(shape_v, generator=gen, dtype=torch.float64) - 1)
    return SimpleCNN(filters)


def normalise_filters(filters) -> tuple[list[torch.Tensor], float]:
    """Rescale every filter to l1 norm 1; return the filters and the factor lost.

    ReLU is positively homogeneous, so ``f(X) = scale * f_normalised(X)`` where ``scale`` is
    the product of the original l1 norms: a network outside the theorem's class (filters with
    l1 norm above 1) becomes one inside it, up to a known output scale.
    """
    out, scale = [], 1.0
    for i, f in enumerate(filters):
        f = torch.as_tensor(f, dtype=torch.float64)
        norm = float(f.abs().sum())
        if norm == 0.0:
            raise ValueError(f"filters[{i}] is zero")
        out.append(f / norm)
        scale *= norm
    return out, scale


def as_filters(net, name: str) -> list[torch.Tensor]:
    """The filters of a :class:`SimpleCNN`, or a list of filters as float64 tensors."""
    if isinstance(net, SimpleCNN):
        return net.filters
    try:
        return [torch.as_tensor(f, dtype=torch.float64) for f in net]
    except TypeError as exc:
        raise ValueError(f"{name} must be a SimpleCNN or a list of filters") from exc


def _pad(d: int) -> tuple:
    """Definition 11.2's zero padding: d - 1 zeros before each spatial axis, none after."""
    return ("pad", (d - 1, 0, d - 1, 0))


def to_network(net, pairs: bool = False) -> Network:
    """A simple CNN as a :class:`~rsslib.slth.layered.Network` computing the same function.

    The thesis's convolution (Definition 11.2 (thesis Eq. 4.2)) is zero padding of d - 1
    before each spatial axis followed by a correlation with the flipped kernel, so filter K
    becomes ``("pad", (d-1, 0, d-1, 0))``, ``("conv", flip(K), 0)``, with ``("relu",)``
    between filters.

    Parameters
    ----------
    net : SimpleCNN or list of filters
    pairs : bool
        Read the 2l filters as l pairs (U_i, V_i), V_i of shape (c_i, n_i, 1, 1), the random
        or pruned network of Theorem 13.1 (thesis Theorem 31): pair i becomes the padding
        and ``("pair", flip(U_i), V_i[:, :, 0, 0], 0)``, the same function.
    """
    filters = as_filters(net, "net")
    if pairs and len(filters) % 2:
        raise ValueError(f"pairs=True needs an even number of filters, got {len(filters)}")
    layers = []
    for i in range(0, len(filters), 2 if pairs else 1):
        if layers:
            layers.append(("relu",))
        K = filters[i]
        flipped = torch.flip(K, dims=(2, 3))
        if not pairs:
            layers += [_pad(K.shape[-1]), ("conv", flipped, 0)]
            continue
        V = filters[i + 1]
        if V.dim() != 4 or V.shape[2:] != (1, 1) or V.shape[1] != K.shape[0]:
            raise ValueError(
                f"filter {i + 1} must have shape (c, {K.shape[0]}, 1, 1) to pair with filter "
                f"{i}, got {tuple(V.shape)}"
            )
        layers += [_pad(K.shape[-1]), ("pair", flipped, V[:, :, 0, 0], 0)]
    return Network(layers)


def from_network(net: Network) -> SimpleCNN:
    """The simple CNN of a network :func:`to_network` built (pairs give two filters each).

    Raises ValueError if ``net`` is not of that form (padding d - 1 before each axis, then
    an unpadded conv or pair, ReLU between them).
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be a Network, got {type(net).__name__}")
    layers, filters = net.layers, []
    if len(layers) % 3 != 2:
        raise ValueError("a simple CNN has 3 l - 1 layers: padding, conv or pair, ReLU, ...")
    for start in range(0, len(layers), 3):
        group = layers[start : start + 3]
        pad, layer = group[0], group[1]
        relu = len(group) == 2 or group[2] == ("relu",)
        if layer[0] not in ("conv", "pair") or layer[-1] != 0 or not relu:
            raise ValueError(f"layers {start}..: not padding, conv or pair, ReLU (a simple CNN)")
        flipped = torch.flip(layer[1], dims=(2, 3)) if layer[1].dim() == 4 else None
        if flipped is None or pad != _pad(flipped.shape[-1]):
            raise ValueError(f"layer {start}: not the padding of a {layer[0]} of a simple CNN")
        filters.append(flipped)
        if layer[0] == "pair":
            filters.append(layer[2][:, :, None, None])
    return SimpleCNN(filters)
