"""The discrete convolution of the thesis and its fast equivalent.

Definition 11.2 (thesis Eq. 4.2).

With 1-based indices the thesis defines, for a filter K of size d x d x c0 x c1 and an input
X of size D x D x c0,

    (K * X)_{i,j,l} = sum_{i',j' in [d], k in [c0]} K_{i',j',k,l} X_{i-i'+1, j-j'+1, k},

with X zero outside [D] x [D]. The output is D x D: output (i, j) sees the inputs
i-d+1..i, j-d+1..j, so the padding is d - 1 zeros before each spatial axis and none after,
and the kernel is flipped (a true convolution, where torch computes a correlation).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _check(K: torch.Tensor, X: torch.Tensor) -> None:
    if not isinstance(K, torch.Tensor) or not isinstance(X, torch.Tensor):
        raise ValueError("K and X must be torch tensors")
    if K.dim() != 4:
        raise ValueError(f"K must have shape (out, in, d, d), got {tuple(K.shape)}")
    if X.dim() != 4:
        raise ValueError(f"X must have shape (N, C, D, D), got {tuple(X.shape)}")
    if K.shape[1] != X.shape[1]:
        raise ValueError(f"K has {K.shape[1]} input channels but X has {X.shape[1]}")


def thesis_conv(K: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """The thesis's convolution, written plainly with loops over the kernel offsets.

    Definition 11.2 (thesis Eq. 4.2).

    Parameters
    ----------
    K : tensor (c1, c0, d, d)
    X : tensor (N, c0, D, D)

    Returns
    -------
    tensor (N, c1, D, D)
    """
    _check(K, X)
    n, _, rows, cols = X.shape
    c1, c0, dh, dw = K.shape
    out = torch.zeros(n, c1, rows, cols, dtype=torch.result_type(K, X))
    for a in range(dh):  # a = i' - 1
        for b in range(dw):  # b = j' - 1
            # output (i, j) reads X[i - a, j - b]: shift X down by a rows and right by b
            shifted = torch.zeros(n, c0, rows, cols, dtype=X.dtype)
            shifted[:, :, a:, b:] = X[:, :, : rows - a, : cols - b]
            out += torch.einsum("lk,nkij->nlij", K[:, :, a, b], shifted)
    return out


def conv(K: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """The same convolution via ``torch.nn.functional.conv2d`` (flipped kernel, padding d-1
    before each spatial axis). Equal to :func:`thesis_conv` up to rounding."""
    _check(K, X)
    dh, dw = K.shape[2], K.shape[3]
    padded = F.pad(X, (dw - 1, 0, dh - 1, 0))
    return F.conv2d(padded, torch.flip(K, dims=(2, 3)))
