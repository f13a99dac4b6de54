"""Key numbers: print a measurement and record it, so prose, tests and the README read the same value.

Every notebook (00-07) creates one `NotebookResults("NN_topic")` and calls `results.report(...)` for
each number its text relies on. The numbers land in `<cache>/results/NN_topic.json`; the range tests
in `tests/test_notebook_results.py` and the course runner read that file. `log` is the package's one
way of printing progress messages.
"""

from __future__ import annotations

import json
import math
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .paths import artifact_path, cache_lock, write_text_atomic


def log(message: str) -> None:
    """Print a progress message from course_utils (the package's only print besides `report`)."""
    print(f"[course_utils] {message}", flush=True)


def results_path(notebook: str) -> Path:
    """Return the JSON file that holds a notebook's recorded numbers."""
    if not notebook or "/" in notebook or notebook.endswith(".ipynb"):
        raise ValueError(f"Name the notebook without folder or extension, e.g. '00_setup_and_map', got {notebook!r}.")
    return artifact_path("results", f"{notebook}.json")


def load_results(notebook: str) -> dict[str, dict[str, Any]]:
    """Return a notebook's recorded numbers: {name: {"value", "unit", "description", "recorded_at"}}."""
    path = results_path(notebook)
    if not path.exists():
        raise FileNotFoundError(f"No results recorded for {notebook} yet: run notebooks/{notebook}.ipynb first.")
    return json.loads(path.read_text(encoding="utf-8"))["metrics"]


def _format_value(value: float | int | str, unit: str) -> str:
    if isinstance(value, float):
        text = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}" if abs(value) < 1e9 else f"{value:.2e}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


@dataclass
class NotebookResults:
    """The measured numbers of one notebook, printed as they are made and saved to the cache."""

    notebook: str
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)

    def report(self, name: str, value: float | int | str, description: str = "", unit: str = "") -> None:
        """Print `description: value unit`, record it under `name` and save the file."""
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{name} is {value}: a key number must be finite; check the run that produced it.")
        if hasattr(value, "item"):  # numpy / torch scalars
            value = value.item()
        self.metrics[name] = {"value": value, "unit": unit, "description": description, "recorded_at": time.time()}
        print(f"{description or name}: {_format_value(value, unit)}", flush=True)
        self.save()

    def save(self) -> Path:
        """Merge this notebook's numbers into its JSON file (atomically, under a lock)."""
        path = results_path(self.notebook)
        with cache_lock(path.name):
            saved = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"metrics": {}}
            saved["metrics"].update(self.metrics)
            saved["notebook"] = self.notebook
            saved["machine"] = f"{platform.machine()} {platform.system()}"
            write_text_atomic(path, json.dumps(saved, indent=2, sort_keys=True))
        return path

    def table(self) -> str:
        """Return the recorded numbers as a Markdown table (the notebook's summary)."""
        rows = ["| measurement | value |", "|---|---|"]
        for name, entry in self.metrics.items():
            rows.append(f"| {entry['description'] or name} | {_format_value(entry['value'], entry['unit'])} |")
        return "\n".join(rows)
