"""Pruning random networks into the digits CNN: the sweep behind Part III's last figure.

Run:  python scripts/whole_network_sweep.py            (about 10 minutes on 2 cores)
      python scripts/whole_network_sweep.py --quick    (two small blocks, print only)

The target is the bias-free CNN of scripts/train_digits_cnn.py (3x3 filters, 1 -> 32 ->
32 -> 10 channels), each filter divided by its l1 norm (Theorem 31's class; predictions do
not change). For each block size b (hidden channels per output channel, so n_i = b c_i)
and seed, a random network N_0 of Theorem 31 is drawn (rsslib.slth.random_cnn, seed
``100 + b + 1000 s``) and pruned with rsslib.slth.prune (max_terms = min(b, 32)). Two
variants:

- ``theorem``: as the theorem has it, entries uniform on [-1, 1];
- ``rescaled``: the second filter V of pair i multiplied by ``2 max|K_i|``. By positive
  homogeneity this is the same as pruning the uniform network into the target whose layer
  i is K_i / (2 max|K_i|), largest weight 1/2 (the edge of Corollary 10's window), and
  rescaling the output: it drops the l1 <= 1 hypothesis and keeps every weight in [-1, 1].

Measured on the 450 test images: the relative output error max|f - N| / max|f|, the test
accuracy of the pruned network and the fraction of images on which its prediction equals
the target's. Writes book/slth/data/whole_network_sweep.csv with columns
variant, block, seed, factor, kept, rel_error, accuracy, agreement.
"""

import argparse
import csv
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from rsslib import slth

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "slth" / "data" / "whole_network_sweep.csv"
CHANNELS, KERNELS = [1, 32, 32, 10], [3, 3, 3]
BLOCKS = (4, 8, 12, 16, 24, 32, 40, 48, 52, 56, 60, 62, 64, 68, 72, 96)
SEEDS = (0, 1, 2)


def load():
    """The l1-normalised digits target and the test split (as in the notebook)."""
    stored = np.load(ROOT / "book" / "slth" / "data" / "digits_cnn.npz")
    filters = [torch.from_numpy(stored[f"arr_{i}"]) for i in range(3)]
    digits = load_digits()
    X = (digits.images / 16.0)[:, None, :, :]
    _, X_test, _, y_test = train_test_split(
        X, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )
    return slth.normalise_filters(filters)[0], torch.from_numpy(X_test), y_test


def measure(target, X_test, y_test, block, seed, variant):
    """One random network pruned into ``target``: a dict of the CSV's columns."""
    net = slth.random_cnn(
        CHANNELS, KERNELS, [c * block for c in CHANNELS[1:]], seed=100 + block + 1000 * seed
    )
    if variant == "rescaled":
        alphas = [2 * float(K.abs().max()) for K in target]
        net = slth.SimpleCNN(
            [f * alphas[i // 2] if i % 2 else f for i, f in enumerate(net.filters)]
        )
    elif variant != "theorem":
        raise ValueError(f"variant must be 'theorem' or 'rescaled', got {variant!r}")
    pruned, report = slth.prune(net, target, 0.01, max_terms=min(block, 32))
    collapsed = slth.SimpleCNN(slth.effective_filters(pruned))
    with torch.no_grad():
        reference = slth.SimpleCNN(target)(X_test)
        out = collapsed(X_test)
    pred_target = reference.mean(dim=(2, 3)).argmax(1).numpy()
    pred = out.mean(dim=(2, 3)).argmax(1).numpy()
    k = sum(K.numel() for K in target)
    return {
        "variant": variant,
        "block": block,
        "seed": seed,
        "factor": round(net.parameter_count() / k, 2),
        "kept": sum(r["kept"] for r in report),
        "rel_error": float(f"{float((out - reference).abs().max() / reference.abs().max()):.3e}"),
        "accuracy": round(float(np.mean(pred == y_test)), 4),
        "agreement": round(float(np.mean(pred == pred_target)), 4),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small blocks, print only")
    args = parser.parse_args(argv)
    target, X_test, y_test = load()
    blocks, seeds = ((4, 16), (0,)) if args.quick else (BLOCKS, SEEDS)
    rows = []
    for variant in ("theorem", "rescaled"):
        for block in blocks:
            for seed in seeds:
                t0 = time.perf_counter()
                rows.append(measure(target, X_test, y_test, block, seed, variant))
                print(rows[-1], f"{time.perf_counter() - t0:.1f} s", flush=True)
    if args.quick:
        return
    with OUT.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
