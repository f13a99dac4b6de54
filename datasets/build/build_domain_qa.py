"""Build datasets/domain_qa.jsonl: question/answer pairs from the Python FAQ and the SQLite FAQ.

The FAQ entries are read back from datasets/domain_corpus.jsonl (run build_domain_corpus.py
first), where each entry is a document whose title is the question and whose text is the
answer. So every gold document id points at the document that contains the answer.

Each output line is one JSON record:
  {"qa_id", "question", "answer" (first sentence, short), "answer_full", "gold_doc_ids",
   "source": "python-faq" | "sqlite-faq", "split": "train" | "validation" | "test"}

Run from the repository root:
    .venv/bin/python datasets/build/build_domain_qa.py
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from jsonl_files import read_jsonl, write_jsonl_atomic  # datasets/build/jsonl_files.py

DATASETS = Path(__file__).resolve().parents[1]
CORPUS_PATH = DATASETS / "domain_corpus.jsonl"
OUT_PATH = DATASETS / "domain_qa.jsonl"

SEED = 13
SPLIT_FRACTIONS = {"train": 0.6, "validation": 0.2}  # the rest is "test"
MIN_FIRST_SENTENCE = 40  # a shorter first sentence ("Yes.") gets the next sentence too
MAX_ANSWER_CHARS = 300
MIN_PROSE_CHARS = 30  # answers with less prose than this (besides code and URLs) are dropped
CODE_INDENT = "    "  # code blocks in the corpus are indented by four spaces
ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "cf.", "Mr.", "Dr.", "approx.", "No.")
URL_RE = re.compile(r"https?://\S+")
FILE_LABEL_RE = re.compile(r"[\w-]+[./][\w./-]*\.")  # a caption such as "foo.py:" above code


def faq_entries(corpus: list[dict]) -> dict[str, dict]:
    """Collect FAQ documents by entry id, joining the parts of split entries in order."""
    entries: dict[str, dict] = {}
    for doc in corpus:
        if not doc["doc_id"].startswith(("pyfaq-", "sqlite-faq-")):
            continue
        entry_id = re.sub(r"-p\d+$", "", doc["doc_id"])
        if entry_id in entries:
            entries[entry_id]["answer_full"] += "\n\n" + doc["text"]
        else:
            source = "python-faq" if doc["source"] == "python-faq" else "sqlite-faq"
            entries[entry_id] = {"question": doc["title"], "answer_full": doc["text"],
                                 "source": source}
    return entries


def prose_paragraphs(text: str) -> list[str]:
    """The paragraphs of an answer that are not code blocks."""
    return [p for p in text.split("\n\n") if not p.startswith(CODE_INDENT)]


def is_pointer_only(text: str) -> bool:
    """True if the answer is essentially only code or a link ("See the Unicode HOWTO.")."""
    prose = [URL_RE.sub("", p).strip() for p in prose_paragraphs(text)]
    prose = [p for p in prose if p]
    if sum(len(p) for p in prose) < MIN_PROSE_CHARS:
        return True
    return len(prose) == 1 and prose[0].startswith("See ") and len(prose[0]) < 150


def sentences(text: str) -> list[str]:
    """Split one line of prose into sentences: at . ! or ? followed by a capitalised word."""
    result, start = [], 0
    for match in re.finditer(r"[.!?][\"')\]]*(?=\s+[A-Z0-9\"'(\[-]|\s*$)", text):
        candidate = text[start:match.end()].strip()
        if candidate.endswith(ABBREVIATIONS) or candidate.endswith(".."):
            continue
        result.append(candidate)
        start = match.end()
    rest = text[start:].strip()
    return result + [rest] if rest else result


def shorten(text: str, limit: int) -> str:
    """Cut text at the last word boundary before `limit` characters and add "..."."""
    if len(text) <= limit:
        return text
    return text[: limit - 3].rsplit(" ", 1)[0].rstrip(",;:") + "..."


def sentence_units(answer_full: str) -> list[str]:
    """The answer's sentences in order; paragraph, list-item and code breaks end a sentence."""
    units = []
    for paragraph in prose_paragraphs(answer_full):
        for line in paragraph.split("\n"):  # list items are written one per line
            line = re.sub(r"^- ", "", " ".join(line.split()))
            units.extend(sentences(line))
    # A sentence that introduced a code block or a list ends with ":"; end it with "." instead.
    units = [u[:-1].rstrip() + "." if u.endswith(":") else u for u in units]
    return [u for u in units if not FILE_LABEL_RE.fullmatch(u)]


def short_answer(answer_full: str) -> str:
    """The first sentence of the answer, or the first two when the first one is very short."""
    units = sentence_units(answer_full)
    answer = re.sub(r"^Short answer:\s*", "", units[0])
    if len(answer) < MIN_FIRST_SENTENCE and len(units) > 1:
        answer = f"{answer} {units[1]}"
    return shorten(answer, MAX_ANSWER_CHARS)


def assign_splits(ids: list[str], seed: int) -> dict[str, str]:
    """Shuffle the sorted ids with a fixed seed and cut them 60/20/20."""
    shuffled = sorted(ids)
    random.Random(seed).shuffle(shuffled)
    n_train = round(len(shuffled) * SPLIT_FRACTIONS["train"])
    n_val = round(len(shuffled) * SPLIT_FRACTIONS["validation"])
    splits = {}
    for position, qa_id in enumerate(shuffled):
        if position < n_train:
            splits[qa_id] = "train"
        elif position < n_train + n_val:
            splits[qa_id] = "validation"
        else:
            splits[qa_id] = "test"
    return splits


def main() -> None:
    """Build the QA pairs, check their gold documents exist and write the JSONL file."""
    corpus = read_jsonl(CORPUS_PATH)
    doc_ids = {doc["doc_id"] for doc in corpus}
    entries = {k: v for k, v in faq_entries(corpus).items()
               if not is_pointer_only(v["answer_full"])}
    splits = assign_splits(list(entries), SEED)
    records = []
    for qa_id in sorted(entries):
        entry = entries[qa_id]
        records.append({"qa_id": qa_id, "question": entry["question"],
                        "answer": short_answer(entry["answer_full"]),
                        "answer_full": entry["answer_full"], "gold_doc_ids": [qa_id],
                        "source": entry["source"], "split": splits[qa_id]})
    for record in records:
        missing = [d for d in record["gold_doc_ids"] if d not in doc_ids]
        assert not missing, f"{record['qa_id']}: gold docs {missing} not in the corpus"
    write_jsonl_atomic(records, OUT_PATH)
    counts = {s: sum(r["split"] == s for r in records) for s in ("train", "validation", "test")}
    print(f"wrote {len(records)} QA pairs {counts} to {OUT_PATH}")


if __name__ == "__main__":
    main()
