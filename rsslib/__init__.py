"""rsslib: Random Subset Sum and Strong Lottery Ticket computations.

The library behind the executable book on the Random Subset Sum Problem (RSSP) and the
Strong Lottery Ticket Hypothesis (SLTH). Every public function validates its input and
raises ``ValueError`` naming the offending argument.
"""

from rsslib.exhaustive import mask_to_bool, subset_sums, subsets_summing_to
from rsslib.partition import npp_to_ssp, ssp_to_npp

__all__ = [
    "mask_to_bool",
    "npp_to_ssp",
    "ssp_to_npp",
    "subset_sums",
    "subsets_summing_to",
]

__version__ = "0.1.0"
