"""The course's committed datasets, loaded and validated.

Files live in `datasets/` (see `datasets/README.md` for source, license and the script that built each):
- `general_corpus.jsonl`  Jane Austen's novels, one record per chapter (pre-training, notebook 01)
- `domain_corpus.jsonl`   SQLite documentation and the Python FAQ, one record per section (02, 04, 05)
- `domain_qa.jsonl`       real FAQ question/answer pairs with gold document ids and splits (04, 05, 07)
- `instructions.jsonl`    instruction/response pairs derived from the real corpora (03)
- `handbook.jsonl`, `handbook_questions.jsonl`  a SYNTHETIC company handbook with access levels (04-07):
  `load_handbook(role)` returns what that role may see (`access.is_visible_to`), `load_handbook(UNFILTERED)` every document
- `doc_questions.jsonl`   hand-written questions answered inside one SQLite documentation section, with evidence
- `out_of_corpus_questions.jsonl`  questions no handbook policy / no documentation section answers (abstention)
- `injection_attacks.jsonl`  instructions an attacker hides in a document; "dev" wrote notebook 04's filter, "test" is held out

Every loader checks that the file exists and that each record has the fields the course relies on,
and says what is wrong (and how to restore the file) when it does not.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .access import ROLES, UNFILTERED, Unfiltered, is_visible_to, visible_documents  # noqa: F401 (data.ROLES, data.is_visible_to: re-exported)
from .paths import datasets_dir

Record = dict[str, Any]

SPLITS = ("train", "validation", "test")
SCHEMAS: dict[str, tuple[str, ...]] = {
    "general_corpus.jsonl": ("doc_id", "title", "text"),
    "domain_corpus.jsonl": ("doc_id", "source", "title", "section", "text"),
    "domain_qa.jsonl": ("qa_id", "question", "answer", "gold_doc_ids", "split"),
    "instructions.jsonl": ("id", "task", "instruction", "input", "output", "split"),
    "handbook.jsonl": ("doc_id", "title", "category", "visibility", "cluster", "text"),
    "handbook_questions.jsonl": ("qid", "question", "answer", "gold_doc_ids", "type", "split"),
    "doc_questions.jsonl": ("dq_id", "question", "answer", "evidence", "doc_id", "page", "section", "split"),
    "out_of_corpus_questions.jsonl": ("oq_id", "corpus", "question", "split"),
    "injection_attacks.jsonl": ("attack_id", "split", "style", "language", "text"),
}
OUT_OF_CORPUS_CORPORA = ("handbook", "docs")
OUT_OF_CORPUS_SPLITS = ("validation", "test")  # abstention questions are for evaluation only: no train split
INJECTION_SPLITS = ("dev", "test")  # "dev" phrasings wrote the input filter; "test" ones measure it


class DatasetError(ValueError):
    """A committed dataset file is missing or malformed."""


def _restore_hint(path: Path) -> str:
    """How to get a bad file back: git for one of the committed datasets, the path to check for any other file."""
    if path.name in SCHEMAS and path.resolve().parent == datasets_dir().resolve():
        return f"Restore it with `git checkout -- datasets/{path.name}` in the repository, or rebuild it (datasets/README.md)."
    return f"Check the path ({path.resolve()}) and the file: one JSON object per line."


def read_jsonl(path: Path | str, required_fields: Sequence[str] = ()) -> list[Record]:
    """Read a JSON-lines file, checking every record has `required_fields`."""
    path = Path(path)
    restore_hint = _restore_hint(path)
    if not path.exists():
        raise DatasetError(f"File {path} is missing. {restore_hint}")
    records = []
    with path.open(encoding="utf-8") as lines:
        for line_number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DatasetError(f"{path.name} line {line_number} is not valid JSON ({error.msg}). {restore_hint}") from None
            missing = [name for name in required_fields if name not in record]
            if missing:
                raise DatasetError(f"{path.name} line {line_number} lacks field(s) {missing}. {restore_hint}")
            records.append(record)
    if not records:
        raise DatasetError(f"{path.name} holds no records. {restore_hint}")
    return records


def load_dataset_file(name: str) -> list[Record]:
    """Load one of the committed datasets by file name, validated against its schema."""
    if name not in SCHEMAS:
        raise DatasetError(f"Unknown dataset {name!r}; the course ships: {sorted(SCHEMAS)}.")
    return read_jsonl(datasets_dir() / name, SCHEMAS[name])


def dataset_fingerprint(name: str) -> str:
    """SHA-256 of a committed dataset file's bytes: recorded beside artifacts trained on it, to notice a rebuilt dataset."""
    import hashlib

    if name not in SCHEMAS:
        raise DatasetError(f"Unknown dataset {name!r}; the course ships: {sorted(SCHEMAS)}.")
    path = datasets_dir() / name
    if not path.exists():
        raise DatasetError(f"File {path} is missing. {_restore_hint(path)}")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _filter_split(records: list[Record], split: str | None) -> list[Record]:
    if split is None:
        return records
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS} or None, got {split!r}.")
    return [record for record in records if record["split"] == split]


def load_general_corpus() -> list[Record]:
    """Return Jane Austen's novels, one record per chapter: doc_id, title, section, text."""
    return load_dataset_file("general_corpus.jsonl")


def load_domain_corpus(source: str | None = None) -> list[Record]:
    """Return the technical documentation sections; `source` keeps only "sqlite" or "python-faq"."""
    records = load_dataset_file("domain_corpus.jsonl")
    if source is None:
        return records
    kept = [record for record in records if record["source"] == source]
    if not kept:
        raise ValueError(f"No domain documents from source {source!r}; sources: {sorted({r['source'] for r in records})}.")
    return kept


def load_domain_qa(split: str | None = None) -> list[Record]:
    """Return real FAQ question/answer pairs (optionally one split) with their gold document ids."""
    return _filter_split(load_dataset_file("domain_qa.jsonl"), split)


def load_instructions(split: str | None = None, task: str | None = None) -> list[Record]:
    """Return instruction/response examples, optionally one split and one task family."""
    records = _filter_split(load_dataset_file("instructions.jsonl"), split)
    if task is None:
        return records
    tasks = sorted({record["task"] for record in records})
    if task not in tasks:
        raise ValueError(f"Unknown instruction task {task!r}; the tasks are {tasks}.")
    return [record for record in records if record["task"] == task]


def load_handbook(role: str | Unfiltered) -> list[Record]:
    """Return the synthetic handbook documents a user with `role` may see; `UNFILTERED`: every one (for indexes, not prompts)."""
    records = load_dataset_file("handbook.jsonl")
    return records if role is UNFILTERED else visible_documents(records, role)


def load_handbook_questions(split: str | None = None) -> list[Record]:
    """Return questions about the synthetic handbook with gold document ids and short answers."""
    return _filter_split(load_dataset_file("handbook_questions.jsonl"), split)


def _select_split(records: list[Record], split: str, splits: tuple[str, ...]) -> list[Record]:
    """Keep the records of one split; "all" keeps every record."""
    if split == "all":
        return records
    if split not in splits:
        raise ValueError(f"split must be 'all' or one of {splits}, got {split!r}.")
    return [record for record in records if record["split"] == split]


def load_doc_questions(split: str = "all") -> list[Record]:
    """Return questions answered inside one SQLite documentation section: verbatim answer, evidence sentence, doc_id."""
    return _select_split(load_dataset_file("doc_questions.jsonl"), split, SPLITS)


def load_out_of_corpus_questions(corpus: str, split: str = "all") -> list[Record]:
    """Return questions that no document of `corpus` ("handbook" or "docs") answers, for measuring abstention."""
    if corpus not in OUT_OF_CORPUS_CORPORA:
        raise ValueError(f"corpus must be one of {OUT_OF_CORPUS_CORPORA}, got {corpus!r}.")
    records = [record for record in load_dataset_file("out_of_corpus_questions.jsonl") if record["corpus"] == corpus]
    return _select_split(records, split, OUT_OF_CORPUS_SPLITS)


def load_injection_attacks(split: str = "all") -> list[Record]:
    """Return injected instructions ("dev": the filter was written from them, "test": held out), each with the marker."""
    return _select_split(load_dataset_file("injection_attacks.jsonl"), split, INJECTION_SPLITS)


def texts_of(records: Iterable[Record], field_name: str = "text") -> list[str]:
    """Return one field (default "text") of every record, as a list of strings."""
    return [record[field_name] for record in records]


def split_records(records: Sequence[Record], validation_fraction: float = 0.1, seed: int = 0) -> tuple[list[Record], list[Record]]:
    """Split records into (train, validation) by a seeded shuffle; whole documents never straddle the split."""
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be between 0 and 1, got {validation_fraction}.")
    if len(records) < 2:
        raise ValueError("Need at least two records to make a train and a validation split.")
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    n_validation = max(1, round(len(records) * validation_fraction))
    validation_ids = set(order[:n_validation])
    train = [record for i, record in enumerate(records) if i not in validation_ids]
    validation = [record for i, record in enumerate(records) if i in validation_ids]
    return train, validation
