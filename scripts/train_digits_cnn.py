"""Train the bias-free CNN on scikit-learn's digits that Part III prunes a random CNN into.

Run:  python scripts/train_digits_cnn.py     (about a minute on 2 cores)

The network is a simple CNN in the thesis's sense (Definition 11.3
(thesis Definitions 28 and 30): no biases, zero padding, ReLU between layers,
rsslib.slth.conv): 3x3 filters 1 -> 32 -> 32 -> 10 channels on the 8x8 images scaled to
[0, 1], read out by averaging each of the 10 output channels over the image (global average
pooling, the same fixed readout for the target and the pruned network). Writes
book/slth/data/digits_cnn.npz with the filters, the test split and the accuracies. The data
ship inside scikit-learn; nothing is downloaded.
"""

from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from rsslib.slth import SimpleCNN

OUT = Path(__file__).resolve().parents[1] / "book" / "slth" / "data" / "digits_cnn.npz"
CHANNELS = (1, 32, 32, 10)


def load_split(seed=0):
    digits = load_digits()
    X = (digits.images / 16.0).astype(np.float64)[:, None, :, :]
    return train_test_split(
        X, digits.target, test_size=0.25, random_state=seed, stratify=digits.target
    )


def accuracy(net, X, y):
    with torch.no_grad():
        logits = net(torch.from_numpy(X)).mean(dim=(2, 3))
    return float((logits.argmax(1).numpy() == y).mean())


def main():
    torch.manual_seed(0)
    X_train, X_test, y_train, y_test = load_split()
    filters = [
        torch.randn(c_out, c_in, 3, 3, dtype=torch.float64) * np.sqrt(2.0 / (9 * c_in))
        for c_in, c_out in zip(CHANNELS[:-1], CHANNELS[1:], strict=True)
    ]
    net = SimpleCNN(filters)
    epochs = 100
    opt = torch.optim.Adam(net.parameters(), lr=4e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    Xt, yt = torch.from_numpy(X_train), torch.from_numpy(y_train)
    for epoch in range(epochs):
        perm = torch.randperm(len(Xt))
        for start in range(0, len(Xt), 64):
            idx = perm[start : start + 64]
            loss = torch.nn.functional.cross_entropy(net(Xt[idx]).mean(dim=(2, 3)), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        schedule.step()
        if epoch % 10 == 9:
            print(
                f"epoch {epoch + 1}: train {accuracy(net, X_train, y_train):.4f} "
                f"test {accuracy(net, X_test, y_test):.4f}"
            )
    test_acc = accuracy(net, X_test, y_test)
    if test_acc < 0.97:
        raise SystemExit(f"test accuracy {test_acc:.4f} is below the 0.97 the book relies on")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT,
        *[f.numpy() for f in net.filters],
        test_accuracy=test_acc,
        train_accuracy=accuracy(net, X_train, y_train),
    )
    print(f"test accuracy {test_acc:.4f}; wrote {OUT.relative_to(OUT.parents[3])}")


if __name__ == "__main__":
    main()
