"""The course runner: execute every notebook headless, in order, saving its outputs, and report what each run measured.

    python -m tools.run_all                      # every notebook in notebooks/, then solutions/
    python -m tools.run_all 04                   # notebooks/04_*.ipynb and solutions/04_*.ipynb
    python -m tools.run_all notebooks/00_setup_and_map.ipynb
    python -m tools.run_all --update-readme      # ... and rewrite README.md's runtime table from this run
    make run-all                                        # the whole course, report, README table

This is how the committed outputs are produced (so what a reader sees is what a run printed) and how the
README's runtime table is measured. Each notebook runs in its own child process with a fresh kernel
(nbclient); the child reports the kernel's peak resident memory (`ru_maxrss` of its reaped child
processes: the kernel, or a process the kernel started if that one was larger). Measurements are merged
into `<cache>/results/runtimes.json`; a report (Markdown + PNG) with every notebook's wall time, peak
memory and recorded key numbers (`<cache>/results/NN_*.json`) goes to `reports/` (gitignored).
Used by the instructor kit (INSTRUCTOR.md) and by whoever regenerates notebooks 00-07.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from course_utils.paths import artifact_path, repo_root, write_text_atomic
from course_utils.runtime import pick_device

from .machine import CpuShareMeter, load_average, machine_description

BUDGET_SECONDS = 180.0  # the course's budget per notebook on a 2-core CPU
BUDGET_GIB = 4.0
LONGER_BUDGETS = {"notebooks/03_instruction_finetuning.ipynb": 240.0}  # notebook 03 trains seven models
README_TABLE_START = "<!-- runtime-table:start (written by `python -m tools.run_all --update-readme`) -->"
README_TABLE_END = "<!-- runtime-table:end -->"
TABLE_HEADER = ["| notebook | wall time (s) | peak RSS (GiB) |", "|---|---:|---:|"]
_ROW = re.compile(r"^\|\s*`(?P<notebook>[^`]+)`(?P<note>[^|]*)\|\s*(?P<seconds>[^|]+?)\s*\|\s*(?P<peak>[^|]+?)\s*\|\s*$")
_PEAK_LINE = "PEAK_RSS_KIB="

Row = dict[str, Any]


def execute_in_place(path: Path, timeout_s: int = 1200) -> None:
    """Execute a notebook top to bottom in a fresh kernel and save it with its outputs (only if every cell ran)."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    started_at = time.time()
    client = NotebookClient(notebook, timeout=timeout_s, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    write_text_atomic(path, nbformat.writes(notebook) + "\n")
    # Date the file to when its run began, so the numbers the run recorded count as fresh (tests/notebooks/conftest.py).
    os.utime(path, (started_at, started_at))


def _children_peak_rss_kib() -> int:
    """ru_maxrss of the largest reaped child of this process (the notebook's kernel); 0 where the OS has no `resource`."""
    try:
        import resource
    except ImportError:  # Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB on Linux




def display_name(path: Path) -> str:
    """A notebook's path relative to the repository (as the README and the report show it)."""
    path = Path(path).resolve()
    return path.relative_to(repo_root()).as_posix() if path.is_relative_to(repo_root()) else str(path)


def measure(path: Path, timeout_s: int = 1200) -> Row:
    """Execute one notebook in a child process; return its wall time (s), the kernel's peak RSS (GiB) and status."""
    load_before = load_average()
    started_at = time.time()
    started = time.perf_counter()
    # Figures must reach the saved outputs as images: the kernel's inline backend does that, MPLBACKEND=Agg would not.
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    with CpuShareMeter() as share:
        child = subprocess.run(
            [sys.executable, "-m", "tools.run_all", "--execute-one", str(path), "--timeout", str(timeout_s)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=repo_root(),
        )
    seconds = time.perf_counter() - started
    peak_lines = [line for line in child.stdout.splitlines() if line.startswith(_PEAK_LINE)]
    peak_kib = int(peak_lines[-1].removeprefix(_PEAK_LINE)) if peak_lines else 0
    row: Row = {
        "notebook": display_name(path),
        "seconds": round(seconds, 1),
        "peak_rss_gib": round(peak_kib / 2**20, 2),
        "status": "ok" if child.returncode == 0 else "error",
        "started_at": started_at,
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "other_cpu_cores": share.other_cores,
        "steal_cores": share.steal_cores,
    }
    if child.returncode != 0:
        row["error"] = "\n".join(child.stderr.strip().splitlines()[-25:])
    return row


def default_notebooks() -> list[Path]:
    """Return the lesson notebooks, then the solution notebooks, in course order (whatever subset exists)."""
    root = repo_root()
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb"))


def select_notebooks(selectors: Sequence[str | Path]) -> list[Path]:
    """Resolve command-line selectors: a notebook number ("04": lesson and solutions) or a path; none = all."""
    if not selectors:
        return default_notebooks()
    chosen: list[Path] = []
    for selector in selectors:
        text = str(selector)
        if re.fullmatch(r"\d{1,2}", text):
            found = [p for p in default_notebooks() if p.name.startswith(f"{int(text):02d}_")]
            if not found:
                raise FileNotFoundError(f"No notebook numbered {text} in notebooks/ or solutions/.")
        else:
            path = Path(text).resolve()
            if not path.exists() or path.suffix != ".ipynb":
                raise FileNotFoundError(f"{text} is not a notebook file; pass a path to an .ipynb or a number such as 04.")
            found = [path]
        chosen += [p for p in found if p not in chosen]
    return chosen


def results_name(path: Path) -> str | None:
    """The `NotebookResults` name a lesson notebook records its key numbers under (None for solutions)."""
    path = Path(path)
    return None if path.stem.endswith("_solutions") else path.stem


def key_numbers(path: Path, since: float = 0.0) -> tuple[str, int, int] | None:
    """A lesson's recorded key numbers as a Markdown table, with (numbers, numbers recorded at or after `since`)."""
    from course_utils.results import NotebookResults, load_results

    name = results_name(path)
    if name is None:
        return None
    try:
        metrics = load_results(name)
    except FileNotFoundError:
        return None
    fresh = sum(1 for entry in metrics.values() if entry.get("recorded_at", 0) >= since)
    return NotebookResults(name, metrics).table(), len(metrics), fresh


def markdown_table(rows: Sequence[Row]) -> str:
    """Return measured runtimes as a Markdown table (the README's format)."""
    lines = list(TABLE_HEADER)
    lines += [f"| `{row['notebook']}`{' ' + row['note'] if row.get('note') else ''} | {row['seconds']} | {row['peak_rss_gib']} |" for row in rows]
    return "\n".join(lines)


def parse_table(text: str) -> list[Row]:
    """Read the rows of a runtime table written by `markdown_table` (notes after the path are kept)."""
    rows = []
    for line in text.splitlines():
        match = _ROW.match(line.strip())
        if match:
            rows.append({"notebook": match["notebook"], "note": match["note"].strip(), "seconds": match["seconds"], "peak_rss_gib": match["peak"]})
    return rows


def merge_rows(existing: Sequence[Row], measured: Sequence[Row], note: str = "") -> list[Row]:
    """Replace rows of the same notebook and note with measured ones; keep every other row; order as the course.

    Rows with a note (e.g. "(first run, converts the chat model)") record other conditions and are only
    replaced by a run given the same note. Failed runs never enter the table.
    """
    merged = [dict(row, note=row.get("note", "")) for row in existing]
    for row in measured:
        if row.get("status", "ok") != "ok":
            continue
        new = {"notebook": row["notebook"], "note": note, "seconds": row["seconds"], "peak_rss_gib": row["peak_rss_gib"]}
        same = [i for i, old in enumerate(merged) if (old["notebook"], old["note"]) == (new["notebook"], note)]
        if same:
            merged[same[0]] = new
        else:
            merged.append(new)
    course_order = {display_name(p): i for i, p in enumerate(default_notebooks())}
    first_seen = {row["notebook"]: i for i, row in reversed(list(enumerate(merged)))}
    # sorted() is stable: rows of one notebook keep their order; notebooks outside the course go last, as they came
    return sorted(merged, key=lambda row: course_order.get(row["notebook"], len(course_order) + first_seen[row["notebook"]]))


def update_readme_table(readme: str, measured: Sequence[Row], note: str = "") -> str:
    """Return the README text with the table between the runtime-table markers rewritten from `measured` rows."""
    start, end = readme.find(README_TABLE_START), readme.find(README_TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"README has no runtime table markers; put the table between\n{README_TABLE_START}\nand\n{README_TABLE_END}")
    body_start = start + len(README_TABLE_START)
    rows = merge_rows(parse_table(readme[body_start:end]), measured, note)
    return readme[:body_start] + "\n" + markdown_table(rows) + "\n" + readme[end:]


def save_runtimes(rows: Sequence[Row]) -> Path:
    """Merge measured rows into `<cache>/results/runtimes.json` (the latest run of each notebook is kept)."""
    path = artifact_path("results", "runtimes.json")
    saved = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    by_name = {row["notebook"]: row for row in saved if isinstance(row, dict) and "notebook" in row}
    by_name.update({row["notebook"]: dict(row) for row in rows})
    return write_text_atomic(path, json.dumps(list(by_name.values()), indent=2))




def longer_budgets_text() -> str:
    """The notebooks with their own time budget, as "03_instruction_finetuning: 240 s"."""
    return ", ".join(f"{Path(notebook).stem}: {seconds:.0f} s" for notebook, seconds in LONGER_BUDGETS.items())


def budget_seconds(notebook: str) -> float:
    """The wall-time budget of one notebook, by its display name (3 minutes; notebook 03: 4)."""
    return LONGER_BUDGETS.get(notebook, BUDGET_SECONDS)


def within_budget(row: Row) -> bool:
    """True when a run's wall time and peak memory are both within its notebook's budget."""
    return row["seconds"] <= budget_seconds(row["notebook"]) and row["peak_rss_gib"] <= BUDGET_GIB


def plot_runs(rows: Sequence[Row]) -> Any:
    """Wall time and peak memory of each notebook against the course's budgets (a matplotlib Figure)."""
    from course_utils.plots import plot_against_budget

    shown = [row for row in rows if row.get("status", "ok") == "ok"]
    names = [Path(row["notebook"]).stem for row in shown]
    over = sum(not within_budget(row) for row in shown)
    title = f"All {len(shown)} notebooks within budget" if not over else f"{over} of {len(shown)} notebooks over budget"
    longer = {name: LONGER_BUDGETS[row["notebook"]] for name, row in zip(names, shown) if row["notebook"] in LONGER_BUDGETS}
    return plot_against_budget(
        {"wall time (s)": dict(zip(names, [row["seconds"] for row in shown])), "peak RSS (GiB)": dict(zip(names, [row["peak_rss_gib"] for row in shown]))},
        {"wall time (s)": BUDGET_SECONDS, "peak RSS (GiB)": BUDGET_GIB},
        title,
        exceptions={"wall time (s)": longer},
    )


def _or_dash(value: object) -> str:
    return "-" if value is None else str(value)


def report_markdown(rows: Sequence[Row], started_at: float, finished_at: float, plot_name: str | None = "run_all.png") -> str:
    """The run's report: machine, contention, a table of runtimes, the plot and every lesson's key numbers."""
    when = dt.datetime.fromtimestamp(started_at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = machine_description()
    loads = [row[key] for row in rows for key in ("load_average_before", "load_average_after") if row.get(key) is not None]
    lines = [
        "# Course run report",
        "",
        f"Run started {when}, took {finished_at - started_at:.0f} s for {len(rows)} notebook(s) "
        f"({sum(row.get('status', 'ok') == 'ok' for row in rows)} ok). Written by `python -m tools.run_all`.",
        "",
        "Machine: " + "; ".join(f"{key} {value}" for key, value in machine.items()) + ".",
        "",
    ]
    if loads:
        lines += [
            f"1-minute load average around the runs: {min(loads)} to {max(loads)} on {os.cpu_count()} cores. A notebook's own "
            "threads account for up to the core count; clearly above it, other jobs shared the CPU and times are upper bounds.",
            "",
        ]
    lines += ["## Runtime per notebook", "", f"Budget: {BUDGET_SECONDS:.0f} s ({longer_budgets_text()}) and {BUDGET_GIB:.0f} GiB per notebook.", ""]
    lines += [
        "Other programs' CPU use and the hypervisor's steal are in cores, averaged over the run (0 = the machine was the "
        "notebook's alone); either above about 0.2 makes the wall time an upper bound.",
        "",
        "| notebook | status | wall time (s) | peak RSS (GiB) | within budget | load before / after | other programs (cores) | stolen (cores) |",
        "|---|---|---:|---:|---|---|---:|---:|",
    ]
    for row in rows:
        within = "yes" if within_budget(row) else "**no**"
        lines.append(
            f"| `{row['notebook']}` | {row.get('status', 'ok')} | {row['seconds']} | {row['peak_rss_gib']} | {within} | "
            f"{_or_dash(row.get('load_average_before'))} / {_or_dash(row.get('load_average_after'))} | "
            f"{_or_dash(row.get('other_cpu_cores'))} | {_or_dash(row.get('steal_cores'))} |"
        )
    if plot_name:
        lines += ["", f"![Wall time and peak memory per notebook]({plot_name})"]
    failed = [row for row in rows if row.get("status", "ok") != "ok"]
    for row in failed:
        lines += ["", f"### `{row['notebook']}` failed", "", "```", row.get("error", ""), "```"]
    lines += ["", "## Key numbers", "", "What each lesson recorded with `results.report` (`<cache>/results/NN_*.json`)."]
    for row in rows:
        numbers = key_numbers(repo_root() / row["notebook"], since=row.get("started_at", 0.0))
        if numbers is None:
            continue
        table, total, fresh = numbers
        freshness = "all recorded by this run" if fresh == total else f"**{total - fresh} not recorded by this run** (older values)"
        lines += ["", f"### {Path(row['notebook']).stem}", "", f"{total} numbers, {freshness}.", "", table]
    return "\n".join(lines) + "\n"


def write_report(rows: Sequence[Row], started_at: float, finished_at: float, folder: Path) -> Path:
    """Write `run_all.md` and `run_all.png` into `folder`; return the Markdown file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    plot_name = None
    if any(row.get("status", "ok") == "ok" for row in rows):
        figure = plot_runs(rows)
        figure.savefig(folder / "run_all.png", dpi=120)
        plt.close(figure)
        plot_name = "run_all.png"
    return write_text_atomic(folder / "run_all.md", report_markdown(rows, started_at, finished_at, plot_name))


def run(paths: Sequence[Path], timeout_s: int = 1200, progress: bool = True) -> list[Row]:
    """Measure each notebook in turn behind a progress bar; return one row per notebook."""
    from tqdm.auto import tqdm

    rows: list[Row] = []
    bar = tqdm(list(paths), unit="notebook", desc="course", disable=not progress, file=sys.stderr)
    for path in bar:
        bar.set_postfix_str(Path(path).name)
        row = measure(Path(path).resolve(), timeout_s)
        rows.append(row)
        status = "" if row["status"] == "ok" else "  FAILED:\n" + row.get("error", "")
        bar.write(f"{row['notebook']}: {row['seconds']} s, peak {row['peak_rss_gib']} GiB{status}")
    bar.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns 1 if a notebook failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to run: paths, or numbers such as 04 (default: all, in order)")
    parser.add_argument("--report-dir", type=Path, default=None, help="where run_all.md and run_all.png go (default: <repo>/reports)")
    parser.add_argument("--update-readme", action="store_true", help="rewrite README.md's runtime table from this run")
    parser.add_argument("--readme-note", default="", help='note written after each notebook in the README table, e.g. "(first run)"')
    parser.add_argument("--timeout", type=int, default=1200, help="seconds one cell may run (default 1200)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--execute-one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.execute_one:
        execute_in_place(args.execute_one.resolve(), args.timeout)
        print(f"{_PEAK_LINE}{_children_peak_rss_kib()}", flush=True)
        return 0
    started_at = time.time()
    rows = run(select_notebooks(args.notebooks), args.timeout, progress=not args.no_progress)
    save_runtimes(rows)
    report = write_report(rows, started_at, time.time(), args.report_dir or repo_root() / "reports")
    print(markdown_table([row for row in rows if row["status"] == "ok"]))
    print(f"Report: {display_name(report)}")
    if args.update_readme and pick_device() != "cpu":
        print(f"Not updating README.md: its runtime table is for 2 CPU cores, and this run used {pick_device()}.")
    elif args.update_readme:
        readme = repo_root() / "README.md"
        write_text_atomic(readme, update_readme_table(readme.read_text(encoding="utf-8"), rows, args.readme_note))
        print("README.md runtime table updated.")
    return 0 if all(row["status"] == "ok" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
