"""Student copies: every output and execution count cleared, sources untouched, originals unchanged."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools.student_copies import clear_outputs, student_copies


def executed_notebook():
    cell = new_code_cell("print(1)", execution_count=3, outputs=[new_output("stream", name="stdout", text="1\n")])
    cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    return new_notebook(cells=[new_markdown_cell("# Title"), cell])


def test_clear_outputs_removes_outputs_counts_and_run_metadata_but_keeps_sources():
    notebook = clear_outputs(executed_notebook())
    code = notebook.cells[1]
    assert code.outputs == [] and code.execution_count is None and "execution" not in code.metadata
    assert code.source == "print(1)" and notebook.cells[0].source == "# Title"


def test_student_copies_writes_valid_cleared_notebooks_and_leaves_the_originals(tmp_path):
    source = tmp_path / "00_x.ipynb"
    nbformat.write(executed_notebook(), source)
    before = source.read_text()
    [copy] = student_copies([source], tmp_path / "student" / "notebooks")
    assert copy == tmp_path / "student" / "notebooks" / "00_x.ipynb"
    cleared = nbformat.read(copy, as_version=4)
    nbformat.validate(cleared)
    assert all(not cell.get("outputs") for cell in cleared.cells) and source.read_text() == before


def test_student_copies_of_the_course_cover_every_lesson(tmp_path):
    written = student_copies(destination=tmp_path)
    assert [p.name for p in written][0] == "00_setup_and_map.ipynb"
    assert all(cell.get("outputs", []) == [] for p in written for cell in nbformat.read(p, as_version=4).cells)


def test_no_notebooks_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        student_copies([], tmp_path)
