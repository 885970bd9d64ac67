"""Input checks shared by every public function of :mod:`rsslib`.

Each helper converts its argument to the type the kernels expect and raises a
``ValueError`` whose message names the argument and the rule it broke.
"""

from __future__ import annotations

import math

import numpy as np


def _read_reals(values, name: str, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values)
    except Exception as exc:  # ragged nested lists and the like
        raise ValueError(f"{name} must be {what} of real numbers ({exc})") from exc
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr


def as_real_array(values, name: str) -> np.ndarray:
    """``values`` as a numpy array of finite real numbers, of any shape, dtype kept.

    Anything numpy cannot read as real numbers (ragged lists, strings, booleans) and any NaN
    or infinity is refused with a ``ValueError`` naming ``name``.
    """
    arr = _read_reals(values, name, "an array")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (it holds NaN or infinity)")
    return arr


def as_matrix(values, name: str, columns: int | None = None) -> np.ndarray:
    """``values`` as a non-empty 2-D array of finite reals (dtype kept), ``columns`` wide."""
    arr = as_real_array(values, name)
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array, got shape {arr.shape}")
    if columns is not None and arr.shape[1] != columns:
        raise ValueError(f"{name} must have {columns} columns, got shape {arr.shape}")
    return arr


def as_weight_list(weights, name: str = "weights") -> list[np.ndarray]:
    """A non-empty list of finite 2-D weight matrices whose shapes chain (rows -> columns)."""
    from collections.abc import Sequence

    if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence):
        raise ValueError(f"{name} must be a list of 2-D weight matrices")
    if len(weights) == 0:
        raise ValueError(f"{name} must hold at least one weight matrix")
    ws = [as_matrix(w, f"{name}[{i}]") for i, w in enumerate(weights)]
    for i in range(1, len(ws)):
        if ws[i].shape[1] != ws[i - 1].shape[0]:
            raise ValueError(
                f"{name}[{i}] has {ws[i].shape[1]} columns but {name}[{i - 1}] has "
                f"{ws[i - 1].shape[0]} rows: the layers do not chain"
            )
    return ws


def as_sample(values, name: str = "sample") -> np.ndarray:
    """Return ``values`` as a 1-D float64 array of finite numbers.

    Integer and float32 inputs are converted; anything else that numpy cannot read as
    real numbers, any NaN or infinity, and any array that is not 1-D is refused.
    """
    arr = _read_reals(values, name, "a 1-D array")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"{name} must be finite, but {name}[{bad}] = {arr[bad]}")
    return arr


def as_batch(samples, targets) -> tuple[np.ndarray, np.ndarray]:
    """Return a batch of instances: ``samples`` (m, n) and ``targets`` (m,), finite float64.

    The rows of ``samples`` are the instances' values; ``targets`` has one entry per row.
    """
    arr = np.asarray(samples)
    if arr.ndim != 2:
        raise ValueError(f"samples must be 2-D (m, n), got an array of shape {arr.shape}")
    m, n = arr.shape
    x = as_sample(arr.reshape(-1), "samples").reshape(m, n)
    t = as_sample(targets, "targets")
    if t.size != m:
        raise ValueError(f"targets must have one entry per row of samples ({m}), got {t.size}")
    return x, t


def is_integer_array(values) -> bool:
    """Whether ``values`` is an array of an integer dtype (bool excluded)."""
    arr = np.asarray(values)
    return np.issubdtype(arr.dtype, np.integer) and arr.dtype != bool


def as_finite_real(value, name: str) -> float:
    """Return ``value`` as a finite Python float."""
    try:
        out = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real number, got {value!r}") from exc
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out}")
    return out


def as_positive_real(value, name: str) -> float:
    """Return ``value`` as a finite float > 0."""
    out = as_finite_real(value, name)
    if out <= 0.0:
        raise ValueError(f"{name} must be > 0, got {out}")
    return out


def as_count(value, name: str, minimum: int = 0) -> int:
    """Return ``value`` as an int >= ``minimum`` (bools and non-integral floats refused)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    out = int(value)
    if out < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {out}")
    return out


#: Upper end (exclusive) of the integer seed drawn from a Generator by :func:`as_int_seed`;
#: small enough that seed arithmetic (``seed + round``, ``1000 * seed``) stays within the
#: 64 bits torch's generators take.
INT_SEED_RANGE = 2**32


def as_seed(seed, name: str = "seed", sequence: bool = False):
    """Check a seed and return it in the form ``np.random.default_rng`` takes, unchanged in
    meaning: a non-negative integer (Python or numpy, bool refused) as a Python int, a
    ``numpy.random.Generator`` as it is, and, with ``sequence=True``, a
    ``numpy.random.SeedSequence`` as it is.

    Functions that draw their seed's stream several times (a retry loop, a seed passed to two
    helpers) validate with this and pass the value on, so an int seed restarts the same
    stream every time, exactly as before.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if sequence and isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer):
        kinds = "a non-negative int, a numpy.random.Generator" + (
            " or a numpy.random.SeedSequence" if sequence else ""
        )
        raise ValueError(f"{name} must be {kinds}, got {seed!r}")
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative int, got {seed!r}")
    return int(seed)


def as_generator(seed, name: str = "seed") -> np.random.Generator:
    """The generator a ``seed`` argument stands for: ``np.random.default_rng(seed)`` for a
    non-negative int, the ``Generator`` itself (not copied: the caller's stream advances)
    for a Generator; anything else is refused with a ``ValueError`` naming ``name``."""
    seed = as_seed(seed, name)
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def as_int_seed(seed, name: str = "seed") -> int:
    """A seed as a non-negative Python int, for torch generators, ``SeedSequence([seed, k])``
    and seed arithmetic: an int is returned unchanged; a ``Generator`` gives one draw
    ``seed.integers(INT_SEED_RANGE)`` (its stream advances); anything else is refused with
    a ``ValueError`` naming ``name``."""
    seed = as_seed(seed, name)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(INT_SEED_RANGE))
    return seed


def as_window(window, name: str = "window") -> tuple[float, float]:
    """Return ``window`` as a pair of finite floats ``a < b`` (a non-empty interval)."""
    try:
        a, b = window
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a pair (a, b), got {window!r}") from exc
    a = as_finite_real(a, f"{name}[0]")
    b = as_finite_real(b, f"{name}[1]")
    if not a < b:
        raise ValueError(f"{name} must satisfy a < b (non-empty, not reversed), got {window!r}")
    return a, b


def as_rng(rng, name: str = "rng") -> np.random.Generator:
    """Return ``rng`` if it is a ``numpy.random.Generator`` (samplers take no seeds)."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"{name} must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng
