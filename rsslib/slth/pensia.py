"""Pensia et al.'s subset-sum experiment, solved exactly, with the pruned network evaluated.

Pensia, Rajput, Nagle, Vishwakarma and Papailiopoulos (2020), "Optimal Lottery Tickets via
SubsetSum: Logarithmic Over-Parameterization is Sufficient", NeurIPS 33 (code at
github.com/acnagle/optimal-lottery-tickets, ``subset-sum/``), approximate every weight of
a trained 784-500-10 ReLU network (397,000 weights) by a subset sum of n = 21 random values
at eps = 0.01, one Gurobi MIP per weight (77,266 s on 36 cores). This module solves every
weight exactly by meet in the middle, twice: the subset of minimum error
(:func:`rsslib.best_subsets`) and the subset of fewest values within eps
(:func:`rsslib.sparsest.sparsest_subsets`); the pruned networks are evaluated on the
10,000 Fashion-MNIST test images, next to the baseline that zeroes every weight with
``|w| <= eps``. ``scripts/pensia_experiment.py`` runs :func:`run` and stores its result in
``book/slth/data/pensia_experiment.json``; the chapter ``pensia_revisited`` recomputes it.

Target network
--------------
784-500-10, ReLU, **no biases**, trained on the Fashion-MNIST training split with the
hyper-parameters of Pensia et al.'s ``subset-sum/main.py`` (SGD, learning rate 0.1,
momentum 0.9, weight decay 5e-4, batch 64, cosine schedule, 10 epochs), pixels in [0, 1]
not normalised. No biases because (i) their ``TwoLayerFC`` builds its ``nn.Linear`` layers
without bias, so their 397,000 weights are exactly 784*500 + 500*10; (ii) the construction
below approximates linear maps x -> W x, and the book's statements (thesis Chapter 4) are
for bias-free networks. Training (:func:`train_target`) is seeded and deterministic on CPU;
the weights are stored in :data:`TARGET` (float32, compressed, about 1.5 MB).

The random network
------------------
Each target layer W (d_out x d_in) is replaced by two random layers. The hidden layer has a
block of n neurons per input j; neuron (j, i) sees input j only, with weight u[j, i], and
output k sees every hidden neuron, with weight v[k, j, i]. As ReLU(u t) = u t for u > 0 and
t >= 0, the pair computes on non-negative inputs the linear map with weights

    w'[k, j] = sum over kept i of a[k, j, i],    a[k, j, i] = v[k, j, i] u[j, i],

a subset sum of n products: one Random Subset Sum instance per target weight. In Pensia et
al.'s lemma each input has 2n hidden neurons with entries uniform on [-1, 1], and
t = ReLU(t) - ReLU(-t) handles both signs of the input; here every input is non-negative
(pixels, then ReLU outputs), the neurons with u < 0 always output 0, and only the useful
half is drawn: u uniform on (0, 1] (the law of |Unif[-1, 1]|), v uniform on [-1, 1]
(:func:`random_layer`). The products have density -ln|a| / 2 on [-1, 1]. The block
structure is the one of their Experiment 2 code, ``pruning/utils/red_fc.py``.

Their Experiment 1 code does not build the two layers: it draws the 21 values of each
weight directly, uniform on [min W, max W] of the target; :func:`pensia_code_variant`
runs that variant.

Sizes are counted two ways (:func:`kept_counts`): kept values (kept second-layer weights v,
what Pensia et al. call remaining parameters) and the weights of the pruned two-layer
network (kept v plus every first-layer weight u[j, i] still used by some output).

References
----------
.. [1] A. Pensia, S. Rajput, A. Nagle, H. Vishwakarma, D. Papailiopoulos, "Optimal Lottery
   Tickets via SubsetSum: Logarithmic Over-Parameterization is Sufficient", Advances in
   Neural Information Processing Systems 33, 2020.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numba
import numpy as np
import torch

from rsslib._validate import (
    as_count,
    as_int_seed,
    as_matrix,
    as_positive_real,
    as_real_array,
    as_weight_list,
)
from rsslib.solve import best_subsets
from rsslib.sparsest import sparsest_subsets

#: Where the trained 784-500-10 target is stored (in the repository, next to the book).
TARGET = Path(__file__).resolve().parents[2] / "book" / "slth" / "data" / "pensia_target.npz"
#: Layer widths of the target (input, hidden, output).
SIZES = (784, 500, 10)
#: Random values per weight: Pensia et al.'s n = round(c log2(1/eps)) with c = 3, eps = 0.01.
N_VALUES = 21
#: Their tolerance.
EPS = 0.01
#: Tolerances of :func:`eps_sweep`.
SWEEP_EPS = (0.001, 0.003, 0.01, 0.03, 0.1)
#: Largest number of random values one call may draw (2 GB of float64).
MAX_VALUES = 2**28
#: Names of the pruned networks :func:`run` can also run as real networks.
REAL_NETWORKS = {"sparsest": "sp_masks", "min_error": "min_masks"}

Progress = Callable[[str], object] | None


# ---------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------
_matrix = as_matrix
_weights = as_weight_list


def _labels(labels, count: int, name: str = "labels") -> np.ndarray:
    arr = np.asarray(labels)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        raise ValueError(f"{name} must be a 1-D integer array, got {arr.dtype} {arr.shape}")
    if arr.size != count:
        raise ValueError(f"{name} must have one entry per input ({count}), got {arr.size}")
    return arr


def _masks(masks, shape: tuple, name: str = "masks") -> np.ndarray:
    arr = np.asarray(masks)
    if arr.dtype != bool:
        raise ValueError(f"{name} must be a boolean array, got dtype {arr.dtype}")
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {arr.shape}")
    return arr


def _error_arrays(errors, name: str = "errors") -> list[np.ndarray]:
    if isinstance(errors, np.ndarray) or not isinstance(errors, Sequence) or not errors:
        raise ValueError(f"{name} must be a non-empty list of arrays")
    out = [as_real_array(e, f"{name}[{i}]") for i, e in enumerate(errors)]
    if sum(e.size for e in out) == 0:
        raise ValueError(f"{name} must hold at least one value")
    return out


def _say(progress: Progress) -> Callable[[str], object]:
    if progress is None:
        return lambda msg: None
    if not callable(progress):
        raise ValueError(f"progress must be a callable taking a string or None, got {progress!r}")
    return progress


# ---------------------------------------------------------------------------------------
# target network
# ---------------------------------------------------------------------------------------
def load_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fashion-MNIST, each image flattened to 784 pixels in [0, 1].

    Returns
    -------
    x_train : numpy.ndarray of float32, shape (60000, 784)
    y_train : numpy.ndarray of int64, shape (60000,)
    x_test : numpy.ndarray of float32, shape (10000, 784)
    y_test : numpy.ndarray of int64, shape (10000,)
    """
    from rsslib.datasets import fashion_mnist

    (xtr, ytr), (xte, yte) = fashion_mnist("train"), fashion_mnist("test")
    return xtr.reshape(len(xtr), -1), ytr, xte.reshape(len(xte), -1), yte


def train_target(x_train, y_train, epochs: int, seed: int, progress: Progress = None):
    """Train the bias-free 784-500-10 ReLU target with Pensia et al.'s recipe [1]_.

    SGD with learning rate 0.1, momentum 0.9, weight decay 5e-4, batches of 64 in a seeded
    random order, cosine learning-rate schedule over ``epochs``, cross-entropy loss; torch's
    deterministic algorithms, so a run on CPU is reproducible.

    Parameters
    ----------
    x_train : array_like, shape (N, 784)
        Training images, flattened, converted to float32.
    y_train : array_like of int, shape (N,)
        Their labels in 0..9.
    epochs : int
        Passes over the training set, >= 1.
    seed : int or numpy.random.Generator
        Seeds the initialisation and the batch order, >= 0 (a numpy Generator gives one int seed).
    progress : callable, optional
        Called with one line per epoch (the training loss).

    Returns
    -------
    list of numpy.ndarray of float32
        ``[W1 (500, 784), W2 (10, 500)]``.

    References
    ----------
    .. [1] A. Pensia et al., "Optimal Lottery Tickets via SubsetSum", NeurIPS 2020;
       ``subset-sum/main.py`` of their code.
    """
    x_arr = _matrix(x_train, "x_train", SIZES[0])
    y_arr = _labels(y_train, len(x_arr), "y_train")
    if y_arr.min() < 0 or y_arr.max() >= SIZES[-1]:
        raise ValueError(f"y_train must hold labels in 0..{SIZES[-1] - 1}")
    epochs = as_count(epochs, "epochs", 1)
    seed = as_int_seed(seed)
    say = _say(progress)

    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(SIZES[0], SIZES[1], bias=False),
        torch.nn.ReLU(),
        torch.nn.Linear(SIZES[1], SIZES[2], bias=False),
    )
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    x = torch.from_numpy(np.asarray(x_arr, dtype=np.float32))
    y = torch.from_numpy(np.asarray(y_arr, dtype=np.int64))
    gen = torch.Generator().manual_seed(seed)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        total = 0.0
        for start in range(0, len(x), 64):
            idx = order[start : start + 64]
            loss = loss_fn(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        say(f"  epoch {epoch + 1}/{epochs}: training loss {total / len(x):.4f}")
    return [net[0].weight.detach().numpy().copy(), net[2].weight.detach().numpy().copy()]


def load_target(path=TARGET) -> list[np.ndarray]:
    """The stored target's weights ``[W1, W2]`` (float32), as written by :func:`get_target`.

    Raises
    ------
    ValueError
        If ``path`` does not exist or lacks ``W1`` or ``W2``.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(
            f"path: {path} not found; run python scripts/pensia_experiment.py --json ..."
        )
    stored = np.load(path)
    missing = {"W1", "W2"} - set(stored.files)
    if missing:
        raise ValueError(f"path: {path} lacks the arrays {sorted(missing)}")
    return [stored["W1"], stored["W2"]]


def get_target(
    x_train,
    y_train,
    epochs: int,
    seed: int,
    retrain: bool = False,
    path=TARGET,
    progress: Progress = None,
) -> list[np.ndarray]:
    """The target's weights: loaded from ``path`` if it exists, else trained and stored.

    Parameters
    ----------
    x_train, y_train, epochs, seed
        As for :func:`train_target` (used only when training).
    retrain : bool
        Train even if ``path`` exists, and overwrite it.
    path : path-like
        The ``.npz`` file (``W1``, ``W2``, ``epochs``, ``seed``), compressed.
    progress : callable, optional
        Called with progress lines (file sizes, training losses).

    Returns
    -------
    list of numpy.ndarray of float32
        ``[W1 (500, 784), W2 (10, 500)]``.
    """
    seed = as_int_seed(seed)
    path = Path(path)
    say = _say(progress)
    if path.exists() and not retrain:
        weights = load_target(path)
        say(f"target weights loaded from {path} ({path.stat().st_size / 1e6:.2f} MB)")
        return weights
    say(f"training the 784-500-10 target ({epochs} epochs, seed {seed})")
    weights = train_target(x_train, y_train, epochs, seed, progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path, W1=weights[0], W2=weights[1], epochs=np.int64(epochs), seed=np.int64(seed)
    )
    say(f"target weights saved to {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return weights


# ---------------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------------
def forward(weights, x) -> np.ndarray:
    """Logits of the bias-free ReLU network with the given weight matrices, in float64.

    Parameters
    ----------
    weights : list of array_like
        ``weights[l]`` of shape (d_{l+1}, d_l); ReLU between layers, none after the last.
    x : array_like, shape (N, d_0)

    Returns
    -------
    numpy.ndarray of float64, shape (N, d_L)
    """
    ws = _weights(weights)
    h = np.asarray(_matrix(x, "x", ws[0].shape[1]), dtype=np.float64)
    for i, w in enumerate(ws):
        h = h @ np.asarray(w, dtype=np.float64).T
        if i < len(ws) - 1:
            np.maximum(h, 0.0, out=h)
    return h


def accuracy(logits, labels) -> float:
    """Fraction of rows of ``logits`` whose largest entry is at the index ``labels`` gives."""
    arr = _matrix(logits, "logits")
    lab = _labels(labels, len(arr))
    return float(np.mean(arr.argmax(1) == lab))


def rel_logit_error(reference, logits) -> float:
    """``max |reference - logits| / max |reference|`` over all entries.

    Raises
    ------
    ValueError
        If the shapes differ or ``reference`` is all zeros.
    """
    ref = as_real_array(reference, "reference")
    out = as_real_array(logits, "logits")
    if ref.shape != out.shape or ref.size == 0:
        raise ValueError(f"reference and logits must have one shape, got {ref.shape}, {out.shape}")
    scale = np.abs(ref).max()
    if scale == 0:
        raise ValueError("reference must not be all zeros (the error is relative to it)")
    return float(np.abs(ref - out).max() / scale)


def error_stats(errors, eps) -> dict:
    """Largest and mean per-weight error, and the fraction of errors ``<= eps``.

    Parameters
    ----------
    errors : list of array_like
        Per-weight errors, one array per layer (pooled).
    eps : float
        Tolerance, > 0.

    Returns
    -------
    dict
        ``{"max", "mean", "fraction_within_eps"}``, Python floats.
    """
    eps = as_positive_real(eps, "eps")
    flat = np.concatenate([e.reshape(-1) for e in _error_arrays(errors)])
    return {
        "max": float(flat.max()),
        "mean": float(flat.mean()),
        "fraction_within_eps": float(np.mean(flat <= eps)),
    }


def histogram_counts(errors, bins) -> list[int]:
    """Histogram of the pooled errors, values outside ``[bins[0], bins[-1]]`` clipped in.

    An error below ``bins[0]`` (a zero error, say) counts in the first bin, one above
    ``bins[-1]`` in the last.
    """
    edges = as_real_array(bins, "bins")
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("bins must be a 1-D increasing array of at least 2 edges")
    flat = np.concatenate([e.reshape(-1) for e in _error_arrays(errors)])
    return np.histogram(np.clip(flat, edges[0], edges[-1]), bins=edges)[0].tolist()


def zero_small(weights, eps) -> list[np.ndarray]:
    """The baseline: every weight with ``|w| <= eps`` set to 0, the others kept exactly.

    The comparison is made in the weights' own dtype (float32 for the stored target).
    """
    ws = _weights(weights)
    eps = as_positive_real(eps, "eps")
    return [np.where(np.abs(w) <= eps, 0.0, w) for w in ws]


# ---------------------------------------------------------------------------------------
# random network, pruning
# ---------------------------------------------------------------------------------------
def random_layer(d_out: int, d_in: int, n: int, seed: int, layer: int):
    """The random pair that replaces one target layer (the useful half of Pensia et al.).

    Parameters
    ----------
    d_out, d_in : int
        Shape of the target layer, >= 1.
    n : int
        Hidden neurons per input, that is random values per target weight, >= 1.
    seed : int or numpy.random.Generator
        The experiment's seed, >= 0 (a numpy Generator gives one int seed).
    layer : int
        Index of the target layer, >= 0. Each layer has its own stream
        (``SeedSequence([seed, layer])``), so one layer can be rebuilt alone.

    Returns
    -------
    u : numpy.ndarray of float64, shape (d_in, n)
        First-layer weights, uniform on (0, 1]: neuron (j, i) sees input j only.
    v : numpy.ndarray of float64, shape (d_out, d_in, n)
        Second-layer weights, uniform on [-1, 1]: output k sees every neuron (j, i).

    References
    ----------
    .. [1] A. Pensia et al., "Optimal Lottery Tickets via SubsetSum", NeurIPS 2020.
    """
    d_out = as_count(d_out, "d_out", 1)
    d_in = as_count(d_in, "d_in", 1)
    n = as_count(n, "n", 1)
    seed = as_int_seed(seed)
    layer = as_count(layer, "layer", 0)
    if d_out * d_in * n > MAX_VALUES:
        raise ValueError(
            f"d_out * d_in * n = {d_out * d_in * n} random values exceed MAX_VALUES = {MAX_VALUES}"
        )
    rng = np.random.default_rng(np.random.SeedSequence([seed, layer]))
    u = 1.0 - rng.random((d_in, n))  # (0, 1]
    v = rng.uniform(-1.0, 1.0, (d_out, d_in, n))
    return u, v


def random_network(weights, n: int, seed: int):
    """The random pairs ``(u, v)`` of :func:`random_layer`, one per target layer."""
    ws = _weights(weights)
    seed = as_int_seed(seed)  # one seed for every layer, even when given a Generator
    return [random_layer(*w.shape, n, seed, i) for i, w in enumerate(ws)]


def _pair(u, v, name: str = "layers"):
    u = as_real_array(u, f"{name}: u")
    v = as_real_array(v, f"{name}: v")
    if u.ndim != 2 or v.ndim != 3 or v.shape[1:] != u.shape or u.size == 0:
        raise ValueError(
            f"{name}: u must have shape (d_in, n) and v shape (d_out, d_in, n), got "
            f"{u.shape} and {v.shape}"
        )
    return u, v


def products(u, v) -> np.ndarray:
    """The n random values of each target weight: ``a[k, j, i] = v[k, j, i] * u[j, i]``.

    Parameters
    ----------
    u : array_like, shape (d_in, n)
    v : array_like, shape (d_out, d_in, n)

    Returns
    -------
    numpy.ndarray, shape (d_out, d_in, n)
    """
    u, v = _pair(u, v, "products")
    return v * u[None, :, :]


def reconstruct(a, masks) -> np.ndarray:
    """The weights the pruned pair computes: the kept values of each instance summed.

    Parameters
    ----------
    a : array_like, shape (..., n)
        Random values, the last axis indexing the n values of one instance.
    masks : array_like of bool, same shape
        Which values are kept.

    Returns
    -------
    numpy.ndarray, shape ``a.shape[:-1]``
    """
    arr = as_real_array(a, "a")
    if arr.ndim < 1:
        raise ValueError("a must have at least one axis (the values of an instance)")
    return np.where(_masks(masks, arr.shape), arr, 0.0).sum(axis=-1)


def solve_layer(w, a, eps) -> dict:
    """Both exact solves for one layer: minimum-error and sparsest eps-feasible masks.

    Parameters
    ----------
    w : array_like, shape (d_out, d_in)
        Target weights.
    a : array_like, shape (d_out, d_in, n)
        Random values of each weight.
    eps : float
        Tolerance of the sparsest solve, > 0.

    Returns
    -------
    dict
        ``min_masks``, ``sp_masks`` (bool, shape of ``a``); ``min_err``, ``sp_err`` (errors,
        shape of ``w``); ``feasible`` (bool, shape of ``w``: some subset is within eps; where
        not, the sparsest mask is a minimum-error one); ``seconds_min_error``,
        ``seconds_sparsest`` (wall-clock times of the two solves).
    """
    w = _matrix(w, "w")
    a = as_real_array(a, "a")
    if a.ndim != 3 or a.shape[:2] != w.shape or a.shape[2] == 0:
        raise ValueError(f"a must have shape {w.shape + ('n',)}, got {a.shape}")
    eps = as_positive_real(eps, "eps")
    d_out, d_in, n = a.shape
    flat_a = a.reshape(-1, n)
    flat_w = np.asarray(w, dtype=np.float64).reshape(-1)
    t0 = time.perf_counter()
    min_masks, min_err = best_subsets(flat_a, flat_w)
    t1 = time.perf_counter()
    sp_masks, sp_err, feasible = sparsest_subsets(flat_a, flat_w, eps)
    t2 = time.perf_counter()
    shape = (d_out, d_in, n)
    return {
        "min_masks": min_masks.reshape(shape),
        "min_err": min_err.reshape(d_out, d_in),
        "sp_masks": sp_masks.reshape(shape),
        "sp_err": sp_err.reshape(d_out, d_in),
        "feasible": feasible.reshape(d_out, d_in),
        "seconds_min_error": t1 - t0,
        "seconds_sparsest": t2 - t1,
    }


def kept_counts(masks) -> tuple[int, int]:
    """Size of one pruned pair, counted two ways.

    Parameters
    ----------
    masks : array_like of bool, shape (d_out, d_in, n)
        ``masks[k, j, i]``: output k keeps the value v[k, j, i] u[j, i].

    Returns
    -------
    kept_values : int
        Kept second-layer weights v[k, j, i] (Pensia et al.'s count).
    kept_weights : int
        Weights of the pruned two-layer network: ``kept_values`` plus the first-layer
        weights u[j, i] that some output still uses.
    """
    arr = np.asarray(masks)
    masks = _masks(arr, arr.shape)
    if masks.ndim != 3:
        raise ValueError(f"masks must have shape (d_out, d_in, n), got {masks.shape}")
    kept_v = int(masks.sum())
    kept_u = int(masks.any(axis=0).sum())
    return kept_v, kept_v + kept_u


def random_sizes(shapes, n: int) -> dict:
    """Sizes of the unpruned random network for target layers of the given shapes.

    Parameters
    ----------
    shapes : list of (d_out, d_in)
    n : int
        Random values per weight, >= 1.

    Returns
    -------
    dict
        ``random_values_total`` (n per target weight); ``random_weights_two_layer_block``
        (the pairs as built here: n first-layer weights per input, a dense second layer);
        ``random_weights_two_layer_dense`` (Pensia et al.'s lemma before pruning: 2n hidden
        neurons per input, both random layers dense).
    """
    n = as_count(n, "n", 1)
    try:
        pairs = [(as_count(do, "d_out", 1), as_count(di, "d_in", 1)) for do, di in shapes]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"shapes must be a list of (d_out, d_in) positive pairs ({exc})") from exc
    if not pairs:
        raise ValueError("shapes must hold at least one layer")
    return {
        "random_values_total": int(sum(do * di for do, di in pairs) * n),
        "random_weights_two_layer_block": int(sum(n * di + do * di * n for do, di in pairs)),
        "random_weights_two_layer_dense": int(
            sum(2 * n * di * di + do * 2 * n * di for do, di in pairs)
        ),
    }


def _layers(layers, masks_per_layer):
    if not isinstance(layers, Sequence) or not layers:
        raise ValueError("layers must be a non-empty list of (u, v) pairs")
    if not isinstance(masks_per_layer, Sequence) or len(masks_per_layer) != len(layers):
        raise ValueError(f"masks_per_layer must hold one mask array per layer ({len(layers)})")
    pairs = [_pair(*uv, name=f"layers[{i}]") for i, uv in enumerate(layers)]
    for i in range(1, len(pairs)):
        if pairs[i][0].shape[0] != pairs[i - 1][1].shape[0]:
            raise ValueError(f"layers[{i}] has an input size other than layers[{i - 1}]'s output")
    masks = [
        _masks(m, v.shape, f"masks_per_layer[{i}]")
        for i, ((_, v), m) in enumerate(zip(pairs, masks_per_layer, strict=True))
    ]
    return pairs, masks


def prune_layers(layers, masks_per_layer):
    """The pruned random network itself: masked copies of the random layers.

    Parameters
    ----------
    layers : list of (u, v)
        Random pairs as :func:`random_network` returns them.
    masks_per_layer : list of array_like of bool
        One mask per pair, of the shape of its ``v``.

    Returns
    -------
    pruned : list of (u_kept, v_kept)
        ``v_kept`` is ``v`` with the unkept entries set to 0; ``u_kept`` is ``u`` with every
        neuron (j, i) that no output uses set to 0.
    mismatched : int
        Kept entries of ``u_kept`` and ``v_kept`` that differ from the random entry (0 for a
        pruning).
    """
    pairs, masks_list = _layers(layers, masks_per_layer)
    mismatched = 0
    pruned = []
    for (u, v), masks in zip(pairs, masks_list, strict=True):
        keep_u = masks.any(axis=0)
        u_kept = np.where(keep_u, u, 0.0)
        v_kept = np.where(masks, v, 0.0)
        mismatched += int(np.sum(u_kept[keep_u] != u[keep_u]))
        mismatched += int(np.sum(v_kept[masks] != v[masks]))
        pruned.append((u_kept, v_kept))
    return pruned, mismatched


def pruned_network_logits(layers, masks_per_layer, x, batch: int = 1000):
    """Run the pruned random network itself, layer after layer, in float64.

    A hidden neuron (j, i) computes ReLU(u[j, i] x_j); output k sums v[k, j, i] times it over
    its kept (j, i); ReLU between pairs. The second layers are sparse matrices. On inputs
    ``x >= 0`` the result equals :func:`forward` with the weights of :func:`reconstruct`
    (Pensia et al.'s single-layer step).

    Parameters
    ----------
    layers, masks_per_layer
        As for :func:`prune_layers`.
    x : array_like, shape (N, d_in of the first pair)
    batch : int
        Inputs per torch call, >= 1.

    Returns
    -------
    logits : numpy.ndarray of float64, shape (N, d_out of the last pair)
    mismatched : int
        As for :func:`prune_layers`.
    """
    pruned_dense, mismatched = prune_layers(layers, masks_per_layer)
    x = _matrix(x, "x", pruned_dense[0][0].shape[0])
    batch = as_count(batch, "batch", 1)
    pruned = []
    for u_kept, v_kept in pruned_dense:
        d_out, d_in, n = v_kept.shape
        sparse_v = torch.from_numpy(v_kept.reshape(d_out, d_in * n)).to_sparse()
        pruned.append((torch.from_numpy(u_kept), sparse_v))
    out = []
    with torch.no_grad():
        for start in range(0, len(x), batch):
            h = torch.from_numpy(np.asarray(x[start : start + batch], dtype=np.float64))
            for i, (u_kept, sparse_v) in enumerate(pruned):
                hidden = torch.relu(h[:, :, None] * u_kept[None]).reshape(len(h), -1)
                h = torch.sparse.mm(sparse_v, hidden.T).T
                if i < len(pruned) - 1:
                    h = torch.relu(h)
            out.append(h.numpy())
    return np.concatenate(out), mismatched


# ---------------------------------------------------------------------------------------
# experiment
# ---------------------------------------------------------------------------------------
def _check_experiment(weights, x_test, y_test, eps, n):
    ws = _weights(weights)
    x = _matrix(x_test, "x_test", ws[0].shape[1])
    _labels(y_test, len(x), "y_test")
    return ws, as_positive_real(eps, "eps"), as_count(n, "n", 1)


def run(
    weights,
    x_test,
    y_test,
    seed: int,
    eps: float = EPS,
    n: int = N_VALUES,
    sweep: bool = True,
    real_network=("sparsest", "min_error"),
    code_variant: bool = True,
    progress: Progress = None,
) -> dict:
    """Pensia et al.'s experiment [1]_ on one target, solved exactly; the JSON dictionary.

    Draws the random network (:func:`random_network`), solves every weight twice
    (:func:`solve_layer`), and evaluates on ``(x_test, y_test)`` the target, the
    minimum-error and sparsest pruned networks (from their reconstructed weights) and the
    zeroing baseline (:func:`zero_small`); counts sizes (:func:`kept_counts`,
    :func:`random_sizes`) and summarises the per-weight errors.

    Parameters
    ----------
    weights : list of array_like
        The target's weight matrices (bias-free ReLU network).
    x_test : array_like, shape (N, d_in)
        Non-negative inputs (the construction needs x >= 0).
    y_test : array_like of int, shape (N,)
    seed : int or numpy.random.Generator
        Seed of the random network (and of the code variant), >= 0 (a numpy Generator
        gives one int seed).
    eps : float
        Tolerance, > 0.
    n : int
        Random values per weight, >= 1.
    sweep : bool
        Add ``"sweep"``: :func:`eps_sweep` at :data:`SWEEP_EPS` on the same random network.
    real_network : sequence of {"sparsest", "min_error"}
        Pruned networks also run as real networks from the masked random layers
        (:func:`pruned_network_logits`): keys ``network_<name>_accuracy``,
        ``network_<name>_max_logit_diff``, ``network_<name>_mismatched_entries``.
    code_variant : bool
        Add ``"pensia_code_variant"``: :func:`pensia_code_variant`.
    progress : callable, optional
        Called with progress lines (they hold timings).

    Returns
    -------
    dict
        JSON-serialisable results; the keys ``seconds*`` and ``numba_threads`` depend on
        the machine, all others are deterministic.

    References
    ----------
    .. [1] A. Pensia et al., "Optimal Lottery Tickets via SubsetSum", NeurIPS 2020.
    """
    weights, eps, n = _check_experiment(weights, x_test, y_test, eps, n)
    seed = as_int_seed(seed)
    real_network = tuple(real_network or ())
    unknown = set(real_network) - set(REAL_NETWORKS)
    if unknown:
        raise ValueError(
            f"real_network must name networks among {sorted(REAL_NETWORKS)}, got {unknown}"
        )
    log = _say(progress)

    instances = sum(w.size for w in weights)
    # compile both solvers before timing
    warm = np.random.default_rng(0).uniform(-1, 1, (4, n))
    best_subsets(warm, np.zeros(4))
    sparsest_subsets(warm, np.zeros(4), eps)

    log(f"random network: n = {n} products per weight, {instances} weights")
    t0 = time.perf_counter()
    layers = random_network(weights, n, seed)
    a_all = [products(u, v) for u, v in layers]
    t_build = time.perf_counter() - t0
    sols = []
    for i, (w, a) in enumerate(zip(weights, a_all, strict=True)):
        log(f"solving layer {i + 1}: {w.size} weights, min error then sparsest")
        sols.append(solve_layer(w, a, eps))
        log(f"  {sols[-1]['seconds_min_error']:.1f} s + {sols[-1]['seconds_sparsest']:.1f} s")
    seconds = t_build + sum(s["seconds_min_error"] + s["seconds_sparsest"] for s in sols)
    log(f"all {instances} instances, both solves, network built: {seconds:.1f} s")

    log("evaluating on the test set")
    f_target = forward(weights, x_test)
    w_min = [reconstruct(a, s["min_masks"]) for a, s in zip(a_all, sols, strict=True)]
    w_sp = [reconstruct(a, s["sp_masks"]) for a, s in zip(a_all, sols, strict=True)]
    w_zero = zero_small(weights, eps)
    f_min, f_sp, f_zero = (forward(ws, x_test) for ws in (w_min, w_sp, w_zero))

    # diagnostic, not a pruning: the same networks with the infeasible weights exact
    def infeasible_exact(ws):
        return [np.where(s["feasible"], wh, w) for wh, w, s in zip(ws, weights, sols, strict=True)]

    f_min_fix, f_sp_fix = (forward(infeasible_exact(ws), x_test) for ws in (w_min, w_sp))

    sp_kept = [kept_counts(s["sp_masks"]) for s in sols]
    min_kept = [kept_counts(s["min_masks"]) for s in sols]
    sizes = np.concatenate([s["sp_masks"].sum(-1).reshape(-1) for s in sols])
    bins = np.logspace(-8, 0, 33)
    result = {
        "instances": int(instances),
        "n": n,
        "eps": eps,
        "seed": seed,
        "layers": [list(w.shape) for w in weights],
        "seconds": seconds,
        "seconds_build": t_build,
        "seconds_min_error": sum(s["seconds_min_error"] for s in sols),
        "seconds_sparsest": sum(s["seconds_sparsest"] for s in sols),
        "numba_threads": numba.get_num_threads(),
        "target_accuracy": accuracy(f_target, y_test),
        "accuracy_min_error": accuracy(f_min, y_test),
        "accuracy_sparsest": accuracy(f_sp, y_test),
        "accuracy_zeroing": accuracy(f_zero, y_test),
        "agreement_min_error": float(np.mean(f_min.argmax(1) == f_target.argmax(1))),
        "agreement_sparsest": float(np.mean(f_sp.argmax(1) == f_target.argmax(1))),
        "agreement_zeroing": float(np.mean(f_zero.argmax(1) == f_target.argmax(1))),
        "rel_logit_error_min_error": rel_logit_error(f_target, f_min),
        "rel_logit_error_sparsest": rel_logit_error(f_target, f_sp),
        "rel_logit_error_zeroing": rel_logit_error(f_target, f_zero),
        "rel_logit_error_min_error_infeasible_exact": rel_logit_error(f_target, f_min_fix),
        "rel_logit_error_sparsest_infeasible_exact": rel_logit_error(f_target, f_sp_fix),
        "infeasible_weights": [
            {"layer": i + 1, "w": float(w[r, c]), "min_error": float(s["min_err"][r, c])}
            for i, (w, s) in enumerate(zip(weights, sols, strict=True))
            for r, c in np.argwhere(~s["feasible"])
        ],
        "kept_values": sum(k[0] for k in sp_kept),
        "kept_weights_two_layer": sum(k[1] for k in sp_kept),
        "kept_values_min_error": sum(k[0] for k in min_kept),
        "kept_weights_two_layer_min_error": sum(k[1] for k in min_kept),
        "kept_weights_zeroing": int(sum(np.count_nonzero(w) for w in w_zero)),
        "kept_values_per_layer": [k[0] for k in sp_kept],
        "kept_weights_two_layer_per_layer": [k[1] for k in sp_kept],
        "kept_values_min_error_per_layer": [k[0] for k in min_kept],
        **random_sizes([w.shape for w in weights], n),
        "target_weights_max_abs": float(max(np.abs(w).max() for w in weights)),
        "target_weights_within_eps": float(
            np.mean(np.concatenate([np.abs(w).reshape(-1) <= eps for w in weights]))
        ),
        "error_min_error": error_stats([s["min_err"] for s in sols], eps),
        "error_sparsest": error_stats([s["sp_err"] for s in sols], eps),
        "error_zeroing": error_stats(
            [np.abs(w - z) for w, z in zip(weights, w_zero, strict=True)], eps
        ),
        "infeasible": int(sum((~s["feasible"]).sum() for s in sols)),
        "sparsest_size_counts": np.bincount(sizes, minlength=n + 1).tolist(),
        "sparsest_size_counts_per_layer": [
            np.bincount(s["sp_masks"].sum(-1).reshape(-1), minlength=n + 1).tolist() for s in sols
        ],
        "error_histogram_bins": bins.tolist(),
        "error_histogram_min_error": histogram_counts([s["min_err"] for s in sols], bins),
        "error_histogram_sparsest": histogram_counts([s["sp_err"] for s in sols], bins),
        "per_layer_error_min_error_max": [float(s["min_err"].max()) for s in sols],
        "per_layer_error_sparsest_max": [float(s["sp_err"].max()) for s in sols],
    }

    if real_network:
        log("running the pruned random network itself (sparse, float64)")
        for name in real_network:
            key = REAL_NETWORKS[name]
            logits, mismatched = pruned_network_logits(layers, [s[key] for s in sols], x_test)
            ref = f_sp if name == "sparsest" else f_min
            result[f"network_{name}_accuracy"] = accuracy(logits, y_test)
            result[f"network_{name}_max_logit_diff"] = float(np.abs(logits - ref).max())
            result[f"network_{name}_mismatched_entries"] = mismatched
            log(
                f"  {name}: accuracy {result[f'network_{name}_accuracy']:.4f}, "
                f"max |logit difference| with the reconstructed weights "
                f"{result[f'network_{name}_max_logit_diff']:.1e}, mismatched entries "
                f"{mismatched}"
            )

    if code_variant:
        result["pensia_code_variant"] = pensia_code_variant(
            weights, x_test, y_test, seed, eps, n, progress=progress
        )
    if sweep:
        result["sweep"] = eps_sweep(weights, a_all, x_test, y_test, f_target, progress=progress)
    return result


def pensia_code_variant(
    weights, x_test, y_test, seed: int, eps: float = EPS, n: int = N_VALUES, progress=None
) -> dict:
    """The construction of Pensia et al.'s Experiment 1 code, solved exactly.

    Their ``subset-sum/main.py`` builds no product layers: the n values of each weight are
    drawn directly, uniform on [min W, max W] over all the target's weights (here from the
    stream ``SeedSequence([seed, 99])``). Both exact solves, then the two pruned networks'
    test accuracies.

    Parameters
    ----------
    weights, x_test, y_test, seed, eps, n, progress
        As for :func:`run`. The target must have two layers.

    Returns
    -------
    dict
        ``low``, ``high`` (the range), ``seconds``, ``accuracy_min_error``,
        ``accuracy_sparsest``, ``kept_values_min_error``, ``kept_values``,
        ``error_min_error``, ``error_sparsest`` (:func:`error_stats`).
    """
    weights, eps, n = _check_experiment(weights, x_test, y_test, eps, n)
    if len(weights) != 2:
        raise ValueError(f"weights must hold two layers (784-500-10), got {len(weights)}")
    seed = as_int_seed(seed)
    log = _say(progress)

    log("Pensia et al.'s code variant: 21 values uniform on [min w, max w], no products")
    lo = float(min(w.min() for w in weights))
    hi = float(max(w.max() for w in weights))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 99]))
    flat_w = np.concatenate([w.reshape(-1) for w in weights]).astype(np.float64)
    a_code = rng.uniform(lo, hi, (flat_w.size, n))
    t0 = time.perf_counter()
    c_masks, c_err = best_subsets(a_code, flat_w)
    cs_masks, cs_err, _ = sparsest_subsets(a_code, flat_w, eps)
    t_code = time.perf_counter() - t0
    split = weights[0].size
    code_min = reconstruct(a_code, c_masks)
    code_sp = reconstruct(a_code, cs_masks)
    code_nets = [
        [c[:split].reshape(weights[0].shape), c[split:].reshape(weights[1].shape)]
        for c in (code_min, code_sp)
    ]
    variant = {
        "low": lo,
        "high": hi,
        "seconds": t_code,
        "accuracy_min_error": accuracy(forward(code_nets[0], x_test), y_test),
        "accuracy_sparsest": accuracy(forward(code_nets[1], x_test), y_test),
        "kept_values_min_error": int(c_masks.sum()),
        "kept_values": int(cs_masks.sum()),
        "error_min_error": error_stats([c_err], eps),
        "error_sparsest": error_stats([cs_err], eps),
    }
    log(f"  {variant}")
    return variant


def eps_sweep(
    weights, a_all, x_test, y_test, f_target, eps_values=SWEEP_EPS, progress=None
) -> list[dict]:
    """Sparsest pruning and zeroing at several tolerances on the same random network.

    Parameters
    ----------
    weights : list of array_like
        The target's weight matrices.
    a_all : list of array_like
        The random values of each layer (:func:`products`), shapes ``w.shape + (n,)``.
    x_test, y_test
        Test inputs and labels.
    f_target : array_like
        The target's logits on ``x_test`` (:func:`forward`).
    eps_values : sequence of float
        Tolerances, each > 0.
    progress : callable, optional

    Returns
    -------
    list of dict
        One row per tolerance: accuracies and relative logit errors of the sparsest pruned
        network and of zeroing, kept values, kept two-layer weights, weights kept by
        zeroing, infeasible weights.
    """
    ws = _weights(weights)
    x = _matrix(x_test, "x_test", ws[0].shape[1])
    _labels(y_test, len(x), "y_test")
    if not isinstance(a_all, Sequence) or len(a_all) != len(ws):
        raise ValueError(f"a_all must hold one array of random values per layer ({len(ws)})")
    a_all = [as_real_array(a, f"a_all[{i}]") for i, a in enumerate(a_all)]
    for i, (w, a) in enumerate(zip(ws, a_all, strict=True)):
        if a.ndim != 3 or a.shape[:2] != w.shape or a.shape[2] == 0:
            raise ValueError(f"a_all[{i}] must have shape {w.shape + ('n',)}, got {a.shape}")
    eps_values = [as_positive_real(e, "eps_values") for e in eps_values]
    log = _say(progress)

    rows = []
    for eps in eps_values:
        log(f"sweep: eps = {eps}")
        w_sp = []
        kept_v = kept_w = 0
        infeasible = 0
        for w, a in zip(ws, a_all, strict=True):
            masks, _, feasible = sparsest_subsets(
                a.reshape(-1, a.shape[-1]), np.asarray(w, np.float64).reshape(-1), eps
            )
            masks = masks.reshape(a.shape)
            w_sp.append(reconstruct(a, masks))
            kv, kw = kept_counts(masks)
            kept_v += kv
            kept_w += kw
            infeasible += int((~feasible).sum())
        w_zero = zero_small(ws, eps)
        f_sp, f_zero = forward(w_sp, x_test), forward(w_zero, x_test)
        rows.append(
            {
                "eps": eps,
                "accuracy_sparsest": accuracy(f_sp, y_test),
                "accuracy_zeroing": accuracy(f_zero, y_test),
                "rel_logit_error_sparsest": rel_logit_error(f_target, f_sp),
                "rel_logit_error_zeroing": rel_logit_error(f_target, f_zero),
                "kept_values": kept_v,
                "kept_weights_two_layer": kept_w,
                "kept_weights_zeroing": int(sum(np.count_nonzero(w) for w in w_zero)),
                "infeasible": infeasible,
            }
        )
        log(f"  {rows[-1]}")
    return rows
