"""Sizing shared by the meet-in-the-middle solvers (:mod:`rsslib.solve`,
:mod:`rsslib.sparsest`, :mod:`rsslib.multidim`).

Private: each solver passes its own workspace size; the memory limit is passed by the
caller, so that the one knob stays ``rsslib.solve.MAX_MEMORY_BYTES``.
"""

from __future__ import annotations

from collections.abc import Callable

import numba

from rsslib._jit import jit

#: Bitmasks are int64: at most 62 values per instance.
MAX_BITS = 62


def check_size(n: int, copies: int, what: str, workspace: Callable[[int], int], limit: int):
    """Refuse n beyond the solvers' limit, or buffers (``workspace(n)`` bytes per copy,
    ``copies`` at once) beyond ``limit`` bytes."""
    if n > MAX_BITS:
        raise ValueError(f"{what}: n={n} values exceeds the solver's limit of {MAX_BITS}")
    need = copies * workspace(n)
    if need > limit:
        raise ValueError(
            f"{what}: n={n} needs about {need / 2**30:.1f} GiB of meet-in-the-middle buffers "
            f"({copies} at once), more than the {limit / 2**30:.0f} GiB allowed "
            "(rsslib.solve.MAX_MEMORY_BYTES); use fewer values per instance"
        )


def blocks(count: int) -> int:
    """How many blocks a batch of ``count`` instances is cut into for ``numba.prange``:
    four per thread (for balance), at most one per instance, at least one."""
    return max(1, min(count, 4 * numba.get_num_threads()))


@jit(inline="always")
def merge_step(sums, masks, a, b, x, bit, out_sums, out_masks, k):
    """One step of merging the sorted runs ``sums[a:]`` and ``sums[b:] + x``.

    Writes the smaller head at ``out[k]`` (a tie takes the sum without x, so merges are
    stable) and returns the advanced ``(a, b)``. The mask of a shifted sum gains ``bit``.
    """
    plain = sums[a]
    shifted = sums[b] + x
    if plain <= shifted:
        out_sums[k] = plain
        out_masks[k] = masks[a]
        return a + 1, b
    out_sums[k] = shifted
    out_masks[k] = masks[b] | bit
    return a, b + 1
