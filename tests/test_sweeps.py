"""Chunk-seeded sweeps: the same bytes on every executor, and the CLI around them."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rsslib
from rsslib import sweeps
from rsslib.sweeps import InlineExecutor, chunk_plan, chunk_seeds, run_tasks
from rsslib.thresholds import read_cover_times

ROOT = Path(__file__).resolve().parents[1]
# several full chunks and a partial one
TRIALS = 2 * sweeps.CHUNK + 37


def _square(x):
    return x * x


def _fail(x):
    raise ArithmeticError(f"task {x} failed")


def test_chunk_plan_covers_every_trial_once():
    plan = chunk_plan(TRIALS)
    assert plan[0] == (0, sweeps.CHUNK)
    assert sum(rows for _, rows in plan) == TRIALS
    starts = [start for start, _ in plan]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    with pytest.raises(ValueError, match="trials"):
        chunk_plan(0)


def test_chunk_seeds_are_independent_of_the_count_asked_for():
    # chunk i's seed must not depend on how many chunks there are in all
    few, many = chunk_seeds(5, 2), chunk_seeds(5, 7)
    for a, b in zip(few, many, strict=False):
        assert np.array_equal(a.generate_state(4), b.generate_state(4))
    assert not np.array_equal(many[0].generate_state(4), many[1].generate_state(4))
    with pytest.raises(ValueError, match="seed"):
        chunk_seeds(-1, 3)


def test_run_tasks_keeps_task_order_and_raises_task_errors():
    tasks = [(i,) for i in range(20)]
    with cf.ThreadPoolExecutor(4) as pool:
        assert run_tasks(_square, tasks, pool) == [i * i for i in range(20)]
    with pytest.raises(ArithmeticError, match="task 3"):
        run_tasks(_fail, [(3,)], InlineExecutor())


def test_inline_progress_moves_after_each_task(monkeypatch):
    """Inline, the bar must advance as tasks finish, not once at the end of a long sweep."""
    import tqdm.auto

    events = []

    class Bar:
        def __init__(self, **kwargs):
            pass

        def update(self, k):
            events.append(("bar", k))

        def close(self):
            events.append(("close",))

    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    out = run_tasks(lambda x: events.append(("task", x)) or x, [(1,), (2,)], progress=True)
    assert out == [1, 2]
    assert events == [("task", 1), ("bar", 1), ("task", 2), ("bar", 1), ("close",)]


def test_chunked_cover_times_match_a_sample_by_sample_reference():
    # The layout, spelled out: chunk i draws its samples from default_rng(spawn(seed)[i]),
    # and each sample's cover time is that of rsslib.cover_time.
    n, eps, seed, trials = 12, 0.1, 3, sweeps.CHUNK + 5
    got = rsslib.cover_times(n, eps, trials, seed=seed, executor=InlineExecutor())
    expected = []
    for (_, rows), child in zip(chunk_plan(trials), chunk_seeds(seed, 2), strict=True):
        samples = rsslib.draw(rows * n, "uniform", np.random.default_rng(child))
        for row in samples.reshape(rows, n):
            expected.append(rsslib.cover_time(row, eps))
    assert np.array_equal(got, np.array(expected))


@pytest.fixture(scope="module")
def reference_times():
    return rsslib.cover_times(14, 0.05, TRIALS, dist="product", seed=11, executor=InlineExecutor())


def test_process_pool_gives_the_same_bytes(reference_times):
    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(2, mp_context=context) as pool:
        times = rsslib.cover_times(
            14, 0.05, TRIALS, dist="product", seed=11, executor=pool, threads=1
        )
    assert times.tobytes() == reference_times.tobytes()


def test_dask_local_cluster_gives_the_same_bytes(reference_times):
    pytest.importorskip("distributed")
    from rsslib.sweeps import local_cluster

    with local_cluster(2) as client:
        times = rsslib.cover_times(
            14, 0.05, TRIALS, dist="product", seed=11, executor=client.get_executor()
        )
    assert times.tobytes() == reference_times.tobytes()


def test_success_curve_on_an_executor_reads_the_same_cover_times(reference_times):
    curve = rsslib.success_curve(
        [8, 14], 0.05, TRIALS, dist="product", seed=11, executor=InlineExecutor()
    )
    assert [c.successes for c in curve] == [
        int(np.sum(reference_times <= 8)),
        int(np.sum(reference_times <= 14)),
    ]


def test_best_subsets_on_an_executor_equals_the_in_process_answer(monkeypatch):
    monkeypatch.setattr(rsslib.solve, "BATCH_ROWS", 7)  # several batches
    rng = np.random.default_rng(0)
    samples, targets = rng.uniform(-1, 1, (30, 10)), rng.uniform(-1, 1, 30)
    masks, errors = rsslib.best_subsets(samples, targets)
    with cf.ThreadPoolExecutor(3) as pool:
        masks2, errors2 = rsslib.best_subsets(samples, targets, executor=pool)
    assert np.array_equal(masks, masks2) and np.array_equal(errors, errors2)


def test_progress_is_quiet_off_a_terminal_and_in_ci(monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("CI", "true")
    assert not sweeps.show_progress(None)
    monkeypatch.delenv("CI")
    assert sweeps.show_progress(None)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert not sweeps.show_progress(None)
    assert sweeps.show_progress(True)


# --------------------------------------------------------------------------------- CLI
def _cli(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "rsslib", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


THRESHOLDS = ("thresholds", "--eps", "0.1", "0.05", "--samples", str(TRIALS), "--seed", "7")


def test_cli_thresholds_bytes_identical_for_every_executor(tmp_path):
    outputs = {}
    for name, extra in {
        "inline": (),
        "pool": ("--workers", "2"),
        "dask": ("--dask", "local", "--workers", "2"),
    }.items():
        out = tmp_path / f"{name}.csv"
        result = _cli(*THRESHOLDS, "--out", str(out), *extra)
        assert result.returncode == 0, result.stderr
        outputs[name] = out.read_bytes()
    assert outputs["inline"] == outputs["pool"] == outputs["dask"]
    assert (tmp_path / "inline.csv").stat().st_mode & 0o044  # readable by others, not 0600
    # and the file is a readable cover-time table whose counts add up
    table = read_cover_times(tmp_path / "inline.csv")
    assert {key[2] for key in table} == {0.1, 0.05}
    assert all(sum(entry.counts.values()) == TRIALS for entry in table.values())
    assert not list(tmp_path.glob(".*.part"))


def test_cli_progress_silent_when_not_a_terminal(tmp_path):
    quiet = _cli(*THRESHOLDS, "--out", str(tmp_path / "a.csv"))
    assert quiet.returncode == 0 and "%|" not in quiet.stderr
    loud = _cli(*THRESHOLDS, "--out", str(tmp_path / "b.csv"), "--progress")
    assert loud.returncode == 0 and "%|" in loud.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--eps", "1.5"), "eps must be in (0, 1)"),
        (("--eps", "0.1", "--samples", "0"), "positive integer"),
        (("--eps", "0.1", "--seed", "-3"), "non-negative integer"),
        (("--eps", "0.1", "--window", "2"), "half width"),
        (("--eps", "0.1", "--dask", "nonsense"), "scheduler address"),
        (("--eps", "0.1", "--dask", "tcp://127.0.0.1:9", "--workers", "2"), "--workers"),
        ((), "give --eps"),
    ],
)
def test_cli_rejects_bad_arguments_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "out.csv"
    result = _cli("thresholds", *args, "--out", str(out))
    assert result.returncode == 2
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_unreachable_scheduler_leaves_an_existing_file_untouched(tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("previous results\n")
    result = _cli("thresholds", "--eps", "0.1", "--out", str(out), "--dask", "tcp://127.0.0.1:9")
    assert result.returncode == 2
    assert "could not reach the dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert out.read_text() == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_cli_success_table_same_on_a_pool(tmp_path):
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    assert _cli("success-table", "--trials", "3000", "--out", str(a)).returncode == 0
    pooled = _cli("success-table", "--trials", "3000", "--out", str(b), "--workers", "2")
    assert pooled.returncode == 0, pooled.stderr
    # the header names where it ran; every number below it must agree
    assert a.read_text().splitlines()[1:] == b.read_text().splitlines()[1:]
    assert "| 24 |" in a.read_text()


def test_cli_prune_sweep_same_bytes_on_a_pool_and_matches_the_stored_table(tmp_path):
    args = ("prune-sweep", "--blocks", "4", "8", "--seeds", "0", "--variants", "theorem")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    inline = _cli(*args, "--out", str(a))
    assert inline.returncode == 0, inline.stderr
    pooled = _cli(*args, "--out", str(b), "--workers", "2")
    assert pooled.returncode == 0, pooled.stderr
    assert a.read_bytes() == b.read_bytes()
    # the book's stored sweep holds the same rows: it is reproducible by this command
    stored = (ROOT / "book" / "slth" / "data" / "whole_network_sweep.csv").read_text()
    header, *rows = a.read_text().splitlines()
    assert header == stored.splitlines()[0]
    assert all(row in stored.splitlines() for row in rows)


def test_cli_prune_sweep_rejects_bad_blocks(tmp_path):
    result = _cli("prune-sweep", "--blocks", "0", "--out", str(tmp_path / "x.csv"))
    assert result.returncode == 2 and "positive integer" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_prune_on_an_executor_gives_the_same_network():
    slth = pytest.importorskip("rsslib.slth")
    net = slth.random_cnn([1, 2, 2], [3, 3], [2 * 12, 2 * 12], seed=4)
    target = slth.normalise_filters([torch_rand((2, 1, 3, 3), 1), torch_rand((2, 2, 3, 3), 2)])[0]
    here, report = slth.prune(net, target, 0.01, max_terms=12)
    with cf.ThreadPoolExecutor(2) as pool:
        there, report2 = slth.prune(net, target, 0.01, max_terms=12, executor=pool)
    for a, b in zip(here.filters, there.filters, strict=True):
        assert a.equal(b)
    assert [r["kept"] for r in report] == [r["kept"] for r in report2]


def torch_rand(shape, seed):
    import torch

    gen = torch.Generator().manual_seed(seed)
    return 2 * torch.rand(*shape, generator=gen, dtype=torch.float64) - 1


def test_local_cluster_leaves_this_process_environment_as_it_was(monkeypatch):
    pytest.importorskip("distributed")
    from rsslib.sweeps import LOCAL_WORKER_ENV, local_cluster

    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    before = dict(os.environ)
    with local_cluster(1) as client:
        seen = client.run(lambda: dict(os.environ))
    (worker_env,) = seen.values()
    assert "MALLOC_TRIM_THRESHOLD_" not in worker_env  # dask's default, slower here
    assert all(worker_env[k] == v for k, v in LOCAL_WORKER_ENV.items())
    assert dict(os.environ) == before
