"""Constants and bounds implied by the arguments of the book.

- :func:`packing_lower_bound`: no sample with fewer values can cover the window
  (a counting argument, Part I).
- :func:`proof_sample_size`, :func:`proof_constant`: the sample size that the elementary
  proof of Theorem 6 (thesis Chapter 3) certifies, and its ratio to log(1/(2 eps)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rsslib._validate import as_positive_real


def packing_lower_bound(eps, window=(-1.0, 1.0)) -> int:
    """Smallest n for which n values could possibly make every z in ``window`` eps-approximable.

    A sample of n values has at most 2^n subset sums, so its approximable set is a union of
    at most 2^n intervals of length 2 eps; covering a window of length ``L = b - a`` needs
    ``2^n * 2 eps >= L``, that is ``n >= log2(L / (2 eps))``. For the window [-1, 1] this is
    ``n >= log2(1 / eps)``: whatever the distribution, the Random Subset Sum threshold is at
    least ``log2(1/eps) = 1.4427 ln(1/eps)``.

    Returns
    -------
    int
        ``max(0, ceil(log2(L / (2 eps))))``.
    """
    eps = as_positive_real(eps, "eps")
    a, b = (float(v) for v in window)
    if not (math.isfinite(a) and math.isfinite(b) and a < b):
        raise ValueError(f"window must be a finite pair a < b, got {window!r}")
    needed = (b - a) / (2.0 * eps)
    if needed <= 1.0:
        return 0
    n = math.ceil(math.log2(needed))
    # guard against log2 rounding at exact powers of two
    while 2.0**n < needed:
        n += 1
    while n > 0 and 2.0 ** (n - 1) >= needed:
        n -= 1
    return n


ACCOUNTINGS = ("corrected", "as written")
#: beta is optimised over this coarse grid of (0, 1/8) (Proposition 18 needs beta < 1/8),
#: then over a fine grid (step 0.0005) around the best coarse value.
BETA_GRID = np.linspace(0.005, 0.12, 24)


@dataclass(frozen=True)
class ProofBound:
    """A sample size certified by the elementary proof, with the choices that give it."""

    n: int  #: total number of values
    k: int  #: values spent in the growth phase (until Z > 1/2)
    beta: float  #: growth factor of Proposition 18
    eps: float
    accounting: str

    @property
    def constant(self) -> float:
        """n / log(1/(2 eps)), the form of the thesis's Remark 7."""
        return self.n / math.log(1.0 / (2.0 * self.eps))


def _phase_failures(k, m, beta, eps, accounting):
    """Failure probabilities of the two phases after k growth and m decay steps."""
    p = 1.0 - 7.0 / (8.0 * (1.0 - beta))
    if accounting == "corrected":
        # Lemma 15 turns "Z > 1 - e/2" into "all 2e-approximable": run the process at e/2.
        e = eps / 2.0
        alpha = math.ceil(math.log(1.0 / (2.0 * e)) / math.log1p(beta))
        slack = k * p - alpha - 1.0  # Eq. 3.12, as the proof derives it
        growth = np.where(slack > 0, np.exp(-2.0 * slack**2 / k), 1.0)
        # Markov: P(1 - Z >= e/2) <= 2 E[1 - Z] / e; in logs, as 0.875**m underflows
        decay = np.exp(np.minimum(0.0, m * math.log(0.875) - math.log(e)))
    else:
        # The statements as printed: Proposition 20 with alpha (not alpha + 1), Lemma 23
        # without the 1/eps of Markov's inequality, and no halving of eps for Lemma 15.
        alpha = math.ceil(math.log(1.0 / (2.0 * eps)) / math.log1p(beta))
        slack = k * p - alpha
        growth = np.where(slack > 0, np.exp(-2.0 * slack**2 / k), 1.0)
        decay = np.exp(np.minimum(0.0, m * math.log(0.875)))
    return growth, decay


def _certified(n, beta, eps, accounting):
    """Best split k for n values, or None if no split reaches success 1 - eps."""
    k = np.arange(1, n)
    if k.size == 0:
        return None
    growth, decay = _phase_failures(k, n - k, beta, eps, accounting)
    if accounting == "as written":
        # the thesis's last line: each phase fails with probability at most eps/2
        ok = np.flatnonzero((growth <= eps / 2) & (decay <= eps / 2))
        return int(k[ok[0]]) if ok.size else None
    # failure of (1 - growth)(1 - decay), written without the cancellation of 1 - eps
    failure = growth + decay - growth * decay
    best = int(np.argmin(failure))
    return int(k[best]) if failure[best] <= eps else None


def proof_sample_size(eps, accounting="corrected") -> ProofBound:
    """Smallest n for which the elementary proof of Theorem 6 certifies success 1 - eps.

    The proof splits the values into a growth phase of k values, after which Z_k > 1/2
    except with the probability of Proposition 20 (Eq. 3.12), and a decay phase of n - k
    values, after which 1 - Z_n < eps/2 except with the probability of Lemma 23; Lemma 15
    then turns a small uncovered fraction into full coverage. The certified success is
    ``(1 - growth failure) (1 - decay failure)``; this function minimises n over the split
    k and over beta (a coarse grid, then a fine one around its best value).

    Parameters
    ----------
    eps : float
        In (0, 1/3), as in Theorem 6.
    accounting : {"corrected", "as written"}
        ``"corrected"`` uses the bounds the proofs actually establish: Eq. 3.12 with
        alpha + 1, Lemma 23 with the factor 1/eps that Markov's inequality produces, and the
        process run at precision eps/2 so that Lemma 15 yields eps (not 2 eps).
        ``"as written"`` uses the statements as printed in the thesis and, like its final
        line, asks each phase to fail with probability at most eps/2; ``"corrected"``
        splits the failure probability between the phases optimally.

    Returns
    -------
    ProofBound
    """
    eps = as_positive_real(eps, "eps")
    if not eps < 1.0 / 3.0:
        raise ValueError(f"eps must be in (0, 1/3) as in Theorem 6, got {eps}")
    if accounting not in ACCOUNTINGS:
        raise ValueError(f"accounting must be one of {ACCOUNTINGS}, got {accounting!r}")
    best = None
    coarse = _minimise_over(BETA_GRID, eps, accounting, best)
    fine = np.arange(coarse.beta - 0.005, coarse.beta + 0.0051, 0.0005)
    return _minimise_over(fine[(fine > 0) & (fine < 0.125)], eps, accounting, coarse)


def _minimise_over(betas, eps, accounting, best):
    for beta in betas:
        hi = 64
        while _certified(hi, beta, eps, accounting) is None:
            hi *= 2
            if hi > 1 << 26:
                raise ValueError(f"no certified n below {hi:,} for eps={eps}")
        if best is not None and _certified(min(hi, best.n), beta, eps, accounting) is None:
            continue  # this beta cannot beat the best found so far
        lo = 1
        while lo < hi:
            mid = (lo + hi) // 2
            if _certified(mid, beta, eps, accounting) is None:
                lo = mid + 1
            else:
                hi = mid
        if best is None or lo < best.n:
            best = ProofBound(
                lo, _certified(lo, beta, eps, accounting), float(beta), eps, accounting
            )
    return best


def proof_constant(eps, accounting="corrected") -> float:
    """``proof_sample_size(eps).n / log(1/(2 eps))``: the constant of Remark 7 at this eps."""
    return proof_sample_size(eps, accounting).constant


def proof_constant_limit(accounting="corrected") -> tuple[float, float]:
    """The constant as eps -> 0, in closed form, minimised over beta: (constant, beta).

    With L = log(1/eps) -> infinity and k = kappa L, the growth phase needs
    ``(kappa p - a)^2 >= kappa / 2`` with ``a = 1 / log(1 + beta)`` (Eq. 3.12 failing with
    probability about eps), and the decay phase needs ``(n - k) log(8/7) >= L`` as written,
    ``>= 2 L`` corrected (the extra 1/eps). Solving for kappa gives the limit.
    """
    if accounting not in ACCOUNTINGS:
        raise ValueError(f"accounting must be one of {ACCOUNTINGS}, got {accounting!r}")
    beta = np.linspace(1e-4, 0.1249, 20_000)
    p = 1.0 - 7.0 / (8.0 * (1.0 - beta))
    a = 1.0 / np.log1p(beta)
    root = (np.sqrt(0.5) + np.sqrt(0.5 + 4.0 * p * a)) / (2.0 * p)  # sqrt(kappa)
    decay = (2.0 if accounting == "corrected" else 1.0) / math.log(8.0 / 7.0)
    total = root**2 + decay
    i = int(np.argmin(total))
    return float(total[i]), float(beta[i])
