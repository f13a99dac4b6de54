"""Run every benchmark (each in its own process) and write `benchmarks/RESULTS.md` from their results.

    python benchmarks/run_benchmarks.py                  # all, then RESULTS.md  (make benchmarks)
    python benchmarks/run_benchmarks.py chat embedding   # some; RESULTS.md keeps the others' last results
    python benchmarks/run_benchmarks.py --write-only     # only rewrite RESULTS.md from the saved results

Each script saves `<cache>/benchmarks/<name>.json` with the machine's description and its load average before
and after, and the CPU time other programs used meanwhile (`tools.machine.CpuShareMeter`); RESULTS.md labels a
result "measured while sharing the CPU" when other programs (or the hypervisor's steal) took 0.2 cores or more.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from _common import result_path

from course_utils.paths import write_text_atomic

HERE = Path(__file__).resolve().parent
BENCHMARKS = {  # name: script, in the order RESULTS.md lists them
    "pretraining": "bench_pretraining.py",
    "embedding": "bench_embedding.py",
    "retrieval": "bench_retrieval.py",
    "faiss_1m": "bench_faiss_1m.py",
    "chat": "bench_chat.py",
}
SHARED_CORES = 0.2  # other programs' CPU use (or steal), in cores, at or above which a result is an upper bound
SHARED_LOAD = 0.5  # older results without that measurement: the 1-minute load average threshold


def markdown_table(rows: list[dict]) -> str:
    """A list of row dicts as a Markdown table."""
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(row.get(key, "")) for key in header) + " |" for row in rows]
    return "\n".join(lines)


def contention(record: dict) -> str:
    """How busy the CPU was around a benchmark, in words."""
    if "other_cpu_cores" in record:  # measured: CPU time of other programs and the hypervisor's steal, in cores
        shared = max(record["other_cpu_cores"], record.get("steal_cores", 0.0)) >= SHARED_CORES
        label = "**measured while sharing the CPU**" if shared else "measured on an otherwise idle CPU"
        return f"{label} (other programs used {record['other_cpu_cores']} cores on average, the hypervisor stole {record.get('steal_cores', 0.0)})"
    loads = [record.get("load_average_before"), record.get("load_average_after")]
    known = [load for load in loads if load is not None]
    if not known:
        return "load average unknown"
    label = "**measured while sharing the CPU**" if max(known) >= SHARED_LOAD else "measured on an otherwise idle CPU"
    return f"{label} (1-minute load average {loads[0]} before, {loads[1]} after)"


def results_markdown(records: list[dict]) -> str:
    """RESULTS.md: the machine, then each benchmark's tables, contention and notes."""
    machine = records[0]["machine"]
    lines = [
        "# Benchmark results",
        "",
        "Written by `make benchmarks` (`python benchmarks/run_benchmarks.py`); every number below is from the run it names.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {key} | {value} |" for key, value in machine.items()]
    lines += [f"| torch threads | {records[0].get('torch_threads')} |", f"| OMP_WAIT_POLICY | {records[0].get('omp_wait_policy')} |", ""]
    for record in records:
        when = dt.datetime.fromtimestamp(record["started_at"], dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        lines += [f"## {record['title']}", "", f"`benchmarks/{BENCHMARKS[record['name']]}`, {when}, {record['seconds']} s; {contention(record)}.", ""]
        if record["machine"] != machine:
            lines += ["Measured on a different machine: " + "; ".join(f"{k} {v}" for k, v in record["machine"].items()) + ".", ""]
        for caption, rows in record.get("tables", {}).items():
            lines += [f"**{caption}**", "", markdown_table(rows), ""]
        lines += [f"- {note}" for note in record.get("notes", [])]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks, then rewrite RESULTS.md from every saved result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run, of {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--write-only", action="store_true", help="only rewrite RESULTS.md from saved results")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    failed = []
    for name in [] if args.write_only else (args.names or list(BENCHMARKS)):
        print(f"=== {name} ===", flush=True)
        if subprocess.run([sys.executable, str(HERE / BENCHMARKS[name])], cwd=HERE.parent).returncode != 0:
            failed.append(name)
    records = [json.loads(result_path(name).read_text()) for name in BENCHMARKS if result_path(name).exists()]
    if records:
        write_text_atomic(HERE / "RESULTS.md", results_markdown(records))
        print(f"wrote {HERE / 'RESULTS.md'} from {len(records)} benchmark(s)")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
