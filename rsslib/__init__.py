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
from rsslib.montecarlo import (
    Estimate,
    cover_times,
    critical_n,
    success_curve,
    success_probability,
    wilson_interval,
)
from rsslib.partition import karmarkar_karp, npp_to_ssp, ssp_to_npp
from rsslib.solve import best_subset, best_subsets, best_subsets_for_targets

__all__ = [
    "Estimate",
    "ProofBound",
    "all_approximable",
    "approximable_set",
    "best_subset",
    "best_subsets",
    "best_subsets_for_targets",
    "cover_time",
    "cover_times",
    "critical_n",
    "density",
    "density_trajectory",
    "draw",
    "expected_next_density",
    "interval_bound",
    "karmarkar_karp",
    "mask_to_bool",
    "next_density",
    "npp_to_ssp",
    "packing_lower_bound",
    "proof_constant",
    "proof_constant_limit",
    "proof_sample_size",
    "product_density",
    "ssp_to_npp",
    "subset_sums",
    "subsets_summing_to",
    "success_curve",
    "success_probability",
    "thin_to_uniform",
    "wilson_interval",
    "window_density",
]

__version__ = "0.1.0"
