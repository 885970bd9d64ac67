"""Prune a random network into the stored LeNet-5 and measure it on Fashion-MNIST's test set.

Run:  python scripts/prune_lenet.py --layers conv|all --factor F --seed S --json PATH
      [--variant obs]  (seconds on 2 cores)

Builds a random network with at most F times the pruned layers' parameter count from seed
S (rsslib.slth.construct.random_network), prunes it into book/slth/data/lenet5_fashion.npz
(``conv``: the two convolutional layers, dense layers kept as trained, as da Cunha et al.
2022 did; ``all``: every layer) and evaluates both networks on the 10,000 test images.
The JSON holds ``factor`` (random / target parameters of the pruned layers, <= F),
``random_params``, ``target_params``, ``kept``, ``relative_error`` (max |f - N| / max |f|
over the test logits), ``agreement`` (fraction of equal predictions), ``target_accuracy``,
``pruned_accuracy``, ``seconds`` (pruning time), and the variant, seed and blocks used.
``--variant`` picks a step of the chapter's ablation (rsslib.slth.experiments.lenet.VARIANTS).
"""

import argparse
import json
import sys
from pathlib import Path

from rsslib.slth.experiments.lenet import LAYER_SETS, VARIANTS, measure


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", choices=sorted(LAYER_SETS), required=True)
    parser.add_argument("--factor", type=float, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="allocated")
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--quiet", action="store_true", help="no per-layer progress lines")
    args = parser.parse_args(argv)
    result = measure(args.layers, args.factor, args.seed, args.variant, progress=not args.quiet)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"factor {result['factor']:.2f}: relative error {result['relative_error']:.2e}, "
        f"agreement {result['agreement']:.4f}, accuracy {result['pruned_accuracy']:.4f} "
        f"(target {result['target_accuracy']:.4f}), pruned in {result['seconds']:.1f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
