"""rsslib.slth.pensia and rsslib.slth.experiments.pensia(_target) on tiny networks, against
loops and enumeration of all subsets."""

import json
from itertools import product

import numpy as np
import pytest
import torch

from rsslib.slth import mlp, pensia
from rsslib.slth.experiments import pensia as pensia_experiment
from rsslib.slth.experiments import pensia_seeds, pensia_target
from tests.reference import all_subsets


def tiny_target(seed=0, sizes=(5, 4, 3), scale=0.3):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(0.0, scale, (sizes[i + 1], sizes[i])).astype(np.float32)
        for i in range(len(sizes) - 1)
    ]


def random_masks(shape, seed=1, p=0.4):
    return np.random.default_rng(seed).random(shape) < p


def test_random_layer_laws_and_streams():
    u, v = pensia.random_layer(4, 3, 6, seed=5, layer=1)
    assert u.shape == (3, 6) and v.shape == (4, 3, 6)
    assert np.all((u > 0) & (u <= 1)) and np.all(np.abs(v) <= 1)
    # each layer has its own stream: rebuilding layer 1 alone gives the network's layer 1
    (_, _), (u1, v1) = pensia.random_network(tiny_target(sizes=(3, 3, 4)), 6, seed=5)
    np.testing.assert_array_equal(u1, u)
    np.testing.assert_array_equal(v1, v)
    u_other, _ = pensia.random_layer(4, 3, 6, seed=6, layer=1)
    assert not np.array_equal(u_other, u)


def test_pruned_entries_are_the_random_entries():
    weights = tiny_target()
    layers = pensia.random_network(weights, 5, seed=2)
    masks = [random_masks(v.shape, seed=i) for i, (_, v) in enumerate(layers)]
    pruned, mismatched = pensia.prune_layers(layers, masks)
    assert mismatched == 0
    for (u, v), (u_kept, v_kept), m in zip(layers, pruned, masks, strict=True):
        d_out, d_in, n = v.shape
        for k, j, i in product(range(d_out), range(d_in), range(n)):
            assert v_kept[k, j, i] == (v[k, j, i] if m[k, j, i] else 0.0)
        for j, i in product(range(d_in), range(n)):
            used = any(m[k, j, i] for k in range(d_out))
            assert u_kept[j, i] == (u[j, i] if used else 0.0)


def test_reconstruction_is_what_the_pruned_network_computes():
    weights = tiny_target()
    layers = pensia.random_network(weights, 5, seed=3)
    masks = [random_masks(v.shape, seed=10 + i) for i, (_, v) in enumerate(layers)]
    effective = []
    for (u, v), m in zip(layers, masks, strict=True):
        w_hat = pensia.reconstruct(pensia.products(u, v), m)
        d_out, d_in, n = v.shape
        for k, j in product(range(d_out), range(d_in)):
            direct = sum(v[k, j, i] * u[j, i] for i in range(n) if m[k, j, i])
            assert w_hat[k, j] == pytest.approx(direct, abs=1e-15)
        effective.append(w_hat)
    x = np.random.default_rng(4).random((7, 5))  # non-negative inputs
    logits, mismatched = pensia.pruned_network_logits(layers, masks, x, batch=3)
    np.testing.assert_allclose(logits, mlp.forward(effective, x), rtol=0, atol=1e-13)
    # the first pair, neuron by neuron: output k = sum of v[k, j, i] ReLU(u[j, i] x_j)
    (u, v), m = layers[0], masks[0]
    one, _ = pensia.pruned_network_logits([layers[0]], [m], x)
    for r, k in product(range(len(x)), range(v.shape[0])):
        direct = sum(
            v[k, j, i] * max(u[j, i] * x[r, j], 0.0)
            for j, i in product(range(v.shape[1]), range(v.shape[2]))
            if m[k, j, i]
        )
        assert one[r, k] == pytest.approx(direct, abs=1e-13)
    assert mismatched == 0


def test_solve_layer_against_all_subsets():
    eps = 0.05
    w = tiny_target(seed=7, sizes=(3, 2))[0]
    u, v = pensia.random_layer(2, 3, 8, seed=1, layer=0)
    a = pensia.products(u, v)
    sol = pensia.solve_layer(w, a, eps)
    for k, j in product(range(2), range(3)):
        values, target = a[k, j].tolist(), float(w[k, j])
        errors = {s: abs(sum(values[i] for i in s) - target) for s in all_subsets(values)}
        best = min(errors.values())
        feasible_sizes = [len(s) for s, e in errors.items() if e <= eps]
        assert sol["min_err"][k, j] == pytest.approx(best, abs=1e-12)
        assert sol["feasible"][k, j] == bool(feasible_sizes)
        if feasible_sizes:
            assert sol["sp_masks"][k, j].sum() == min(feasible_sizes)
            assert sol["sp_err"][k, j] <= eps + 1e-12
    # the stored errors are those of the reconstructed (effective) weights
    for masks, err in (("min_masks", "min_err"), ("sp_masks", "sp_err")):
        effective = pensia.reconstruct(a, sol[masks])
        np.testing.assert_allclose(np.abs(effective - w), sol[err], rtol=0, atol=1e-12)


def test_zero_small_keeps_exactly_the_large_weights():
    eps = 0.25
    w = np.array([[0.25, -0.25, 0.2500001, -0.3], [0.0, 0.1, -0.24, 2.0]])
    (zeroed,) = pensia.zero_small([w], eps)
    for r, c in product(range(2), range(4)):
        expected = w[r, c] if abs(w[r, c]) > eps else 0.0
        assert zeroed[r, c] == expected
    assert np.count_nonzero(zeroed) == 3
    # float32 weights keep their dtype (the comparison is made in float32)
    assert pensia.zero_small(tiny_target(), 0.1)[0].dtype == np.float32


def test_sizes_agree_with_a_direct_count():
    weights = tiny_target()
    n = 4
    layers = pensia.random_network(weights, n, seed=8)
    masks = [random_masks(v.shape, seed=20 + i, p=0.3) for i, (_, v) in enumerate(layers)]
    pruned, _ = pensia.prune_layers(layers, masks)
    for (u_kept, v_kept), m in zip(pruned, masks, strict=True):
        d_out, d_in, _ = v_kept.shape
        # the pruned pair as two dense matrices: (d_in n, d_in) block first layer, then
        # (d_out, d_in n); u is in (0, 1] and v nonzero almost surely, so kept = nonzero
        first = np.zeros((d_in * n, d_in))
        for j, i in product(range(d_in), range(n)):
            first[j * n + i, j] = u_kept[j, i]
        second = v_kept.reshape(d_out, d_in * n)
        kept_values, kept_weights = pensia.kept_counts(m)
        assert kept_values == np.count_nonzero(second) == m.sum()
        assert kept_weights == np.count_nonzero(first) + np.count_nonzero(second)
    sizes = pensia.random_param_counts([w.shape for w in weights], n)
    assert sizes["random_values_total"] == sum(pensia.products(u, v).size for u, v in layers)
    assert sizes["random_weights_two_layer_block"] == sum(u.size + v.size for u, v in layers)
    # Pensia et al.'s lemma: 2n hidden neurons per input, dense (2n d_in, d_in) and
    # (d_out, 2n d_in) random layers
    dense = sum(
        np.zeros((2 * n * w.shape[1], w.shape[1])).size
        + np.zeros((w.shape[0], 2 * n * w.shape[1])).size
        for w in weights
    )
    assert sizes["random_weights_two_layer_dense"] == dense


def test_evaluations_against_loops():
    weights = tiny_target(sizes=(3, 4, 2))
    x = np.random.default_rng(5).normal(size=(6, 3))
    logits = mlp.forward(weights, x)
    for r in range(6):
        hidden = [max(sum(float(weights[0][h, j]) * x[r, j] for j in range(3)), 0.0)
                  for h in range(4)]  # fmt: skip
        for k in range(2):
            out = sum(float(weights[1][k, h]) * hidden[h] for h in range(4))
            assert logits[r, k] == pytest.approx(out, abs=1e-12)
    assert (
        pensia_experiment.accuracy(np.array([[0.0, 1.0], [2.0, 1.0], [0.0, 3.0]]), [1, 1, 1])
        == 2 / 3
    )
    assert (
        pensia_experiment.relative_logit_error(np.array([[2.0, -4.0]]), np.array([[1.0, -4.5]]))
        == 0.25
    )
    stats = pensia_experiment.error_stats([np.array([0.0, 0.02]), np.array([[0.005, 0.04]])], 0.01)
    assert stats == {"max": 0.04, "mean": pytest.approx(0.01625), "fraction_within_eps": 0.5}
    bins = np.array([1e-3, 1e-2, 1e-1])
    counts = pensia_experiment.histogram_counts([np.array([0.0, 5e-3, 0.05, 3.0, 0.02])], bins)
    assert counts == [2, 3]  # 0 clipped into the first bin, 3.0 into the last


def test_run_on_a_tiny_network():
    eps, n = 0.03, 10
    weights = tiny_target(seed=11, sizes=(6, 5, 3), scale=0.2)
    rng = np.random.default_rng(12)
    x = rng.random((40, 6))
    y = rng.integers(0, 3, 40)
    r = pensia_experiment.run(weights, x, y, seed=3, eps=eps, n=n)
    f_target = mlp.forward(weights, x)
    assert r["instances"] == 6 * 5 + 5 * 3
    assert r["target_accuracy"] == np.mean(f_target.argmax(1) == y)
    assert r["kept_weights_zeroing"] == sum(int((np.abs(w) > eps).sum()) for w in weights)
    counts = r["sparsest_size_counts"]
    assert sum(counts) == r["instances"]
    assert r["kept_values"] == sum(k * c for k, c in enumerate(counts))
    for name in ("sparsest", "min_error"):
        assert r[f"network_{name}_mismatched_entries"] == 0
        assert r[f"network_{name}_max_logit_diff"] < 1e-12
        assert r[f"network_{name}_accuracy"] == r[f"accuracy_{name}"]
    assert r["error_min_error"]["max"] <= r["error_sparsest"]["max"]
    assert len(r["sweep"]) == len(pensia_experiment.SWEEP_EPS)
    (row,) = [s for s in r["sweep"] if s["eps"] == eps]
    assert row["kept_values"] == r["kept_values"]
    assert row["accuracy_sparsest"] == r["accuracy_sparsest"]
    assert row["kept_weights_zeroing"] == r["kept_weights_zeroing"]
    variant = r["pensia_code_variant"]
    assert variant["low"] == min(w.min() for w in weights)
    assert variant["kept_values"] <= variant["kept_values_min_error"]
    # deterministic apart from the timings
    again = pensia_experiment.run(
        weights, x, y, seed=3, eps=eps, n=n, sweep=False, code_variant=False
    )
    for key in again:
        if not key.startswith("seconds"):
            assert again[key] == r[key], key


def test_target_file_round_trip(tmp_path):
    path = tmp_path / "target.npz"
    with pytest.raises(ValueError, match="not found"):
        pensia_target.load_target(path)
    weights = tiny_target()
    np.savez_compressed(path, W1=weights[0], W2=weights[1])
    loaded = pensia_target.get_target(None, None, 1, 0, path=path)  # no training when stored
    for a, b in zip(loaded, weights, strict=True):
        np.testing.assert_array_equal(a, b)
    np.savez_compressed(path, W1=weights[0])
    with pytest.raises(ValueError, match="lacks"):
        pensia_target.load_target(path)


def test_train_target_is_seeded():
    was = torch.are_deterministic_algorithms_enabled()
    try:
        rng = np.random.default_rng(0)
        x = rng.random((96, 784)).astype(np.float32)
        y = rng.integers(0, 10, 96)
        first = pensia_target.train_target(x, y, epochs=1, seed=4)
        second = pensia_target.train_target(x, y, epochs=1, seed=4)
        assert [w.shape for w in first] == [(500, 784), (10, 500)]
        for a, b in zip(first, second, strict=True):
            np.testing.assert_array_equal(a, b)
    finally:
        torch.use_deterministic_algorithms(was)


W = tiny_target()
U, V = pensia.random_layer(4, 5, 3, seed=0, layer=0)
X = np.random.default_rng(0).random((4, 5))
Y = np.array([0, 1, 2, 0])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pensia.random_layer(0, 3, 5, 0, 0), "d_out"),
        (lambda: pensia.random_layer(2, 3, 0, 0, 0), "n must be >= 1"),
        (lambda: pensia.random_layer(2, 3, 5, -1, 0), "seed"),
        (lambda: pensia.random_layer(2, 3, 5, 0, 1.5), "layer"),
        (lambda: pensia.random_layer(2**10, 2**10, 2**10, 0, 0), "MAX_VALUES"),
        (lambda: pensia.random_network(W, 0, 0), "n must be >= 1"),
        (lambda: mlp.forward([W[1], W[0]], X), "do not chain"),
        (lambda: mlp.forward(W, X[:, :4]), "x must have 5 columns"),
        (lambda: mlp.forward([np.full((2, 2), np.nan)], X), "finite"),
        (lambda: mlp.forward(W[0], X), "list of 2-D"),
        (lambda: pensia_experiment.accuracy(np.ones((4, 3)), Y[:3]), "one entry per input"),
        (lambda: pensia_experiment.accuracy(np.ones((4, 3)), Y.astype(float)), "integer"),
        (lambda: pensia.products(U, V[:, :2]), "shape"),
        (lambda: pensia.reconstruct(V, np.ones(V.shape)), "boolean"),
        (lambda: pensia.reconstruct(V, np.ones((4, 5), bool)), "shape"),
        (lambda: pensia.kept_counts(np.ones((4, 5), bool)), "d_out, d_in, n"),
        (lambda: pensia.solve_layer(W[1], V, 0.01), "a must have shape"),
        (lambda: pensia.solve_layer(V[:, :, 0], V, 0.0), "eps must be > 0"),
        (lambda: pensia.zero_small(W, -1.0), "eps must be > 0"),
        (lambda: pensia_experiment.error_stats([], 0.1), "non-empty"),
        (lambda: pensia_experiment.histogram_counts([np.ones(3)], [1.0, 0.5]), "increasing"),
        (
            lambda: pensia_experiment.relative_logit_error(np.zeros((2, 2)), np.ones((2, 2))),
            "all zeros",
        ),
        (
            lambda: pensia_experiment.relative_logit_error(np.ones((2, 2)), np.ones((2, 3))),
            "one shape",
        ),
        (lambda: pensia.random_param_counts([(3, 0)], 2), "positive pairs"),
        (lambda: pensia.prune_layers([(U, V)], []), "one mask array per layer"),
        (lambda: pensia.pruned_network_logits([(U, V)], [V > 0], X, batch=0), "batch"),
        (lambda: pensia.pruned_network_logits([(U, V)], [V > 0], X[:, :3]), "columns"),
        (lambda: pensia_experiment.run(W, X, Y, 0, eps=0.0), "eps must be > 0"),
        (lambda: pensia_experiment.run(W, X, Y[:2], 0), "y_test"),
        (lambda: pensia_experiment.run(W, X, Y, 0, real_network=("dense",)), "real_network"),
        (lambda: pensia_experiment.run(W, X, Y, 0, progress="loud"), "progress"),
        (lambda: pensia_experiment.eps_sweep(W, [V], X, Y, np.ones((4, 3))), "a_all"),
        (lambda: pensia_experiment.pensia_code_variant(W[:1], X, Y, 0), "two layers"),
        (lambda: pensia_target.train_target(X, Y, 1, 0), "784 columns"),
    ],
)
def test_bad_inputs_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda s: pensia.random_layer(2, 2, 2, seed=s, layer=0),
        lambda s: pensia.random_network(W, 2, seed=s),
        lambda s: pensia_experiment.run(
            W, X, Y, seed=s, n=2, sweep=False, real_network=(), code_variant=False
        ),
        lambda s: pensia_experiment.pensia_code_variant(W, X, Y, seed=s, n=2),
        lambda s: pensia_target.train_target(np.zeros((4, 784), np.float32), Y, 1, seed=s),
        lambda s: pensia_target.get_target(None, None, 1, seed=s, path="missing.npz"),
    ],
)
def test_a_string_seed_is_refused_naming_seed(call):
    with pytest.raises(ValueError, match="seed"):
        call("abc")


def test_progress_is_a_bool_reporting_on_stderr(capsys):
    pensia_experiment.run(W, X, Y, 0, n=3, sweep=False, code_variant=False, progress=False)
    assert capsys.readouterr() == ("", "")
    pensia_experiment.run(W, X, Y, 0, n=3, sweep=False, code_variant=False, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "solving layer 1" in err and "pruned random network" in err


def test_load_result_renames_the_old_keys(tmp_path):
    new = pensia_experiment.run(W, X, Y, 0, n=3, code_variant=False)
    old = {k.replace("relative_logit_error_", "rel_logit_error_"): v for k, v in new.items()}
    old["sweep"] = [
        {k.replace("relative_logit_error_", "rel_logit_error_"): v for k, v in row.items()}
        for row in new["sweep"]
    ]
    assert any(k.startswith("rel_logit_error_") for k in old)
    for stored in (old, new):  # a file from before the rename, and one from after
        path = tmp_path / "result.json"
        path.write_text(json.dumps(stored))
        assert pensia_experiment.load_result(path) == json.loads(json.dumps(new))
    with pytest.raises(ValueError, match="not found"):
        pensia_experiment.load_result(tmp_path / "none.json")


def _best_by_enumeration(values, w):
    """Minimum |subset sum - w| over every subset of values (loop reference)."""
    return min(abs(sum(values[i] for i in s) - w) for s in all_subsets(list(values)))


@pytest.mark.parametrize("per_row", [True, False])
def test_code_variant_draws_per_row_like_their_code(per_row):
    eps, n = 0.05, 6
    weights = tiny_target(seed=21, sizes=(5, 4, 3), scale=0.4)
    rng = np.random.default_rng(22)
    x, y = rng.random((30, 5)), rng.integers(0, 3, 30)
    r = pensia_experiment.pensia_code_variant(weights, x, y, seed=7, eps=eps, n=n, per_row=per_row)
    rows = sum(w.shape[0] for w in weights)
    assert r["random_values"] == (rows if per_row else sum(w.size for w in weights)) * n
    # their draws, by loops: one stream, layer after layer, a row (or a weight) at a time
    lo = min(0.0, min(float(w.min()) for w in weights))
    hi = max(0.0, max(float(w.max()) for w in weights))
    draw = np.random.default_rng(np.random.SeedSequence([7, 99]))
    errors = []
    for w in weights:
        values = draw.uniform(lo, hi, (w.shape[0], n) if per_row else w.shape + (n,))
        for k, j in product(range(w.shape[0]), range(w.shape[1])):
            a = values[k] if per_row else values[k, j]
            errors.append(_best_by_enumeration(a, float(w[k, j])))
    worst = max(errors)
    assert r["error_min_error"]["max"] == pytest.approx(worst, abs=1e-12)
    assert r["kept_values"] <= r["kept_values_min_error"]
    assert 0 <= r["agreement_sparsest"] <= 1


def test_seed_runs_against_run():
    eps, n = 0.03, 8
    weights = tiny_target(seed=31, sizes=(6, 5, 3), scale=0.6)
    weights[1][0, 0] = 1.4  # one weight outside [-1, 1]
    rng = np.random.default_rng(32)
    x, y = rng.random((50, 6)), rng.integers(0, 3, 50)
    rows = pensia_seeds.seed_runs(weights, x, y, [3, 4], eps=eps, n=n)
    assert [r["seed"] for r in rows] == [3, 4]
    for row in rows:
        full = pensia_experiment.run(
            weights,
            x,
            y,
            row["seed"],
            eps=eps,
            n=n,
            sweep=False,
            real_network=(),
            code_variant=False,
        )
        for key in (
            "accuracy_sparsest",
            "agreement_sparsest",
            "accuracy_zeroing",
            "agreement_min_error",
            "kept_values",
            "kept_values_min_error",
        ):
            assert row[key] == full[key], key
        big = sum(abs(b["w"]) > 1 for b in full["infeasible_weights"])
        assert row["infeasible_above_1"] == big
        assert row["infeasible_within_1"] == full["infeasible"] - big
        # rescaled: every layer with some |w| > 1 divided by its largest |w|
        failed = 0
        for (u, v), w in zip(pensia.random_network(weights, n, row["seed"]), weights, strict=True):
            a = pensia.products(u, v).reshape(-1, n)
            flat = np.asarray(w, np.float64).reshape(-1) / max(1.0, float(np.abs(w).max()))
            failed += sum(_best_by_enumeration(a[i], flat[i]) > eps for i in range(len(flat)))
        assert row["infeasible_rescaled"] == failed
        # correctness disagreements with zeroing, by a loop over the images
        f_sp = mlp.forward(
            [
                pensia.reconstruct(pensia.products(u, v), s["sp_masks"])
                for (u, v), s in zip(
                    pensia.random_network(weights, n, row["seed"]),
                    [
                        pensia.solve_layer(w, pensia.products(u, v), eps)
                        for w, (u, v) in zip(
                            weights, pensia.random_network(weights, n, row["seed"]), strict=True
                        )
                    ],
                    strict=True,
                )
            ],
            x,
        )
        f_zero = mlp.forward(pensia.zero_small(weights, eps), x)
        sp_only = sum(
            int(f_sp[i].argmax() == y[i] and f_zero[i].argmax() != y[i]) for i in range(len(y))
        )
        assert row["sparsest_only_correct"] == sp_only
    with pytest.raises(ValueError, match="seeds"):
        pensia_seeds.seed_runs(weights, x, y, [])
