"""Regenerate book/beyond/data/multidim_*.csv (chapter book/beyond/multidimensional).

Run:  python scripts/multidim_sweep.py            (about 6 minutes on one core)
      python scripts/multidim_sweep.py --quick    (a small version, written to a temporary
                                                  folder unless --out-dir is given)

The sweep (one target, every target, error quantiles, critical n) is
rsslib.multidim_sweep.run; its docstring says what each file holds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rsslib import multidim_sweep


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few trials, three eps")
    parser.add_argument(
        "--out-dir", type=Path, default=None, help=f"default: {multidim_sweep.DATA}"
    )
    parser.add_argument("--trials", type=int, default=None, help="one-target trials")
    parser.add_argument("--threads", type=int, default=1, help="numba threads (default 1)")
    parser.add_argument("--workers", type=int, default=None, help="local processes")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    args = parser.parse_args(argv)
    multidim_sweep.run(
        args.out_dir, args.quick, args.trials, args.threads, args.workers, args.progress
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
