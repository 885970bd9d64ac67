"""Constants and bounds implied by the arguments of the book.

- :func:`packing_lower_bound`: no sample with fewer values can cover the window
  (a counting argument, Part I).
"""

from __future__ import annotations

import math

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
