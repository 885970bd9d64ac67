"""Regenerate book/rss/data/cover_times.csv, the cover-time table behind Part I's figures.

A thin wrapper around ``python -m rsslib thresholds --book --seed 7 --out
book/rss/data/cover_times.csv`` (about ten minutes on 2 cores); extra arguments are passed
on, e.g. ``--workers 2`` or ``--dask tcp://HOST:PORT``. The output is the same bytes
wherever it runs. See ``python -m rsslib thresholds --help``.
"""

import sys
from pathlib import Path

from rsslib.__main__ import main

OUT = Path(__file__).resolve().parents[1] / "book" / "rss" / "data" / "cover_times.csv"

if __name__ == "__main__":
    sys.exit(main(["thresholds", "--book", "--seed", "7", "--out", str(OUT), *sys.argv[1:]]))
