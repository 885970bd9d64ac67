"""Library docstrings and CLI help cite statements by the book's numbers, correctly.

The form is "Lemma 5.3 (thesis Lemma 14)": the book's number, then the thesis's as a note.
A citation whose number is not the book's statement of that kind, a thesis note that
disagrees with the statement's title, or a bare thesis number ("Lemma 14") for a result the
book restates, fails here.
"""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KINDS = "Definition|Lemma|Theorem|Proposition|Corollary|Remark|Notation|Example"
BOOK = re.compile(rf"\b({KINDS}) (\d+\.\d+)(?! ?\d)(?:\s+\(thesis ({KINDS}) (\d+)\))?")
THESIS_ONLY = re.compile(rf"(?<![\d.])\b({KINDS}) (\d+)\b(?!\.\d)")


def _load():
    spec = importlib.util.spec_from_file_location(
        "statement_numbers", ROOT / "scripts" / "statement_numbers.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


numbers = _load()
STATEMENTS = numbers.statements(ROOT)
BY_NUMBER = {s.number: s for s in STATEMENTS}
RESTATED = {s.thesis: s for s in STATEMENTS if s.thesis}
SOURCES = sorted(
    p
    for folder in ("rsslib", "scripts", "benchmarks")
    for p in (ROOT / folder).rglob("*.py")
    if p.name != "statement_numbers.py"
)


def test_statement_table_is_complete():
    # fails if a statement lost its label or two statements share a number
    assert all(s.label for s in STATEMENTS)
    assert len(BY_NUMBER) == len(STATEMENTS)
    # fails if the counter were per kind again (Definition 1.1 and Proposition 1.1)
    per_chapter = {}
    for s in STATEMENTS:
        per_chapter.setdefault(s.number.split(".")[0], []).append(int(s.number.split(".")[1]))
    assert all(ks == list(range(1, len(ks) + 1)) for ks in per_chapter.values())


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_citations_use_the_books_numbers(path):
    text = path.read_text(encoding="utf-8")
    problems = []
    for match in BOOK.finditer(text):
        kind, number, thesis_kind, thesis_no = match.groups()
        statement = BY_NUMBER.get(number)
        if statement is None or statement.kind != kind:
            problems.append(f"{kind} {number}: no such statement in the book")
        elif thesis_kind and statement.thesis != (thesis_kind, thesis_no):
            problems.append(
                f"{kind} {number} (thesis {thesis_kind} {thesis_no}): the book's title says "
                f"{statement.thesis}"
            )
    masked = BOOK.sub("", text)
    for match in THESIS_ONLY.finditer(masked):
        key = (match.group(1), match.group(2))
        if key in RESTATED:
            s = RESTATED[key]
            problems.append(
                f"bare '{key[0]} {key[1]}': cite it as {s.kind} {s.number} (thesis ...)"
            )
    assert not problems, "\n".join(problems)
