"""Feed-forward networks beyond simple CNNs: padded convolutions, pooling, dense layers.

The thesis's simple CNNs (:class:`~rsslib.slth.SimpleCNN`,
Definition 11.3 (thesis Definitions 28 and 30)) alternate convolutions and ReLUs.
Real architectures such as LeNet-5 also pool, flatten and end with dense layers. A
:class:`Network` is a list of such layers, bias-free, in float64:

- ``("conv", K, padding)``: ``torch.nn.functional.conv2d`` (a correlation; the thesis's
  convolution flips the kernel, which only renames the weights), K of shape (out, in, d, d);
- ``("dense", W)``: ``x @ W.T``, W of shape (out, in). A dense layer is a convolution whose
  kernel covers its whole input, so the construction of
  Proposition 12.1 (thesis Proposition 32) applies to it unchanged;
- ``("pair", U, V, padding)``: the pruned replacement of a conv or dense layer,
  ``V relu(U x)`` with U of shape (n, in, d, d) or (n, in) and V of shape (out, n);
- ``("relu",)``, ``("maxpool", k)``, ``("avgpool", k)``, ``("flatten",)``;
- ``("pad", (left, right, top, bottom))``: zeros around the image (the thesis's convolution,
  Definition 11.2 (thesis Eq. 4.2), is a correlation with the flipped kernel after d - 1
  zeros before each axis).

Max and average pooling are 1-Lipschitz in the max norm (a max or a mean of entries each
within e of the other network's moves by at most e), and so are ReLU and flatten: the error
recursion of the proof of Theorem 13.1 (thesis Theorem 31) passes through them unchanged
(:func:`rsslib.slth.certificate.certified_error`); zero padding changes no max norm either.
A :class:`~rsslib.slth.SimpleCNN` converts to a Network
(:func:`rsslib.slth.network.to_network`) and back.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from rsslib._validate import as_count

WEIGHTED = ("conv", "dense")
_ARITY = {
    "conv": 3,
    "dense": 2,
    "pair": 4,
    "relu": 1,
    "maxpool": 2,
    "avgpool": 2,
    "flatten": 1,
    "pad": 2,
}


def _check_layer(i: int, layer) -> tuple:
    if not isinstance(layer, (tuple, list)) or not layer or layer[0] not in _ARITY:
        raise ValueError(f"layers[{i}] must be a tuple starting with one of {sorted(_ARITY)}")
    kind = layer[0]
    if len(layer) != _ARITY[kind]:
        raise ValueError(f"layers[{i}]: a {kind!r} layer has {_ARITY[kind] - 1} arguments")
    if kind == "conv":
        K = torch.as_tensor(layer[1], dtype=torch.float64).detach().clone()
        if K.dim() != 4 or K.shape[2] != K.shape[3]:
            raise ValueError(f"layers[{i}]: conv needs K (out, in, d, d), got {tuple(K.shape)}")
        return ("conv", K, as_count(layer[2], f"layers[{i}] padding"))
    if kind == "dense":
        W = torch.as_tensor(layer[1], dtype=torch.float64).detach().clone()
        if W.dim() != 2:
            raise ValueError(f"layers[{i}]: dense needs W of shape (out, in), got {tuple(W.shape)}")
        return ("dense", W)
    if kind == "pair":
        U = torch.as_tensor(layer[1], dtype=torch.float64).detach().clone()
        V = torch.as_tensor(layer[2], dtype=torch.float64).detach().clone()
        if U.dim() not in (2, 4) or V.dim() != 2 or V.shape[1] != U.shape[0]:
            raise ValueError(
                f"layers[{i}]: pair needs U (n, in[, d, d]) and V (out, n), got "
                f"{tuple(U.shape)} and {tuple(V.shape)}"
            )
        return ("pair", U, V, as_count(layer[3], f"layers[{i}] padding"))
    if kind == "pad":
        widths = tuple(layer[1])
        if len(widths) != 4:
            raise ValueError(f"layers[{i}]: pad needs four widths >= 0, got {layer[1]!r}")
        return ("pad", tuple(as_count(w, f"layers[{i}] pad width") for w in widths))
    if kind in ("maxpool", "avgpool"):
        return (kind, as_count(layer[1], f"layers[{i}] pooling size", minimum=1))
    return (kind,)


class Network(torch.nn.Module):
    """A bias-free feed-forward network (conv, dense, pair, relu, pooling, flatten layers).

    Parameters
    ----------
    layers : sequence of tuples
        See the module docstring. Tensors are stored as float64 copies.
    """

    def __init__(self, layers: Sequence[tuple]):
        super().__init__()
        if not layers:
            raise ValueError("layers must hold at least one layer")
        self.layers = [_check_layer(i, layer) for i, layer in enumerate(layers)]

    def weighted(self) -> list[int]:
        """Indices of the conv, dense and pair layers, in order."""
        return [i for i, layer in enumerate(self.layers) if layer[0] in WEIGHTED + ("pair",)]

    def tensors(self, i: int) -> list[torch.Tensor]:
        """The weight tensors of layer i (none for relu, pooling, flatten)."""
        return [t for t in self.layers[i][1:] if isinstance(t, torch.Tensor)]

    def parameter_count(self, indices=None) -> int:
        """Entries of the weight tensors of the layers ``indices`` (default: all)."""
        indices = range(len(self.layers)) if indices is None else indices
        return sum(t.numel() for i in indices for t in self.tensors(i))

    def forward(self, X: torch.Tensor, upto: int | None = None) -> torch.Tensor:
        """The network on X (float64); with ``upto``, the input of layer ``upto``."""
        X = torch.as_tensor(X, dtype=torch.float64)
        for layer in self.layers[: len(self.layers) if upto is None else upto]:
            X = _apply(layer, X)
        return X


def _linear(W: torch.Tensor, X: torch.Tensor, padding: int) -> torch.Tensor:
    if W.dim() == 4:
        if X.dim() != 4 or X.shape[1] != W.shape[1]:
            raise ValueError(f"a conv with {W.shape[1]} input channels got {tuple(X.shape)}")
        return F.conv2d(X, W, padding=padding)
    if X.dim() != 2 or X.shape[1] != W.shape[1]:
        raise ValueError(f"a dense layer with {W.shape[1]} inputs got {tuple(X.shape)}")
    return X @ W.T


def _apply(layer: tuple, X: torch.Tensor) -> torch.Tensor:
    kind = layer[0]
    if kind == "conv":
        return _linear(layer[1], X, layer[2])
    if kind == "dense":
        return _linear(layer[1], X, 0)
    if kind == "pair":
        U, V, padding = layer[1:]
        hidden = torch.relu(_linear(U, X, padding))
        return _linear(V.reshape(V.shape + (1, 1)) if U.dim() == 4 else V, hidden, 0)
    if kind == "relu":
        return torch.relu(X)
    if kind == "maxpool":
        return F.max_pool2d(X, layer[1])
    if kind == "avgpool":
        return F.avg_pool2d(X, layer[1])
    if kind == "pad":
        return F.pad(X, layer[1])
    return X.flatten(1)


def effective_weight(layer: tuple) -> torch.Tensor:
    """The weight a conv/dense layer applies, or ``L = V U`` for a pair with U >= 0.

    On non-negative inputs a pair with U >= 0 computes exactly the linear layer L (the ReLU
    between U and V never clips): the collapse used by
    Proposition 12.1 (thesis Proposition 32).
    """
    kind = layer[0]
    if kind in WEIGHTED:
        return layer[1]
    if kind != "pair":
        raise ValueError(f"a {kind!r} layer has no weight")
    U, V = layer[1], layer[2]
    if bool((U < 0).any()):
        raise ValueError("the pair's U has negative entries: its ReLU is not the identity")
    return torch.einsum("ln,n...->l...", V, U)


def collapse(net: Network) -> Network:
    """Every pair replaced by its effective layer: the same function on inputs >= 0."""
    out = []
    for layer in net.layers:
        if layer[0] == "pair":
            L = effective_weight(layer)
            out.append(("conv", L, layer[3]) if L.dim() == 4 else ("dense", L))
        else:
            out.append(layer)
    return Network(out)
