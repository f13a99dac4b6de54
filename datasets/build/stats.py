"""Print a markdown table with the record count and size of every datasets/*.jsonl file.

Run from the repository root and paste the output into datasets/README.md:
    .venv/bin/python datasets/build/stats.py
"""

from __future__ import annotations

from pathlib import Path

DATASETS = Path(__file__).resolve().parents[1]


def count_records(path: Path) -> int:
    """Number of non-empty lines (one JSON record per line)."""
    with path.open(encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def markdown_table(paths: list[Path]) -> str:
    """A markdown table of file name, record count and size in bytes, with a total row."""
    rows = ["| file | records | bytes |", "|---|---:|---:|"]
    total_records = total_bytes = 0
    for path in paths:
        records, size = count_records(path), path.stat().st_size
        total_records += records
        total_bytes += size
        rows.append(f"| {path.name} | {records:,} | {size:,} |")
    rows.append(f"| **total** | {total_records:,} | {total_bytes:,} |")
    return "\n".join(rows)


def main() -> None:
    """Print the table for all JSONL files in datasets/, sorted by name."""
    print(markdown_table(sorted(DATASETS.glob("*.jsonl"))))


if __name__ == "__main__":
    main()
