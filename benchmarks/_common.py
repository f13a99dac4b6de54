"""Shared by the benchmark scripts: the machine's description, how busy it was, and where results go.

Each benchmark writes `<cache>/benchmarks/<name>.json` (gitignored); `run_benchmarks.py` runs them all and
turns those files into the committed `benchmarks/RESULTS.md`.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the maintainers' tools/ package, from the checkout

from course_utils.paths import artifact_path, write_text_atomic  # noqa: E402
from course_utils.stats import mean_ci  # noqa: E402
from tools.machine import CpuShareMeter, load_average, machine_description  # noqa: E402


def result_path(name: str) -> Path:
    """Where benchmark `name` writes its JSON."""
    return artifact_path("benchmarks", f"{name}.json")


def run_benchmark(name: str, title: str, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run `measure()` (returns {"tables": {caption: [row dicts]}, "notes": [...]}), add the context, save and print it."""
    import torch

    record: dict[str, Any] = {
        "name": name, "title": title, "machine": machine_description(), "torch_threads": torch.get_num_threads(),
        "started_at": time.time(), "load_average_before": load_average(), "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset"),
        "platform": platform.platform(terse=True),
    }
    started = time.perf_counter()
    with CpuShareMeter() as share:
        record.update(measure())
    record["seconds"] = round(time.perf_counter() - started, 1)
    record["load_average_after"] = load_average()
    record["other_cpu_cores"], record["steal_cores"] = share.other_cores, share.steal_cores
    write_text_atomic(result_path(name), json.dumps(record, indent=2, default=str))
    for caption, rows in record.get("tables", {}).items():
        print(f"\n{caption}")
        for row in rows:
            print("  " + ", ".join(f"{key}={value}" for key, value in row.items()))
    print(f"\n{name}: {record['seconds']} s, other programs {share.other_cores} cores, stolen {share.steal_cores} cores")
    return record


def ci_cell(scores: list[float]) -> str:
    """'0.81 (0.71–0.88)': the mean of 0/1 scores with its 95% CI, for a markdown table."""
    estimate = mean_ci(scores)
    return f"{estimate.value:.2f} ({estimate.low:.2f}–{estimate.high:.2f})"
