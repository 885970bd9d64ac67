"""The book's look: one matplotlib style and one table precision, sized for its column.

Every notebook calls :func:`use` once after its imports. Figures are drawn at 100 dpi and at
most :data:`COLUMN_INCHES` wide, so the rendered page (a text column of about 670 pixels at a
1280-pixel window, sphinx-book-theme) shows them at their natural size: a 10 pt label is
then about 14 pixels high on screen, never shrunk below the 9 pt the book promises.
Multi-panel figures are stacked (``nrows``) or kept to two panels side by side.

Example
-------
>>> from rsslib import bookstyle
>>> bookstyle.use()
>>> fig, ax = bookstyle.subplots()                  # one panel, full column
>>> fig, (top, bottom) = bookstyle.subplots(2, 1)   # two panels, stacked
"""

from __future__ import annotations

#: Figure width in inches at 100 dpi: 650 px, inside the ~670 px column at a 1280 px window.
COLUMN_INCHES = 6.5
#: Height of one row of panels, in inches.
ROW_INCHES = 3.4
#: Widest figure ``subplots`` accepts (shown at 97% of its size, well above the 75% floor).
MAX_INCHES = 6.8

RC = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.figsize": (COLUMN_INCHES, ROW_INCHES),
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "lines.linewidth": 1.5,
    "lines.markersize": 5,
    "axes.grid": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    # log axes: every decade written 10^k (not 0.01 beside 10^-3)
    "axes.formatter.min_exponent": 0,
}


def use() -> None:
    """Apply the book's matplotlib style (and pandas' table precision, if pandas is there).

    Idempotent. Pandas is optional: without it only matplotlib is configured.
    """
    import matplotlib as mpl

    mpl.rcParams.update(RC)
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is in requirements.txt
        return
    pd.set_option("display.precision", 4)
    pd.set_option("display.max_columns", 12)
    pd.set_option("display.width", 88)


def formatted(table, specs):
    """``table`` (a DataFrame) with numbers formatted as strings, as ``print`` shows them.

    ``specs`` maps a column to a format spec, e.g. ``{"p": ".4f", "n": ","}``; a single
    spec such as ``".3f"`` formats every float cell of the table. Strings are rounded the
    way ``format`` rounds (half to even on the binary value), so a table shows exactly the
    digits a ``print`` would, and its text does not depend on pandas' display precision.
    """
    if isinstance(specs, str):
        return table.map(lambda v: format(v, specs) if isinstance(v, float) else v)
    missing = [c for c in specs if c not in table.columns]
    if missing:
        raise ValueError(f"specs names columns the table lacks: {missing}")
    return table.assign(**{c: [format(v, s) for v in table[c]] for c, s in specs.items()})


def subplots(nrows: int = 1, ncols: int = 1, *, height: float | None = None, **kwargs):
    """``plt.subplots`` at the column's width: ``height`` inches per row (default 3.4).

    Raises ``ValueError`` for more than two panels side by side (their labels would fall
    below 9 pt on the page): stack them with ``nrows`` instead.
    """
    import matplotlib.pyplot as plt

    if not (isinstance(nrows, int) and isinstance(ncols, int)) or nrows < 1 or ncols < 1:
        raise ValueError(f"nrows and ncols must be positive ints, got {nrows!r}, {ncols!r}")
    if ncols > 2:
        raise ValueError(f"ncols must be at most 2 for a readable page, got {ncols}")
    row = ROW_INCHES if height is None else float(height)
    if not row > 0:
        raise ValueError(f"height must be positive, got {height!r}")
    kwargs.setdefault("figsize", (COLUMN_INCHES, row * nrows))
    if kwargs["figsize"][0] > MAX_INCHES:
        raise ValueError(
            f"figsize width must be at most {MAX_INCHES} inches, got {kwargs['figsize'][0]}"
        )
    return plt.subplots(nrows, ncols, **kwargs)
