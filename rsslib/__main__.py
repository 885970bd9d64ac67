"""``python -m rsslib``: the book's long computations as subcommands.

Every sweep is cut into seeded chunks (:mod:`rsslib.sweeps`), so the output file is the
same, byte for byte, whether the chunks run in this process, on ``--workers K`` local
processes, or on a dask cluster (``--dask local`` or ``--dask tcp://HOST:PORT``).
Output is written to a temporary file next to ``--out`` and renamed at the end: an
interrupted or failed run leaves nothing half-written. Progress bars appear on a terminal
and stay silent in CI and in pipes (``--progress`` / ``--no-progress`` force either).

Subcommands: ``thresholds`` (cover-time tables, Part I), ``success-table`` (the success
probabilities of Theorem 2.2 (thesis Theorem 6)), ``prune-sweep`` (pruning random CNNs
into the digits CNN, Part III) and ``fetch-data`` (Fashion-MNIST into the cache). Run
``python -m rsslib SUBCOMMAND --help`` for each.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import time
from pathlib import Path

import numpy as np

from rsslib.sweeps import CliError, atomic_output, open_executor

PROG = "python -m rsslib"

#: The book's threshold table (Part I): eps values, and per configuration the sampling
#: distribution, the half width w of the window [-w, w] and the values per bit of 1/eps.
BOOK_EPSILONS = (0.2, 0.1, 0.05, 0.02, 0.01, 5e-3, 2e-3, 1e-3, 5e-4, 2e-4, 1e-4)
BOOK_CONFIGS = (("uniform", 1.0, 4), ("product", 1.0, 7), ("product", 0.5, 6))
#: Values per bit of 1/eps in a sample, by distribution, when ``--n-max`` is not given.
PER_BIT = {"uniform": 4, "product": 7}


def _argument(convert, accept, rule: str):
    """An argparse ``type``: ``convert`` the text, and reject it unless ``accept(value)``."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not accept(value):  # NaN fails every comparison: rejected
            raise argparse.ArgumentTypeError(f"{rule}, got {text!r}")
        return value

    return parse


_positive_int = _argument(int, lambda v: v >= 1, "expected a positive integer")
_seed = _argument(int, lambda v: v >= 0, "expected a non-negative integer")
_eps = _argument(float, lambda v: 0.0 < v < 1.0, "eps must be in (0, 1)")
_half_width = _argument(float, lambda v: 0.0 < v <= 1.0, "the half width must be in (0, 1]")


def _command(sub, name: str, run, **texts) -> argparse.ArgumentParser:
    """A subcommand ``name`` that calls ``run(args)``; ``texts``: its help and description."""
    parser = sub.add_parser(name, **texts)
    parser.set_defaults(run=run)
    return parser


def _add_run_options(parser: argparse.ArgumentParser, out_required: bool, what: str) -> None:
    """--out, --quiet and where to run: the options every sweep subcommand shares."""
    parser.add_argument("--out", type=Path, required=out_required, help=what)
    parser.add_argument("--quiet", action="store_true", help="no log lines on stderr")
    _add_executor_options(parser)


def _add_executor_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("where to run (the output is the same for all)")
    group.add_argument(
        "--workers",
        type=_positive_int,
        metavar="K",
        help="run the chunks on K local processes (with --dask local: K dask workers)",
    )
    group.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="'local' for a dask LocalCluster on this machine, or the address of a running "
        "dask.distributed scheduler (tcp://HOST:PORT)",
    )
    group.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress bars (default: on a terminal, not in CI)",
    )


# ---------------------------------------------------------------------------- thresholds
def thresholds_jobs(args) -> list[tuple[str, float, float, int, int, np.random.SeedSequence]]:
    """``(dist, half_width, eps, trials, n_max, seed)`` of every cover-time histogram."""
    jobs = []
    if args.book:
        for dist, half, per_bit in BOOK_CONFIGS:
            seeds = np.random.SeedSequence(args.seed).spawn(len(BOOK_EPSILONS))
            for eps, child in zip(BOOK_EPSILONS, seeds, strict=True):
                trials = args.samples or max(2000, math.ceil(20 / eps))
                n_max = per_bit * math.ceil(math.log2(1 / eps)) + 16
                jobs.append((dist, half, eps, trials, n_max, child))
        return jobs
    if not args.eps:
        raise CliError("give --eps (one or more values) or --book")
    seeds = np.random.SeedSequence(args.seed).spawn(len(args.eps))
    for eps, child in zip(args.eps, seeds, strict=True):
        n_max = args.n_max or PER_BIT[args.dist] * math.ceil(math.log2(1 / eps)) + 16
        jobs.append((args.dist, args.window, eps, args.samples or 2000, n_max, child))
    return jobs


def cmd_thresholds(args) -> int:
    import rsslib
    from rsslib.thresholds import CoverTimes, write_cover_times

    jobs = thresholds_jobs(args)
    with atomic_output(args.out) as tmp, open_executor(args.workers, args.dask) as opened:
        executor, threads, where = opened
        _say(args, f"thresholds: {len(jobs)} histograms, {where}")
        table = {}
        for dist, half, eps, trials, n_max, child in jobs:
            start = time.perf_counter()
            times = rsslib.cover_times(
                n_max,
                eps,
                trials,
                dist=dist,
                seed=child,
                window=(-half, half),
                progress=args.progress,
                executor=executor,
                threads=threads,
            )
            values, counts = np.unique(times, return_counts=True)
            histogram = {int(v): int(c) for v, c in zip(values, counts, strict=True)}
            table[(dist, half, eps)] = CoverTimes(trials, n_max, histogram)
            _say(
                args,
                f"  {dist:>8} [-{half:g},{half:g}] eps={eps:<7g} trials={trials:>9,} "
                f"n_max={n_max:>3} median={int(np.median(times)):>3} "
                f"censored={int(np.sum(times > n_max))} ({time.perf_counter() - start:.1f} s)",
            )
        rows = write_cover_times(tmp, table)
    _say(args, f"wrote {rows} rows to {args.out}")
    return 0


# ------------------------------------------------------------------------- success-table
def cmd_success_table(args) -> int:
    import rsslib

    ns = list(range(4, 25))
    epsilons = (0.1, 0.01, 0.001)
    out = io.StringIO()
    with open_executor(args.workers, args.dask) as (executor, _, where):
        curves = {
            e: rsslib.success_curve(
                ns, e, args.trials, seed=args.seed, progress=args.progress, executor=executor
            )
            for e in epsilons
        }
    print(f"trials per estimate: {args.trials:,}, seed {args.seed} ({where})", file=out)
    print("| n | " + " | ".join(f"eps = {e:g}" for e in epsilons) + " |", file=out)
    print("|---" * (len(epsilons) + 1) + "|", file=out)
    for i, n in enumerate(ns):
        cells = [f"{c[i].p:.4f} [{c[i].low:.4f}, {c[i].high:.4f}]" for c in curves.values()]
        print(f"| {n} | " + " | ".join(cells) + " |", file=out)
    print(file=out)
    print("| level | " + " | ".join(f"eps = {e:g}" for e in epsilons) + " |", file=out)
    print("|---" * (len(epsilons) + 1) + "|", file=out)
    for level in (0.5, 0.9, 0.99):
        firsts = []
        for curve in curves.values():
            hit = [n for n, est in zip(ns, curve, strict=True) if est.p >= level]
            firsts.append(str(hit[0]) if hit else "> 24")
        print(f"| {level} | " + " | ".join(firsts) + " |", file=out)
    if args.out is None:
        sys.stdout.write(out.getvalue())
    else:
        with atomic_output(args.out) as tmp:
            tmp.write_text(out.getvalue())
    return 0


# --------------------------------------------------------------------------- prune-sweep
def cmd_prune_sweep(args) -> int:
    import csv

    from rsslib.slth.experiments import digits

    with atomic_output(args.out) as tmp, open_executor(args.workers, args.dask) as opened:
        executor, threads, where = opened
        tasks = len(args.blocks) * len(args.seeds) * len(args.variants)
        _say(args, f"prune-sweep: {tasks} pruned networks, {where}")
        start = time.perf_counter()
        rows = digits.sweep_rows(
            args.blocks, args.seeds, args.variants, executor, args.progress, threads
        )
        with tmp.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(digits.COLUMNS))
            writer.writeheader()
            writer.writerows(rows)
        _say(args, f"wrote {len(rows)} rows to {args.out} ({time.perf_counter() - start:.0f} s)")
    return 0


# ---------------------------------------------------------------------------- fetch-data
def cmd_fetch_data(args) -> int:
    from rsslib import datasets

    try:
        dest = datasets.fetch_fashion_mnist(args.dest)
    except OSError as exc:
        raise CliError(
            f"could not download Fashion-MNIST from {datasets.SOURCE_URL}: {exc}. "
            "As root on Debian: apt-get install dataset-fashion-mnist"
        ) from exc
    _say(args, f"Fashion-MNIST (checked) in {dest}")
    return 0


def _say(args, message: str) -> None:
    if not args.quiet:
        print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="The long computations behind the book on Random Subset Sum and "
        "Strong Lottery Tickets. Each sweep is cut into seeded chunks, so its output is "
        "identical wherever the chunks run.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")

    th = _command(
        sub,
        "thresholds",
        cmd_thresholds,
        help="cover-time histograms of the RSS process (critical n at any level)",
        description="For each eps, draw SAMPLES samples of n_max values and record how "
        "many first cover the window [-w, w] (every target eps-approximable) at each n: "
        "the success probability at n and the critical n at any level are read off this "
        "table (rsslib.thresholds). Writes CSV with columns "
        "dist, window, eps, trials, n_max, cover_time, count.",
    )
    th.add_argument("--eps", type=_eps, nargs="+", metavar="EPS", help="tolerances in (0, 1)")
    th.add_argument(
        "--book",
        action="store_true",
        help="the book's table: eps from 0.2 to 1e-4, uniform and product samples, "
        "windows [-1, 1] and [-1/2, 1/2] (regenerates book/rss/data/cover_times.csv with "
        "--seed 7 --out book/rss/data/cover_times.csv)",
    )
    th.add_argument(
        "--samples",
        type=_positive_int,
        help="samples per eps (default 2000; with --book max(2000, 20/eps))",
    )
    th.add_argument("--seed", type=_seed, default=0, help="seed of the whole table (default 0)")
    th.add_argument("--dist", choices=sorted(PER_BIT), default="uniform")
    th.add_argument(
        "--window", type=_half_width, default=1.0, metavar="W", help="half width of the window"
    )
    th.add_argument(
        "--n-max",
        type=_positive_int,
        help="values per sample (default: 4 per bit of 1/eps + 16 for uniform, 7 for product)",
    )
    _add_run_options(th, True, "CSV file to write")

    st = _command(
        sub,
        "success-table",
        cmd_success_table,
        help="table of RSS success probabilities with Wilson intervals "
        "(Theorem 2.2 (thesis Theorem 6))",
        description="For eps = 0.1, 0.01, 0.001: P(every z in [-1, 1] is eps-approximable "
        "with n uniform values) for n = 4..24 from one set of samples, with Wilson 95% "
        "intervals, and the first n reaching 0.5, 0.9 and 0.99. Prints markdown.",
    )
    st.add_argument("--trials", type=_positive_int, default=10_000)
    st.add_argument("--seed", type=_seed, default=0)
    _add_run_options(st, False, "write the table here instead of stdout")

    ps = _command(
        sub,
        "prune-sweep",
        cmd_prune_sweep,
        help="prune random CNNs of growing width into the digits CNN of Part III",
        description="For each variant, block size and seed, draw the random network of "
        "Theorem 13.1 (thesis Theorem 31) with that many hidden channels per output "
        "channel, prune it into the "
        "l1-normalised digits CNN (eps = 0.01) and measure the relative output error and "
        "the test accuracy (rsslib.slth.experiments.digits). Writes CSV with columns variant, "
        "block, seed, factor, kept, rel_error, accuracy, agreement. The defaults are the "
        "book's grid (book/slth/data/whole_network_sweep.csv), about ten minutes on 2 "
        "cores.",
    )
    blocks_help = "hidden channels per output channel (default: the book's 16 sizes, 4 to 96)"
    ps.add_argument("--blocks", type=_positive_int, nargs="+", metavar="B", help=blocks_help)
    ps.add_argument(
        "--seeds", type=_seed, nargs="+", metavar="S", help="network seeds (default 0 1 2)"
    )
    ps.add_argument(
        "--variants",
        nargs="+",
        choices=("theorem", "rescaled"),
        default=["theorem", "rescaled"],
    )
    _add_run_options(ps, True, "CSV file to write")

    fd = _command(
        sub,
        "fetch-data",
        cmd_fetch_data,
        help="download Fashion-MNIST into the cache (when the Debian package is not there)",
        description="Download the four Fashion-MNIST IDX files from the dataset's published "
        "location into ~/.cache/rsslib/fashion-mnist (or --dest), checking each against "
        "its SHA-256 before keeping it (rsslib.datasets). `make data` prefers Debian's "
        "package dataset-fashion-mnist when run as root.",
    )
    fd.add_argument("--dest", type=Path, help="folder to download into (default: the cache)")
    fd.add_argument("--quiet", action="store_true", help="no log lines on stderr")
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "prune-sweep":
        from rsslib.slth.experiments import digits

        args.blocks = args.blocks or list(digits.BLOCKS)
        args.seeds = args.seeds if args.seeds is not None else list(digits.SEEDS)
    try:
        return args.run(args)
    except (CliError, ValueError) as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
