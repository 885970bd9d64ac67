"""The book's number of every stated result, read from the sources in table-of-contents order.

Chapters are numbered continuously across the numbered parts of ``_toc.yml`` (as Jupyter
Book numbers them), and every sphinx-proof directive of a chapter except ``prf:proof``
takes the next number of the chapter's one counter (``prf_realtyp_to_countertyp`` in
``_config.yml``): Definition 5.1, Lemma 5.2, ... The thesis's number is the note in the
title, "(thesis: Lemma 14)".

Library docstrings and CLI help cite a statement as "Lemma 5.2 (thesis Lemma 14)";
``tests/test_statement_numbers.py`` checks every such citation against this table.

Usage: ``python scripts/statement_numbers.py`` prints the table (label, number, title).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# ":::{prf:lemma} Title" or "```{prf:lemma} Title", then options such as ":label: x"
_DIRECTIVE = re.compile(r"^(?::::+|````*)\{prf:(\w+)\}[ \t]*(.*)$", re.MULTILINE)
_LABEL = re.compile(r"^:label:\s*(\S+)", re.MULTILINE)
_NONUMBER = re.compile(r"^:nonumber:", re.MULTILINE)
_THESIS = re.compile(r"thesis:\s*([A-Z][a-z]+)\s+(\d+)")


@dataclass(frozen=True)
class Statement:
    label: str
    number: str  #: the book's number, "5.2"
    kind: str  #: "Lemma"
    title: str
    doc: str  #: source path without suffix, "book/proof/density_process"

    @property
    def thesis(self) -> tuple[str, str] | None:
        """("Lemma", "14") from the title's "(thesis: Lemma 14)" note, if any."""
        match = _THESIS.search(self.title)
        return (match.group(1), match.group(2)) if match else None


def _markdown(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return path.read_text(encoding="utf-8")


def numbered_chapters(root: Path = ROOT) -> list[str]:
    """Source paths (no suffix) of the numbered chapters, in book order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    return [
        chapter["file"]
        for part in toc.get("parts", [])
        if part.get("numbered")
        for chapter in part["chapters"]
    ]


def statements(root: Path = ROOT) -> list[Statement]:
    """Every numbered statement of the book, in order."""
    found = []
    for chapter_no, doc in enumerate(numbered_chapters(root), start=1):
        source = next(root.glob(doc + ".*"))
        text = _markdown(source)
        counter = 0
        for match in _DIRECTIVE.finditer(text):
            kind, title = match.group(1), match.group(2).strip()
            if kind == "proof":
                continue
            body = text[match.end() : match.end() + 400]
            label = _LABEL.search(body.split("\n\n")[0])
            if _NONUMBER.search(body.split("\n\n")[0]):
                continue
            counter += 1
            found.append(
                Statement(
                    label=label.group(1) if label else "",
                    number=f"{chapter_no}.{counter}",
                    kind=kind.title(),
                    title=title,
                    doc=doc,
                )
            )
    return found


def main() -> int:
    for s in statements():
        print(f"{s.kind} {s.number:6} {s.label:34} {s.title}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
