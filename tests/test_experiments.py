"""The per-chapter experiment runners (rsslib.slth.experiments): stored data found from the
package's new place, the ablation's step names, and argument checks before any work."""

from __future__ import annotations

import numpy as np
import pytest

from rsslib.slth.experiments import digits, lenet, lottery


def test_stored_data_paths_point_into_the_book():
    for path in (digits.WEIGHTS, lenet.WEIGHTS, lenet.ABLATION, lottery.SWEEP):
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
