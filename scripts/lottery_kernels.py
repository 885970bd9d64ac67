"""Regenerate book/slth/data/lottery_kernels.csv: the recomputed point under four CPU kernels.

Run:  python scripts/lottery_kernels.py   (about 5 minutes on one core)

The dense network of seed 0, its round-1 ticket and IMP's round 1 (rsslib.slth.experiments.
lottery.recompute), trained once under each setting of lottery.KERNELS, each in a fresh
process (torch reads ATEN_CPU_CAPABILITY when it loads): how far the accuracy and the
training loss move when only the vector kernels change. A setting the CPU lacks (AVX-512
on an AVX2 machine) falls back to the best kernel it has; the column ``capability`` says
which one ran.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from rsslib.slth.experiments import lottery
from rsslib.sweeps import write_csv

COLUMNS = ("kernel", "capability", "method", "round", "accuracy", "loss")


def child() -> None:
    import torch

    torch.set_num_threads(1)
    rows = lottery.recompute(0)
    capability = torch.backends.cpu.get_cpu_capability()
    print(json.dumps({"capability": capability, "rows": rows}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=lottery.KERNEL_TABLE)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child()
    rows = []
    for name, env in lottery.KERNELS.items():
        done = subprocess.run(
            [sys.executable, __file__, "--child"], env={**os.environ, **env},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        result = json.loads(done.stdout.strip().splitlines()[-1])
        for r in result["rows"]:
            rows.append({
                "kernel": name, "capability": result["capability"], "method": r["method"],
                "round": r["round"], "accuracy": round(r["accuracy"], 4),
                "loss": round(r["loss"], 5),
            })  # fmt: skip
        print(
            name,
            result["capability"],
            [(r["accuracy"], round(r["loss"], 4)) for r in result["rows"]],
        )
    write_csv(args.out, COLUMNS, rows)
    print(f"wrote {len(rows)} rows to {args.out.name}")


if __name__ == "__main__":
    sys.exit(main())
