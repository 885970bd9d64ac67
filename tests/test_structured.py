"""Structured pruning against brute force: rsslib.slth.neurons (neuron pruning),
neuron_weights (weight pruning), filters and experiments.structured."""

import itertools
import re

import numpy as np
import pytest
import torch

from rsslib import best_vector_subset
from rsslib.slth import filters as fl
from rsslib.slth import neuron_weights as nw
from rsslib.slth import neurons as nr
from rsslib.slth.experiments import structured as ex


def brute_neuron(U, v, w, X):
    """Every subset, the network written out by hand: (best error, best mask)."""
    m = U.shape[0]
    f = np.maximum(X @ w, 0.0)
    best, best_mask = np.inf, None
    for bits in itertools.product((False, True), repeat=m):
        mask = np.array(bits)
        hidden = np.maximum(X @ U[mask].T, 0.0)  # (P, |S|)
        out = np.maximum(hidden @ v[mask], 0.0)
        err = float(np.max(np.abs(out - f)))
        if err < best:
            best, best_mask = err, mask
    return best, best_mask


def instances(count, dims=(2, 3), sizes=(3, 8)):
    rng = np.random.default_rng(123)
    for k in range(count):
        d = int(dims[k % len(dims)])
        m = int(rng.integers(sizes[0], sizes[1] + 1))
        yield nr.neuron_instance(m, d, seed=1000 + k), nr.sphere_points(64, d, seed=k)


def test_sphere_points_are_unit_vectors_and_d1_is_plus_minus_one():
    X = nr.sphere_points(100, 3, seed=4)
    assert X.shape == (100, 3)
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0)
    assert nr.sphere_points(7, 1).tolist() == [[1.0], [-1.0]]


def test_exhaustive_and_branch_and_bound_equal_brute_force():
    for inst, X in instances(12):
        best, _ = brute_neuron(inst.U, inst.v, inst.w, X)
        mask, err = nr.exhaustive_neuron_subset(inst.U, inst.v, inst.w, X)
        assert err == pytest.approx(best, abs=1e-12)
        # the returned mask really has the returned error
        assert nr.subset_error(inst.U, inst.v, inst.w, X, mask) == pytest.approx(err, abs=1e-12)
        # a poor incumbent (the empty subset) so that the search has to find the optimum
        res = nr.branch_and_bound_neuron_subset(
            inst.U, inst.v, inst.w, X, start=np.zeros(inst.U.shape[0], dtype=bool)
        )
        assert res.exact
        assert res.error == pytest.approx(best, abs=1e-12)


def test_branch_and_bound_equals_the_enumeration_on_many_instances():
    # the enumeration is checked against brute force above; here more and larger instances,
    # started from the empty subset so that every cut of the search is exercised
    for k in range(80):
        d = 2 + k % 2
        inst = nr.neuron_instance(4 + k % 9, d, seed=7000 + k)
        X = nr.sphere_points(64, d, seed=k)
        _, exact = nr.exhaustive_neuron_subset(inst.U, inst.v, inst.w, X)
        res = nr.branch_and_bound_neuron_subset(
            inst.U, inst.v, inst.w, X, start=np.zeros(inst.U.shape[0], dtype=bool)
        )
        assert res.exact
        assert res.error == pytest.approx(exact, abs=1e-12)


def test_lp_bound_on_an_instance_where_it_is_tight():
    # found by a random search: three neurons, one of them with v < 0 that the best subset
    # uses where the target is 0. The bound equals the optimum; imposing the lower
    # constraints also below tau (where the ReLU may clip) would push it above.
    U = np.array([[0.146, -0.962], [0.415, -0.498], [0.538, -0.909]])
    v = np.array([-1.341, 0.655, 1.363])
    w = np.array([0.656, -0.348])
    X = nr.sphere_points(64, 2, seed=0)
    best, _ = brute_neuron(U, v, w, X)
    lower, _ = nr.neuron_lp_bound(U, v, w, X)
    assert lower <= best + 1e-9
    assert lower == pytest.approx(best, abs=1e-6)


def reference_lp_bound(U, v, w, X):
    """The lemma's bound by brute force: every threshold tau = f(x) > 0, each its own LP."""
    from scipy.optimize import linprog

    G = v[:, None] * np.maximum(U @ X.T, 0.0)
    f = np.maximum(X @ w, 0.0)
    m, P = G.shape
    best = 0.0
    for tau in np.unique(f[f > 0]):
        rows = [np.append(G[:, p], -1.0) for p in range(P)]
        rhs = list(f)
        for p in np.flatnonzero(f >= tau):
            rows.append(np.append(-G[:, p], -1.0))
            rhs.append(-f[p])
        c = np.zeros(m + 1)
        c[-1] = 1.0
        res = linprog(c, A_ub=np.array(rows), b_ub=rhs, bounds=[(0, 1)] * m + [(0, None)])
        best = max(best, min(tau, res.fun))
    return best


def test_lp_bound_bisection_equals_the_scan_over_every_threshold():
    for k in range(6):
        d = 2 + k % 2
        inst = nr.neuron_instance(3 + k, d, seed=300 + k)
        X = nr.sphere_points(24, d, seed=k)
        lower, _ = nr.neuron_lp_bound(inst.U, inst.v, inst.w, X)
        assert lower == pytest.approx(reference_lp_bound(inst.U, inst.v, inst.w, X), abs=1e-8)


def test_branch_and_bound_out_of_budget_is_flagged_and_keeps_the_incumbent():
    inst = nr.neuron_instance(24, 3, seed=5)
    X = nr.sphere_points(128, 3, seed=0)
    start = np.zeros(24, dtype=bool)
    res = nr.branch_and_bound_neuron_subset(inst.U, inst.v, inst.w, X, max_nodes=5, start=start)
    assert not res.exact and res.nodes == 5
    assert res.error <= nr.subset_error(inst.U, inst.v, inst.w, X, start)


def test_lp_bound_below_every_subset_and_local_search_above_the_optimum():
    for inst, X in instances(10, sizes=(4, 9)):
        best, _ = brute_neuron(inst.U, inst.v, inst.w, X)
        lower, tau = nr.neuron_lp_bound(inst.U, inst.v, inst.w, X)
        mask, upper = nr.local_search_neuron_subset(inst.U, inst.v, inst.w, X, restarts=1)
        assert 0.0 <= lower <= best + 1e-7  # HiGHS tolerance
        assert tau > 0
        assert upper >= best - 1e-12
        assert nr.subset_error(inst.U, inst.v, inst.w, X, mask) == pytest.approx(upper)


def test_lp_bound_is_tight_when_the_best_subset_is_empty():
    # a target no neuron can help with: every v_i < 0, so every sum is <= 0 and the best
    # error is max f, attained by the empty subset; the bound must find it
    inst = nr.neuron_instance(6, 2, seed=3)
    v = -np.abs(inst.v)
    X = nr.sphere_points(64, 2, seed=0)
    best, _ = brute_neuron(inst.U, v, inst.w, X)
    lower, _ = nr.neuron_lp_bound(inst.U, v, inst.w, X)
    assert best == pytest.approx(float(np.maximum(X @ inst.w, 0).max()))
    assert lower == pytest.approx(best, abs=1e-7)


def test_d1_reduction_equals_the_exhaustive_search():
    X = nr.sphere_points(1, 1)
    for seed in range(30):
        inst = nr.neuron_instance(int(3 + seed % 12), 1, seed=seed)
        mask, err = nr.d1_neuron_subset(inst.U, inst.v, inst.w)
        best, _ = brute_neuron(inst.U, inst.v, inst.w, X)
        assert err == pytest.approx(best, abs=1e-12)
        assert nr.subset_error(inst.U, inst.v, inst.w, X, mask) == pytest.approx(err, abs=1e-12)


def test_d1_reduction_refuses_more_than_one_column():
    inst = nr.neuron_instance(5, 2, seed=0)
    with pytest.raises(ValueError, match=r"^U must have one column \(d = 1\), got shape \(5, 2\)$"):
        nr.d1_neuron_subset(inst.U, inst.v, inst.w)


def brute_coordinate_errors(U, v, w):
    """Pensia's per-coordinate errors by enumerating the subsets of each block's side."""
    m, d = U.shape
    b = m // d
    out = []
    for j in range(d):
        block = np.arange(j * b, (j + 1) * b)
        worst = 0.0
        for sign in (1.0, -1.0):
            idx = block[sign * U[block, j] > 0]
            prods = v[idx] * np.abs(U[idx, j])
            sums = [sum(c) for r in range(idx.size + 1) for c in itertools.combinations(prods, r)]
            worst = max(worst, min(abs(s - sign * w[j]) for s in sums))
        out.append(worst)
    return np.array(out)


def test_weight_pruning_is_a_mask_with_the_brute_force_errors_and_its_certificate():
    rng = np.random.default_rng(9)
    for k in range(12):
        d = int(rng.integers(1, 4))
        m = int(rng.integers(d, 7 * d + 1))
        inst = nr.neuron_instance(m, d, seed=50 + k)
        X = nr.sphere_points(256, d, seed=k)
        wp = nw.weight_prune_neuron(inst.U, inst.v, inst.w)
        assert np.allclose(
            wp.coordinate_errors, brute_coordinate_errors(inst.U, inst.v, inst.w), atol=1e-12
        )
        # a mask of the random draw: at most one first-layer weight per neuron, kept
        # weights equal to the random ones, v kept exactly where some u is
        assert np.all(wp.U_mask.sum(axis=1) <= 1)
        assert np.array_equal(wp.v_mask, wp.U_mask.any(axis=1))
        Up, vp = nw.pruned_weights(inst.U, inst.v, wp)
        assert np.array_equal(Up[wp.U_mask], inst.U[wp.U_mask])
        assert np.all(Up[~wp.U_mask] == 0) and np.all(vp[~wp.v_mask] == 0)
        assert wp.kept == int(wp.U_mask.sum() + wp.v_mask.sum())
        # the measured error is the masked network run forward in torch ...
        net = torch.nn.Sequential(
            torch.nn.Linear(d, m, bias=False, dtype=torch.float64),
            torch.nn.ReLU(),
            torch.nn.Linear(m, 1, bias=False, dtype=torch.float64),
            torch.nn.ReLU(),
        )
        with torch.no_grad():
            net[0].weight.copy_(torch.from_numpy(Up))
            net[2].weight.copy_(torch.from_numpy(vp)[None, :])
            out = net(torch.from_numpy(X))[:, 0].numpy()
        direct = float(np.max(np.abs(out - np.maximum(X @ inst.w, 0))))
        measured = nr.max_error(Up, vp, inst.w, X)
        assert measured == pytest.approx(direct, abs=1e-12)
        # ... and is at most the Lipschitz certificate, itself at most ||e||_2
        cert = nw.weight_certificate(wp.coordinate_errors, X)
        assert measured <= cert + 1e-12
        assert cert <= np.linalg.norm(wp.coordinate_errors) + 1e-12


def brute_filter(A, z):
    best = np.inf
    for bits in itertools.product((False, True), repeat=A.shape[0]):
        mask = np.array(bits)
        best = min(best, float(np.max(np.abs(z - A[mask].sum(axis=0)))))
    return best


def test_the_exact_filter_search_equals_brute_force_and_the_heuristic_is_never_better():
    # the exact search of a filter subset is rsslib.best_vector_subset (meet in the middle),
    # which replaced a Gray-code enumeration: same optimum as every subset written out
    rng = np.random.default_rng(2)
    vectors, targets, exact = [], [], []
    for _ in range(8):
        b = 10
        A = rng.uniform(-1, 1, (b, 1)) * rng.uniform(0, 1, (b, 9))
        z = rng.uniform(-0.5, 0.5, 9)
        mask, err = best_vector_subset(A, z)
        best = brute_filter(A, z)
        assert err == pytest.approx(best, abs=1e-12)
        assert np.max(np.abs(z - A[mask].sum(axis=0))) == pytest.approx(err, abs=1e-12)
        vectors.append(A)
        targets.append(z)
        exact.append(best)
    masks, errors = fl.filter_subsets(np.array(vectors), np.array(targets), width=16)
    for A, z, mask, err, best in zip(vectors, targets, masks, errors, exact, strict=True):
        assert err >= best - 1e-12
        assert np.max(np.abs(z - A[mask].sum(axis=0))) == pytest.approx(err, abs=1e-12)


def test_filter_heuristic_finds_most_optima_on_small_digits_blocks():
    vectors, targets = ex.first_layer_problems(12, seed=0)
    _, errors = fl.filter_subsets(vectors, targets)
    exact = np.array(
        [best_vector_subset(vectors[o], targets[o])[1] for o in range(targets.shape[0])]
    )
    assert np.all(errors >= exact - 1e-12)
    assert np.mean(np.isclose(errors, exact, rtol=1e-9, atol=1e-15)) >= 0.75


@pytest.mark.parametrize("seed", range(6))
def test_the_exact_filter_search_on_digits_shaped_blocks_with_ties(seed):
    # blocks of the first layer's shape (b products V U_t of 9 entries), and integer ones
    # with many equal sums: the optimum is brute force's, the mask has the error returned
    rng = np.random.default_rng(40 + seed)
    K = rng.uniform(-0.3, 0.3, (2, 1, 3, 3))
    U, V = fl.random_first_pair(K, 12, seed=seed)
    integer = rng.integers(-2, 3, (12, 9)).astype(float)
    cases = [(A, z) for A, z in zip(fl.block_vectors(K, U, V), K.reshape(2, 9), strict=True)]
    for A, z in [*cases, (integer, rng.integers(-3, 4, 9).astype(float))]:
        mask, err = best_vector_subset(A, z)
        assert err == pytest.approx(brute_filter(A, z), abs=1e-12)
        assert err == pytest.approx(float(np.max(np.abs(z - A[mask].sum(axis=0)))), abs=1e-12)


@pytest.mark.parametrize("method", fl.METHODS)
def test_pruned_first_pair_is_a_mask_and_computes_its_effective_kernel(method):
    from rsslib.slth.layered import Network

    rng = np.random.default_rng(0)
    K = rng.uniform(-1, 1, (4, 1, 3, 3)) * 0.1
    U, V = fl.random_first_pair(K, 6, seed=1, top=0.5)
    res = fl.prune_first_pair(K, U, V, method, width=64)
    Um, Vm = np.where(res.U_mask, U, 0.0), np.where(res.V_mask, V, 0.0)
    assert np.array_equal(Um[res.U_mask], U[res.U_mask])
    # each hidden channel feeds only the output whose block it is in
    owner = np.repeat(np.arange(4), 6)
    assert not np.any(res.V_mask & (owner[None, :] != np.arange(4)[:, None]))
    if method == "filter":  # whole filters: a channel keeps all of U_t or nothing
        flat = res.U_mask.reshape(24, -1)
        assert np.all(flat.all(axis=1) | ~flat.any(axis=1))
    images = torch.from_numpy(rng.uniform(0, 1, (5, 1, 8, 8)))
    pair = Network([("pair", torch.from_numpy(Um), torch.from_numpy(Vm), 1)])
    conv = Network([("conv", torch.from_numpy(res.L), 1)])
    with torch.no_grad():
        assert torch.allclose(pair(images), conv(images), atol=1e-12)
    assert res.kept == int(res.U_mask.sum() + res.V_mask.sum())


def test_first_layer_row_reports_the_layer_error_it_measures():
    row = ex.first_layer_row(4, seed=0, method="weight")
    assert row["random_params"] == 32 * 4 * 9 + 32 * 32 * 4
    assert 0 < row["layer_error"] <= row["l1_error"] <= 9 * row["layer_error"] + 1e-12
    assert 0 <= row["pruned_accuracy"] <= 1 and 0 <= row["agreement"] <= 1


def test_invalid_inputs_name_the_argument_and_the_rule():
    inst = nr.neuron_instance(5, 2, seed=0)
    X = nr.sphere_points(8, 2)
    big = nr.neuron_instance(nr.MAX_EXHAUSTIVE + 1, 2, seed=0)
    cases = [
        (lambda: nr.sphere_points(0, 2), "count must be >= 1, got 0"),
        (lambda: nr.neuron_instance(0, 2, seed=0), "m must be >= 1, got 0"),
        (
            lambda: nr.max_error(inst.U, inst.v[:3], inst.w, X),
            "v must have shape (5,) to match U, got (3,)",
        ),
        (
            lambda: nr.max_error(inst.U, inst.v, np.ones(3), X),
            "w must have shape (2,) to match U, got (3,)",
        ),
        (
            lambda: nr.neuron_lp_bound(inst.U, inst.v, inst.w, np.ones((4, 3))),
            "X must be a non-empty array of shape (P, 2), got (4, 3)",
        ),
        (
            lambda: nr.max_error(np.array([[np.nan, 0.0]] * 5), inst.v, inst.w, X),
            "U must be finite (it holds NaN or infinity)",
        ),
        (
            lambda: nr.exhaustive_neuron_subset(big.U, big.v, big.w, X),
            f"m must be <= {nr.MAX_EXHAUSTIVE} for exhaustive search, got {nr.MAX_EXHAUSTIVE + 1}",
        ),
        (
            lambda: nr.subset_error(inst.U, inst.v, inst.w, X, np.ones(4, dtype=bool)),
            "mask must be a boolean array of shape (5,), got bool (4,)",
        ),
        (
            lambda: nr.branch_and_bound_neuron_subset(inst.U, inst.v, inst.w, X, max_nodes=0),
            "max_nodes must be >= 1, got 0",
        ),
    ]
    K = np.zeros((2, 1, 3, 3))
    U, V = fl.random_first_pair(np.ones((2, 1, 3, 3)), 2, seed=0)
    cases += [
        (
            lambda: nw.weight_prune_neuron(inst.U, inst.v, inst.w, max_terms=nw.MAX_TERMS + 1),
            f"max_terms must be <= {nw.MAX_TERMS}, got {nw.MAX_TERMS + 1}",
        ),
        (
            lambda: fl.filter_subsets(np.ones((3, 4)), np.ones((3, 4))),
            "vectors must be a 3-D array (c, b, k), got shape (3, 4)",
        ),
        (
            lambda: fl.filter_subsets(np.ones((3, 4, 9)), np.ones((3, 8))),
            "targets must have shape (3, 9), got (3, 8)",
        ),
        (
            lambda: fl.block_vectors(K, U, V[:, :3]),
            "U (4, 1, 3, 3), V (2, 3) do not fit K (2, 1, 3, 3) in blocks",
        ),
        (
            lambda: nr.network_values(inst.U, inst.v, np.ones((4, 3))),
            "X must have shape (P, 2) to match U, got (4, 3)",
        ),
        (
            lambda: nr.target_values(inst.w, np.ones((4, 3))),
            "X must have shape (P, 2) to match w, got (4, 3)",
        ),
        (
            lambda: nw.pruned_weights(
                inst.U[:4], inst.v[:4], nw.weight_prune_neuron(inst.U, inst.v, inst.w)
            ),
            "pruning has masks of shapes (5, 2), (5,); U and v have (4, 2), (4,)",
        ),
        (lambda: ex.run("filters"), "part must be 'neuron', 'digits' or 'all', got 'filters'"),
        (lambda: ex.neuron_row(2, 4, 0, exact_max=-1), "exact_max must be >= 0, got -1"),
        (lambda: fl.prune_first_pair(K, U, V, "weight", width=0), "width must be >= 1, got 0"),
        (
            lambda: ex.first_layer_row(4, seed=0, method="channel"),
            "method must be one of ('filter', 'weight'), got 'channel'",
        ),
        (
            lambda: fl.prune_first_pair(K, -U, V, "filter"),
            "U must be non-negative (the pair is then linear on images)",
        ),
        (lambda: fl.random_first_pair(K, 0, seed=0), "block must be >= 1, got 0"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            call()
