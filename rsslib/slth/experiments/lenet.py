"""LeNet-5 on Fashion-MNIST: the stored target, and pruning a random network into it.

The target is trained by ``scripts/train_lenet.py`` (bias-free LeNet-5, see there) and
stored in ``book/slth/data/lenet5_fashion.npz``. :func:`measure` is what
``scripts/prune_lenet.py`` runs and what the chapter ``lenet_fashion`` recomputes live.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import torch

from rsslib._validate import (
    as_count,
    as_finite_real,
    as_generator,
    as_int_seed,
    as_positive_real,
)
from rsslib.slth._training import check_progress
from rsslib.slth.construct import (
    blocks_for_factor,
    layer_scales,
    prune_network,
    random_network,
)
from rsslib.slth.layered import Network, collapse, effective_weight

#: Where the trained LeNet-5 is stored (in the repository, next to the book).
WEIGHTS = Path(__file__).resolve().parents[3] / "book" / "slth" / "data" / "lenet5_fashion.npz"
NAMES = ("conv1", "conv2", "dense1", "dense2", "dense3")
#: Which weighted layers ``--layers`` prunes (indices into the five weighted layers).
LAYER_SETS = {"conv": (0, 1), "all": (0, 1, 2, 3, 4)}
#: The ablation's steps, from the literal construction to the full one.
VARIANTS = {
    "literal": {"normalise": "l1", "max_terms": 24, "compensate": None},
    "rescaled": {"normalise": "top", "max_terms": 24, "compensate": None},
    "uncapped": {"normalise": "top", "max_terms": 40, "compensate": None},
    "balanced": {"normalise": "top", "max_terms": 40, "compensate": None, "balance": True},
    "obs": {"normalise": "top", "max_terms": 40, "compensate": "weights", "balance": True},
    "obs-data": {"normalise": "top", "max_terms": 40, "compensate": "data", "balance": True},
    "allocated": {
        "normalise": "top",
        "max_terms": 40,
        "compensate": "weights",
        "balance": True,
        "allocation": "cost",
    },
}
#: The ablation's steps as the chapters' tables name them (a key of :data:`VARIANTS`: the
#: step number and what it does).
STEP_NAMES = {
    "literal": "0: literal, 24 products",
    "rescaled": "1: top weight 1/4, 24 products",
    "uncapped": "2: top weight 1/4, 40 products",
    "balanced": "3: 2 + balanced blocks",
    "obs": "4: 3 + OBS",
    "obs-data": "5: 4 + OBS on data",
    "allocated": "6: 4 + unequal budget",
}


def lenet(weights) -> Network:
    """LeNet-5 without biases from its five weight arrays (conv1, conv2, dense1..3)."""
    c1, c2, d1, d2, d3 = (torch.as_tensor(np.asarray(w), dtype=torch.float64) for w in weights)
    return Network(
        [
            ("conv", c1, 2),
            ("relu",),
            ("maxpool", 2),
            ("conv", c2, 0),
            ("relu",),
            ("maxpool", 2),
            ("flatten",),
            ("dense", d1),
            ("relu",),
            ("dense", d2),
            ("relu",),
            ("dense", d3),
        ]
    )


@cache
def load(path: str | None = None) -> tuple[Network, dict]:
    """The stored LeNet-5 and its recorded accuracies (cached per process)."""
    path = Path(path) if path else WEIGHTS
    if not path.exists():
        raise ValueError(f"{path} not found: run python scripts/train_lenet.py")
    stored = np.load(path)
    info = {k: float(stored[k]) for k in ("train_accuracy", "test_accuracy")}
    return lenet([stored[n] for n in NAMES]), info


def logits(net: Network, images, batch: int = 1000) -> torch.Tensor:
    """The network's outputs on ``images``, in batches (float64)."""
    batch = as_count(batch, "batch", 1)
    with torch.no_grad():
        return torch.cat(
            [net(torch.as_tensor(images[s : s + batch])) for s in range(0, len(images), batch)]
        )


def compare(reference: torch.Tensor, approx: torch.Tensor, labels) -> dict:
    """Relative max error, agreement of predictions, and both accuracies."""
    labels = torch.as_tensor(labels)
    pred_f, pred_n = reference.argmax(1), approx.argmax(1)
    return {
        "relative_error": float((approx - reference).abs().max() / reference.abs().max()),
        "agreement": float((pred_f == pred_n).double().mean()),
        "target_accuracy": float((pred_f == labels).double().mean()),
        "pruned_accuracy": float((pred_n == labels).double().mean()),
    }


def image_errors(reference: torch.Tensor, approx: torch.Tensor) -> np.ndarray:
    """Per image: ``max |approx - reference| / max |reference|`` over that image's logits.

    The stricter companion of :func:`compare`'s ``relative_error``, whose denominator is the
    largest logit of the whole test set: an image whose logits are all small gets its own.
    """
    reference = torch.as_tensor(reference, dtype=torch.float64)
    approx = torch.as_tensor(approx, dtype=torch.float64)
    if reference.shape != approx.shape or reference.dim() != 2:
        raise ValueError(
            f"reference and approx must be (images, logits) of one shape, got "
            f"{tuple(reference.shape)} and {tuple(approx.shape)}"
        )
    gap = (approx - reference).abs().max(1).values
    return (gap / reference.abs().max(1).values).numpy()


def layer_errors(target: Network, pruned: Network, images, batch: int = 500) -> list[float]:
    """Per weighted layer of ``pruned`` that differs from ``target``: the relative error at
    that layer's output (before its ReLU), both networks run from the same ``images``.

    ``max |pruned_i(X) - target_i(X)| / max |target_i(X)|`` over all images and entries,
    where ``net_i`` is the network cut after its i-th weighted layer. Unlike the logits'
    relative error, the denominator is the layer's own largest output, so layers kept as
    trained after the pruned ones cannot dilute it.
    """
    if not isinstance(target, Network) or not isinstance(pruned, Network):
        raise ValueError("target and pruned must be rsslib.slth.Network instances")
    if len(target.layers) != len(pruned.layers):
        raise ValueError("target and pruned must have the same layers (pairs count as one)")
    batch = as_count(batch, "batch", 1)
    flat = collapse(pruned)  # the same function on images in [0, 1], far narrower
    out = []
    for i in target.weighted():
        if pruned.layers[i][0] != "pair":
            continue
        gap = peak = 0.0
        with torch.no_grad():
            for s in range(0, len(images), batch):
                X = torch.as_tensor(images[s : s + batch])
                want = target(X, upto=i + 1)
                gap = max(gap, float((flat(X, upto=i + 1) - want).abs().max()))
                peak = max(peak, float(want.abs().max()))
        out.append(gap / peak)
    return out


def worst_weights(target: Network, random_net: Network, pruned: Network, max_terms: int):
    """Per pruned layer, the weight with the largest error and what it was offered.

    For contiguous blocks (no ``balance``): weight ``(l, j)`` is offered the products
    ``V[l, t] U[t, j]`` of the first ``max_terms`` hidden channels t of output l's block with
    ``U[t, j] > 0``, and only those of the weight's sign can move the sum towards it.
    Returns one dict per pruned layer: ``error`` (``|K - L|`` over the layer's largest
    ``|K|``), ``size`` (``|w|`` over it), ``offered``, ``right_sign`` (offered products of
    the weight's sign) and ``reach`` (their sum over ``|w|``: below 1, no subset gets there).
    """
    max_terms = as_count(max_terms, "max_terms", 1)
    out = []
    for i in target.weighted():
        if pruned.layers[i][0] != "pair":
            continue
        K = target.layers[i][1]
        top = float(K.abs().max())
        E = ((K - effective_weight(pruned.layers[i])).abs() / top).flatten(1)
        row, j = divmod(int(E.argmax()), E.shape[1])  # output row, input j
        U, V = random_net.layers[i][1], random_net.layers[i][2]
        U2, V2 = U.reshape(U.shape[0], -1), V
        block = U.shape[0] // K.shape[0]
        chans = [t for t in range(row * block, (row + 1) * block) if U2[t, j] > 0]
        w = float(K.flatten(1)[row, j])
        products = [float(V2[row, t] * U2[t, j]) for t in chans[:max_terms]]
        right = [p for p in products if p * w > 0]
        out.append(
            {
                "layer": i,
                "error": float(E.max()),
                "size": abs(w) / top,
                "offered": len(products),
                "right_sign": len(right),
                "reach": abs(sum(right)) / abs(w),
            }
        )
    return out


def prepare(target: Network, normalise: str) -> tuple[Network, list[float]]:
    """The target the construction aims at, and the scales of the random V's.

    ``"l1"``: the class of Theorem 13.1 (thesis Theorem 31), every layer divided by its l1
    norm (the output is then a known multiple of the original, which changes neither
    predictions nor relative errors), V uniform on [-1, 1]. ``"top"``: the target unchanged
    and V scaled so that each layer's largest weight sits at 1/4 of the random scale
    (:func:`layer_scales`).
    """
    if normalise == "l1":
        layers = [
            (ly[0], ly[1] / ly[1].abs().sum(), *ly[2:]) if ly[0] in ("conv", "dense") else ly
            for ly in target.layers
        ]
        net = Network(layers)
        return net, [1.0] * len(net.weighted())
    if normalise == "top":
        return target, layer_scales(target, 0.25)
    raise ValueError(f"normalise must be 'l1' or 'top', got {normalise!r}")


def measure_network(
    original: Network,
    prune: Sequence[int],
    factor: float,
    seed: int,
    variant: str,
    calibration,
    test_images,
    test_labels,
    progress: bool = False,
    reference=None,
    max_subset: int | None = None,
) -> dict:
    """Prune a random network into ``original`` and compare the two on test images.

    ``prune`` lists the weighted layers (indices into ``original.weighted()``) replaced by
    random pairs of at most ``factor`` times their size; the others are kept as trained.
    ``calibration`` are the training images the compensating variants estimate H from;
    ``reference``, if given, the prepared target's logits on ``test_images`` (saves a pass).
    ``max_subset`` caps the products per weight (:func:`~rsslib.slth.construct.prune_network`;
    only for the variants without compensation).
    ``seed``: a non-negative int, or a numpy Generator from which one int seed is drawn.
    Returns the dict described in :func:`measure`.
    """
    seed = as_int_seed(seed)
    target, net, pruned, report, seconds = prune_into(
        original, prune, factor, seed, variant, calibration, progress, max_subset
    )
    reference = logits(target, test_images) if reference is None else reference
    approx = logits(collapse(pruned), test_images)
    result = compare(reference, approx, test_labels)
    per_image = image_errors(reference, approx)
    indices = [target.weighted()[k] for k in prune]
    target_params = target.parameter_count(indices)
    random_params = net.parameter_count(indices)
    return {
        "variant": variant,
        "seed": int(seed),
        "factor": random_params / target_params,
        "random_params": random_params,
        "target_params": target_params,
        "kept": sum(r["kept"] for r in report),
        **result,
        "image_error_worst": float(per_image.max()),
        "image_error_median": float(np.median(per_image)),
        "layer_errors": layer_errors(target, pruned, test_images),
        "seconds": seconds,
        "blocks": [r["block"] for r in report],
        "max_weight_errors": [r["max_weight_error"] for r in report],
        "max_relative_weight_errors": [
            r["max_weight_error"] / float(target.layers[r["layer"]][1].abs().max()) for r in report
        ],
    }


def prune_into(
    original: Network,
    prune: Sequence[int],
    factor: float,
    seed: int,
    variant: str,
    calibration=None,
    progress: bool = False,
    max_subset: int | None = None,
):
    """The pruning behind :func:`measure_network`, with the networks it builds.

    Returns ``(target, random_net, pruned, report, seconds)``: the prepared target
    (:func:`prepare`), the random network of at most ``factor`` times the pruned layers'
    size, its pruned copy, :func:`~rsslib.slth.construct.prune_network`'s report and the
    pruning time.
    """
    seed = as_int_seed(seed)
    factor = as_positive_real(factor, "factor")
    progress = check_progress(progress, allow_none=False)
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {sorted(VARIANTS)}, got {variant!r}")
    spec = VARIANTS[variant]
    if spec["compensate"] and calibration is None:
        raise ValueError(f"variant {variant!r} needs calibration images")
    target, scales = prepare(original, spec["normalise"])
    blocks = blocks_for_factor(
        target, factor, prune=prune, allocation=spec.get("allocation", "equal")
    )
    net = random_network(target, blocks, seed=seed, scales=scales)
    t0 = time.perf_counter()
    pruned, report = prune_network(
        net,
        target,
        max_terms=spec["max_terms"],
        compensate=spec["compensate"],
        data=calibration if spec["compensate"] else None,
        balance=spec.get("balance", False),
        max_subset=max_subset,
        progress=progress,
    )
    return target, net, pruned, report, time.perf_counter() - t0


@cache
def _test_set():
    """Test images and labels, and the stored target's logits on them (cached per process:
    a sweep measures hundreds of networks against the same reference)."""
    from rsslib.datasets import fashion_mnist

    images, labels = fashion_mnist("test")
    return images, labels, logits(load()[0], images)


def calibration_images(count: int, seed: int):
    """``count`` Fashion-MNIST training images, a seeded random choice (``seed``: a
    non-negative int or a numpy Generator)."""
    from rsslib.datasets import fashion_mnist

    rng = as_generator(seed)
    count = as_count(count, "calibration", 1)
    images, _ = fashion_mnist("train")
    if count > len(images):
        raise ValueError(f"calibration must be in 1..{len(images)}, got {count}")
    return images[rng.permutation(len(images))[: int(count)]]


def measure(
    layers: str = "all",
    factor: float = 30.0,
    seed: int = 0,
    variant: str = "allocated",
    calibration: int = 2048,
    progress: bool = False,
    max_subset: int | None = None,
) -> dict:
    """Prune a random network of at most ``factor`` times the pruned layers' size into the
    stored LeNet-5 and measure it on the 10,000 Fashion-MNIST test images.

    Parameters
    ----------
    layers : "conv" or "all"
        Prune the two convolutional layers (dense layers kept as trained, as in da Cunha et
        al. 2022) or every layer.
    factor : float
        Size budget: random parameters of the pruned layers over their target parameters.
    seed : int or numpy.random.Generator
        Seed of the random network (and of the choice of calibration images); a Generator
        gives one int seed.
    variant : str
        A key of :data:`VARIANTS`.
    calibration : int
        Training images used to estimate the inputs' second moments (compensating variants).
    max_subset : int, optional
        At most this many products per weight (variants without compensation only).

    Returns
    -------
    dict with the keys of ``scripts/prune_lenet.py``'s JSON: ``factor`` (realised),
    ``random_params``, ``target_params``, ``kept``, ``relative_error``, ``agreement``,
    ``target_accuracy``, ``pruned_accuracy``, ``seconds`` (pruning time), and ``layers``,
    ``variant``, ``seed``, ``blocks``, ``max_weight_errors``.
    """
    if layers not in LAYER_SETS:
        raise ValueError(f"layers must be one of {sorted(LAYER_SETS)}, got {layers!r}")
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {sorted(VARIANTS)}, got {variant!r}")
    seed = as_int_seed(seed)
    factor = as_positive_real(factor, "factor")
    calibration = as_count(calibration, "calibration", 1)
    progress = check_progress(progress, allow_none=False)
    original, _ = load()
    data = calibration_images(calibration, seed) if VARIANTS[variant]["compensate"] else None
    test_images, test_labels, reference = _test_set()
    result = measure_network(
        original,
        LAYER_SETS[layers],
        factor,
        seed,
        variant,
        data,
        test_images,
        test_labels,
        progress,
        reference=reference if VARIANTS[variant]["normalise"] == "top" else None,
        max_subset=max_subset,
    )
    return {"layers": layers, **result}


#: The ablation's stored sweep (``scripts/ablation_sweep.py``).
ABLATION = WEIGHTS.parent / "ablation_sweep.csv"


def read_ablation(path=None) -> list[dict]:
    """The rows of the stored ablation sweep, numbers as floats (seed as int)."""
    import csv

    path = Path(path) if path else ABLATION
    if not path.exists():
        raise ValueError(f"{path} not found: run python scripts/ablation_sweep.py")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        for k, v in r.items():
            if k not in ("target", "variant"):
                r[k] = int(v) if k == "seed" else float(v)
    return rows


def first_budget(rows, target: str, variant: str, level: float = 1e-3, key="relative_error"):
    """Smallest budget from which every seed, at every larger budget of the grid, has
    ``key <= level`` (``>= level`` for ``agreement``); with the largest realised factor
    among the seeds at that budget. ``(None, None)`` if even the largest budget fails.
    """
    level = as_finite_real(level, "level")
    grid: dict[float, list[dict]] = {}
    for r in rows:
        if r["target"] == target and r["variant"] == variant:
            grid.setdefault(r["budget"], []).append(r)
    if not grid:
        raise ValueError(f"no rows for target {target!r} and variant {variant!r}")
    ok = (lambda v: v >= level) if key == "agreement" else (lambda v: v <= level)
    found = None
    for budget in sorted(grid, reverse=True):
        if not all(ok(r[key]) for r in grid[budget]):
            break
        found = budget
    if found is None:
        return None, None
    return found, max(r["factor"] for r in grid[found])
