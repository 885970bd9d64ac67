"""The stored notebooks must be complete: nbval can only check outputs that were saved.

A figure that fails to render (a LaTeX typo in a label, say) stores an error traceback
without stopping execution, so such outputs are looked for explicitly.
"""

import json
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
NOTEBOOKS = sorted(p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(BOOK)))
def test_stored_outputs_are_complete_and_error_free(path):
    cells = json.loads(path.read_text())["cells"]
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        assert cell["execution_count"] is not None, f"cell {index} was never executed"
        for output in cell["outputs"]:
            assert output["output_type"] != "error", f"cell {index} stores an error"
            text = "".join(output.get("text", ""))
            assert "Traceback" not in text, f"cell {index} printed a traceback"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(BOOK)))
def test_glued_values_are_plain_python(path):
    """A glued numpy scalar renders as "np.float64(1.18)" in the prose, and a format spec
    ({glue:text}`name:.2f`) then fails the build: glue Python numbers or strings."""
    cells = json.loads(path.read_text())["cells"]
    for index, cell in enumerate(cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            record = "".join(data.get("application/papermill.record/text/plain", ""))
            assert not record.startswith("np."), f"cell {index} glues a numpy scalar: {record}"
