"""Every notebook follows the course's anatomy, and ships with outputs from a real, error-free run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course_utils.paths import repo_root

NOTEBOOKS = sorted((repo_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((repo_root() / "solutions").glob("[0-9][0-9]_*_solutions.ipynb"))


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def markdown(path: Path) -> str:
    return "\n".join("".join(c["source"]) for c in cells(path) if c["cell_type"] == "markdown")


def code(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in cells(path) if c["cell_type"] == "code"]


def test_the_course_has_notebooks_and_solutions():
    assert NOTEBOOKS and SOLUTIONS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_opens_with_objectives_prerequisites_and_runtime(path):
    text = markdown(path)
    for heading in ("Objectives", "Prerequisites", "Expected runtime"):
        assert heading in text, f"{path.name} lacks '{heading}'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_prints_the_banner_and_ends_with_exercises_summary_and_troubleshooting(path):
    assert any("banner()" in source for source in code(path)[:3]), "the banner must be among the first code cells"
    text = markdown(path)
    for heading in ("Exercise", "Summary", "Troubleshooting", "Further reading"):
        assert heading in text, f"{path.name} lacks '{heading}'"
    assert any("check_" in source for source in code(path)), "exercises must be auto-checked"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_a_matching_solutions_notebook(path):
    assert (repo_root() / "solutions" / f"{path.stem}_solutions.ipynb").exists()


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.stem)
def test_committed_outputs_come_from_a_complete_error_free_run(path):
    code_cells = [c for c in cells(path) if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code_cells]
    assert all(count is not None for count in counts), "every code cell must have been executed"
    assert counts == sorted(counts), "cells must have been executed top to bottom, in order"
    errors = [o for c in code_cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path.name} was committed with error outputs"


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.stem)
def test_colab_badge_points_at_this_notebook(path):
    badge = re.search(r"colab\.research\.google\.com/github/[^/]+/[^/]+/blob/main/([^)\s]+)", markdown(path))
    assert badge, f"{path.name} has no Open-in-Colab badge"
    assert (repo_root() / badge.group(1)) == path


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_markdown_quotes_no_measured_numbers(path):
    # Numbers come from `results.report`, printed by code; prose about measurements stays number-free.
    assert not re.search(r"\d+(\.\d+)?\s?(tokens/s|% recall|perplexity of \d)", markdown(path))
