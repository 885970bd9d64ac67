"""Constants and bounds implied by the arguments of the book.

- :func:`packing_lower_bound`: no sample with fewer values can cover the window
  (a counting argument, Part I).
- :func:`proof_sample_size`, :func:`proof_constant`: the sample size that the elementary
  proof (thesis Chapter 3) of Theorem 2.2 (thesis Theorem 6) certifies, and its ratio to
  log(1/(2 eps)).
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
# Lemma 7.2 (thesis Lemma 23): E[1 - Z] shrinks by 7/8 per value
_LOG_SHRINK = math.log(0.875)


@dataclass(frozen=True)
class ProofBound:
    """A sample size certified by the elementary proof, with the choices that give it."""

    n: int  #: total number of values
    k: int  #: values spent in the growth phase (until Z > 1/2)
    beta: float  #: growth factor of Proposition 6.3 (thesis Proposition 18)
    eps: float
    accounting: str

    @property
    def constant(self) -> float:
        """n / log(1/(2 eps)), the form of Remark 2.4 (thesis Remark 7)."""
        return self.n / math.log(1.0 / (2.0 * self.eps))

    @property
    def p(self) -> float:
        """p_beta = 1 - 7 / (8 (1 - beta)) of Proposition 6.6 (thesis Proposition 20)."""
        return _p(self.beta)

    @property
    def alpha(self) -> int:
        """alpha_{beta, eps} of Proposition 6.6 (thesis Proposition 20), at the run's precision."""
        return _alpha(_log_inverse_target(self.eps, self.accounting), self.beta)


def _p(beta):
    return 1.0 - 7.0 / (8.0 * (1.0 - beta))


def _log_inverse_target(eps, accounting):
    """log(1/(2 e)) in the alpha of Proposition 6.6 (thesis Proposition 20), e the precision."""
    # corrected: Lemma 5.4 (thesis Lemma 15) turns "Z > 1 - e/2" into "all 2e-approximable",
    # so e = eps/2
    e = eps / 2.0 if accounting == "corrected" else eps
    return math.log(1.0 / (2.0 * e))


def _alpha(log_target, beta):
    return math.ceil(log_target / math.log1p(beta))


def _growth_failure(k, p, a):
    """Proposition 6.6 (thesis Proposition 20): exp(-2 (k p - a)^2 / k) if k p > a, else 1."""
    k = np.asarray(k, dtype=float)
    slack = k * p - a
    return np.where(slack > 0, np.exp(-2.0 * np.maximum(slack, 0.0) ** 2 / k), 1.0)


def _decay_failure(m, eps, accounting):
    """Lemma 7.2 (thesis Lemma 23) after m decay steps; in logs, as 0.875**m underflows."""
    m = np.asarray(m, dtype=float)
    if accounting == "corrected":
        # Markov: P(1 - Z >= e/2) <= 2 E[1 - Z] / e <= 0.875^m / e, with e = eps/2
        return np.exp(np.minimum(0.0, m * _LOG_SHRINK - math.log(eps / 2.0)))
    # as printed: no 1/eps from Markov's inequality
    return np.exp(np.minimum(0.0, m * _LOG_SHRINK))


def p_beta(beta) -> float:
    """p_beta = 1 - 7 / (8 (1 - beta)), for beta in (0, 1/8).

    The growth probability of Proposition 6.3 (thesis Proposition 18) and Proposition 6.6
    (thesis Proposition 20).
    """
    beta = as_positive_real(beta, "beta")
    if beta >= 0.125:
        raise ValueError(
            f"beta must be in (0, 1/8) (Proposition 6.3 (thesis Proposition 18)), got {beta}"
        )
    return _p(beta)


def alpha_beta(e, beta) -> int:
    """alpha = ceil(log(1/(2 e)) / log(1 + beta)), for the process at precision e.

    The alpha of Proposition 6.6 (thesis Proposition 20): the number of factors (1 + beta)
    that lift Z_0 = e above 1/2 (up to one).
    """
    e = as_positive_real(e, "e")
    if e >= 0.5:
        raise ValueError(f"e must be in (0, 1/2), got {e}")
    return _alpha(math.log(1.0 / (2.0 * e)), as_positive_real(beta, "beta"))


def growth_failure_bound(k, p, alpha):
    """P(Z_k <= 1/2) <= exp(-2 (k p - alpha)^2 / k) if k p > alpha, as printed.

    Proposition 6.6 (thesis Proposition 20), as the thesis prints it; 1 where k p <= alpha
    (the statement says nothing there). Broadcasts over arrays of k >= 1, p in (0, 1) and
    alpha >= 0.
    """
    k, p, alpha = (np.asarray(v, dtype=float) for v in (k, p, alpha))
    if np.any(~np.isfinite(k)) or np.any(k < 1):
        raise ValueError("k must be >= 1")
    if np.any(~(p > 0)) or np.any(~(p < 1)):
        raise ValueError("p must be in (0, 1)")
    if np.any(~np.isfinite(alpha)) or np.any(alpha < 0):
        raise ValueError("alpha must be >= 0")
    return _growth_failure(k, p, alpha)


def decay_failure_bound(m, eps, accounting="corrected"):
    """P(1 - Z >= eps/2 at the end | Z > 1/2 at the start), after m decay values.

    Lemma 7.2 (thesis Lemma 23). ``"corrected"``: the process run at eps/2, with the
    1/(eps/2) of Markov's inequality, min(1, 0.875^m / (eps/2)). ``"as written"``: the
    thesis's printed min(1, 0.875^m), which is false for small eps (Part II shows it).
    Broadcasts over an array of m >= 0.
    """
    m = np.asarray(m, dtype=float)
    if np.any(~np.isfinite(m)) or np.any(m < 0):
        raise ValueError("m must be >= 0")
    if accounting not in ACCOUNTINGS:
        raise ValueError(f"accounting must be one of {ACCOUNTINGS}, got {accounting!r}")
    return _decay_failure(m, as_positive_real(eps, "eps"), accounting)


def _phase_failures(k, m, beta, eps, accounting):
    """Failure probabilities of the two phases after k growth and m decay steps."""
    alpha = _alpha(_log_inverse_target(eps, accounting), beta)
    # Proposition 6.6 (thesis Proposition 20) as printed (its proof's thesis Eq. 3.12 has
    # alpha + 1, one more than needed: alpha + 1 successes lift Z_0 = e above 1/2, so
    # P(Z_k <= 1/2) <= P(Bin(k, p) <= alpha))
    return _growth_failure(k, _p(beta), alpha), _decay_failure(m, eps, accounting)


def _accepts(growth, decay, eps, accounting):
    """Whether the two failure probabilities certify success 1 - eps."""
    if accounting == "as written":
        # the thesis's last line: each phase fails with probability at most eps/2
        return (growth <= eps / 2) & (decay <= eps / 2)
    # failure of (1 - growth)(1 - decay), written without the cancellation of 1 - eps
    return growth + decay - growth * decay <= eps


def _certified(n, beta, eps, accounting):
    """A split k (1 <= k < n) that certifies success 1 - eps with n values, or None."""
    k = np.arange(1, n)
    if k.size == 0:
        return None
    growth, decay = _phase_failures(k, n - k, beta, eps, accounting)
    ok = np.flatnonzero(_accepts(growth, decay, eps, accounting))
    return int(k[ok[0]]) if ok.size else None


def _least_true(pred, guess, lo=1):
    """Least integer x >= lo with pred(x), for pred false-then-true, starting near guess."""
    x = max(lo, int(guess))
    while x > lo and pred(x - 1):
        x -= 1
    while not pred(x):
        x += 1
    return x


def _k_root(p, a, target):
    """Real k above which exp(-2 (k p - a)^2 / k) <= target (with k p > a).

    (k p - a)^2 / k increases with k once k p > a, so the condition is false-then-true
    in k, and its threshold is the larger root of p^2 k^2 - (2 a p + c) k + a^2 = 0 with
    c = log(1/target) / 2.
    """
    c = 0.5 * math.log(1.0 / target)
    return ((2.0 * a * p + c) + math.sqrt(c * c + 4.0 * a * p * c)) / (2.0 * p * p)


def _least_k(p, a, target):
    """Least k >= 1 with exp(-2 (k p - a)^2 / k) <= target: the root, checked exactly."""
    root = _k_root(p, a, target)
    return _least_true(
        lambda k: bool(_growth_failure(k, p, a) <= target),
        math.ceil(root) if root < 2**60 else 2**60,
    )


def _least_m(target, eps, accounting):
    """Least m >= 1 with the decay failure of Lemma 7.2 (thesis Lemma 23) at most target."""
    shift = -math.log(eps / 2.0) if accounting == "corrected" else 0.0
    guess = math.ceil((shift + math.log(1.0 / target)) / -_LOG_SHRINK)
    return _least_true(lambda m: bool(_decay_failure(m, eps, accounting) <= target), guess)


def _least_n_for(p, a, eps, accounting, m_floor, stop):
    """(n, k): least total for fixed p_beta and alpha = a, or None if n >= stop.

    ``m_floor`` is the least decay length that can work at all (for "as written" the
    one that is needed).
    """
    if accounting == "as written":
        k = _least_k(p, a, eps / 2)
        n = k + m_floor
        return (n, k) if n < stop else None
    # corrected: the growth phase must fail with probability < eps, and each extra growth
    # value lowers the decay steps needed, down to m_floor (growth failure -> 0)
    k0 = _least_true(lambda k: bool(_growth_failure(k, p, a) < eps), _least_k(p, a, eps))
    best = None
    chunk = 256
    while k0 + m_floor < stop:
        k = np.arange(k0, k0 + chunk)
        g = _growth_failure(k, p, a)
        # least m with g + d - g d <= eps, i.e. d <= (eps - g) / (1 - g)
        ratio = (eps - g) / (1.0 - g)
        shift = -math.log(eps / 2.0)
        m = np.maximum(1, np.ceil((shift - np.log(ratio)) / -_LOG_SHRINK)).astype(np.int64)
        for _ in range(64):  # rounding only: a step or two
            down = (m > 1) & _accepts(g, _decay_failure(m - 1, eps, accounting), eps, accounting)
            up = ~_accepts(g, _decay_failure(m, eps, accounting), eps, accounting)
            if not (down.any() or up.any()):
                break
            m = m - down + up
        else:
            raise ArithmeticError("the decay length did not settle")
        total = k + m
        i = int(np.argmin(total))
        if total[i] < stop:
            best, stop = (int(total[i]), int(k[i])), int(total[i])
        if m[-1] <= m_floor:
            break  # from here on every extra growth value adds one to n
        k0 += chunk
    return best


#: relative step by which the returned beta lies inside its piece of constant alpha
_INSIDE = 1e-9


def _beta_in_piece(log_target, alpha):
    """beta_a = (1/(2 e))^(1/a) - 1 moved up by a relative 1e-9, into the piece alpha = a.

    At beta_a itself log_target / log(1 + beta) is the integer a, and whether its ceiling
    comes out as a or a + 1 depends on how log(1 + beta) is rounded; 1e-9 inside, every
    way of computing it gives a.
    """
    beta = math.expm1(log_target / alpha) * (1.0 + _INSIDE)
    if _alpha(log_target, beta) != alpha:  # cannot happen for a < 10^6 or so
        raise ArithmeticError(f"beta for alpha = {alpha} is not inside its piece")
    return beta


def proof_sample_size(eps, accounting="corrected") -> ProofBound:
    """Smallest n for which the elementary proof certifies success 1 - eps.

    The proof (thesis Chapter 3) of Theorem 2.2 (thesis Theorem 6) splits the values into a
    growth phase of k values, after which Z_k > 1/2 except with the probability of
    Proposition 6.6 (thesis Proposition 20), and a decay phase of n - k values, after which
    1 - Z_n < eps/2 except with the probability of Lemma 7.2 (thesis Lemma 23);
    Lemma 5.4 (thesis Lemma 15) then turns a small uncovered fraction into full coverage.
    The certified success is ``(1 - growth failure) (1 - decay failure)``.

    "Smallest" is over every integer n, every split 1 <= k < n and every real beta in
    (0, 1/8) (Proposition 6.3 (thesis Proposition 18) needs beta < 1/8), and it is exact,
    not a grid search.
    beta enters only through p_beta = 1 - 7 / (8 (1 - beta)), which decreases with beta,
    and alpha = ceil(log(1/(2 e)) / log(1 + beta)) (e the precision the process is run
    at), which is constant between the breakpoints beta_a = (1/(2 e))^(1/a) - 1. On each
    such piece the smallest beta (largest p_beta) is best, so it suffices to try every
    breakpoint beta_a in (0, 1/8), for a from its least value up to the point where the
    growth phase alone (k p_beta > a with p_beta < 1/8, so k > 8 a) needs more values
    than the best n found. At each breakpoint the least k and the least decay length
    have closed forms, adjusted for rounding by exact checks. Each beta_a is taken a
    relative 1e-9 inside its piece, so that alpha does not depend on how log(1 + beta)
    is rounded; the minimum is exact unless a certification is that close to its
    threshold.

    Parameters
    ----------
    eps : float
        In (0, 1/3), as in Theorem 2.2.
    accounting : {"corrected", "as written"}
        Both use Proposition 6.6 as printed, exp(-2 (k p_beta - alpha)^2 / k), which is
        true (its proof's thesis Eq. 3.12 has alpha + 1, one more than needed).
        ``"corrected"`` then uses Lemma 7.2, with the factor 1/eps that Markov's inequality
        produces, and runs the process at precision eps/2, so that Lemma 5.4 yields eps
        (not 2 eps), and splits the failure probability between the phases optimally.
        ``"as written"`` uses Lemma 7.2 as the thesis prints it, (7/8)^(n-k), at precision
        eps, and,
        like the thesis's final line, asks each phase to fail with probability at most
        eps/2.

    Returns
    -------
    ProofBound
        n, the growth length k and beta achieving it (ties go to the largest beta).
    """
    eps = as_positive_real(eps, "eps")
    if not eps < 1.0 / 3.0:
        raise ValueError(f"eps must be in (0, 1/3) as in Theorem 2.2 (thesis Theorem 6), got {eps}")
    if accounting not in ACCOUNTINGS:
        raise ValueError(f"accounting must be one of {ACCOUNTINGS}, got {accounting!r}")
    log_target = _log_inverse_target(eps, accounting)
    # what the growth failure must (at least) meet
    target = eps if accounting == "corrected" else eps / 2
    m_floor = _least_m(target, eps, accounting)
    # beta_a < 1/8 exactly when a > log_target / log(9/8)
    a_min = math.floor(log_target / math.log1p(0.125)) + 1
    # prime the pruning with the breakpoint nearest beta = 0.048, about the best beta for
    # small eps; stop is one above its n so that the scan below still meets it
    a = max(a_min, math.ceil(log_target / math.log1p(0.048)))
    primed = _least_n_for(_p(_beta_in_piece(log_target, a)), a, eps, accounting, m_floor, math.inf)
    best, stop = None, primed[0] + 1
    a = a_min
    while 8 * a + m_floor < stop:  # k p > a needs k > 8 a
        # cheap lower bound first: the growth phase alone, at the real breakpoint
        root = _k_root(_p(math.expm1(log_target / a)), a, target)
        if root - 1.0 + m_floor >= stop:  # (1 of margin for rounding)
            a += 1
            continue
        beta = _beta_in_piece(log_target, a)
        if 0.0 < beta < 0.125:
            p = _p(beta)
            found = _least_n_for(p, a, eps, accounting, m_floor, stop)
            if found is not None:
                best, stop = (found, beta), found[0]
        a += 1
    (n, k), beta = best
    return ProofBound(n, k, float(beta), eps, accounting)


def proof_constant(eps, accounting="corrected") -> float:
    """``proof_sample_size(eps).n / log(1/(2 eps))``, the constant at this eps.

    The constant of Remark 2.4 (thesis Remark 7).
    """
    return proof_sample_size(eps, accounting).constant


def _limit_total(beta, decay):
    """kappa(beta) + decay: the constant of the limit at one beta (see below)."""
    p = 1.0 - 7.0 / (8.0 * (1.0 - beta))
    a = 1.0 / math.log1p(beta)
    return (1.0 + 4.0 * p * a + math.sqrt(1.0 + 8.0 * p * a)) / (4.0 * p * p) + decay


def proof_constant_limit(accounting="corrected") -> tuple[float, float]:
    """The constant as eps -> 0, minimised over beta in (0, 1/8): (constant, beta).

    With L = log(1/eps) -> infinity and k = kappa L, the growth phase needs
    ``(kappa p - a)^2 >= kappa / 2`` with ``p = p_beta`` and ``a = 1 / log(1 + beta)``
    (Proposition 6.6 (thesis Proposition 20) failing with probability about eps), whose
    least root is ``kappa = (1 + 4 p a + sqrt(1 + 8 p a)) / (4 p^2)``; the decay phase
    needs ``(n - k) log(8/7) >= L`` as written, ``>= 2 L`` corrected (the extra 1/eps).
    The limit is ``min over beta of kappa(beta) + decay``.

    The minimum is certified, not read off a grid: kappa is strictly convex on (0, 1/8).
    ``p`` is positive, decreasing and concave there, so ``p^-2`` is convex; ``a / p`` and
    ``p^-4 + 8 a p^-3`` are log-convex (``-log p`` and ``-log log(1 + beta)`` are convex,
    and ``log(1 - beta) - log(1/8 - beta)`` has second derivative
    ``(1/8 - beta)^-2 - (1 - beta)^-2 > 0``), hence so is the square root of the latter;
    and ``kappa = p^-2/4 + a/p + sqrt(p^-4 + 8 a p^-3)/4``. A golden-section search on a
    convex function keeps the minimiser inside its bracket, so the returned beta is within
    1e-12 of the true minimiser and the constant within rounding of the true minimum
    (the tests compare it with a fine grid and check the convexity numerically).
    """
    if accounting not in ACCOUNTINGS:
        raise ValueError(f"accounting must be one of {ACCOUNTINGS}, got {accounting!r}")
    decay = (2.0 if accounting == "corrected" else 1.0) / math.log(8.0 / 7.0)
    lo, hi = 1e-9, 0.125 - 1e-9  # kappa -> infinity at both ends of (0, 1/8)
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    x1, x2 = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    f1, f2 = _limit_total(x1, decay), _limit_total(x2, decay)
    while hi - lo > 1e-12:
        if f1 <= f2:  # convexity: the minimiser lies in [lo, x2]
            hi, x2, f2 = x2, x1, f1
            x1 = hi - ratio * (hi - lo)
            f1 = _limit_total(x1, decay)
        else:  # the minimiser lies in [x1, hi]
            lo, x1, f1 = x1, x2, f2
            x2 = lo + ratio * (hi - lo)
            f2 = _limit_total(x2, decay)
    beta = (lo + hi) / 2.0
    return float(_limit_total(beta, decay)), float(beta)
