"""Run notebooks headless, in order, saving their outputs, and measure each one's wall time and peak memory.

    python -m course_utils.run_all                      # every notebook in notebooks/ and solutions/
    python -m course_utils.run_all notebooks/00_setup_and_map.ipynb

This is how the committed outputs are produced (so what a reader sees is what a run printed) and how the
README's runtime table is measured. Results go to `<cache>/results/runtimes.json` and are printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from .paths import artifact_path, repo_root, write_text_atomic


def execute_in_place(path: Path, timeout_s: int = 1200) -> None:
    """Execute a notebook top to bottom in a fresh kernel and save it with its outputs."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout_s, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    nbformat.write(notebook, path)


def measure(path: Path) -> dict[str, float | str]:
    """Execute one notebook in a child process; return its wall time (s) and the kernel's peak RSS (GiB)."""
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-m", "course_utils.run_all", "--execute-one", str(path)], check=True, stdout=subprocess.PIPE, text=True
    )
    seconds = time.perf_counter() - started
    peak_kib = int(child.stdout.strip().splitlines()[-1].removeprefix("PEAK_RSS_KIB="))
    name = str(path.relative_to(repo_root())) if path.is_relative_to(repo_root()) else str(path)
    return {"notebook": name, "seconds": round(seconds, 1), "peak_rss_gib": round(peak_kib / 2**20, 2)}


def default_notebooks() -> list[Path]:
    """Return the lesson notebooks, then the solution notebooks, in course order."""
    root = repo_root()
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb"))


def markdown_table(rows: list[dict[str, float | str]]) -> str:
    """Return measured runtimes as a Markdown table."""
    lines = ["| notebook | wall time (s) | peak RSS (GiB) |", "|---|---:|---:|"]
    lines += [f"| `{row['notebook']}` | {row['seconds']} | {row['peak_rss_gib']} |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: all, in order)")
    parser.add_argument("--execute-one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.execute_one:
        execute_in_place(args.execute_one.resolve())
        # ru_maxrss (KiB on Linux) of the largest finished child of this process: the notebook's kernel
        print(f"PEAK_RSS_KIB={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
        return
    rows = []
    for path in args.notebooks or default_notebooks():
        rows.append(measure(path.resolve()))
        print(f"{rows[-1]['notebook']}: {rows[-1]['seconds']} s, peak {rows[-1]['peak_rss_gib']} GiB", flush=True)
    write_text_atomic(artifact_path("results", "runtimes.json"), json.dumps(rows, indent=2))
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
