"""The local search shared by neuron pruning and filter pruning (a private kernel).

Both problems choose a subset S of m vectors ``g_i`` (rows of ``G``) so that
``h = sum_{i in S} g_i`` is close to a target f in the max norm, after a ReLU for a neuron
(``relu(h_p)``) and as it is for a filter. :func:`local_search` moves to the best
neighbour (one vector added or removed, or a kept vector swapped for a dropped one) while
one is better, comparing subsets by their max error and, on ties, by a second score:

- ``neuron=True`` (:mod:`rsslib.slth.neurons`): errors ``|relu(h_p) - f_p|``; second
  score ``sum_p (e_p / max_q e_q)^8``; swaps are tried only when no single flip helps.
- ``neuron=False`` (:mod:`rsslib.slth.filters`): errors ``|f_p - h_p|``; second score
  ``sum_p e_p^2``; flips and swaps are tried at every step.
"""

from __future__ import annotations

import numpy as np

from rsslib._jit import jit


@jit
def max_relu_error(h, f):
    """``max_p |relu(h_p) - f_p|``."""
    e = 0.0
    for p in range(h.size):
        e = max(e, abs(max(h[p], 0.0) - f[p]))
    return e


@jit
def score(h, f, neuron, bound):
    """(max error, tie-break score); (inf, inf) once a point's error exceeds ``bound``."""
    top = 0.0
    s2 = 0.0
    for p in range(h.size):
        e = abs(max(h[p], 0.0) - f[p]) if neuron else abs(f[p] - h[p])
        if e > bound:
            return np.inf, np.inf
        top = max(top, e)
        s2 += e * e
    if not neuron:
        return top, s2
    if top == 0.0:
        return 0.0, 0.0
    s = 0.0
    for p in range(h.size):
        r = abs(max(h[p], 0.0) - f[p]) / top
        r *= r
        r *= r
        s += r * r
    return top, s


@jit
def local_search(G, f, mask, max_rounds, neuron):
    """Best-improvement flips and swaps from ``mask`` (changed in place); returns h."""
    m, P = G.shape
    tie = 1e-12 if neuron else 1e-15
    h = np.zeros(P)
    for i in range(m):
        if mask[i]:
            for p in range(P):
                h[p] += G[i, p]
    cur0, cur1 = score(h, f, neuron, np.inf)
    trial = np.empty(P)
    trial2 = np.empty(P)
    for _ in range(max_rounds):
        best0, best1, bi, bj = cur0, cur1, -1, -1
        bound = best0 + 1e-15 if neuron else np.inf
        for i in range(m):
            sgn = -1.0 if mask[i] else 1.0
            for p in range(P):
                trial[p] = h[p] + sgn * G[i, p]
            s0, s1 = score(trial, f, neuron, bound)
            if s0 < best0 - 1e-15 or (s0 <= best0 + 1e-15 and s1 < best1 - tie):
                best0, best1, bi, bj = s0, s1, i, -1
                bound = best0 + 1e-15 if neuron else np.inf
        if bi < 0 or not neuron:
            for i in range(m):
                if not mask[i]:
                    continue
                for p in range(P):
                    trial[p] = h[p] - G[i, p]
                for j in range(m):
                    if mask[j]:
                        continue
                    for p in range(P):
                        trial2[p] = trial[p] + G[j, p]
                    s0, s1 = score(trial2, f, neuron, bound)
                    if s0 < best0 - 1e-15 or (s0 <= best0 + 1e-15 and s1 < best1 - tie):
                        best0, best1, bi, bj = s0, s1, i, j
                        bound = best0 + 1e-15 if neuron else np.inf
        if bi < 0:
            break
        for t in (bi, bj):
            if t >= 0:
                sgn = -1.0 if mask[t] else 1.0
                mask[t] = not mask[t]
                for p in range(P):
                    h[p] += sgn * G[t, p]
        cur0, cur1 = best0, best1
    return h
