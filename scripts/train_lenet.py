"""Train the bias-free LeNet-5 on Fashion-MNIST that Part III prunes a random network into.

Run:  python scripts/train_lenet.py          (a few minutes on 2 cores)

Architecture (LeCun et al. 1998, with ReLU and max pooling as is usual today):
conv 5x5, 1 -> 6 channels, zero padding 2 -> ReLU -> max pool 2 -> conv 5x5, 6 -> 16
channels, no padding -> ReLU -> max pool 2 -> flatten (400) -> dense 120 -> ReLU -> dense 84
-> ReLU -> dense 10. 61,470 weights.

No biases. The thesis's networks (Definition 11.3 (thesis Definitions 28 and 30)) have none,
and so do the random networks the book prunes; Remark 13.2 (thesis Remark 29) handles biases
by adding a constant input channel (d^2 + 1 terms per filter), which would change every
count in the chapter for a gain of a fraction of a point of accuracy (the bias-free network
still passes the 89% the book asks for).

Seeded and deterministic on CPU (rsslib.slth.train.fit: Adam, one-cycle schedule). Writes
book/slth/data/lenet5_fashion.npz with the five weight arrays (float32) and the train and
test accuracies. The data come from rsslib.datasets.fashion_mnist (make data).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from rsslib.datasets import fashion_mnist
from rsslib.slth import mlp
from rsslib.slth.train import fit

OUT = Path(__file__).resolve().parents[1] / "book" / "slth" / "data" / "lenet5_fashion.npz"
NAMES = ("conv1", "conv2", "dense1", "dense2", "dense3")
MIN_TEST_ACCURACY = 0.89


def forward(weights, x):
    """LeNet-5 without biases, float32 training copy of rsslib.slth.experiments.lenet's network."""
    c1, c2, d1, d2, d3 = weights
    x = F.max_pool2d(F.relu(F.conv2d(x, c1, padding=2)), 2)
    x = F.max_pool2d(F.relu(F.conv2d(x, c2)), 2).flatten(1)
    return mlp.forward([d1, d2, d3], x)


def init_weights(gen):
    """Kaiming-uniform (fan in) initialisation of the five weight tensors."""
    shapes = [(6, 1, 5, 5), (16, 6, 5, 5), (120, 400), (84, 120), (10, 84)]
    out = []
    for shape in shapes:
        fan_in = int(np.prod(shape[1:]))
        bound = float(np.sqrt(6.0 / fan_in))
        w = (torch.rand(shape, generator=gen) * 2 - 1) * bound
        out.append(w.requires_grad_())
    return out


def accuracy(weights, images, labels, batch=2000):
    with torch.no_grad():
        hits = 0
        for s in range(0, len(images), batch):
            hits += int(
                (forward(weights, images[s : s + batch]).argmax(1) == labels[s : s + batch]).sum()
            )
    return hits / len(images)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    # the initial weights, then the batch order, from one stream
    gen = torch.Generator().manual_seed(args.seed)
    x_train, y_train = (torch.from_numpy(a) for a in fashion_mnist("train"))
    x_test, y_test = (torch.from_numpy(a) for a in fashion_mnist("test"))
    weights = init_weights(gen)
    t0 = time.perf_counter()

    def report(epoch, loss):
        print(
            f"epoch {epoch}/{args.epochs}: loss {loss:.3f}, "
            f"test {accuracy(weights, x_test, y_test):.4f} "
            f"({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )

    fit(
        lambda x: forward(weights, x), x_train, y_train, args.epochs, 2e-3, 128, gen,
        schedule="onecycle", params=weights, on_epoch=report,
    )  # fmt: skip
    test_acc = accuracy(weights, x_test, y_test)
    train_acc = accuracy(weights, x_train, y_train)
    if test_acc < MIN_TEST_ACCURACY:
        raise SystemExit(f"test accuracy {test_acc:.4f} < {MIN_TEST_ACCURACY}: not written")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    arrays = {n: w.detach().numpy() for n, w in zip(NAMES, weights, strict=True)}
    np.savez_compressed(args.out, **arrays, test_accuracy=test_acc, train_accuracy=train_acc)
    print(f"train {train_acc:.4f}, test {test_acc:.4f}; wrote {args.out.name}")


if __name__ == "__main__":
    main()
