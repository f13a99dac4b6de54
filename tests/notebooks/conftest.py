"""Fixtures for tests that read a notebook's recorded key numbers.

`make test` executes the notebooks (nbval) before these tests, so their numbers are fresh. Run alone,
a test here executes the notebook first (headless, outputs not saved) when its numbers are missing or
older than the notebook file.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course_utils.paths import repo_root
from course_utils.results import load_claims, load_results, results_path


def notebook_file(name: str) -> Path:
    """Return notebooks/<name>.ipynb."""
    return repo_root() / "notebooks" / f"{name}.ipynb"


def results_are_fresh(name: str) -> bool:
    """True when the recorded numbers were written after the notebook was last edited."""
    path = results_path(name)
    if not path.exists():
        return False
    metrics = json.loads(path.read_text())["metrics"]
    oldest = min((entry["recorded_at"] for entry in metrics.values()), default=0)
    return oldest >= notebook_file(name).stat().st_mtime


def execute_notebook(name: str, timeout_s: int = 900) -> None:
    """Run a notebook top to bottom in a fresh kernel without saving its outputs."""
    path = notebook_file(name)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=timeout_s, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()


@pytest.fixture(scope="session")
def notebook_results():
    """Return a function name -> {metric: value} that makes sure the notebook's numbers are fresh."""

    def get(name: str) -> dict[str, float]:
        if not results_are_fresh(name):
            execute_notebook(name)
        return {metric: entry["value"] for metric, entry in load_results(name).items()}

    return get


@pytest.fixture(scope="session")
def notebook_claims(notebook_results):
    """Return a function name -> {claim key: recorded claim} (effect, CI, n, verdict), the notebook run first if stale."""

    def get(name: str) -> dict[str, dict]:
        notebook_results(name)  # executes the notebook when its numbers are missing or stale
        return load_claims(name)

    return get
