"""Checks and run conditions shared by the training modules (:mod:`rsslib.slth.train`,
:mod:`rsslib.slth.edge_popup`): fractions, layer sizes, data, deterministic runs, progress.
"""

from __future__ import annotations

import contextlib
import math
import sys

import numpy as np
import torch

from rsslib._validate import as_count, as_int_seed
from rsslib.sweeps import show_progress


def as_fraction(value, name: str, allow_zero: bool = False) -> float:
    """``value`` as a float in (0, 1] (``[0, 1]`` with ``allow_zero``)."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}") from None
    low_ok = f >= 0 if allow_zero else f > 0
    if not (math.isfinite(f) and low_ok and f <= 1):
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return f


def as_sizes(sizes) -> tuple[int, ...]:
    """Layer widths, input first: at least two positive integers."""
    try:
        out = tuple(int(s) for s in sizes)
    except (TypeError, ValueError):
        raise ValueError(f"sizes must be a sequence of positive integers, got {sizes!r}") from None
    if len(out) < 2 or min(out) < 1 or any(int(s) != s for s in sizes):
        raise ValueError(f"sizes must list at least two positive integers, got {sizes!r}")
    return out


def flat_data(x, y, name: str, features: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs flattened to an N x features float32 tensor, and N non-negative int64 labels."""
    x = torch.as_tensor(np.asarray(x, dtype=np.float32)).flatten(1)
    return x, labels_for(x, y, name, features)


def labels_for(x: torch.Tensor, y, name: str, features: int | None = None) -> torch.Tensor:
    """Check inputs ``x`` (N >= 1 finite rows) and return their labels as int64, N of them."""
    y = torch.as_tensor(np.asarray(y, dtype=np.int64))
    if x.ndim < 2 or len(x) == 0 or y.shape != (len(x),):
        raise ValueError(
            f"{name}: need N >= 1 inputs and N labels, got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    if not torch.isfinite(x).all():
        raise ValueError(f"{name}: inputs must be finite")
    if features is not None and x[0].numel() != features:
        raise ValueError(f"{name}: inputs must have {features} features, got {x[0].numel()}")
    if int(y.min()) < 0:
        raise ValueError(f"{name}: labels must be non-negative")
    return y


def problem(x_train, y_train, x_test, y_test, sizes, seed):
    """The checked arguments of a run on an MLP of ``sizes``: int seed, sizes, train and test
    data (flattened to ``sizes[0]`` features)."""
    seed = as_int_seed(seed)
    sizes = as_sizes(sizes)
    train = flat_data(x_train, y_train, "training data", sizes[0])
    test = flat_data(x_test, y_test, "test data", sizes[0])
    return seed, sizes, train, test


@contextlib.contextmanager
def deterministic(threads: int | None):
    """Deterministic algorithms and a fixed thread count for the duration of a run."""
    previous = torch.get_num_threads()
    flag = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    if threads is not None:
        torch.set_num_threads(as_count(threads, "threads", 1))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
        torch.use_deterministic_algorithms(flag)


class Bar:
    """A progress bar on stderr over ``total`` steps, or nothing (``progress`` false)."""

    def __init__(self, total: int, desc: str, progress):
        self.bar = None
        if show_progress(progress):
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=desc, file=sys.stderr, leave=False)

    def update(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def kept_count(size: int, density: float) -> int:
    """Weights a layer of ``size`` keeps at ``density``: at least one, so a layer is never
    cut off entirely."""
    return max(1, round(density * size))


def check_progress(progress, allow_none: bool = True):
    """``progress`` as given, if it is a bool (or ``None`` where that means "on a terminal")."""
    if isinstance(progress, bool | np.bool_) or (allow_none and progress is None):
        return progress
    raise ValueError(f"progress must be a bool, got {progress!r}")
