"""Build datasets/instructions.jsonl: judgement tasks over real passages, each with a one-word checkable answer.

Every example is derived mechanically from the committed corpora (run the other build scripts first). The
five task families read the *same kind of passage* (the opening words of a prose paragraph from an Austen novel
or from the SQLite documentation); only the instruction says which property to report, so a model has to read
the instruction to answer:

  source    "novel" or "documentation"       where the passage comes from
  length    "short" or "long"                 a paragraph of at most 12 words, or one of 60 or more
  digit     "yes" or "no"                     does the passage contain a number written in digits?
  question  "yes" or "no"                     does the passage contain a question mark?
  quotes    "yes" or "no"                     does the passage contain a double quotation mark?

Why these: notebook 03's tiny model (about 1.3M parameters, trained for minutes) learns judgement tasks like
these, while copying tasks (repeat the first sentence, give the title, upper-case a sentence, answer an FAQ)
stayed near zero however long it trained. Every family is balanced between its two answers within each split,
so chance is 0.50.

Splits: each example inherits the split of the document it was cut from (documents are shuffled with
random.Random(13) and cut 80/10/10), so a test passage never appears in training under another instruction.
FAQ documents are not used.

Run from the repository root:
    .venv/bin/python datasets/build/build_instructions.py
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

from jsonl_files import read_jsonl, write_jsonl_atomic  # datasets/build/jsonl_files.py

DATASETS = Path(__file__).resolve().parents[1]
GENERAL_PATH = DATASETS / "general_corpus.jsonl"
DOMAIN_PATH = DATASETS / "domain_corpus.jsonl"
OUT_PATH = DATASETS / "instructions.jsonl"

SEED = 13
PASSAGE_WORDS = 40  # a passage is a paragraph's first 40 words: well inside the tiny model's 128-token window
SHORT_WORDS, LONG_WORDS = 12, 60  # the length family: paragraphs of at most 12 words, or of at least 60 (cut to 60)
PER_SPLIT = {"train": 300, "validation": 40, "test": 100}  # examples per family and split (fewer where the corpus has fewer)
DOC_SPLITS = [("train", 0.8), ("validation", 0.1), ("test", 0.1)]
CODE_INDENT = "    "

INSTRUCTIONS = {
    "source": "Is this passage from a novel or from technical documentation? Answer novel or documentation.",
    "length": "Is this passage short or long? Answer short or long.",
    "digit": "Does the passage contain a number written in digits? Answer yes or no.",
    "question": "Does the passage contain a question? Answer yes or no.",
    "quotes": "Does the passage contain quotation marks? Answer yes or no.",
}
ANSWERS = {"source": ("novel", "documentation"), "length": ("short", "long"), "digit": ("yes", "no"),
           "question": ("yes", "no"), "quotes": ("yes", "no")}


def is_faq(doc: dict) -> bool:
    """True for FAQ documents (question/answer pages, not running prose)."""
    return doc["doc_id"].startswith(("pyfaq-", "sqlite-faq-"))


def prose_paragraphs(text: str) -> list[str]:
    """Paragraphs that are plain prose: no code blocks, list items or table rows."""
    return [p for p in text.split("\n\n")
            if not p.startswith((CODE_INDENT, "- ")) and "\n" not in p and " | " not in p]


def first_words(text: str, n: int) -> str:
    """The first n whitespace-separated words of `text`, joined by single spaces."""
    return " ".join(text.split()[:n])


def assign_doc_splits(doc_ids: list[str]) -> dict[str, str]:
    """Shuffle the sorted document ids with random.Random(SEED) and cut them 80/10/10."""
    shuffled = sorted(doc_ids)
    random.Random(SEED).shuffle(shuffled)
    splits, start = {}, 0
    for name, fraction in DOC_SPLITS:
        is_last = name == DOC_SPLITS[-1][0]
        end = len(shuffled) if is_last else start + round(fraction * len(shuffled))
        splits.update({doc_id: name for doc_id in shuffled[start:end]})
        start = end
    return splits


def judgements(paragraph: str, source: str) -> dict[str, tuple[str, str]]:
    """Every family's (passage, answer) for one paragraph; a family is missing where the paragraph does not fit it."""
    passage = first_words(paragraph, PASSAGE_WORDS)
    found = {
        "source": (passage, source),
        "digit": (passage, "yes" if re.search(r"[0-9]", passage) else "no"),
        "question": (passage, "yes" if "?" in passage else "no"),
        "quotes": (passage, "yes" if '"' in passage else "no"),
    }
    n_words = len(paragraph.split())
    if n_words <= SHORT_WORDS:
        found["length"] = (paragraph, "short")
    elif n_words >= LONG_WORDS:
        found["length"] = (first_words(paragraph, LONG_WORDS), "long")
    return found


def candidates(docs: list[tuple[dict, str]], doc_splits: dict[str, str]) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(family, split) -> distinct (passage, answer) pairs, in corpus order."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    for doc, source in docs:
        split = doc_splits[doc["doc_id"]]
        for paragraph in prose_paragraphs(doc["text"]):
            if len(paragraph.split()) < 6:  # headings and fragments carry no property worth judging
                continue
            for family, (passage, answer) in judgements(paragraph, source).items():
                found.setdefault((family, split), {}).setdefault(passage, answer)
    return {key: list(pairs.items()) for key, pairs in found.items()}


def balanced(pairs: list[tuple[str, str]], answers: tuple[str, str], k: int, rng: random.Random) -> list[tuple[str, str]]:
    """Up to k pairs, half with each answer (as many as the rarer answer allows), alternating answers."""
    by_answer = {answer: [pair for pair in pairs if pair[1] == answer] for answer in answers}
    per_answer = min(k // 2, *(len(group) for group in by_answer.values()))
    chosen = [rng.sample(by_answer[answer], per_answer) for answer in answers]
    return [pair for both in zip(*chosen) for pair in both]


def main() -> None:
    """Build every family for every split, attach ids, and write the JSONL file."""
    novel = [(doc, "novel") for doc in read_jsonl(GENERAL_PATH)]
    manual = [(doc, "documentation") for doc in read_jsonl(DOMAIN_PATH) if not is_faq(doc)]
    doc_splits = assign_doc_splits([doc["doc_id"] for doc, _ in novel + manual])
    found = candidates(novel + manual, doc_splits)
    rng = random.Random(SEED)
    records = []
    for family, instruction in INSTRUCTIONS.items():
        for split, k in PER_SPLIT.items():
            chosen = balanced(found.get((family, split), []), ANSWERS[family], k, rng)
            records += [{"id": f"{family}-{split}-{i:04d}", "task": family, "instruction": instruction, "input": passage,
                         "output": answer, "split": split} for i, (passage, answer) in enumerate(chosen, start=1)]
    write_jsonl_atomic(records, OUT_PATH)
    counts = Counter((r["task"], r["split"]) for r in records)
    print(f"wrote {len(records)} examples to {OUT_PATH}: " + ", ".join(f"{t}/{s} {n}" for (t, s), n in sorted(counts.items())))


if __name__ == "__main__":
    main()
