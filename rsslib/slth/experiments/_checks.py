"""Argument checks shared by the experiment modules (``labels``, ``progress``, Pensia's
experiment)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

from rsslib._validate import as_count, as_matrix, as_positive_real, as_weight_list


def labels_arg(labels, count: int, name: str = "labels") -> np.ndarray:
    """``labels`` as a 1-D integer array with one entry per input (``count``)."""
    arr = np.asarray(labels)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        raise ValueError(f"{name} must be a 1-D integer array, got {arr.dtype} {arr.shape}")
    if arr.size != count:
        raise ValueError(f"{name} must have one entry per input ({count}), got {arr.size}")
    return arr


def reporter(progress) -> Callable[[str], None]:
    """A reporter to stderr if ``progress`` is True, silent if False (the package's
    ``progress`` convention)."""
    if not isinstance(progress, bool | np.bool_):
        raise ValueError(f"progress must be True or False, got {progress!r}")
    if not progress:
        return lambda msg: None
    return lambda msg: print(msg, file=sys.stderr, flush=True)


def experiment_args(weights, x_test, y_test, eps, n):
    """The arguments of Pensia et al.'s experiment: weights (a list of matrices), test images
    fitting the first layer, one integer label per image, ``eps > 0`` and ``n >= 1``."""
    ws = as_weight_list(weights)
    x = as_matrix(x_test, "x_test", ws[0].shape[1])
    labels_arg(y_test, len(x), "y_test")
    return ws, as_positive_real(eps, "eps"), as_count(n, "n", 1)
