"""Pruning random networks of growing width into the digits CNN (Part III's last figure).

The target is the bias-free CNN trained by ``scripts/train_digits_cnn.py`` (3x3 filters,
1 -> 32 -> 32 -> 10 channels, stored in ``book/slth/data/digits_cnn.npz``), each filter
divided by its l1 norm (the class of Theorem 13.1 (thesis Theorem 31); predictions do not
change). For each block size b (hidden channels per output channel, so n_i = b c_i) and
seed, a random network N_0 of Theorem 13.1 is drawn (:func:`rsslib.slth.random_cnn`, seed
``100 + b + 1000 s``) and pruned with :func:`rsslib.slth.prune`
(``max_terms = min(b, 32)``). Two variants:

- ``theorem``: as the theorem has it, entries uniform on [-1, 1];
- ``rescaled``: the second filter V of pair i multiplied by ``2 max|K_i|``. By positive
  homogeneity this is the same as pruning the uniform network into the target whose layer i
  is K_i / (2 max|K_i|), largest weight 1/2 (the edge of the window of Corollary 3.2
  (thesis Corollary 10)), and rescaling the output: it drops the l1 <= 1 hypothesis and
  keeps every weight in [-1, 1].

Measured on the 450 test images of ``load_digits`` (25% split, random_state 0): the relative
output error max|f - N| / max|f|, the test accuracy of the pruned network and the fraction
of images on which its prediction equals the target's.

Each (variant, block, seed) is one task with its own seed, so :func:`sweep_rows` returns
the same rows on any executor. ``python -m rsslib prune-sweep`` runs it from the shell.

:func:`prune_digits` prunes the same target from a random network whose entries follow
another law (Part IV, which random weights; the sparse tickets chapter), with the
construction of :mod:`rsslib.slth.construct`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import torch

from rsslib import datasets
from rsslib._validate import as_count, as_int_seed, as_positive_real
from rsslib.slth._training import check_progress
from rsslib.slth.network import SimpleCNN, normalise_filters, random_cnn
from rsslib.slth.prune import effective_filters, prune

#: Where the trained digits CNN is stored (in the repository, next to the book).
WEIGHTS = Path(__file__).resolve().parents[3] / "book" / "slth" / "data" / "digits_cnn.npz"
CHANNELS, KERNELS = [1, 32, 32, 10], [3, 3, 3]
BLOCKS = (4, 8, 12, 16, 24, 32, 40, 48, 52, 56, 60, 62, 64, 68, 72, 96)
SEEDS = (0, 1, 2)
VARIANTS = ("theorem", "rescaled")
COLUMNS = ("variant", "block", "seed", "factor", "kept", "rel_error", "accuracy", "agreement")


@cache
def load(weights: str | None = None):
    """The l1-normalised digits target and the test split (as in the notebook).

    Cached per process, so a worker that runs several tasks loads the data once.
    """
    path = Path(weights) if weights else WEIGHTS
    if not path.exists():
        raise ValueError(f"weights: {path} not found (python scripts/train_digits_cnn.py)")
    stored = np.load(path)
    filters = [torch.from_numpy(stored[f"arr_{i}"]) for i in range(3)]
    X_test, y_test = datasets.digits("test")
    return normalise_filters(filters)[0], torch.from_numpy(X_test), y_test


def network(filters):
    """The digits CNN as a :class:`~rsslib.slth.layered.Network`: each thesis convolution
    written as zero padding then a correlation with the flipped kernel, and the readout
    (the mean of each output channel over the 8 x 8 image) as average pooling and flatten.
    """
    from rsslib.slth.layered import Network

    layers = []
    for i, K in enumerate(filters):
        d = K.shape[-1]
        layers += [("pad", (d - 1, 0, d - 1, 0)), ("conv", torch.flip(K, dims=(2, 3)), 0)]
        layers.append(("relu",) if i < len(filters) - 1 else ("avgpool", 8))
    return Network(layers + [("flatten",)])


def measure(target, X_test, y_test, block: int, seed: int, variant: str) -> dict:
    """One random network pruned into ``target``: a dict with the keys :data:`COLUMNS`.

    ``seed``: a non-negative int, or a numpy Generator from which one int seed is drawn.
    """
    seed = as_int_seed(seed)
    block = as_count(block, "block", 1)
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    net = random_cnn(
        CHANNELS, KERNELS, [c * block for c in CHANNELS[1:]], seed=100 + block + 1000 * seed
    )
    if variant == "rescaled":
        alphas = [2 * float(K.abs().max()) for K in target]
        net = SimpleCNN([f * alphas[i // 2] if i % 2 else f for i, f in enumerate(net.filters)])
    pruned, report = prune(net, target, 0.01, max_terms=min(block, 32))
    collapsed = SimpleCNN(effective_filters(pruned))
    with torch.no_grad():
        reference = SimpleCNN(target)(X_test)
        out = collapsed(X_test)
    pred_target = reference.mean(dim=(2, 3)).argmax(1).numpy()
    pred = out.mean(dim=(2, 3)).argmax(1).numpy()
    k = sum(K.numel() for K in target)
    rel = float((out - reference).abs().max() / reference.abs().max())
    return {
        "variant": variant,
        "block": block,
        "seed": seed,
        "factor": round(net.parameter_count() / k, 2),
        "kept": sum(r["kept"] for r in report),
        "rel_error": float(f"{rel:.3e}"),
        "accuracy": round(float(np.mean(pred == y_test)), 4),
        "agreement": round(float(np.mean(pred == pred_target)), 4),
    }


def _task(variant: str, block: int, seed: int, threads: int | None = None) -> dict:
    if threads is not None:
        torch.set_num_threads(int(threads))
    target, X_test, y_test = load()
    return measure(target, X_test, y_test, block, seed, variant)


def sweep_rows(
    blocks=BLOCKS, seeds=SEEDS, variants=VARIANTS, executor=None, progress=None, threads=None
) -> list[dict]:
    """Every (variant, block, seed) measured, in that order, on ``executor`` (or here).

    The rows do not depend on the executor up to the rounding stored in the CSV (torch's
    float sums can change in their last bits with the thread count).
    """
    from rsslib.sweeps import run_tasks

    blocks = [as_count(b, f"blocks[{i}]", 1) for i, b in enumerate(blocks)]
    seeds = [as_int_seed(s, f"seeds[{i}]") for i, s in enumerate(seeds)]
    for v in variants:
        if v not in VARIANTS:
            raise ValueError(f"variants must be among {VARIANTS}, got {v!r}")
    progress = check_progress(progress)
    if threads is not None:
        threads = as_count(threads, "threads", 1)
    tasks = [(v, int(b), s, threads) for v in variants for b in blocks for s in seeds]
    return run_tasks(_task, tasks, executor, progress, desc="prune sweep")


def ablation_row(variant: str, factor: float, seed: int) -> dict:
    """One step of the construction ablation (:data:`.lenet.VARIANTS`) on the digits CNN:
    every layer pruned from a random network of at most ``factor`` times its
    size; the compensating variants estimate H on 512 images of the training split.
    ``seed``: a non-negative int, or a numpy Generator from which one int seed is drawn."""
    from rsslib.slth.experiments.lenet import measure_network

    seed = as_int_seed(seed)
    factor = as_positive_real(factor, "factor")
    target, X_test, y_test = load()
    X_train, _ = datasets.digits("train")
    calibration = X_train[np.random.default_rng(seed).permutation(len(X_train))[:512]]
    return measure_network(
        network(target), (0, 1, 2), factor, seed, variant, calibration, X_test, y_test
    )


def prune_digits(dist, factor, seed, max_terms=24, top=0.25, max_subset=None) -> dict:
    """Prune a random network whose entries follow ``dist`` into the digits CNN (Part IV).

    The construction of Part III's ablation at its "rescaled" step
    (:func:`ablation_row` with variant ``"rescaled"``): each of
    the three convolutions is replaced by a random pair with the same number of hidden
    channels per output, at most ``factor`` times the layer's size in all
    (:func:`~rsslib.slth.construct.blocks_for_factor`), V scaled so that each layer's
    largest weight is a quarter of the random scale, and every weight solved exactly
    from at most ``max_terms`` products (``top`` = 1/4 and ``max_terms`` = 24 are Part
    III's choices). Only the law of U and V changes: ``dist=None``
    is the torch uniform draw of Part III (bit for bit), a callable ``(n, rng)`` draws U
    then V from ``np.random.default_rng(seed)``. ``max_subset`` caps the number of
    products per weight (the sparse tickets chapter; see
    :func:`~rsslib.slth.construct.prune_network`).
    ``seed``: a non-negative int, or a numpy Generator from which one int seed is drawn.

    Returns
    -------
    dict
        ``factor`` (the random network's size over the target's), ``blocks``,
        ``relative_error`` (max |f - N| / max |f| over the 450 test images),
        ``agreement``, ``pruned_accuracy``, ``target_accuracy``, ``max_weight_errors``,
        ``kept`` (entries of the pruned pairs left non-zero), ``random_size`` (entries of
        the random pairs) and ``target_size`` (weights of the target's pruned layers).
    """
    from rsslib.slth.construct import (
        blocks_for_factor,
        layer_scales,
        prune_network,
        random_network,
    )
    from rsslib.slth.experiments.lenet import compare, logits
    from rsslib.slth.layered import collapse

    factor = as_positive_real(factor, "factor")
    seed = as_int_seed(seed)
    max_terms = as_count(max_terms, "max_terms", minimum=1)
    top = as_positive_real(top, "top")
    filters, x_test, y_test = load()
    target = network(filters)
    blocks = blocks_for_factor(target, factor)
    net = random_network(target, blocks, seed=seed, scales=layer_scales(target, top), dist=dist)
    pruned, report = prune_network(net, target, max_terms=max_terms, max_subset=max_subset)
    result = compare(logits(target, x_test), logits(collapse(pruned), x_test), y_test)
    weighted = target.weighted()
    return {
        "factor": net.parameter_count(weighted) / target.parameter_count(weighted),
        "blocks": blocks,
        **result,
        "max_weight_errors": [r["max_weight_error"] for r in report],
        "kept": sum(r["kept"] for r in report),
        "random_size": sum(r["total"] for r in report),
        "target_size": target.parameter_count(weighted),
    }
