"""The width sweep of the chapter ``constructions``: Malach's and Pensia's gadgets measured.

For one weight (:func:`rsslib.slth.gadgets.critical_widths`) and for 4 x 4 and 8 x 8
layers of gadgets (:func:`rsslib.slth.gadget_layers.layer_error_curves`), the width each
method needs for sup error eps with probability :data:`SWEEP_LEVEL`, at every tolerance of
:data:`SWEEP_EPS`. ``scripts/width_sweep.py`` runs :data:`SWEEP_CASES` into
``book/slth/data/width_sweep.csv``; the chapter recomputes one case live.
"""

from __future__ import annotations

import numpy as np

from rsslib.slth._gadget_common import eps_values_arg
from rsslib.slth.gadget_layers import layer_error_curves, needed_width
from rsslib.slth.gadgets import critical_widths, width_quantile

__all__ = ["SWEEP_CASES", "SWEEP_EPS", "SWEEP_LEVEL", "SWEEP_STOP", "sweep_case"]

#: Tolerances of the sweep: a log grid from 0.1 down to 1e-4.
SWEEP_EPS = (0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001)
#: Required success probability.
SWEEP_LEVEL = 0.9
#: The sweep's cases: (case, method, d, trials, seed, widths or max_width, eps used).
#: ``d = 0`` is one weight (:func:`critical_widths`), else a d x d layer
#: (:func:`layer_error_curves`). Malach's single neuron is sampled only where its widths
#: stay below about 10^5; at smaller eps the closed forms speak for it.
SWEEP_CASES = (
    ("weight", "subset", 0, 1000, 1, 120, SWEEP_EPS),
    ("weight", "single", 0, 1000, 2, 150_000, SWEEP_EPS[:5]),
    ("layer4", "subset", 4, 400, 3, 100, SWEEP_EPS),
    ("layer4", "single", 4, 300, 4, 60_000, SWEEP_EPS[:4]),
    ("layer8", "subset", 8, 200, 5, 100, SWEEP_EPS),
)
#: ``stop`` of :func:`layer_error_curves` in the sweep.
SWEEP_STOP = 1e-7


def _sweep_widths(method: str, top: int) -> np.ndarray:
    if method == "subset":
        return np.arange(1, top + 1)
    return np.unique(np.geomspace(1, top, 160).astype(np.int64))


def sweep_case(case: str, method: str, eps_values=None) -> list[dict]:
    """Run one case of :data:`SWEEP_CASES` and return its rows (one per tolerance).

    Parameters
    ----------
    case : str
        ``"weight"``, ``"layer4"`` or ``"layer8"``.
    method : {"single", "subset"}
    eps_values : sequence of float, optional
        A subset of the case's tolerances (the draws do not depend on it, so the widths
        equal those of the full case).

    Returns
    -------
    list of dict
        Keys ``case, method, d, eps, level, trials, width, low, high, exact``. ``low`` and
        ``high`` bracket the width (:func:`width_quantile` for one weight, 95%
        order-statistic interval; :func:`needed_width` for a layer, Wilson 95%). ``exact``
        is False where :func:`layer_error_curves`' early stop could have moved the width
        (then the width is an upper bound); always True for one weight.
    """
    rows = [c for c in SWEEP_CASES if c[0] == case and c[1] == method]
    if not rows:
        raise ValueError(f"no sweep case {case!r} with method {method!r}")
    _, _, d, trials, seed, top, eps_all = rows[0]
    if eps_values is None:
        eps_values = eps_all
    eps_values = [float(e) for e in eps_values_arg(eps_values)]
    if not set(eps_values) <= set(eps_all):
        raise ValueError(f"eps_values must be among the case's tolerances {eps_all}")
    out = []
    if d == 0:
        crit = critical_widths(eps_all, trials, method, top, seed)
        for i, e in enumerate(eps_all):
            if e in eps_values:
                n, lo, hi = width_quantile(crit[:, i], SWEEP_LEVEL)
                out.append(_row(case, method, d, e, trials, n, lo, hi, True))
        return out
    widths = _sweep_widths(method, top)
    errors = layer_error_curves(d, d, trials, method, widths, seed, stop=SWEEP_STOP)
    for e in eps_values:
        n, lo, hi = needed_width(errors, widths, e, SWEEP_LEVEL)
        # the early stop can only overstate errors, by at most d * stop
        n_opt = needed_width(errors - d * SWEEP_STOP, widths, e, SWEEP_LEVEL)[0]
        out.append(_row(case, method, d, e, trials, n, lo, hi, n_opt == n))
    return out


def _row(case, method, d, eps, trials, n, lo, hi, exact) -> dict:
    return {
        "case": case,
        "method": method,
        "d": d,
        "eps": eps,
        "level": SWEEP_LEVEL,
        "trials": trials,
        "width": n,
        "low": lo,
        "high": hi,
        "exact": bool(exact),
    }
