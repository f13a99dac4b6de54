"""Tiny helpers to write notebooks from Python lists of (kind, source) cells (authoring aid: edit tools/nbsrc/nbNN.py, then run it from the repo root)."""
import os

import nbformat
from nbformat.v4 import new_notebook, new_markdown_cell, new_code_cell

REPO_SLUG = "pretraining-to-prompting/course"

def colab_badge(path):
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/{REPO_SLUG}/blob/main/{path})"

COLAB_CELL = f'''# Colab only: fetch the course and install its tested pins (does nothing anywhere else).
import sys
if "google.colab" in sys.modules:
    !test -d /content/course || git clone --depth 1 https://github.com/{REPO_SLUG}.git /content/course
    !make -C /content/course colab-setup
    sys.path.insert(0, "/content/course")
    %cd /content/course/notebooks'''

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build(cells, path):
    """Write the cells as an unexecuted notebook at `path` (relative to the repo root); run_all executes it."""
    path = os.path.join(REPO_ROOT, path)
    nb = new_notebook()
    for kind, src in cells:
        src = src.strip("\n")
        nb.cells.append(new_markdown_cell(src) if kind == "md" else new_code_cell(src))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)
