"""Sup errors of simple CNNs over inputs in [0, 1]: the certificate for the thesis's networks.

:func:`sup_error` is the adapter of the one certificate (:mod:`rsslib.slth.certificate`) for
:class:`~rsslib.slth.SimpleCNN`: the target and the pruned 2l-filter network are converted
to :class:`~rsslib.slth.Network` (:func:`~rsslib.slth.network.to_network`), then bounded by
:func:`~rsslib.slth.certificate.certified_error` and searched by
:func:`~rsslib.slth.certificate.search_error`.
"""

from __future__ import annotations

import dataclasses

from rsslib.slth.certificate import Certificate, certified_error, search_error
from rsslib.slth.network import as_filters, to_network


def sup_error(
    target, pruned, size: int = 8, restarts: int = 16, steps: int = 200, seed=0
) -> Certificate:
    """Certified upper bound and searched lower bound on the network's sup error over [0, 1].

    The error recursion of the proof of Theorem 13.1 (thesis Theorem 31) with the proof's
    two constants replaced by measured ones (:func:`~rsslib.slth.certified_error`, where
    the terms are defined), and the largest error projected gradient ascent finds
    (:func:`~rsslib.slth.certificate.search_error`). Write ``K_i`` for the target filter and
    ``L_i`` for the linear filter the i-th pruned pair computes on non-negative inputs
    (:func:`~rsslib.slth.effective_filters`): ``delta_i`` is the exact one-layer sup error of
    ``K_i - L_i`` (:func:`~rsslib.slth.layer_sup_error`), ``op_i = max_l ||K_i[l]||_1``,
    ``R_i = op_i R_{i-1}`` and ``B_i = op_i B_{i-1} + delta_i (R_{i-1} + B_{i-1})``. With
    ``op_i = R_i = 1`` the recursion is the thesis's, ``1 + B_l = prod (1 + delta_i)``.

    Parameters
    ----------
    target : SimpleCNN or list of filters
        The l target filters.
    pruned : SimpleCNN or list of filters
        2l filters, pairs (U, V) with U >= 0 (the output of
        :func:`~rsslib.slth.prune`, or any such network, e.g. all zeros: the empty mask).
    size, restarts, steps : int
        Spatial size of the searched inputs, random starts, Adam steps (0: no search).
    seed : int or numpy.random.Generator
        Seeds the torch generator of the random starts (a Generator gives one int seed).

    Returns
    -------
    Certificate
        ``certified`` (= ``B_l``), ``lower`` (the best error found), ``deltas``,
        ``op_norms``, ``activation_bounds`` (``R_1..R_l``), ``bounds`` (``B_1..B_l``) and
        ``argmax`` (the best input found, or None).
    """
    target_filters = as_filters(target, "target")
    pruned_filters = as_filters(pruned, "pruned")
    if len(pruned_filters) != 2 * len(target_filters):
        raise ValueError("pruned must have two filters per target layer")
    target_net, approx = to_network(target_filters), to_network(pruned_filters, pairs=True)
    lower, argmax = search_error(target_net, approx, size, restarts, steps, seed)
    return dataclasses.replace(certified_error(target_net, approx), lower=lower, argmax=argmax)
