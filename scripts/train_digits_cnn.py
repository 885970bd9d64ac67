"""Train the bias-free CNN on scikit-learn's digits that Part III prunes a random CNN into.

Run:  python scripts/train_digits_cnn.py [--out PATH]   (about a minute on 2 cores)

The network is a simple CNN in the thesis's sense (Definition 11.3
(thesis Definitions 28 and 30): no biases, zero padding, ReLU between layers,
rsslib.slth.conv): 3x3 filters 1 -> 32 -> 32 -> 10 channels on the 8x8 images scaled to
[0, 1], read out by averaging each of the 10 output channels over the image (global average
pooling, the same fixed readout for the target and the pruned network). Writes
book/slth/data/digits_cnn.npz with the filters and the accuracies; the training is
rsslib.slth.train.fit, the split rsslib.datasets.digits. The data ship inside scikit-learn;
nothing is downloaded.
"""

import argparse
from pathlib import Path

import numpy as np
import torch

from rsslib.datasets import digits
from rsslib.slth import SimpleCNN
from rsslib.slth.train import fit

OUT = Path(__file__).resolve().parents[1] / "book" / "slth" / "data" / "digits_cnn.npz"
CHANNELS = (1, 32, 32, 10)
EPOCHS = 100


def accuracy(net, X, y):
    with torch.no_grad():
        logits = net(torch.from_numpy(X)).mean(dim=(2, 3))
    return float((logits.argmax(1).numpy() == y).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    X_train, y_train = digits("train")
    X_test, y_test = digits("test")
    # the filters, then the batch order, from one stream seeded 0
    gen = torch.Generator().manual_seed(0)
    filters = [
        torch.randn(c_out, c_in, 3, 3, dtype=torch.float64, generator=gen)
        * np.sqrt(2.0 / (9 * c_in))
        for c_in, c_out in zip(CHANNELS[:-1], CHANNELS[1:], strict=True)
    ]
    net = SimpleCNN(filters)

    def report(epoch, loss):
        if epoch % 10 == 0:
            print(
                f"epoch {epoch}: train {accuracy(net, X_train, y_train):.4f} "
                f"test {accuracy(net, X_test, y_test):.4f}"
            )

    def readout(x):  # the mean of each output channel over the image
        return net(x).mean(dim=(2, 3))

    fit(
        readout, X_train, y_train, args.epochs, 4e-3, 64, gen,
        schedule="cosine", params=net.parameters(), on_epoch=report,
    )  # fmt: skip
    test_acc = accuracy(net, X_test, y_test)
    if test_acc < 0.97:
        raise SystemExit(f"test accuracy {test_acc:.4f} is below the 0.97 the book relies on")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        *[f.numpy() for f in net.filters],
        test_accuracy=test_acc,
        train_accuracy=accuracy(net, X_train, y_train),
    )
    print(f"test accuracy {test_acc:.4f}; wrote {args.out}")


if __name__ == "__main__":
    main()
