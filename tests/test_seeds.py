"""One seed convention everywhere (the API style of :mod:`rsslib`).

Every public function or class with a ``seed`` parameter, found by introspection over the
public modules of ``rsslib`` and ``rsslib.slth``, refuses a seed that is not a non-negative
int or a numpy Generator with a ``ValueError`` naming ``seed``; and valid seeds (int, numpy
int, Generator) draw exactly what ``np.random.default_rng(seed)`` (or torch seeded with the
int) draws when used directly.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import torch

import rsslib
import rsslib.slth
from rsslib import bootstrap, datasets, fixed_size_sweep, quantized, sweeps, weights
from rsslib import multidim as md
from rsslib._validate import INT_SEED_RANGE, as_generator, as_int_seed, as_seed
from rsslib.slth import certificate, construct, dense, error, network, pensia
from rsslib.slth import edge_popup as EP
from rsslib.slth import filters as fl
from rsslib.slth import gadget_layers as GL
from rsslib.slth import gadgets as G
from rsslib.slth import neurons as nr
from rsslib.slth import train as T
from rsslib.slth.experiments import digits, lenet, lottery, pensia_target, sparse_tickets
from rsslib.slth.experiments import pensia as pensia_experiment
from rsslib.slth.experiments import structured as ex

BAD_SEEDS = ["abc", -1, 1.5, True, None, np.float64(2.0), np.bool_(False)]


def _public_modules():
    """``rsslib``, ``rsslib.slth`` and every module below them without a private part."""
    mods = [rsslib, rsslib.slth]
    for info in pkgutil.walk_packages(rsslib.__path__, "rsslib."):
        parts = info.name.split(".")[1:]
        if any(p.startswith("_") for p in parts):
            continue
        mods.append(importlib.import_module(info.name))
    return mods


def _seeded_callables() -> dict[str, object]:
    """``module.name`` -> every public function or class whose signature has ``seed``."""
    found = {}
    for mod in _public_modules():
        for name, obj in vars(mod).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if obj.__module__ != mod.__name__:  # re-exported: counted where it is defined
                continue
            try:
                params = inspect.signature(obj).parameters
            except (TypeError, ValueError):
                continue
            if "seed" in params:
                found[f"{mod.__name__.removeprefix('rsslib.')}.{name}"] = obj
    return found


# --- minimal valid arguments -----------------------------------------------------------
@cache
def _digits():
    return digits.load()


@cache
def _digits_network():
    return digits.network(_digits()[0])


def _tiny_data(features=784, rows=6):
    x = np.zeros((rows, features), dtype=np.float32)
    y = np.arange(rows) % 2
    return x, y


def _neuron():
    inst = nr.neuron_instance(5, 2, 0)
    return inst.U, inst.v, inst.w, nr.sphere_points(8, 2, 0)


def _pensia_problem():
    ws = [np.full((3, 4), 0.1), np.full((2, 3), 0.1)]
    return ws, np.ones((5, 4)), np.arange(5) % 2


def _pruned_pair():
    target = [torch.full((2, 1, 3, 3), 0.05, dtype=torch.float64)]
    pruned = [torch.zeros((4, 1, 3, 3), dtype=torch.float64), torch.zeros((2, 4, 1, 1))]
    return target, [pruned[0], pruned[1].to(torch.float64)]  # the empty mask


CALLS = {
    "datasets.digits": lambda s: datasets.digits("test", seed=s),
    "montecarlo.cover_times": lambda s: rsslib.cover_times(4, 0.5, 2, seed=s),
    "montecarlo.success_probability": lambda s: rsslib.success_probability(4, 0.5, 2, seed=s),
    "montecarlo.success_curve": lambda s: rsslib.success_curve([4], 0.5, 2, seed=s),
    "montecarlo.critical_n": lambda s: rsslib.critical_n(0.5, 0.5, 2, seed=s),
    "fixed_size_sweep.critical_n_rows": lambda s: fixed_size_sweep.critical_n_rows(
        0.5, 2, seed=s, sizes=(2,)
    ),
    "fixed_size_sweep.cover_time_table": lambda s: fixed_size_sweep.cover_time_table(
        0.5, 2, seed=s, sizes=(2,)
    )["free"][0],
    "bootstrap.bootstrap": lambda s: (
        bootstrap.bootstrap(np.mean, np.arange(5.0), resamples=2, seed=s).replicates
    ),
    "fixed_size.fixed_size_cover_times": lambda s: rsslib.fixed_size_cover_times(
        4, 1, 0.5, 2, seed=s
    ),
    "fixed_size.fixed_size_success_curve": lambda s: rsslib.fixed_size_success_curve(
        [4], 1, 0.5, 2, seed=s
    ),
    "fixed_size.fixed_size_critical_n": lambda s: rsslib.fixed_size_critical_n(
        1, 0.5, 0.5, 2, seed=s
    ),
    "multidim.vector_error_curves": lambda s: md.vector_error_curves(3, 1, 2, seed=s),
    "multidim.vector_cover_times": lambda s: md.vector_cover_times(3, 1, 0.5, 2, seed=s),
    "multidim.vector_success_probability": lambda s: md.vector_success_probability(
        3, 1, 0.5, 2, seed=s
    ),
    "multidim.critical_n_vectors": lambda s: md.critical_n_vectors(1, 0.5, 0.5, 2, seed=s),
    "multidim.cube_cover_times": lambda s: md.cube_cover_times(3, 1, 0.5, 0.5, 2, seed=s),
    "vector_predictions.conditional_prediction": lambda s: md.conditional_prediction(
        3, 1, 0.5, draws=2, seed=s
    ),
    "vector_predictions.conditional_prediction_every": lambda s: md.conditional_prediction_every(
        3, 1, 0.5, draws=2, seed=s
    ),
    "quantized.exact_cover_times": lambda s: quantized.exact_cover_times(3, 2, 2, seed=s),
    "quantized.conditional_prediction": lambda s: quantized.conditional_prediction(
        3, 2, draws=2, seed=s
    ),
    "weights.relative_cover_times": lambda s: weights.relative_cover_times(3, 0.5, 0.5, 2, seed=s),
    "sweeps.chunk_seeds": lambda s: sweeps.chunk_seeds(seed=s, count=2),
    "slth.network.random_cnn": lambda s: network.random_cnn([1, 2], [3], [2], seed=s),
    "slth.error.sup_error": lambda s: error.sup_error(*_pruned_pair(), size=3, seed=s),
    "slth.certificate.search_error": lambda s: certificate.search_error(
        network.to_network(_pruned_pair()[0]),
        network.to_network(_pruned_pair()[1], pairs=True),
        size=3,
        seed=s,
    ),
    "slth.construct.random_network": lambda s: construct.random_network(
        _digits_network(), [1, 0, 0], seed=s
    ),
    "slth.gadgets.critical_widths": lambda s: G.critical_widths([0.5], 2, "single", 3, seed=s),
    "slth.gadget_layers.random_layer_target": lambda s: GL.random_layer_target(2, 2, seed=s),
    "slth.gadget_layers.layer_error_curves": lambda s: GL.layer_error_curves(
        1, 1, 2, "single", np.array([1, 2]), seed=s
    ),
    "slth.gadget_layers.malach_layer_prediction": lambda s: GL.malach_layer_prediction(
        1, 1, 0.5, 0.5, targets=2, seed=s
    ),
    "slth.dense.random_target": lambda s: dense.random_target((2, 2), seed=s),
    "slth.dense.random_network_lp1": lambda s: dense.random_network_lp1((2, 2), 1, seed=s),
    "slth.dense.random_network_2l": lambda s: dense.random_network_2l((2, 2), 1, seed=s),
    "slth.experiments.digits.measure": lambda s: digits.measure(
        *_digits(), block=1, seed=s, variant="theorem"
    ),
    "slth.experiments.digits.ablation_row": lambda s: digits.ablation_row("literal", 2.0, seed=s),
    "slth.experiments.digits.prune_digits": lambda s: digits.prune_digits(None, 2.0, seed=s),
    "slth.experiments.lenet.measure_network": lambda s: lenet.measure_network(
        _digits_network(), (0, 1, 2), 2.0, s, "literal", None, *_digits()[1:]
    ),
    "slth.experiments.lenet.prune_into": lambda s: lenet.prune_into(
        _digits_network(), (0, 1, 2), 2.0, s, "literal"
    ),
    "slth.experiments.lenet.calibration_images": lambda s: lenet.calibration_images(2, seed=s),
    "slth.experiments.lenet.measure": lambda s: lenet.measure(
        "conv", 30.0, seed=s, variant="literal"
    ),
    "slth.experiments.lottery.chain_rows": lambda s: lottery.chain_rows(
        s, "none", rounds=0, data=(*_tiny_data(), *_tiny_data()), epochs=1
    ),
    "slth.experiments.lottery.random_row": lambda s: lottery.random_row(
        s, 0, data=(*_tiny_data(), *_tiny_data()), epochs=1
    ),
    "slth.experiments.lottery.edge_popup_row": lambda s: lottery.edge_popup_row(
        s, 0.5, data=(*_tiny_data(), *_tiny_data()), epochs=1
    ),
    "slth.experiments.lottery.edge_popup_layers_row": lambda s: lottery.edge_popup_layers_row(
        s, 1, data=(*_tiny_data(), *_tiny_data()), epochs=1
    ),
    "slth.experiments.lottery.dense_curve": lambda s: lottery.dense_curve(
        s, 1e-3, epochs=1, data=(*_tiny_data(), *_tiny_data()), validation=2
    ),
    "slth.experiments.lottery.popup_curve": lambda s: lottery.popup_curve(
        s, 1e-3, epochs=1, data=(*_tiny_data(), *_tiny_data()), validation=2
    ),
    "slth.experiments.lottery.recompute": lambda s: lottery.recompute(
        s, data=(*_tiny_data(), *_tiny_data())
    ),
    "slth.experiments.lottery.validation_split": lambda s: lottery.validation_split(
        *_tiny_data(), size=2, seed=s
    ),
    "slth.experiments.pensia_target.train_target": lambda s: pensia_target.train_target(
        *_tiny_data(), 1, seed=s
    ),
    "slth.experiments.pensia_target.get_target": lambda s: pensia_target.get_target(
        *_tiny_data(), 1, seed=s, path=Path(tempfile.mkdtemp()) / "target.npz"
    ),
    "slth.pensia.random_layer": lambda s: pensia.random_layer(2, 2, 2, seed=s, layer=0),
    "slth.pensia.random_network": lambda s: pensia.random_network(_pensia_problem()[0], 2, seed=s),
    "slth.experiments.pensia.run": lambda s: pensia_experiment.run(
        *_pensia_problem(), seed=s, n=2, sweep=False, real_network=(), code_variant=False
    ),
    "slth.experiments.pensia.pensia_code_variant": lambda s: pensia_experiment.pensia_code_variant(
        *_pensia_problem(), seed=s, n=2
    ),
    "slth.neurons.sphere_points": lambda s: nr.sphere_points(3, 2, seed=s),
    "slth.neurons.neuron_instance": lambda s: nr.neuron_instance(3, 2, seed=s),
    "slth.neurons.local_search_neuron_subset": lambda s: nr.local_search_neuron_subset(
        *_neuron(), restarts=1, kicks=0, seed=s
    ),
    "slth.experiments.sparse_tickets.network_row": lambda s: sparse_tickets.network_row(
        "digits", 1, 1, seed=s
    ),
    "slth.experiments.structured.neuron_row": lambda s: ex.neuron_row(1, 3, seed=s),
    "slth.filters.random_first_pair": lambda s: fl.random_first_pair(
        np.ones((2, 1, 3, 3)), 1, seed=s
    ),
    "slth.experiments.structured.first_layer_problems": lambda s: ex.first_layer_problems(
        1, seed=s
    ),
    "slth.experiments.structured.first_layer_row": lambda s: ex.first_layer_row(
        1, seed=s, method="filter"
    ),
    "slth.train.init_weights": lambda s: T.init_weights((2, 2), seed=s),
    "slth.train.train": lambda s: T.train(
        T.MaskedMLP(T.init_weights((784, 2))), *_tiny_data(), epochs=1, seed=s
    ),
    "slth.train.random_masks": lambda s: T.random_masks([(2, 2)], 0.5, seed=s),
    "slth.train.imp": lambda s: T.imp(
        *_tiny_data(), *_tiny_data(), 0, sizes=(784, 2), epochs=1, seed=s
    ),
    "slth.train.fit": lambda s: T.fit(
        T.MaskedMLP(T.init_weights((784, 2))), *_tiny_data(), 1, 1e-3, 4, seed=s
    ),
    "slth.edge_popup.EdgePopupMLP": lambda s: EP.EdgePopupMLP(T.init_weights((2, 2)), 0.5, seed=s),
    "slth.edge_popup.edge_popup": lambda s: EP.edge_popup(
        *_tiny_data(), *_tiny_data(), 0.5, sizes=(784, 2), epochs=1, seed=s
    ),
}


def test_every_seeded_public_callable_is_in_the_table():
    # a new public function with a seed must be added to CALLS (and so be checked below)
    found = set(_seeded_callables())
    assert found == set(CALLS), {"missing": found - set(CALLS), "stale": set(CALLS) - found}
    # the exported ones are among them
    for name in rsslib.__all__:
        obj = getattr(rsslib, name)
        if callable(obj) and "seed" in inspect.signature(obj).parameters:
            assert f"{obj.__module__.removeprefix('rsslib.')}.{name}" in CALLS


@pytest.mark.parametrize("bad", BAD_SEEDS, ids=repr)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_bad_seed_is_refused_naming_seed(name, bad):
    with pytest.raises(ValueError, match="seed"):
        CALLS[name](bad)


def test_a_bad_entry_of_seeds_is_refused_naming_it():
    for bad in ("abc", -1, 1.5, True):
        with pytest.raises(ValueError, match=r"seeds\[0\]"):
            digits.sweep_rows(blocks=(1,), seeds=(bad,), variants=("theorem",))


# --- the helpers ------------------------------------------------------------------------
def test_the_helpers_accept_ints_numpy_ints_and_generators():
    for s in (0, 7, np.int64(7), np.uint8(7), 2**70):
        assert as_seed(s) == int(s) and type(as_seed(s)) is int
        assert as_int_seed(s) == int(s)
        assert as_generator(s).random() == np.random.default_rng(int(s)).random()
    g = np.random.default_rng(3)
    assert as_seed(g) is g and as_generator(g) is g
    expected = int(np.random.default_rng(3).integers(INT_SEED_RANGE))
    assert as_int_seed(np.random.default_rng(3)) == expected
    seq = np.random.SeedSequence(1)
    assert as_seed(seq, sequence=True) is seq
    with pytest.raises(ValueError, match="seed"):
        as_seed(seq)
    with pytest.raises(ValueError, match="rng"):
        as_generator("x", "rng")


# --- the draws did not change -----------------------------------------------------------
def _seeds(k):
    """The same seed in every accepted form; a fresh Generator per call."""
    return [
        ("int", lambda: k),
        ("numpy int64", lambda: np.int64(k)),
        ("numpy uint32", lambda: np.uint32(k)),
        ("Generator", lambda: np.random.default_rng(k)),
    ]


@pytest.mark.parametrize("form, seed", _seeds(11))
def test_numpy_draws_are_default_rng_draws(form, seed):
    rng = np.random.default_rng(11)
    w = rng.uniform(-1.0, 1.0, (3, 4))
    np.testing.assert_array_equal(
        GL.random_layer_target(3, 4, seed()), w / np.abs(w).sum(1)[:, None]
    )

    rng = np.random.default_rng(11)
    expected = [rng.uniform(-1.0, 1.0, (4, 2)), rng.uniform(-1.0, 1.0, (3, 4))]
    for got, want in zip(dense.random_network_2l((2, 3), 2, seed()), expected, strict=True):
        np.testing.assert_array_equal(got, want)

    x = np.random.default_rng(11).normal(size=(5, 3))
    np.testing.assert_array_equal(
        nr.sphere_points(5, 3, seed()), x / np.linalg.norm(x, axis=1, keepdims=True)
    )

    rng = np.random.default_rng(11)
    U, v, direction = rng.uniform(-1, 1, (4, 2)), rng.uniform(-1, 1, 4), rng.normal(size=2)
    w = direction / np.linalg.norm(direction) * rng.uniform(0.5, 1.0)
    inst = nr.neuron_instance(4, 2, seed())
    for got, want in ((inst.U, U), (inst.v, v), (inst.w, w)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("form, seed", _seeds(5))
def test_monte_carlo_draws_are_default_rng_draws(form, seed):
    n, eps, trials = 8, 0.2, 30
    samples = np.random.default_rng(5).uniform(-1.0, 1.0, trials * n).reshape(trials, n)
    expected = [rsslib.cover_time(row, eps) for row in samples]
    np.testing.assert_array_equal(rsslib.cover_times(n, eps, trials, seed=seed()), expected)

    expected = [rsslib.fixed_size_cover_time(row, eps, 2) for row in samples]
    np.testing.assert_array_equal(
        rsslib.fixed_size_cover_times(n, 2, eps, trials, seed=seed()), expected
    )

    rng = np.random.default_rng(5)
    targets, vectors = rng.uniform(-1, 1, (trials, 2)), rng.uniform(-1, 1, (trials, 4, 2))
    expected = [md.best_error_curve(x, z) for x, z in zip(vectors, targets, strict=True)]
    np.testing.assert_allclose(md.vector_error_curves(4, 2, trials, seed=seed()), expected)


@pytest.mark.parametrize("form, seed", _seeds(9)[:3])
def test_torch_draws_are_those_of_the_int_seed(form, seed):
    gen = torch.Generator().manual_seed(9)
    U = 2 * torch.rand((3, 1, 2, 2), generator=gen, dtype=torch.float64) - 1
    V = 2 * torch.rand((2, 3, 1, 1), generator=gen, dtype=torch.float64) - 1
    got = network.random_cnn([1, 2], [2], [3], seed=seed()).filters
    assert torch.equal(got[0], U) and torch.equal(got[1], V)
    assert all(
        torch.equal(a, b)
        for a, b in zip(T.init_weights((3, 2), seed()), T.init_weights((3, 2), 9), strict=True)
    )


def test_a_generator_seeds_torch_with_one_draw():
    drawn = int(np.random.default_rng(4).integers(INT_SEED_RANGE))
    a = network.random_cnn([1, 2], [2], [3], seed=np.random.default_rng(4)).filters
    b = network.random_cnn([1, 2], [2], [3], seed=drawn).filters
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def test_a_generator_is_drawn_from_not_copied():
    g = np.random.default_rng(2)
    first, second = GL.random_layer_target(2, 2, g), GL.random_layer_target(2, 2, g)
    assert not np.array_equal(first, second)
    h = np.random.default_rng(2)
    np.testing.assert_array_equal(first, GL.random_layer_target(2, 2, h))
    np.testing.assert_array_equal(second, GL.random_layer_target(2, 2, h))


def test_chunk_seeds_spawn_from_a_generator():
    children = sweeps.chunk_seeds(np.random.default_rng(1), 3)
    expected = np.random.default_rng(1).spawn(3)
    for got, want in zip(children, expected, strict=True):
        assert got.random() == want.random()
    # with an executor, the one chunk of 50 trials draws from the first spawned generator
    (child,) = np.random.default_rng(1).spawn(1)
    samples = child.uniform(-1.0, 1.0, 50 * 6).reshape(50, 6)
    times = rsslib.cover_times(
        6, 0.3, 50, seed=np.random.default_rng(1), executor=sweeps.InlineExecutor()
    )
    np.testing.assert_array_equal(times, [rsslib.cover_time(row, 0.3) for row in samples])
