"""Checks and small kernels shared by the gadget modules (:mod:`rsslib.slth.gadgets`,
:mod:`rsslib.slth.gadget_layers`, :mod:`rsslib.slth.dense`) and the width sweep
(:mod:`rsslib.slth.experiments.widths`)."""

from __future__ import annotations

import numpy as np

from rsslib._validate import as_finite_real, as_real_array

#: The two ways of pruning a gadget: one neuron per half (Malach et al.) or a subset
#: (Pensia et al.).
METHODS = ("single", "subset")
#: Largest half-gadget handed to the exact solver in the sweeps (2^20 sums per half).
MAX_HALF = 40


def level_arg(level, name: str = "level") -> float:
    """A probability strictly between 0 and 1."""
    out = as_finite_real(level, name)
    if not 0.0 < out < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {out}")
    return out


def method_arg(method) -> str:
    """One of :data:`METHODS`."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return method


def eps_values_arg(eps_values, name: str = "eps_values") -> np.ndarray:
    """A non-empty 1-D float64 array of tolerances, each > 0."""
    arr = np.atleast_1d(as_real_array(eps_values, name)).astype(np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D list of tolerances")
    if np.any(arr <= 0):
        raise ValueError(f"{name} must all be > 0")
    return arr


def smallest_n(success, level: float, start: int = 1) -> int:
    """Smallest n >= start with success(n) >= level, success non-decreasing in n."""
    lo, hi = start - 1, max(start, 1)
    while success(hi) < level:
        lo, hi = hi, 2 * hi
        if hi > 2**40:
            raise ValueError("level is not reached by any width below 2^40")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if success(mid) >= level:
            hi = mid
        else:
            lo = mid
    return hi


def half_positions(sign_mask):
    """For each row, the 1-based positions of the True entries, padded with a sentinel."""
    rows, n = sign_mask.shape
    pos = np.full((rows, n), n + 1, dtype=np.int64)
    counts = sign_mask.sum(1)
    order = np.argsort(~sign_mask, axis=1, kind="stable")
    for r in range(rows):
        pos[r, : counts[r]] = order[r, : counts[r]] + 1
    return pos, counts
