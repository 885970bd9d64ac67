"""Sweeps split into seeded chunks, run on any ``concurrent.futures.Executor``.

A long Monte Carlo sweep is cut into chunks of a fixed number of trials. Chunk ``i`` draws
its samples from ``np.random.default_rng(children[i])``, where ``children`` is
``np.random.SeedSequence(seed).spawn(count)``: what a chunk computes depends only on the
arguments and on ``i``, never on which process, machine or thread runs it, nor on how many
run at once. The results are put back in chunk order, so a sweep gives the same bytes in
this process (:class:`InlineExecutor`), on a process pool, or on a dask cluster
(``distributed.Client(...).get_executor()``).

Progress is shown with tqdm on a terminal and is silent otherwise (CI, pipes, notebooks),
unless asked for explicitly.

Where a sweep runs and where it writes: :func:`open_executor` turns the ``--workers`` /
``--dask`` options of ``python -m rsslib`` and of the scripts into an executor
(:func:`local_cluster` for a dask cluster on this machine), and :func:`atomic_output`
writes a result file so that an interrupted run leaves nothing half-written.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from rsslib._validate import as_count, as_seed

#: Trials per chunk in the chunk-seeded layout. Part of the layout: changing it changes
#: which samples are drawn (not their distribution).
CHUNK = 1024


class InlineExecutor(cf.Executor):
    """An executor that runs each task at once in the calling process.

    The chunk-seeded layout without any pool: numba's threads still parallelise inside each
    chunk. Results are identical to those of any other executor.
    """

    def __init__(self):
        self._shutdown = False

    def submit(self, fn, /, *args, **kwargs):
        if self._shutdown:
            raise RuntimeError("cannot submit to an executor that was shut down")
        future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered through the future, as a pool would
            future.set_exception(exc)
        return future

    def shutdown(self, wait=True, *, cancel_futures=False):
        self._shutdown = True


def limit_numba_threads(threads) -> None:
    """Run this thread's numba kernels on at most ``threads`` threads (None: leave as is).

    Workers of a pool share the machine's cores; numba's count is per calling thread, so
    each task sets it where it runs. Results never depend on it.
    """
    if threads is not None:
        import numba

        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))


def chunk_plan(trials, chunk: int = CHUNK) -> list[tuple[int, int]]:
    """``(start, rows)`` of each chunk that ``trials`` trials are cut into."""
    trials = as_count(trials, "trials", minimum=1)
    chunk = as_count(chunk, "chunk", minimum=1)
    return [(start, min(chunk, trials - start)) for start in range(0, trials, chunk)]


def chunk_seeds(seed, count: int) -> list[np.random.SeedSequence | np.random.Generator]:
    """The independent seed of each of ``count`` chunks, spawned from ``seed``.

    ``seed``: a non-negative int (``SeedSequence(seed).spawn(count)``), a SeedSequence
    (``seed.spawn(count)``) or a numpy Generator (``seed.spawn(count)``: child generators).
    """
    count = as_count(count, "count")
    seed = as_seed(seed, sequence=True)
    if isinstance(seed, np.random.SeedSequence | np.random.Generator):
        return seed.spawn(count)
    return np.random.SeedSequence(seed).spawn(count)


def _in_ci() -> bool:
    return bool(os.environ.get("CI"))


def show_progress(progress) -> bool:
    """Resolve a ``progress`` argument: ``None`` means on a terminal and not in CI."""
    if progress is None:
        return sys.stderr.isatty() and not _in_ci()
    return bool(progress)


def run_tasks(
    fn: Callable,
    tasks: Sequence[tuple],
    executor: cf.Executor | None = None,
    progress=None,
    desc: str = "chunks",
    total: int | None = None,
    weights: Iterable[int] | None = None,
) -> list:
    """Run ``fn(*task)`` for every task and return the results in task order.

    Parameters
    ----------
    fn : callable
        A module-level function (process pools and dask pickle it by reference).
    tasks : sequence of tuples
        Positional arguments of each call.
    executor : concurrent.futures.Executor, optional
        Where to run; ``None`` runs inline in this process.
    progress : bool or None
        Show a tqdm bar; ``None``: only on a terminal and not in CI.
    desc, total, weights
        Label of the bar, its total, and each task's share of it (default: 1 per task).
    """
    weights = [1] * len(tasks) if weights is None else list(weights)
    if len(weights) != len(tasks):
        raise ValueError("weights must give one number per task")
    executor = InlineExecutor() if executor is None else executor
    bar = None
    if show_progress(progress):
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(weights) if total is None else total, desc=desc, file=sys.stderr)
    results: list = [None] * len(tasks)
    if isinstance(executor, InlineExecutor):
        # submit() would run every task before the bar could move: run them here instead
        try:
            for i, task in enumerate(tasks):
                results[i] = fn(*task)
                if bar is not None:
                    bar.update(weights[i])
        finally:
            if bar is not None:
                bar.close()
        return results
    futures = {executor.submit(fn, *task): i for i, task in enumerate(tasks)}
    try:
        for future in cf.as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            if bar is not None:
                bar.update(weights[i])
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    finally:
        if bar is not None:
            bar.close()
    return results


# ---------------------------------------------------------------------------------------
# executors and output files of the sweeps (the CLI's, the scripts', the benchmarks')
# ---------------------------------------------------------------------------------------
class CliError(Exception):
    """A user error in a sweep's options: ``python -m rsslib`` prints it as one line and
    exits with status 2, having written nothing."""


@contextlib.contextmanager
def open_executor(workers: int | None, dask: str | None):
    """Yield ``(executor, threads_per_chunk, description)`` for the CLI's options.

    ``workers=None, dask=None``: :class:`InlineExecutor`; ``workers=K``: K spawned local
    processes; ``dask="local"``: :func:`local_cluster`; ``dask="tcp://..."``: a running
    scheduler.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    cores = os.cpu_count() or 1
    if dask is None:
        if workers is None:
            yield InlineExecutor(), None, "in this process"
            return
        context = multiprocessing.get_context("spawn")  # numba's threads do not survive fork
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            yield pool, max(1, cores // workers), f"{workers} local processes"
        return
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - distributed is a requirement
        raise CliError("--dask needs the 'distributed' package") from exc
    if dask == "local":
        n = workers or cores
        with local_cluster(n) as client:
            yield client.get_executor(), max(1, cores // n), f"dask LocalCluster, {n} workers"
        return
    if workers is not None:
        raise CliError("--workers applies to local pools; a dask scheduler has its own workers")
    if not dask.startswith(("tcp://", "tls://", "inproc://", "ws://", "wss://")):
        raise CliError(
            f"--dask must be 'local' or a scheduler address like tcp://HOST:PORT, got {dask!r}"
        )
    try:
        client = Client(dask, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise CliError(f"could not reach the dask scheduler at {dask}: {exc}") from exc
    with client:
        count = len(client.scheduler_info().get("workers", {}))
        yield client.get_executor(), None, f"dask scheduler {dask}, {count} workers"


#: Environment of the worker processes of a local dask cluster. dask's default adds
#: MALLOC_TRIM_THRESHOLD_=65536, which makes the interval kernels' many large allocations
#: 25-40% slower (benchmarks/bench_scaleout.py); the thread limits stay.
LOCAL_WORKER_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


@contextlib.contextmanager
def local_cluster(workers: int):
    """A dask LocalCluster of single-threaded worker processes, and its Client.

    dask's nannies write their workers' environment into this process's ``os.environ``
    (and leave it there); it is restored on exit, so that process pools started later do
    not inherit it.
    """
    import dask
    from distributed import Client, LocalCluster

    saved = dict(os.environ)
    try:
        with (
            dask.config.set({"distributed.nanny.pre-spawn-environ": LOCAL_WORKER_ENV}),
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
    finally:
        for key in set(os.environ) - set(saved):
            del os.environ[key]
        os.environ.update(saved)


@contextlib.contextmanager
def atomic_output(path: Path):
    """Yield a temporary path next to ``path``; rename it to ``path`` on success only."""
    path = Path(path)
    if path.is_dir():
        raise CliError(f"--out {path} is a directory")
    if not path.parent.is_dir():
        raise CliError(f"--out: folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give it a normal mode
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict]) -> None:
    """Write ``rows`` (dicts keyed by ``columns``) to the CSV file ``path``, atomically."""
    import csv

    with atomic_output(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
