"""Student copies: the lesson notebooks with every output cleared, for a class that runs them from scratch.

Part of the instructor kit (INSTRUCTOR.md), not used by notebooks 00-07 themselves. The committed notebooks
carry the outputs of a real run (so a reader on the web sees results); in class, learners should produce
those outputs themselves. `make student-copies` (or `python -m tools.student_copies`) writes
`student/notebooks/NN_*.ipynb` with outputs, execution counts and run metadata removed; the folder sits
next to `notebooks/`, so relative links and `course_utils` keep working. Solutions are not copied.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from course_utils.paths import repo_root, write_text_atomic

RUN_METADATA_KEYS = ("execution", "collapsed", "scrolled", "ExecuteTime")  # left behind by a run or a viewer


def clear_outputs(notebook: Any) -> Any:
    """Return the nbformat notebook with outputs, execution counts and per-cell run metadata removed (in place)."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in RUN_METADATA_KEYS:
            cell.metadata.pop(key, None)
    notebook.metadata.pop("widgets", None)  # saved widget state belongs to a run
    return notebook


def student_copies(sources: Sequence[Path] | None = None, destination: Path | None = None) -> list[Path]:
    """Write output-free copies of the lesson notebooks to `destination` (default `<repo>/student/notebooks`)."""
    import nbformat

    sources = list(sources) if sources is not None else sorted((repo_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not sources:
        raise FileNotFoundError("No notebooks to copy: notebooks/NN_*.ipynb is empty.")
    destination = Path(destination) if destination is not None else repo_root() / "student" / "notebooks"
    written = []
    for source in sources:
        notebook = clear_outputs(nbformat.read(source, as_version=4))
        nbformat.validate(notebook)
        written.append(write_text_atomic(destination / Path(source).name, nbformat.writes(notebook) + "\n"))
    return written


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: `python -m tools.student_copies [--out FOLDER]`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the copies (default: student/notebooks)")
    args = parser.parse_args(argv)
    written = student_copies(destination=args.out)
    print(f"{len(written)} student copies with outputs cleared in {written[0].parent}")


if __name__ == "__main__":
    main()
