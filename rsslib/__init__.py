"""rsslib: Random Subset Sum and Strong Lottery Ticket computations.

The library behind the executable book on the Random Subset Sum Problem (RSSP) and the
Strong Lottery Ticket Hypothesis (SLTH). Every public function validates its input and
raises ``ValueError`` naming the offending argument.
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
from rsslib.multidim import (
    best_vector_subset,
    best_vector_subsets,
    covers_cube,
    critical_n_vectors,
    vector_success_probability,
)
from rsslib.partition import karmarkar_karp, npp_to_ssp, ssp_to_npp
from rsslib.solve import best_subset, best_subsets, best_subsets_for_targets
from rsslib.sparsest import (
    best_subset_of_size,
    best_subsets_of_size,
    sparsest_subset,
    sparsest_subsets,
)

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
