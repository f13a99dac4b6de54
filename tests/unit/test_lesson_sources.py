"""Every lesson and solutions notebook has a jupytext percent script beside it, and the two say the same thing.

Contributors edit either side (JupyterLab with jupytext, or an editor) and run `make sync`; this test fails when a
pair has drifted apart, so an edit to one side can never be silently lost at the next sync.
"""

from pathlib import Path

import jupytext
import nbformat
import pytest

from course_utils.paths import repo_root

LESSON_FOLDERS = ("notebooks", "solutions")
NOTEBOOKS = sorted(path for folder in LESSON_FOLDERS for path in (repo_root() / folder).glob("*.ipynb"))


def cells_of(notebook) -> list[tuple[str, str]]:
    """(cell type, source) of every cell, the part of a notebook both sides of a pair must agree on."""
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def test_every_lesson_folder_has_notebooks():
    assert {path.parent.name for path in NOTEBOOKS} == set(LESSON_FOLDERS)


@pytest.mark.parametrize("notebook_path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_notebook_and_its_percent_script_have_the_same_cells(notebook_path: Path):
    script_path = notebook_path.with_suffix(".py")
    assert script_path.exists(), f"{script_path.name} is missing: run `make sync` to write it from the notebook"
    notebook = nbformat.read(notebook_path, as_version=4)
    script = jupytext.read(script_path, fmt="py:percent")
    assert cells_of(script) == cells_of(notebook), f"{notebook_path.name} and {script_path.name} differ: edit one, then `make sync`"


def test_no_percent_script_lacks_its_notebook():
    scripts = sorted(path for folder in LESSON_FOLDERS for path in (repo_root() / folder).glob("*.py"))
    orphans = [path.name for path in scripts if not path.with_suffix(".ipynb").exists()]
    assert not orphans, f"{orphans}: run `make sync` to write their notebooks, then execute them"


def test_the_pairing_is_configured_at_the_root():
    config = (repo_root() / "jupytext.toml").read_text()
    assert 'formats = "ipynb,py:percent"' in config
