"""Pensia et al.'s experiment over several random networks (the seed spread of the chapter
``pensia_revisited``): the target network and the zeroing baseline stay fixed, the random
values change with the seed. ``scripts/pensia_experiment.py`` stores the rows under the key
``seed_runs`` of ``book/slth/data/pensia_experiment.json``.
"""

from __future__ import annotations

import numpy as np

from rsslib._validate import as_int_seed
from rsslib.slth.experiments._checks import experiment_args, reporter
from rsslib.slth.experiments.pensia import accuracy, relative_logit_error
from rsslib.slth.mlp import forward
from rsslib.slth.pensia import (
    EPS,
    N_VALUES,
    products,
    random_network,
    reconstruct,
    solve_layer,
    zero_small,
)
from rsslib.sparsest import sparsest_subsets


def seed_runs(
    weights,
    x_test,
    y_test,
    seeds,
    eps: float = EPS,
    n: int = N_VALUES,
    progress: bool = False,
) -> list[dict]:
    """The experiment at ``eps`` over several random networks; target and zeroing fixed.

    For each seed: the random network of :func:`rsslib.slth.pensia.random_network`, both
    exact solves, and, for the minimum-error and sparsest pruned networks, the test
    accuracy, the agreement with the target's predictions, the relative logit error
    (:func:`~rsslib.slth.experiments.pensia.relative_logit_error`) and the mean absolute
    logit error over all test logits;
    the test images where the sparsest ticket and zeroing disagree on correctness
    (``sparsest_only_correct``, ``zeroing_only_correct``); kept values; the infeasible
    weights split by ``|w| <= 1`` (inside the class of Pensia et al.'s theorem, whose
    random values are at most 1) or not; and ``infeasible_rescaled``, the infeasible
    weights once every layer with a weight above 1 in magnitude is divided by its largest
    ``|w|`` (by the homogeneity of ReLU the network's predictions do not change; the
    layer's tolerance in the original units becomes ``eps`` times that factor).

    Parameters
    ----------
    weights, x_test, y_test, eps, n, progress
        As for :func:`~rsslib.slth.experiments.pensia.run`.
    seeds : sequence of int
        Seeds of the random networks, each >= 0.

    Returns
    -------
    list of dict
        One row per seed; the zeroing baseline's numbers are repeated in every row
        (``*_zeroing``).
    """
    weights, eps, n = experiment_args(weights, x_test, y_test, eps, n)
    seeds = [as_int_seed(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    say = reporter(progress)
    f_target = forward(weights, x_test)
    pred = f_target.argmax(1)
    labels = np.asarray(y_test)
    f_zero = forward(zero_small(weights, eps), x_test)
    zero_ok = f_zero.argmax(1) == labels
    scales = [max(1.0, float(np.abs(w).max())) for w in weights]

    def summary(f, name):
        return {
            f"accuracy_{name}": accuracy(f, labels),
            f"agreement_{name}": float(np.mean(f.argmax(1) == pred)),
            f"relative_logit_error_{name}": relative_logit_error(f_target, f),
            f"mean_logit_error_{name}": float(np.abs(f - f_target).mean()),
        }

    rows = []
    for seed in seeds:
        say(f"seed {seed}")
        layers = random_network(weights, n, seed)
        a_all = [products(u, v) for u, v in layers]
        sols = [solve_layer(w, a, eps) for w, a in zip(weights, a_all, strict=True)]
        nets = {
            key: [reconstruct(a, s[masks]) for a, s in zip(a_all, sols, strict=True)]
            for key, masks in (("min_error", "min_masks"), ("sparsest", "sp_masks"))
        }
        logits = {key: forward(ws, x_test) for key, ws in nets.items()}
        sp_ok = logits["sparsest"].argmax(1) == labels
        inside = outside = rescaled = 0
        for w, a, s, c in zip(weights, a_all, sols, scales, strict=True):
            bad = ~s["feasible"]
            big = np.abs(w) > 1
            inside += int((bad & ~big).sum())
            outside += int((bad & big).sum())
            if c > 1:
                _, _, ok = sparsest_subsets(
                    a.reshape(-1, n), np.asarray(w, np.float64).reshape(-1) / c, eps
                )
                rescaled += int((~ok).sum())
            else:
                rescaled += int(bad.sum())
        row = {"seed": seed}
        row |= summary(logits["min_error"], "min_error")
        row |= summary(logits["sparsest"], "sparsest")
        row |= summary(f_zero, "zeroing")
        row |= {
            "sparsest_only_correct": int(np.sum(sp_ok & ~zero_ok)),
            "zeroing_only_correct": int(np.sum(zero_ok & ~sp_ok)),
            "kept_values": sum(int(s["sp_masks"].sum()) for s in sols),
            "kept_values_min_error": sum(int(s["min_masks"].sum()) for s in sols),
            "infeasible_within_1": inside,
            "infeasible_above_1": outside,
            "infeasible_rescaled": rescaled,
        }
        say(f"  {row}")
        rows.append(row)
    return rows
