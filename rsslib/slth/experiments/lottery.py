"""The lottery-ticket experiments of ``book/slth/lottery_tickets``, one function per run.

LeNet-300-100 without biases on Fashion-MNIST (thesis Section 4.1; Frankle & Carbin 2019
ran it on MNIST). Every run trains for :data:`EPOCHS` epochs with Adam (learning rate
1.2e-3, batches of 60) on the 60,000 training images, on one thread, and reports the
accuracy on the 10,000 test images. The pruning schedule removes :data:`FRACTION` of each
hidden layer's surviving weights per round and :data:`LAST_FRACTION` of the output layer's
(half the rate, as Frankle & Carbin do), for :data:`ROUNDS` rounds: from 100% of the
weights down to about 1.8%.

Methods (column ``method`` of the sweep):

``imp``
    iterative magnitude pruning, survivors keep their trained values (Han et al., 2015);
``ticket``
    the same with survivors rewound to the initial weights before each round (Frankle &
    Carbin, 2019);
``reinit``
    the ticket's mask with a fresh random initialisation (their control);
``random``
    a random mask with the same number of weights per layer, original initialisation
    (a sparse architecture trained from scratch);
``edge-popup``
    no weight training at all: the scores of a random dense network are trained and the
    top fraction kept in each layer (Ramanujan et al., 2020).

``scripts/lottery_sweep.py`` runs them for several seeds and stores
``book/slth/data/lottery_sweep.csv``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from rsslib._validate import as_count, as_int_seed
from rsslib.slth.edge_popup import edge_popup
from rsslib.slth.train import (
    SIZES,
    MaskedMLP,
    accuracy,
    imp,
    init_weights,
    pruning_schedule,
    random_masks,
    train,
)

ROUNDS = 8
FRACTION = 0.4
LAST_FRACTION = 0.2
EPOCHS = 3
#: edge-popup's fractions kept (the same in every layer)
KEEPS = (0.6, 0.36, 0.216, 0.13, 0.047, 0.017)
METHODS = ("imp", "ticket", "reinit", "random", "edge-popup")
SWEEP = Path(__file__).resolve().parents[3] / "book" / "slth" / "data" / "lottery_sweep.csv"
COLUMNS = ("method", "seed", "round", "keep", "density", "accuracy", "loss")
#: seed offset of the fresh initialisation of ``reinit`` (and of nothing else)
REINIT_OFFSET = 1000


def load_data():
    """Fashion-MNIST as float32 arrays (train images, train labels, test images, labels)."""
    from rsslib.datasets import fashion_mnist

    x, y = fashion_mnist("train")
    xt, yt = fashion_mnist("test")
    return x.reshape(len(x), -1), y, xt.reshape(len(xt), -1), yt


def _row(method, seed, rnd, keep, density, acc, loss) -> dict:
    return {
        "method": method,
        "seed": seed,
        "round": rnd,
        "keep": round(float(keep), 4),
        "density": round(float(density), 5),
        "accuracy": round(float(acc), 4),
        "loss": round(float(loss), 4),
    }


def chain_rows(seed: int, rewind: str, rounds: int = ROUNDS, data=None, epochs: int = EPOCHS):
    """Rows of one IMP chain: ``rewind="none"`` gives ``imp``, ``"init"`` gives ``ticket``
    and, for every pruned round, the ``reinit`` control on the same mask.
    """
    seed = as_int_seed(seed)
    rounds = as_count(rounds, "rounds", 0)
    epochs = as_count(epochs, "epochs", 1)
    if rewind not in ("init", "none"):
        raise ValueError(f"rewind must be 'init' or 'none', got {rewind!r}")
    x, y, xt, yt = load_data() if data is None else data
    records = imp(
        x, y, xt, yt, rounds, FRACTION, LAST_FRACTION, rewind=rewind, epochs=epochs, seed=seed
    )
    method = "ticket" if rewind == "init" else "imp"
    rows = [
        _row(method, seed, r["round"], r["density"], r["density"], r["accuracy"], r["loss"])
        for r in records
    ]
    if rewind == "init":
        fresh = init_weights(SIZES, seed + REINIT_OFFSET)
        for r in records[1:]:
            net = MaskedMLP(fresh, r["masks"])
            out = train(net, x, y, epochs, seed=seed + r["round"])
            acc = accuracy(net, xt, yt)
            rows.append(
                _row("reinit", seed, r["round"], r["density"], r["density"], acc, out["loss"])
            )
    return rows


def random_row(seed: int, rnd: int, data=None, epochs: int = EPOCHS) -> dict:
    """A random mask with round ``rnd``'s layer sizes, trained from the original init."""
    seed = as_int_seed(seed)
    rnd = as_count(rnd, "rnd", 0)
    epochs = as_count(epochs, "epochs", 1)
    x, y, xt, yt = load_data() if data is None else data
    kept = pruning_schedule(SIZES, rnd, FRACTION, LAST_FRACTION)[rnd]
    weights = init_weights(SIZES, seed)
    sizes = [w.numel() for w in weights]
    masks = random_masks(
        [w.shape for w in weights], [k / s for k, s in zip(kept, sizes, strict=True)], seed
    )
    net = MaskedMLP(weights, masks)
    out = train(net, x, y, epochs, seed=seed + rnd)
    return _row(
        "random", seed, rnd, net.density(), net.density(), accuracy(net, xt, yt), out["loss"]
    )


def edge_popup_row(seed: int, keep: float, data=None, epochs: int = EPOCHS) -> dict:
    """edge-popup on the random network of ``seed`` keeping ``keep`` of every layer."""
    seed = as_int_seed(seed)
    epochs = as_count(epochs, "epochs", 1)
    x, y, xt, yt = load_data() if data is None else data
    r = edge_popup(x, y, xt, yt, keep, epochs=epochs, seed=seed)
    return _row("edge-popup", seed, -1, keep, r["density"], r["accuracy"], r["loss"])


def read_sweep(path=None) -> list[dict]:
    """The stored sweep's rows, numbers converted."""
    path = SWEEP if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run scripts/lottery_sweep.py")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["seed"] = int(r["seed"])
        r["round"] = int(r["round"])
        for k in ("keep", "density", "accuracy", "loss"):
            r[k] = float(r[k])
    return rows


def summary(rows, method: str, key: str = "round") -> dict:
    """Per value of ``key`` (round, or keep for edge-popup): density, mean, min and max
    accuracy over seeds, and the number of seeds."""
    groups: dict = {}
    for r in rows:
        if r["method"] == method:
            groups.setdefault(r[key], []).append(r)
    out = {}
    for k in sorted(groups):
        acc = np.array([r["accuracy"] for r in groups[k]])
        out[k] = {
            "density": float(np.mean([r["density"] for r in groups[k]])),
            "mean": float(acc.mean()),
            "min": float(acc.min()),
            "max": float(acc.max()),
            "seeds": len(acc),
        }
    return out
