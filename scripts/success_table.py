"""Table of estimated RSS success probabilities (thesis Theorem 6), for the record.

Run:  python scripts/success_table.py [--trials 10000] [--seed 0]

For each eps, P(every z in [-1, 1] is eps-approximable with n uniform values) for n = 4..24,
all read from one set of samples of 24 values (rsslib.success_curve), with Wilson 95%
intervals, and the first n at which the estimate reaches 0.5, 0.9 and 0.99.
"""

import argparse

import rsslib


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    ns = list(range(4, 25))
    epsilons = (0.1, 0.01, 0.001)
    curves = {e: rsslib.success_curve(ns, e, args.trials, seed=args.seed) for e in epsilons}
    print(f"trials per estimate: {args.trials:,}, seed {args.seed}")
    print("| n | " + " | ".join(f"eps = {e:g}" for e in epsilons) + " |")
    print("|---" * (len(epsilons) + 1) + "|")
    for i, n in enumerate(ns):
        cells = [f"{c[i].p:.4f} [{c[i].low:.4f}, {c[i].high:.4f}]" for c in curves.values()]
        print(f"| {n} | " + " | ".join(cells) + " |")
    print()
    print("| level | " + " | ".join(f"eps = {e:g}" for e in epsilons) + " |")
    print("|---" * (len(epsilons) + 1) + "|")
    for level in (0.5, 0.9, 0.99):
        firsts = []
        for curve in curves.values():
            hit = [n for n, est in zip(ns, curve, strict=True) if est.p >= level]
            firsts.append(str(hit[0]) if hit else "> 24")
        print(f"| {level} | " + " | ".join(firsts) + " |")


if __name__ == "__main__":
    main()
