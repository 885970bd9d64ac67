"""The forward pass of a bias-free ReLU network given as a list of weight matrices.

``W_l relu(... relu(W_1 x))``: ReLU after every layer but the last, no biases, the dense
networks the constructions of Part III prune. The one implementation of this pass in
:mod:`rsslib`: the dense
constructions (:mod:`rsslib.slth.dense`), Pensia et al.'s experiment
(:mod:`rsslib.slth.experiments.pensia`) and the dense head of ``scripts/train_lenet.py``
call :func:`forward`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from rsslib._validate import as_matrix, as_weight_list

__all__ = ["forward"]


def _torch_weights(weights) -> list[torch.Tensor]:
    if not isinstance(weights, Sequence) or len(weights) == 0:
        raise ValueError("weights must be a non-empty list of 2-D weight matrices")
    for i, w in enumerate(weights):
        if not isinstance(w, torch.Tensor) or w.dim() != 2:
            raise ValueError(f"weights[{i}] must be a 2-D torch tensor, like x")
        if i and w.shape[1] != weights[i - 1].shape[0]:
            raise ValueError(
                f"weights[{i}] has {w.shape[1]} columns but weights[{i - 1}] has "
                f"{weights[i - 1].shape[0]} rows: the layers do not chain"
            )
    return list(weights)


def forward(weights, x):
    """``W_l relu(... relu(W_1 x))`` for each row x of ``x``: ReLU after every layer but the
    last, no biases.

    Parameters
    ----------
    weights : list of array_like
        Chaining matrices, ``weights[k]`` of shape ``(d_{k+1}, d_k)``.
    x : array_like or torch.Tensor, shape (N, d_0)
        Inputs, one per row. With a torch tensor (and torch tensors as weights) the pass
        runs in torch, in the tensors' dtype, and gradients flow through it (training);
        otherwise everything is converted to float64 numpy.

    Returns
    -------
    numpy.ndarray of float64 (or torch.Tensor), shape (N, d_l)
    """
    if isinstance(x, torch.Tensor):
        ws = _torch_weights(weights)
        if x.dim() != 2 or x.shape[1] != ws[0].shape[1]:
            raise ValueError(f"x must have shape (N, {ws[0].shape[1]}), got {tuple(x.shape)}")
        relu = torch.relu
        h = x
    else:
        ws = [w.astype(np.float64) for w in as_weight_list(weights)]
        h = as_matrix(x, "x", ws[0].shape[1]).astype(np.float64)

        def relu(t):
            return np.maximum(t, 0.0)

    for k, w in enumerate(ws):
        h = h @ w.T
        if k < len(ws) - 1:
            h = relu(h)
    return h
