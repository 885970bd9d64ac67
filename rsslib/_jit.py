"""The numba decorators every kernel of rsslib uses, so the options live in one place.

``cache=True`` writes compiled code next to the sources, or under ``NUMBA_CACHE_DIR``
when that is set (needed for read-only installs; the Makefile and CI set it).
"""

from functools import partial

import numba

#: Serial kernel: compiled once, cached on disk.
jit = partial(numba.njit, cache=True, nogil=True)

#: Kernel whose outer loop is a ``numba.prange`` over independent trials or instances.
parallel_jit = partial(numba.njit, cache=True, nogil=True, parallel=True)
