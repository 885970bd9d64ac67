"""Shared test settings."""

from hypothesis import settings

# The first call of a numba kernel compiles it, which can take seconds.
settings.register_profile("rsslib", deadline=None, max_examples=200)
settings.load_profile("rsslib")
