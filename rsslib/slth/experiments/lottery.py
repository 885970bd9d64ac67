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
    top fraction kept in each layer, the same fraction in every layer (Ramanujan et al.,
    2020);
``edge-popup-layers``
    the same with IMP's fraction of each layer at a round (the output layer pruned at half
    the hidden layers' rate), so that it compares with IMP and the controls layer by layer.

The baseline (``scripts/lottery_baseline.py``, ``book/slth/data/lottery_baseline.csv``):
the dense network trained to convergence on the training images minus a validation split
of :data:`VALIDATION` images (drawn once, with :data:`SPLIT_SEED`), with the validation
loss and accuracy and the test accuracy after every epoch, for each learning rate of
:data:`DENSE_LRS`; early stopping picks the epoch of least validation loss (Frankle &
Carbin, 2019, hold out 5,000 training images the same way), and the learning rate is the
one whose early-stopped validation loss is the least. The same split chooses edge-popup's
learning rate among :data:`POPUP_LRS`.

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
METHODS = ("imp", "ticket", "reinit", "random", "edge-popup", "edge-popup-layers")
SWEEP = Path(__file__).resolve().parents[3] / "book" / "slth" / "data" / "lottery_sweep.csv"
#: validation images carved from the 60,000 training images, and the seed of the split
VALIDATION = 5000
SPLIT_SEED = 0
#: epochs of the dense baseline's training to convergence, and the learning rates tried
MAX_EPOCHS = 25
DENSE_LRS = (3e-4, 1.2e-3)
#: edge-popup's learning rates tried on the validation split (fraction kept 0.5)
POPUP_LRS = (1e-3, 1e-2)
POPUP_LR_KEEP = 0.5
BASELINE = SWEEP.with_name("lottery_baseline.csv")
BASELINE_COLUMNS = (
    "run", "seed", "lr", "keep", "epoch", "train_loss", "val_loss", "val_acc", "test_acc",
)  # fmt: skip
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


def edge_popup_layers_row(seed: int, rnd: int, data=None, epochs: int = EPOCHS) -> dict:
    """edge-popup on the random network of ``seed`` keeping, in each layer, the fraction IMP
    keeps there after round ``rnd`` (:func:`~rsslib.slth.train.pruning_schedule`)."""
    seed = as_int_seed(seed)
    rnd = as_count(rnd, "rnd", 1)
    epochs = as_count(epochs, "epochs", 1)
    x, y, xt, yt = load_data() if data is None else data
    kept = pruning_schedule(SIZES, rnd, FRACTION, LAST_FRACTION)
    keeps = [k / s for k, s in zip(kept[rnd], kept[0], strict=True)]
    r = edge_popup(x, y, xt, yt, keeps, epochs=epochs, seed=seed)
    return _row(
        "edge-popup-layers", seed, rnd, r["density"], r["density"], r["accuracy"], r["loss"]
    )


def validation_split(x, y, size: int = VALIDATION, seed: int = SPLIT_SEED):
    """(train x, train y, validation x, validation y): ``size`` images drawn at random."""
    size = as_count(size, "size", 1)
    if size >= len(x):
        raise ValueError(f"size must be below the {len(x)} training images, got {size}")
    order = np.random.default_rng(as_int_seed(seed)).permutation(len(x))
    keep, held = np.sort(order[size:]), np.sort(order[:size])
    return x[keep], y[keep], x[held], y[held]


def _evaluate(net, x, y) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``net`` on ``(x, y)``."""
    import torch
    import torch.nn.functional as F

    with torch.no_grad():
        logits = net(torch.as_tensor(x))
        target = torch.as_tensor(y, dtype=torch.int64)
        loss = float(F.cross_entropy(logits, target))
        acc = float((logits.argmax(1) == target).double().mean())
    return loss, acc


def _curve(run, net, seed, lr, keep, epochs, data, validation) -> list[dict]:
    from rsslib.slth.train import fit

    x, y, xt, yt = load_data() if data is None else data
    xs, ys, xv, yv = validation_split(x, y, validation)
    rows = []

    def on_epoch(epoch, loss):
        vl, va = _evaluate(net, xv, yv)
        _, ta = _evaluate(net, xt, yt)
        rows.append({
            "run": run, "seed": seed, "lr": lr, "keep": keep, "epoch": epoch,
            "train_loss": round(loss, 5), "val_loss": round(vl, 5),
            "val_acc": round(va, 4), "test_acc": round(ta, 4),
        })  # fmt: skip

    fit(net, xs, ys, epochs, lr, 60, seed, threads=1, on_epoch=on_epoch)
    return rows


def dense_curve(
    seed: int, lr: float, epochs: int = MAX_EPOCHS, data=None, validation: int = VALIDATION
) -> list[dict]:
    """The dense network of ``seed`` trained on the training images minus the validation
    split (:func:`validation_split`), Adam at ``lr``, batches of 60: one row per epoch with
    the training loss, the validation loss and accuracy, and the test accuracy."""
    seed = as_int_seed(seed)
    epochs = as_count(epochs, "epochs", 1)
    net = MaskedMLP(init_weights(SIZES, seed))
    return _curve("dense", net, seed, float(lr), 1.0, epochs, data, validation)


def popup_curve(
    seed: int,
    lr: float,
    keep: float = POPUP_LR_KEEP,
    epochs: int = EPOCHS,
    data=None,
    validation: int = VALIDATION,
) -> list[dict]:
    """edge-popup as :func:`~rsslib.slth.edge_popup.edge_popup` seeds it (weights ``seed``,
    scores ``seed + 1``, batch order ``seed``), on the training split: one row per epoch."""
    from rsslib.slth.edge_popup import EdgePopupMLP

    seed = as_int_seed(seed)
    epochs = as_count(epochs, "epochs", 1)
    net = EdgePopupMLP(init_weights(SIZES, seed), keep, seed=seed + 1)
    return _curve("edge-popup", net, seed, float(lr), float(keep), epochs, data, validation)


def early_stopped(rows) -> dict:
    """Per (run, lr, seed) of a baseline table: the row of the epoch of least validation
    loss (the first such epoch)."""
    best: dict = {}
    for r in rows:
        key = (r["run"], r["lr"], r["seed"])
        if key not in best or r["val_loss"] < best[key]["val_loss"]:
            best[key] = r
    return best


def read_baseline(path=None) -> list[dict]:
    """The stored baseline table's rows, numbers converted."""
    floats = ("lr", "keep", "train_loss", "val_loss", "val_acc", "test_acc")
    return _read_table(path, BASELINE, "lottery_baseline.py", ("seed", "epoch"), floats)


def _read_table(path, default: Path, script: str, ints, floats) -> list[dict]:
    """A stored CSV's rows with the columns ``ints`` and ``floats`` converted."""
    path = default if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run scripts/{script}")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r.update({k: int(r[k]) for k in ints} | {k: float(r[k]) for k in floats})
    return rows


#: the kernel settings of the recomputation's table (``scripts/lottery_kernels.py``): torch's
#: AVX2 kernels (the machine that stored the sweep), AVX-512, the generic kernels, and the
#: environment of ``make test-portable``
KERNELS = {
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "avx512": {"ATEN_CPU_CAPABILITY": "avx512"},
    "generic": {"ATEN_CPU_CAPABILITY": "default"},
    "portable": {
        "ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE", "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1", "OPENBLAS_CORETYPE": "Sandybridge",
    },
}  # fmt: skip
KERNEL_TABLE = SWEEP.with_name("lottery_kernels.csv")


def recompute(seed: int = 0, data=None) -> list[dict]:
    """The sweep's first two rounds of ``seed`` again: the dense network (round 0), the
    ticket of round 1 (rewound to the initial weights) and IMP's round 1 (the same mask,
    the trained weights): rows with ``method``, ``round``, ``accuracy`` and ``loss``
    (the training loss of the last epoch), at full precision."""
    seed = as_int_seed(seed)
    x, y, xt, yt = load_data() if data is None else data
    recs = imp(x, y, xt, yt, 1, FRACTION, LAST_FRACTION, rewind="init", epochs=EPOCHS, seed=seed)
    # IMP's round 1 prunes the same trained dense network: same mask, trained survivors
    net = MaskedMLP(recs[0]["weights"], recs[1]["masks"])
    out = train(net, x, y, EPOCHS, seed=seed + 1)
    return [
        {"method": "dense", "round": 0, "accuracy": recs[0]["accuracy"], "loss": recs[0]["loss"]},
        {"method": "ticket", "round": 1, "accuracy": recs[1]["accuracy"], "loss": recs[1]["loss"]},
        {"method": "imp", "round": 1, "accuracy": accuracy(net, xt, yt), "loss": out["loss"]},
    ]


def read_sweep(path=None) -> list[dict]:
    """The stored sweep's rows, numbers converted."""
    floats = ("keep", "density", "accuracy", "loss")
    return _read_table(path, SWEEP, "lottery_sweep.py", ("seed", "round"), floats)


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
