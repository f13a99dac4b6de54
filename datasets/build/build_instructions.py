"""Build datasets/instructions.jsonl: a small instruction-tuning set with checkable answers.

Every example is derived mechanically from the committed corpora (run the other build
scripts first), so every reference output can be scored automatically:

  faq_answer      question -> first sentence of the FAQ answer   (exact match / token F1)
  title           first ~300 chars of a doc section -> its heading (exact match)
  first_sentence  short passage -> its first sentence            (exact match)
  source          ~200 chars -> "novel" or "documentation"       (exact match / accuracy)
  uppercase       one short sentence -> the same in capitals     (exact match / format)

Splits: faq_answer keeps the split of domain_qa.jsonl. All other examples inherit the split of
the document they were cut from (documents are shuffled with random.Random(13) and cut
80/10/10), so a test passage never shows up in a training example of another task. FAQ
documents are never used outside faq_answer, so test answers cannot leak into training.

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
QA_PATH = DATASETS / "domain_qa.jsonl"
OUT_PATH = DATASETS / "instructions.jsonl"

SEED = 13
PER_FAMILY = 400  # examples per task family (faq_answer uses every QA pair instead)
DOC_SPLITS = [("train", 0.8), ("validation", 0.1), ("test", 0.1)]
CODE_INDENT = "    "
ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "cf.", "Mr.", "Mrs.", "Dr.", "St.", "No.")

INSTRUCTIONS = {
    "title": "Give the title of this passage.",
    "first_sentence": "Repeat the first sentence of the passage.",
    "source": ("Is this passage from a novel or from technical documentation? "
               "Answer novel or documentation."),
    "uppercase": "Rewrite the text in capital letters.",
}


def is_faq(doc: dict) -> bool:
    """True for FAQ documents (their text is a QA answer, so they stay out of other tasks)."""
    return doc["doc_id"].startswith(("pyfaq-", "sqlite-faq-"))


def prose_paragraphs(text: str) -> list[str]:
    """Paragraphs that are plain prose: no code blocks, list items or table rows."""
    return [p for p in text.split("\n\n")
            if not p.startswith((CODE_INDENT, "- ")) and "\n" not in p and " | " not in p]


def sentences(text: str) -> list[str]:
    """Split prose into sentences: at . ! or ? followed by a capitalised word."""
    result, start = [], 0
    for match in re.finditer(r"[.!?][\"')\]]*(?=\s+[A-Z0-9\"'(\[-]|\s*$)", text):
        candidate = text[start:match.end()].strip()
        if candidate.endswith(ABBREVIATIONS) or candidate.endswith(".."):
            continue
        result.append(candidate)
        start = match.end()
    rest = text[start:].strip()
    return result + [rest] if rest else result


def is_clean_sentence(sentence: str, min_chars: int, max_chars: int) -> bool:
    """A sentence of a sensible length with balanced quotes and brackets."""
    return (min_chars <= len(sentence) <= max_chars and sentence.count('"') % 2 == 0
            and sentence.count("(") == sentence.count(")") and sentence[0].isupper())


def cut_at_word(text: str, limit: int) -> str:
    """The longest prefix of `text` of at most `limit` chars that ends at a word boundary."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0]


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


# Each candidate is (doc_id, input, output); a family samples PER_FAMILY of them.


def title_candidates(manual: list[dict]) -> list[tuple[str, str, str]]:
    """Passage start -> section heading, for manual sections whose heading is unique."""
    heading_counts = Counter(d["section"] for d in manual)
    candidates = []
    for doc in manual:
        heading = doc["section"]
        if "(part " in heading or heading_counts[heading] > 1:
            continue
        if doc["text"].startswith(CODE_INDENT):
            continue
        candidates.append((doc["doc_id"], cut_at_word(doc["text"], 300), heading))
    return candidates


def first_sentence_candidates(docs: list[dict]) -> list[tuple[str, str, str]]:
    """Passage of 2+ sentences (<= 400 chars) -> its first sentence."""
    candidates = []
    for doc in docs:
        for paragraph in prose_paragraphs(doc["text"]):
            parts = sentences(paragraph)
            passage = parts[0]
            for extra in parts[1:]:
                if len(passage) + 1 + len(extra) > 400:
                    break
                passage += " " + extra
            if passage != parts[0] and is_clean_sentence(parts[0], 30, 250):
                candidates.append((doc["doc_id"], passage, parts[0]))
    return candidates


def source_candidates(docs: list[dict], label: str) -> list[tuple[str, str, str]]:
    """About 200 chars from the start of a long prose paragraph -> "novel"/"documentation"."""
    return [(doc["doc_id"], cut_at_word(p, 200), label)
            for doc in docs for p in prose_paragraphs(doc["text"]) if len(p) >= 200]


def uppercase_candidates(docs: list[dict]) -> list[tuple[str, str, str]]:
    """One short sentence -> the same sentence in upper case."""
    return [(doc["doc_id"], s, s.upper())
            for doc in docs for p in prose_paragraphs(doc["text"]) for s in sentences(p)
            if is_clean_sentence(s, 20, 80)]


def sample(candidates: list[tuple[str, str, str]], k: int, rng: random.Random) -> list:
    """Pick k candidates with distinct inputs, reproducibly, in their original order."""
    unique = list({c[1]: c for c in candidates}.values())
    chosen = sorted(rng.sample(range(len(unique)), min(k, len(unique))))
    return [unique[i] for i in chosen]


def unique_questions(qa: list[dict]) -> list[dict]:
    """Keep the first QA pair (by qa_id) of each question text, so no question has two answers."""
    seen, kept = set(), []
    for pair in sorted(qa, key=lambda q: q["qa_id"]):
        if pair["question"] not in seen:
            seen.add(pair["question"])
            kept.append(pair)
    return kept


def main() -> None:
    """Build every task family, attach splits and ids, and write the JSONL file."""
    novel = read_jsonl(GENERAL_PATH)
    domain = read_jsonl(DOMAIN_PATH)
    manual = [d for d in domain if not is_faq(d)]
    qa = read_jsonl(QA_PATH)
    doc_splits = assign_doc_splits([d["doc_id"] for d in novel + manual])
    rng = random.Random(SEED)
    half = PER_FAMILY // 2

    families = {
        "title": sample(title_candidates(manual), PER_FAMILY, rng),
        "first_sentence": (sample(first_sentence_candidates(novel), half, rng)
                           + sample(first_sentence_candidates(manual), half, rng)),
        "source": (sample(source_candidates(novel, "novel"), half, rng)
                   + sample(source_candidates(manual, "documentation"), half, rng)),
        "uppercase": (sample(uppercase_candidates(novel), half, rng)
                      + sample(uppercase_candidates(manual), half, rng)),
    }
    records = [{"task": "faq_answer", "instruction": q["question"], "input": "",
                "output": q["answer"], "split": q["split"]} for q in unique_questions(qa)]
    for task, examples in families.items():
        records += [{"task": task, "instruction": INSTRUCTIONS[task], "input": text,
                     "output": output, "split": doc_splits[doc_id]}
                    for doc_id, text, output in examples]
    counters: Counter = Counter()
    for record in records:
        counters[record["task"]] += 1
        record["id"] = f"{record['task']}-{counters[record['task']]:04d}"
    records = [{key: r[key] for key in ("id", "task", "instruction", "input", "output", "split")}
               for r in records]
    write_jsonl_atomic(records, OUT_PATH)
    by_split = Counter(r["split"] for r in records)
    print(f"wrote {len(records)} examples {dict(counters)} {dict(by_split)} to {OUT_PATH}")


if __name__ == "__main__":
    main()
