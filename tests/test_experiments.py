"""The per-chapter experiment runners (rsslib.slth.experiments): stored data found from the
package's new place, the ablation's step names, and argument checks before any work."""

from __future__ import annotations

import numpy as np
import pytest

from rsslib.slth.experiments import digits, lenet, lottery


def test_stored_data_paths_point_into_the_book():
    for path in (digits.WEIGHTS, lenet.WEIGHTS, lenet.ABLATION, lottery.SWEEP, lottery.BASELINE):
        assert path.parent.parts[-3:] == ("book", "slth", "data")
        assert path.is_file(), path


def test_step_names_number_every_ablation_step_in_order():
    assert list(lenet.STEP_NAMES) == list(lenet.VARIANTS)
    numbers = [int(name.split(":")[0]) for name in lenet.STEP_NAMES.values()]
    assert numbers == list(range(len(lenet.VARIANTS)))


def test_digits_load_uses_the_test_side_of_the_one_split():
    from rsslib.datasets import digits as split

    _, x_test, y_test = digits.load()
    images, labels = split("test")
    assert np.array_equal(x_test.numpy(), images) and np.array_equal(y_test, labels)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"blocks": (0,)}, r"blocks\[0\]"),
        ({"blocks": (2.5,)}, r"blocks\[0\]"),
        ({"variants": ("nope",)}, "variants"),
        ({"progress": "yes"}, "progress"),
        ({"threads": 0}, "threads"),
    ],
)
def test_sweep_rows_checks_its_arguments(kwargs, match):
    args = {"blocks": (1,), "seeds": (0,), "variants": ("theorem",), **kwargs}
    with pytest.raises(ValueError, match=match):
        digits.sweep_rows(**args)


def test_digits_measure_and_ablation_check_their_arguments():
    target, x, y = digits.load()
    with pytest.raises(ValueError, match="block"):
        digits.measure(target, x, y, block=0, seed=0, variant="theorem")
    with pytest.raises(ValueError, match="factor"):
        digits.ablation_row("literal", -1.0, 0)


def test_lenet_checks_its_arguments():
    with pytest.raises(ValueError, match="factor"):
        lenet.measure("conv", 0.0)
    with pytest.raises(ValueError, match="calibration"):
        lenet.measure("conv", 30.0, calibration=1.5)
    with pytest.raises(ValueError, match="progress"):
        lenet.measure("conv", 30.0, progress="yes")
    with pytest.raises(ValueError, match="level"):
        lenet.first_budget([], "digits", "literal", level="x")


def test_lottery_checks_its_arguments():
    tiny = (np.zeros((2, 784), np.float32), np.zeros(2, np.int64)) * 2
    with pytest.raises(ValueError, match="rewind"):
        lottery.chain_rows(0, "later", data=tiny)
    with pytest.raises(ValueError, match="epochs"):
        lottery.random_row(0, 1, data=tiny, epochs=0)
    with pytest.raises(ValueError, match="rnd"):
        lottery.edge_popup_layers_row(0, 0, data=tiny)
    with pytest.raises(ValueError, match="size"):
        lottery.validation_split(*tiny[:2], size=2)


def test_validation_split_is_a_fixed_partition_of_the_training_images():
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    y = np.arange(20)
    xs, ys, xv, yv = lottery.validation_split(x, y, size=5)
    assert len(yv) == 5 and len(ys) == 15
    assert sorted(np.concatenate([ys, yv]).tolist()) == list(range(20))  # disjoint, complete
    assert np.array_equal(xs[:, 0], 2 * ys) and np.array_equal(xv[:, 0], 2 * yv)
    assert np.array_equal(lottery.validation_split(x, y, size=5)[3], yv)  # same split again


def test_early_stopped_picks_the_least_validation_loss_per_run():
    rows = [
        {"run": "dense", "lr": 1e-3, "seed": 0, "epoch": e, "val_loss": v}
        for e, v in enumerate([0.5, 0.3, 0.3, 0.4], start=1)
    ] + [{"run": "dense", "lr": 3e-4, "seed": 0, "epoch": 1, "val_loss": 0.2}]
    best = lottery.early_stopped(rows)
    assert best[("dense", 1e-3, 0)]["epoch"] == 2  # the first of two equal minima
    assert best[("dense", 3e-4, 0)]["epoch"] == 1


def test_the_edge_popup_layers_take_imps_layer_densities():
    from rsslib.slth.train import SIZES, pruning_schedule

    kept = pruning_schedule(SIZES, lottery.ROUNDS, lottery.FRACTION, lottery.LAST_FRACTION)
    # the output layer keeps 16.8% at the last round, the hidden layers 1.68%
    assert kept[-1][-1] / kept[0][-1] == 0.168
    assert abs(kept[-1][0] / kept[0][0] - 0.0168) < 1e-4
