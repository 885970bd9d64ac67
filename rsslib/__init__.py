"""rsslib: Random Subset Sum and Strong Lottery Ticket computations.

The library behind the executable book on the Random Subset Sum Problem (RSSP) and the
Strong Lottery Ticket Hypothesis (SLTH).

API style
---------
One style for every public function, here and in :mod:`rsslib.slth`:

- **Validation.** Arguments are plain numpy arrays and Python scalars. Every public function
  checks them before any work and raises ``ValueError`` whose message names the argument and
  the rule it broke (non-finite values, wrong shape, ``eps <= 0``, an empty window, sizes too
  large for memory, a bad seed); it never crashes the interpreter.
- **Seeds.** Randomness comes in as ``seed``: a non-negative int (Python or numpy; not a
  bool) or a ``numpy.random.Generator``. An int seeds ``np.random.default_rng(seed)``; a
  Generator is drawn from directly, not copied, so the caller's stream advances. Where the
  draws come from torch, or one seed makes several streams (``seed + round``,
  ``SeedSequence([seed, layer])``), an int is used as it is and a Generator gives one int
  seed, ``seed.integers(2**32)``. Anything else (a string, a float, a negative number,
  ``True``, ``None``) is refused with a ``ValueError`` naming ``seed``. Only the samplers
  take a ``Generator`` as ``rng``: :func:`draw`, :func:`thin_to_uniform` and the
  ``dist(n, rng)`` callables they call (the samplers of :mod:`rsslib.distributions`, also
  found under :mod:`rsslib.weights`, and :mod:`rsslib.quantized`'s grid sampler). The
  checks live in :mod:`rsslib._validate` (``as_seed``, ``as_generator``, ``as_int_seed``;
  ``as_rng`` for a sampler's ``rng``).
- **Results.** One frozen dataclass per kind of answer, with the same field names for the
  same quantity everywhere: a Monte Carlo probability is an :class:`Estimate` (``p``,
  ``low``, ``high`` of its Wilson 95% interval, ``successes``, ``trials``), a certified
  sample size a :class:`ProofBound`; a sample size is ``n``, a tolerance ``eps``.
- **Progress.** ``progress`` is a bool (``None``, where a function documents it, means "on
  a terminal and not in CI"); reports go to stderr, never into a result.
"""

from rsslib.approximable import (
    all_approximable,
    approximable_set,
    cover_time,
    density,
    density_trajectory,
    expected_next_density,
    interval_bound,
    next_density,
    window_density,
)
from rsslib.bounds import (
    ProofBound,
    packing_lower_bound,
    proof_constant,
    proof_constant_limit,
    proof_sample_size,
)
from rsslib.distributions import draw, product_density, thin_to_uniform
from rsslib.exhaustive import mask_to_bool, subset_sums, subsets_summing_to
from rsslib.fixed_size import (
    all_fixed_size_approximable,
    fixed_size_approximable_set,
    fixed_size_counting_bound,
    fixed_size_cover_time,
    fixed_size_cover_times,
    fixed_size_critical_n,
    fixed_size_success_curve,
    single_value_cover_probability,
)
from rsslib.montecarlo import (
    Estimate,
    cover_times,
    critical_n,
    success_curve,
    success_probability,
    wilson_interval,
)
from rsslib.multidim import covers_cube, critical_n_vectors, vector_success_probability
from rsslib.partition import karmarkar_karp, npp_to_ssp, ssp_to_npp
from rsslib.solve import best_subset, best_subsets, best_subsets_for_targets
from rsslib.sparsest import (
    best_subset_of_size,
    best_subsets_of_size,
    sparsest_subset,
    sparsest_subsets,
)
from rsslib.vector_subsets import best_vector_subset, best_vector_subsets

__all__ = [
    "Estimate",
    "ProofBound",
    "all_approximable",
    "all_fixed_size_approximable",
    "approximable_set",
    "best_subset",
    "best_subset_of_size",
    "best_subsets",
    "best_subsets_for_targets",
    "best_subsets_of_size",
    "best_vector_subset",
    "best_vector_subsets",
    "cover_time",
    "cover_times",
    "covers_cube",
    "critical_n",
    "critical_n_vectors",
    "density",
    "density_trajectory",
    "draw",
    "expected_next_density",
    "fixed_size_approximable_set",
    "fixed_size_counting_bound",
    "fixed_size_cover_time",
    "fixed_size_cover_times",
    "fixed_size_critical_n",
    "fixed_size_success_curve",
    "interval_bound",
    "karmarkar_karp",
    "mask_to_bool",
    "next_density",
    "npp_to_ssp",
    "packing_lower_bound",
    "product_density",
    "proof_constant",
    "proof_constant_limit",
    "proof_sample_size",
    "single_value_cover_probability",
    "sparsest_subset",
    "sparsest_subsets",
    "ssp_to_npp",
    "subset_sums",
    "subsets_summing_to",
    "success_curve",
    "success_probability",
    "thin_to_uniform",
    "vector_success_probability",
    "wilson_interval",
    "window_density",
]

__version__ = "0.1.0"
