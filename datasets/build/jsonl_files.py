"""Reading and writing the datasets' JSON-lines files, for every build script here (standard library only).

The build scripts import it as a sibling module (`python datasets/build/build_x.py` puts this folder on the path).
Writers go through a temp file in the same folder and a rename, so an interrupted build never leaves half a dataset.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def read_jsonl(path: Path) -> list[dict]:
    """Read a JSON-lines file into a list of dicts (blank lines skipped)."""
    with Path(path).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def to_jsonl(records: list[dict]) -> str:
    """One compact JSON object per line, keys in the records' own order, non-ASCII kept as is."""
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def write_text_atomic(path: Path, content: str) -> None:
    """Write `content` to a temp file beside `path`, then rename it over `path` (keeping an existing file's mode)."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(content)
        os.chmod(tmp, mode)  # mkstemp creates files readable by the owner only
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_jsonl_atomic(records: list[dict], path: Path) -> None:
    """Write records as JSON lines, atomically."""
    write_text_atomic(path, to_jsonl(records))
