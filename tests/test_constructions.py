"""rsslib.slth.gadgets, gadget_layers, dense, mlp and experiments.widths against enumeration,
closed forms, loops and Monte Carlo."""

from itertools import product

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from rsslib.distributions import product_density
from rsslib.slth import dense as D
from rsslib.slth import gadget_layers as GL
from rsslib.slth import gadgets as G
from rsslib.slth import mlp
from rsslib.slth.experiments import widths
from tests.reference import all_subsets


# ---------------------------------------------------------------------------------------
# slow references
# ---------------------------------------------------------------------------------------
def best_half_error(values, w, method):
    """Smallest |sum - w| over all subsets (or over {empty} and the singletons)."""
    if method == "single":
        return min([abs(w)] + [abs(x - w) for x in values])
    return min(abs(sum(values[i] for i in s) - w) for s in all_subsets(values))


def gadget_error_brute(w, u, v, method):
    a = [ui * vi for ui, vi in zip(u, v, strict=True)]
    plus = [x for x, ui in zip(a, u, strict=True) if ui > 0]
    minus = [x for x, ui in zip(a, u, strict=True) if ui < 0]
    return max(best_half_error(plus, w, method), best_half_error(minus, w, method))


def loop_forward(weights, x):
    """Neuron by neuron, with explicit loops; ReLU after every layer but the last."""
    h = [list(row) for row in x]
    for k, w in enumerate(weights):
        new = []
        for row in h:
            out = []
            for i in range(w.shape[0]):
                s = 0.0
                for j in range(w.shape[1]):
                    if w[i, j] != 0.0:
                        s += w[i, j] * row[j]
                out.append(max(s, 0.0) if k < len(weights) - 1 else s)
            new.append(out)
        h = new
    return np.array(h)


# ---------------------------------------------------------------------------------------
# closed forms
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("w", [-0.95, -0.3, 0.0, 0.02, 0.6, 0.999])
@pytest.mark.parametrize("eps", [0.01, 0.2])
def test_single_product_probability_integrates_the_density(w, eps):
    lo, hi = max(-1.0, w - eps), min(1.0, w + eps)
    points = [0.0] if lo < 0.0 < hi else None
    num, _ = integrate.quad(lambda t: product_density(t)[0], lo, hi, points=points, limit=200)
    assert G.single_product_probability(w, eps) == pytest.approx(num, abs=1e-9)


def test_product_cdf_against_samples():
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, 200_000) * rng.uniform(-1, 1, 200_000)
    for t in (-0.7, -0.1, 0.0, 0.05, 0.5):
        emp = np.mean(a <= t)
        # 5 binomial standard deviations
        assert abs(emp - G.product_cdf(t)) < 5 * np.sqrt(0.25 / a.size)


@pytest.mark.parametrize(("n", "eps"), [(20, 0.1), (200, 0.02)])
def test_malach_probability_against_monte_carlo(n, eps):
    rng = np.random.default_rng(1)
    trials = 4000
    w = rng.uniform(-1, 1, trials)
    u = rng.uniform(-1, 1, (trials, n))
    v = rng.uniform(-1, 1, (trials, n))
    good = np.abs(u * v - w[:, None]) <= eps
    ok = ((good & (u > 0)).any(1) & (good & (u < 0)).any(1)) | (np.abs(w) <= eps)
    p = G.malach_success_probability(n, eps)
    # within 4.5 binomial standard deviations (false alarm below 1e-5)
    assert abs(ok.mean() - p) < 4.5 * np.sqrt(p * (1 - p) / trials)
    # the w-averaged value is the average of the per-w formula
    p_w = G.malach_success_probability(n, eps, rng.uniform(-1, 1, 400_000)).mean()
    assert abs(p_w - p) < 5e-3


@pytest.mark.parametrize("eps", [0.1, 0.01])
def test_malach_width_is_the_first_width_reaching_the_level(eps):
    n = G.malach_width(eps, 0.9)
    assert G.malach_success_probability(n, eps) >= 0.9
    assert G.malach_success_probability(n - 1, eps) < 0.9


def test_malach_constant_is_the_small_eps_limit():
    c = G.malach_constant(0.9)
    assert G.malach_width(1e-5, 0.9) * 1e-5 == pytest.approx(c, rel=2e-3)
    lam = c / 2
    assert 1 - 2 / (lam + 1) + 1 / (2 * lam + 1) == pytest.approx(0.9, abs=1e-12)


@pytest.mark.parametrize("eps", [0.1, 0.001])
def test_packing_width_is_the_first_width_of_the_bound(eps):
    def bound(n):
        total = 0.0
        for k in range(n + 1):
            total += stats.binom.pmf(k, n, 0.5) * min(1.0, eps * 2.0 ** min(k, n - k))
        return total

    n = G.packing_width(eps, 0.9)
    assert bound(n) >= 0.9 > bound(n - 1)


# ---------------------------------------------------------------------------------------
# one gadget
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", G.METHODS)
@pytest.mark.parametrize("seed", range(6))
def test_prune_gadget_against_enumeration(method, seed):
    rng = np.random.default_rng(seed)
    n = 12
    u, v = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
    w = rng.uniform(-1, 1)
    mask, err = G.prune_gadget(w, u, v, method)
    assert err == pytest.approx(gadget_error_brute(w, u, v, method), abs=1e-12)
    if method == "single":
        assert mask[u > 0].sum() <= 1 and mask[u < 0].sum() <= 1
    # the error is the sup over x in [-1, 1] of |pruned(x) - w x|, attained at x = +-1
    x = np.linspace(-1, 1, 401)
    sup = np.abs(G.gadget_forward(u, v, mask, x) - w * x).max()
    assert sup == pytest.approx(err, abs=1e-12)


@pytest.mark.parametrize("method", G.METHODS)
def test_critical_widths_against_prefixes(method):
    eps = np.array([0.2, 0.05])
    trials, max_width, seed = 6, 14, 3
    crit = G.critical_widths(eps, trials, method, max_width, seed, chunk=trials)
    # the same draws, re-made by hand
    rng = np.random.default_rng(seed)
    w = rng.uniform(-1, 1, trials)
    u = rng.uniform(-1, 1, (trials, max_width))
    v = rng.uniform(-1, 1, (trials, max_width))
    for t in range(trials):
        errs = [abs(w[t])] + [
            gadget_error_brute(w[t], u[t, :n], v[t, :n], method) for n in range(1, max_width + 1)
        ]
        for i, e in enumerate(eps):
            first = next((n for n, x in enumerate(errs) if x <= e), max_width + 1)
            assert crit[t, i] == first


def test_width_quantile_on_known_values():
    values = np.arange(1, 101)  # quantile 0.9 of 1..100 is 90
    n, lo, hi = G.width_quantile(values[::-1], 0.9)
    assert n == 90 and lo < 90 < hi
    # the interval is the binomial one
    assert lo == stats.binom.ppf(0.025, 100, 0.9)
    assert hi == stats.binom.ppf(0.975, 100, 0.9) + 1


# ---------------------------------------------------------------------------------------
# one layer
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_layer_sup_error_against_vertices(seed):
    rng = np.random.default_rng(seed)
    w = rng.uniform(-1, 1, (3, 4))
    wp = w + rng.normal(0, 0.1, w.shape)
    wm = w + rng.normal(0, 0.1, w.shape)
    best = 0.0
    for x in product((-1.0, 0.0, 1.0), repeat=4):
        x = np.array(x)
        out = wp @ np.maximum(x, 0) - wm @ np.maximum(-x, 0)
        best = max(best, np.abs(out - w @ x).max())
    assert GL.gadget_layer_sup_error(w, wp, wm) == pytest.approx(best, abs=1e-12)
    # and no interior point does better
    for x in rng.uniform(-1, 1, (200, 4)):
        out = wp @ np.maximum(x, 0) - wm @ np.maximum(-x, 0)
        assert np.abs(out - w @ x).max() <= best + 1e-12
    # one effective weight per entry: the familiar max row l1 norm
    assert GL.gadget_layer_sup_error(w, wp, wp) == pytest.approx(np.abs(wp - w).sum(1).max())


@pytest.mark.parametrize("method", G.METHODS)
def test_layer_error_curves_against_gadgets(method):
    d_out, d_in, trials, seed = 2, 3, 3, 7
    widths = np.array([1, 2, 4, 7, 10])
    got = GL.layer_error_curves(
        d_out, d_in, trials, method, widths, seed, stop=1e-300, chunk=trials
    )
    rng = np.random.default_rng(seed)
    targets = [GL.random_layer_target(d_out, d_in, rng) for _ in range(trials)]
    size = trials * d_out * d_in
    u = rng.uniform(-1, 1, (size, widths[-1]))
    v = rng.uniform(-1, 1, (size, widths[-1]))
    for t, w in enumerate(targets):
        for col, n in enumerate(widths):
            wp, wm = np.zeros_like(w), np.zeros_like(w)
            for r, (k, j) in enumerate(product(range(d_out), range(d_in))):
                uu, vv = u[t * d_out * d_in + r, :n], v[t * d_out * d_in + r, :n]
                mask, _ = G.prune_gadget(w[k, j], uu, vv, method)
                a = uu * vv
                wp[k, j] = a[mask & (uu > 0)].sum()
                wm[k, j] = a[mask & (uu < 0)].sum()
            assert got[t, col] == pytest.approx(GL.gadget_layer_sup_error(w, wp, wm), abs=1e-12)


def test_layer_error_curves_early_stop_is_an_upper_bound():
    widths = np.arange(1, 31)
    exact = GL.layer_error_curves(3, 3, 4, "subset", widths, 2, stop=1e-300)
    early = GL.layer_error_curves(3, 3, 4, "subset", widths, 2, stop=1e-3)
    assert np.all(early >= exact - 1e-15)
    assert np.all(early <= exact + 3 * 1e-3 + 1e-15)


def test_needed_width_on_synthetic_errors():
    widths = np.array([1, 2, 3])
    errors = np.array([[1.0, 0.5, 0.0]] * 9 + [[1.0, 1.0, 1.0]])  # 90% succeed at 3
    assert GL.needed_width(errors, widths, 0.1, 0.9)[0] == 3
    assert GL.needed_width(errors, widths, 0.6, 0.9)[0] == 2
    assert GL.needed_width(errors, widths, 0.1, 0.95)[0] == -1


def test_malach_layer_prediction_is_exact_for_a_one_by_one_layer():
    # a 1 x 1 layer with l1-normalised rows has w = +-1, where p is known
    n = GL.malach_layer_prediction(1, 1, 0.05, 0.5, targets=3)
    s = G.malach_success_probability(n, 0.05, np.array([1.0]))[0]
    s_prev = G.malach_success_probability(n - 1, 0.05, np.array([1.0]))[0]
    assert s >= 0.5 > s_prev


# ---------------------------------------------------------------------------------------
# depth l + 1 and 2l
# ---------------------------------------------------------------------------------------
WIDTHS = (3, 4, 4, 2)


@pytest.fixture(scope="module")
def lp1():
    target = D.random_target(WIDTHS, seed=1)
    random = D.random_network_lp1(WIDTHS, (10, 6, 6), seed=2)
    return target, random, D.prune_lp1(target, random, max_terms=12)


@pytest.fixture(scope="module")
def two_l():
    target = D.random_target(WIDTHS, seed=1)
    random = D.random_network_2l(WIDTHS, 10, seed=2)
    return target, random, D.prune_2l(target, random)


def test_random_target_rows_are_l1_normalised():
    for w in D.random_target(WIDTHS, seed=0):
        np.testing.assert_allclose(np.abs(w).sum(1), 1.0)


def test_lp1_shapes_and_mask_structure(lp1):
    target, random, pruned = lp1
    assert [r.shape for r in random] == [(30, 3), (24, 30), (24, 24), (2, 24)]
    m0 = pruned["masks"][0]
    # layer 1: each neuron keeps at most its own input's weight, and only a positive one
    for c in range(30):
        kept = np.flatnonzero(m0[c])
        assert kept.size <= 1
        if kept.size:
            assert kept[0] == c // 10 and random[0][c, kept[0]] > 0
    # later layers: neuron z of block i reads only the neurons it keeps; its kept weights
    # realise w_hat, computed here from the random entries themselves
    a = random[0][np.arange(30), np.arange(30) // 10]
    for k in (1, 2, 3):
        m, r = pruned["masks"][k], random[k]
        rho_in = (10, 6, 6)[k - 1]
        for z in range(r.shape[0]):
            for j in range(r.shape[1] // rho_in):
                cols = np.arange(j * rho_in, (j + 1) * rho_in)
                vals = r[z, cols] * (a[cols] if k == 1 else 1.0)
                expect = vals[m[z, cols]].sum()
                used = m[z].any() or k == 3 or pruned["masks"][k + 1][:, z].any()
                if used:
                    assert pruned["w_hat"][k - 1][z, j] == pytest.approx(expect, abs=1e-14)


def test_lp1_error_against_a_direct_forward_pass(lp1):
    target, random, pruned = lp1
    rng = np.random.default_rng(3)
    x = np.vstack([rng.random((60, 3)), np.array(list(product((0.0, 1.0), repeat=3)))])
    kept = [np.where(m, r, 0.0) for r, m in zip(random, pruned["masks"], strict=True)]
    direct = loop_forward(kept, x)
    np.testing.assert_allclose(D.masked_forward(random, pruned["masks"], x), direct, atol=1e-13)
    err = np.abs(direct - loop_forward(target, x)).max()
    assert err == pytest.approx(D.measured_error(target, random, pruned["masks"], x), abs=1e-13)
    # the certificate holds on every input
    assert err <= pruned["certified"] + 1e-13


def test_2l_pruned_network_is_the_target_with_w_hat(two_l):
    target, random, pruned = two_l
    rng = np.random.default_rng(4)
    x = rng.random((50, 3))
    kept = [np.where(m, r, 0.0) for r, m in zip(random, pruned["masks"], strict=True)]
    np.testing.assert_allclose(loop_forward(kept, x), mlp.forward(pruned["w_hat"], x), atol=1e-13)
    err = np.abs(loop_forward(kept, x) - loop_forward(target, x)).max()
    assert err <= pruned["certified"] + 1e-13
    # each kept u is positive and feeds only its own input's block
    for mu, u in zip(pruned["masks"][::2], random[::2], strict=True):
        n = u.shape[0] // u.shape[1]
        rows, cols = np.nonzero(mu)
        assert np.all(cols == rows // n) and np.all(u[rows, cols] > 0)


def test_sparsest_rule_keeps_fewer_weights(lp1):
    target, random, pruned = lp1
    sparse = D.prune_lp1(target, random, rule="sparsest", tol=0.05, max_terms=12)
    c_min = D.parameter_counts(random, pruned["masks"])
    c_sp = D.parameter_counts(random, sparse["masks"])
    assert c_sp["kept_weights"] < c_min["kept_weights"]
    assert c_sp["random_params"] == c_min["random_params"] == sum(r.size for r in random)
    assert c_min["depth"] == len(WIDTHS) and c_min["max_width"] == 30


def test_empty_mask_error_is_the_target_output():
    target = D.random_target(WIDTHS, seed=5)
    random = D.random_network_2l(WIDTHS, 4, seed=0)
    masks = [np.zeros(r.shape, dtype=bool) for r in random]
    x = np.random.default_rng(0).random((20, 3))
    assert D.measured_error(target, random, masks, x) == pytest.approx(
        np.abs(loop_forward(target, x)).max(), abs=1e-14
    )


# ---------------------------------------------------------------------------------------
# bad inputs
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "word"),
    [
        (lambda: G.single_product_probability(0.1, 0.0), "eps"),
        (lambda: G.malach_width(0.1, 1.0), "level"),
        (lambda: G.malach_success_probability(-1, 0.1), "n"),
        (lambda: G.packing_width(-0.1, 0.9), "eps"),
        (lambda: G.prune_gadget(0.1, [0.1, 0.2], [0.3], "subset"), "u and v"),
        (lambda: G.prune_gadget(0.1, [0.1], [0.3], "pair"), "method"),
        (lambda: G.prune_gadget(np.nan, [0.1], [0.3], "single"), "w"),
        (lambda: G.critical_widths([0.1, -1], 5, "subset", 5), "eps_values"),
        (lambda: G.critical_widths([0.1], 0, "subset", 5), "trials"),
        (lambda: G.width_quantile([], 0.9), "critical"),
        (lambda: GL.layer_error_curves(2, 2, 2, "subset", np.array([3, 2])), "widths"),
        (lambda: GL.layer_error_curves(2, 2, 2, "subset", [1.5, 2.0]), "widths"),
        (lambda: GL.needed_width(np.ones((2, 3)), [1, 2], 0.1, 0.9), "widths"),
        (lambda: GL.random_layer_target(2, 2, -1), "seed"),
        (lambda: D.random_target((3,)), "widths"),
        (lambda: D.random_network_lp1((3, 2), (2, 2), 0), "rho"),
        (lambda: mlp.forward([np.ones((2, 3)), np.ones((2, 3))], np.ones((1, 3))), "chain"),
        (lambda: mlp.forward([np.ones((2, 3))], np.ones((1, 2))), "x"),
        (
            lambda: D.prune_lp1(D.random_target((2, 2, 2)), D.random_network_2l((2, 2, 2), 3)),
            "random",
        ),
        (
            lambda: D.prune_lp1(
                D.random_target((2, 2)), D.random_network_lp1((2, 2), 3), rule="best"
            ),
            "rule",
        ),
        (
            lambda: D.prune_2l(
                D.random_target((2, 2)), D.random_network_2l((2, 2), 3), rule="sparsest"
            ),
            "tol",
        ),
        (
            lambda: D.prune_2l(D.random_target((2, 2)), D.random_network_2l((2, 2), 3), tol=0.1),
            "tol",
        ),
        (
            lambda: D.prune_2l(
                D.random_target((2, 2)), D.random_network_2l((2, 2), 3), max_terms=99
            ),
            "max_terms",
        ),
        (lambda: D.masked_forward([np.ones((2, 2))], [np.ones((2, 2))], np.ones((1, 2))), "masks"),
        (lambda: widths.sweep_case("layer5", "subset"), "sweep case"),
        (lambda: widths.sweep_case("weight", "subset", [0.5]), "eps_values"),
    ],
)
def test_bad_inputs_raise_value_errors_naming_the_argument(call, word):
    with pytest.raises(ValueError, match=word):
        call()


def test_malach_width_at_one_target():
    n = G.malach_width(0.1, 0.9, w=1.0)
    at = lambda k: G.malach_success_probability(k, 0.1, np.array([1.0]))[0]  # noqa: E731
    assert at(n) >= 0.9 > at(n - 1)
    # the worst target needs more than the average one
    assert n > G.malach_width(0.1, 0.9)
    with pytest.raises(ValueError, match="w"):
        G.malach_width(0.1, 0.9, w=2.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: G.critical_widths([0.5], 2, "single", 3, seed=s),
        lambda s: GL.random_layer_target(2, 2, seed=s),
        lambda s: GL.layer_error_curves(1, 1, 2, "single", np.array([1, 2]), seed=s),
        lambda s: GL.malach_layer_prediction(1, 1, 0.5, 0.5, targets=2, seed=s),
        lambda s: D.random_target((2, 2), seed=s),
        lambda s: D.random_network_lp1((2, 2), 1, seed=s),
        lambda s: D.random_network_2l((2, 2), 1, seed=s),
    ],
)
def test_a_string_seed_is_refused_naming_seed(call):
    with pytest.raises(ValueError, match="seed"):
        call("abc")


# ---------------------------------------------------------------------------------------
# the one forward pass
# ---------------------------------------------------------------------------------------
def test_forward_against_loops_in_numpy_and_in_torch():
    target = D.random_target((4, 5, 3, 2), seed=8)
    x = np.random.default_rng(9).normal(size=(7, 4))  # negative inputs too
    expected = loop_forward(target, x)
    np.testing.assert_allclose(mlp.forward(target, x), expected, rtol=0, atol=1e-14)
    # float32 weights are computed in float64
    f32 = [w.astype(np.float32) for w in target]
    assert mlp.forward(f32, x).dtype == np.float64
    # torch tensors stay in torch, keep their dtype and let gradients through
    ws = [torch.tensor(w, requires_grad=True) for w in target]
    out = mlp.forward(ws, torch.from_numpy(x))
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=0, atol=1e-14)
    out.sum().backward()
    assert all(w.grad is not None and w.grad.shape == w.shape for w in ws)


@pytest.mark.parametrize(
    ("call", "word"),
    [
        (lambda: mlp.forward([torch.ones(2, 3), torch.ones(2, 3)], torch.ones(1, 3)), "chain"),
        (lambda: mlp.forward([torch.ones(2, 3)], torch.ones(1, 2)), "x must have shape"),
        (lambda: mlp.forward([np.ones((2, 3))], torch.ones(1, 3)), "torch tensor"),
        (lambda: mlp.forward([], torch.ones(1, 3)), "non-empty"),
        (lambda: mlp.forward([np.full((2, 3), np.nan)], np.ones((1, 3))), "finite"),
    ],
)
def test_forward_refuses_bad_inputs_naming_them(call, word):
    with pytest.raises(ValueError, match=word):
        call()
