"""Scale-out of the thresholds sweep: in-process vs local processes vs a dask cluster.

Run:  python benchmarks/bench_scaleout.py [--quick]

The same chunk-seeded sweep (rsslib.cover_times with an executor) runs
- in this process (InlineExecutor: numba's threads on every core),
- on a process pool of 1 worker (1 thread, then every core) and of 2 workers,
- on a dask LocalCluster of 2 single-threaded worker processes,
and the script checks that every run returns the same bytes, then prints wall times (the
best of two runs each, as this machine's timings are noisy),
the speed-up from 1 to 2 workers, the overhead against the in-process run, and the
overhead per task. Pool and cluster start-up is timed separately (paid once per run of
the CLI, not per chunk).

Finally it measures the cost of one sample at eps = 1e-4 ... 1e-6 and estimates the
eps = 1e-6, 10^6-sample table on a cluster of 100 two-core machines.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import math
import multiprocessing
import os
import time

import rsslib
from rsslib import sweeps
from rsslib.sweeps import InlineExecutor, local_cluster


def _timed(fn, repeats=1):
    """Result and the best wall time of ``repeats`` runs (this VM's timings are noisy)."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


REPEATS = 2


def sweep(executor, eps, samples, threads=None):
    n_max = 4 * math.ceil(math.log2(1 / eps)) + 16
    return rsslib.cover_times(
        n_max, eps, samples, seed=7, executor=executor, threads=threads, progress=False
    )


def compare_executors(eps, samples, cores):
    """Time one sweep on every executor; check the bytes; print the table."""
    tasks = math.ceil(samples / sweeps.CHUNK)
    print(f"thresholds sweep: eps={eps:g}, {samples:,} samples in {tasks} chunks, {cores} cores")
    sweep(InlineExecutor(), eps, sweeps.CHUNK)  # compile / load the numba cache
    reference, t_inline = _timed(lambda: sweep(InlineExecutor(), eps, samples), REPEATS)
    rows = [("in this process (numba threads)", t_inline, 0.0)]

    spawn = multiprocessing.get_context("spawn")
    for workers, threads in ((1, 1), (1, cores), (2, max(1, cores // 2))):
        start = time.perf_counter()
        with cf.ProcessPoolExecutor(workers, mp_context=spawn) as pool:
            # start every worker and load the kernels before timing
            list(pool.map(_warm, [threads] * workers))
            startup = time.perf_counter() - start
            times, elapsed = _timed(
                lambda: sweep(pool, eps, samples, threads),  # noqa: B023
                REPEATS,
            )
        assert times.tobytes() == reference.tobytes(), "process pool changed the result"
        rows.append((f"process pool, {workers} worker(s) x {threads} thread(s)", elapsed, startup))

    start = time.perf_counter()
    with local_cluster(2) as client:  # the CLI's --dask local --workers 2
        client.run(_warm, 1)
        startup = time.perf_counter() - start
        times, elapsed = _timed(
            lambda: sweep(client.get_executor(pure=False), eps, samples, 1), REPEATS
        )
    assert times.tobytes() == reference.tobytes(), "dask changed the result"
    rows.append(("dask LocalCluster, 2 workers x 1 thread", elapsed, startup))

    print(f"{'where':<44} {'sweep s':>8} {'vs in-process':>13} {'start-up s':>10}")
    for name, elapsed, startup in rows:
        print(f"{name:<44} {elapsed:>8.2f} {elapsed / t_inline - 1:>+13.1%} {startup:>10.2f}")
    print(f"speed-up, 1 to 2 single-threaded pool workers: {rows[1][1] / rows[3][1]:.2f}x")
    for name, elapsed, _ in rows[3:]:
        per_task = (elapsed - t_inline) / tasks
        print(f"overhead per task against in-process, {name}: {per_task * 1e3:+.1f} ms")
    print("identical bytes from every executor: yes")
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    if args.quick:
        compare_executors(1e-2, 8 * sweeps.CHUNK, cores)
    else:
        # short chunks (about 40 ms each) show the per-task overhead; long ones (about half a
        # second, as in the book's table at its smallest eps) the regime that matters
        compare_executors(1e-3, 96 * sweeps.CHUNK, cores)
        compare_executors(1e-4, 16 * sweeps.CHUNK, cores)

    # Cost per sample as eps shrinks, and the big table on a cluster.
    print(f"{'eps':>8} {'n_max':>6} {'samples':>8} {'s per sample (all cores)':>25}")
    per_sample = {}
    for e, count in ((1e-4, 2048), (1e-5, 256), (1e-6, 32)):
        if args.quick:
            count = max(8, count // 16)
        n_max = 4 * math.ceil(math.log2(1 / e)) + 16
        _, elapsed = _timed(
            lambda e=e, n_max=n_max, count=count: rsslib.cover_times(n_max, e, count, seed=1)
        )
        per_sample[e] = elapsed / count
        print(f"{e:>8g} {n_max:>6} {count:>8} {per_sample[e]:>25.2e}")
    machines, total = 100, 10**6
    seconds = total * per_sample[1e-6] / machines  # each machine: this machine's cores
    chunks = math.ceil(total / sweeps.CHUNK)
    chunk_seconds = sweeps.CHUNK * per_sample[1e-6] * cores  # one chunk on one core
    rounds = math.ceil(chunks / (machines * cores))  # whole chunks per core, the last partial
    print(
        f"estimate, eps=1e-6 with {total:,} samples on {machines} machines like this one "
        f"({machines * cores} cores): {total:,} x {per_sample[1e-6]:.2e} s / {machines} = "
        f"{seconds / 60:.0f} min if the work split evenly; in whole chunks of "
        f"{sweeps.CHUNK} ({chunks} chunks, {chunk_seconds:.0f} s each on one core) it takes "
        f"{rounds} rounds, about {rounds * chunk_seconds / 60:.0f} min, plus start-up; the "
        "per-task overhead above is negligible at this chunk cost"
    )


def _warm(threads):
    """Start a worker: import rsslib, load the kernels, fix the thread count."""
    sweep(InlineExecutor(), 0.1, 64, threads)
    return os.getpid()


if __name__ == "__main__":
    main()
