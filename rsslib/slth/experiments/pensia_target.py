"""The target of Pensia et al.'s experiment: a bias-free 784-500-10 ReLU network on
Fashion-MNIST, trained with their recipe, stored next to the book.

784-500-10, ReLU, **no biases**, trained on the Fashion-MNIST training split with the
hyper-parameters of Pensia et al.'s ``subset-sum/main.py`` (SGD, learning rate 0.1,
momentum 0.9, weight decay 5e-4, batch 64, cosine schedule, 10 epochs), pixels in [0, 1]
not normalised. No biases because (i) their ``TwoLayerFC`` builds its ``nn.Linear`` layers
without bias, so their 397,000 weights are exactly 784*500 + 500*10; (ii) the construction
approximates linear maps x -> W x, and the book's statements (thesis Chapter 4) are for
bias-free networks. Training (:func:`train_target`) is seeded and deterministic on CPU;
the weights are stored in :data:`TARGET` (float32, compressed, about 1.5 MB). The
experiment itself is :mod:`rsslib.slth.experiments.pensia`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from rsslib._validate import as_count, as_int_seed, as_matrix
from rsslib.slth.experiments._checks import labels_arg, reporter

__all__ = ["SIZES", "TARGET", "get_target", "load_data", "load_target", "train_target"]

#: Where the trained 784-500-10 target is stored (in the repository, next to the book).
TARGET = Path(__file__).resolve().parents[3] / "book" / "slth" / "data" / "pensia_target.npz"
#: Layer widths of the target (input, hidden, output).
SIZES = (784, 500, 10)


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


def train_target(x_train, y_train, epochs: int, seed: int, progress: bool = False):
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
    progress : bool
        Report the training loss of each epoch on stderr.

    Returns
    -------
    list of numpy.ndarray of float32
        ``[W1 (500, 784), W2 (10, 500)]``.

    References
    ----------
    .. [1] A. Pensia et al., "Optimal Lottery Tickets via SubsetSum", NeurIPS 2020;
       ``subset-sum/main.py`` of their code.
    """
    x_arr = as_matrix(x_train, "x_train", SIZES[0])
    y_arr = labels_arg(y_train, len(x_arr), "y_train")
    if y_arr.min() < 0 or y_arr.max() >= SIZES[-1]:
        raise ValueError(f"y_train must hold labels in 0..{SIZES[-1] - 1}")
    epochs = as_count(epochs, "epochs", 1)
    seed = as_int_seed(seed)
    say = reporter(progress)

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
    progress: bool = False,
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
    progress : bool
        Report file sizes and training losses on stderr.

    Returns
    -------
    list of numpy.ndarray of float32
        ``[W1 (500, 784), W2 (10, 500)]``.
    """
    seed = as_int_seed(seed)
    path = Path(path)
    say = reporter(progress)
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
