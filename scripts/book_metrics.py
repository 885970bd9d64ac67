"""Count what a reader of the book sees, notebook by notebook, from the stored notebooks.

For each notebook under ``book/`` (or the ones named on the command line):

- visible code lines, and the longest visible code cell (cells tagged ``hide-input``,
  ``hide-cell``, ``remove-input`` or ``remove-cell`` are collapsed or absent on the page,
  and so are the code cells of an exercise's solution, between ``solution-start`` and
  ``solution-end``, which the page shows in a closed dropdown);
- ``assert`` statements (visible or not: nbval runs them all);
- stored figures, and how many of them carry a caption (cell metadata
  ``mystnb.figure.caption``);
- code cells whose stored outputs include a figure together with another rich output
  (a figure cell must hold one figure only: myst-nb wraps every rich output of a captioned
  cell in the figure).

``--check`` exits with status 1 when a visible cell exceeds 25 lines or a figure has no
caption. Usage: ``python scripts/book_metrics.py [--check] [NOTEBOOK ...]``.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HIDDEN = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
MAX_VISIBLE_LINES = 25


def _asserts(source: str) -> int:
    """Number of assert statements in a cell (IPython magics are blanked first)."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return source.count("assert ")
    return sum(isinstance(node, ast.Assert) for node in ast.walk(tree))


def notebook_metrics(path: Path) -> dict:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    visible = longest = asserts = figures = captioned = mixed = 0
    in_solution = False
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            if "{solution-start}" in source:
                in_solution = True
            if "{solution-end}" in source:
                in_solution = False
            continue
        if cell["cell_type"] != "code":
            continue
        asserts += _asserts(source)
        n_lines = len(source.strip().splitlines())
        collapsed = in_solution or HIDDEN.intersection(cell["metadata"].get("tags", []))
        if not collapsed:
            visible += n_lines
            longest = max(longest, n_lines)
        rich = [o for o in cell.get("outputs", []) if o["output_type"] != "stream"]
        n_figs = sum(any(k.startswith("image/") for k in o.get("data", {})) for o in rich)
        figures += n_figs
        caption = cell["metadata"].get("mystnb", {}).get("figure", {}).get("caption")
        if n_figs and caption:
            captioned += n_figs
        if n_figs and (len(rich) > 1):
            mixed += 1
    return {
        "visible_lines": visible,
        "longest_cell": longest,
        "asserts": asserts,
        "figures": figures,
        "captioned": captioned,
        "mixed_figure_cells": mixed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="fail on the book's rules")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "book").rglob("*.ipynb"))
    paths = [p for p in paths if ".ipynb_checkpoints" not in p.parts]
    keys = ("visible_lines", "longest_cell", "asserts", "figures", "captioned")
    print(f"{'notebook':40} " + " ".join(f"{k:>13}" for k in keys))
    totals = dict.fromkeys(keys, 0)
    problems = []
    for path in paths:
        m = notebook_metrics(path)
        name = path.resolve().relative_to(ROOT).as_posix()
        print(f"{name:40} " + " ".join(f"{m[k]:>13}" for k in keys))
        for k in keys:
            totals[k] = max(totals[k], m[k]) if k == "longest_cell" else totals[k] + m[k]
        if m["longest_cell"] > MAX_VISIBLE_LINES:
            problems.append(f"{name}: a visible code cell has {m['longest_cell']} lines")
        if m["captioned"] < m["figures"]:
            problems.append(f"{name}: {m['figures'] - m['captioned']} figures without caption")
        if m["mixed_figure_cells"]:
            problems.append(f"{name}: {m['mixed_figure_cells']} figure cells with other output")
    print(f"{'total (longest: max)':40} " + " ".join(f"{totals[k]:>13}" for k in keys))
    if args.check:
        for problem in problems:
            print("FAIL", problem)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
