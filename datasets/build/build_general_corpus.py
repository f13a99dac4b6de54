"""Build datasets/general_corpus.jsonl: Jane Austen's six novels, one record per chapter.

Source: Debian package r-cran-janeaustenr (the R package janeaustenr, which ships the
Project Gutenberg texts of the novels; the novels are in the public domain). The texts live
in an R "lazy-load database" (Rdata.rdx index + Rdata.rdb blobs), read here with `rdata`.

Each output line is one JSON record:
  {"doc_id": "austen-emma-v1-ch01", "title": "Emma", "section": "Volume I, Chapter 1",
   "text": "paragraph one\\n\\nparagraph two ..."}

Run from the repository root:
    .venv/bin/python datasets/build/build_general_corpus.py
"""

from __future__ import annotations

import re
import warnings
import zlib
from pathlib import Path

import rdata

from jsonl_files import write_jsonl_atomic  # datasets/build/jsonl_files.py

DATA_DIR = Path("/usr/lib/R/site-library/janeaustenr/data")
OUT_PATH = Path(__file__).resolve().parents[1] / "general_corpus.jsonl"

# R object name -> (title, slug used in doc ids), in publication order.
NOVELS = {
    "sensesensibility": ("Sense and Sensibility", "sense-and-sensibility"),
    "prideprejudice": ("Pride and Prejudice", "pride-and-prejudice"),
    "mansfieldpark": ("Mansfield Park", "mansfield-park"),
    "emma": ("Emma", "emma"),
    "northangerabbey": ("Northanger Abbey", "northanger-abbey"),
    "persuasion": ("Persuasion", "persuasion"),
}
VOLUME_RE = re.compile(r"VOLUME\s+([IVXLC]+)", re.IGNORECASE)
CHAPTER_RE = re.compile(r"CHAPTER\s+([IVXLC]+|\d+)\.?", re.IGNORECASE)
# Lines after which the novel is over (end marks and an editor's note).
END_MARKS = {"FINIS", "THE END", "A NOTE ON THE TEXT"}


def read_lazyload_db(data_dir: Path) -> dict[str, list[str]]:
    """Read every object of an R lazy-load database (Rdata.rdx + Rdata.rdb) into Python."""
    index = rdata.read_rds(data_dir / "Rdata.rdx")  # {"variables": {name: [offset, length]}, ...}
    blob = (data_dir / "Rdata.rdb").read_bytes()
    objects = {}
    for name, (offset, length) in index["variables"].items():
        # Each record is a 4-byte big-endian length followed by zlib-compressed serialized R data.
        raw = zlib.decompress(blob[offset + 4: offset + length])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # rdata warns that the bytes carry no file header
            value = rdata.conversion.convert(rdata.parser.parse_data(raw))
        objects[str(name)] = [str(line) for line in value]
    return objects


def roman_to_int(numeral: str) -> int:
    """Convert a Roman (or Arabic) numeral string such as "XIV" or "14" to an int."""
    if numeral.isdigit():
        return int(numeral)
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    total = 0
    for char, following in zip(numeral.upper(), numeral.upper()[1:] + " "):
        value = values[char]
        total += -value if following != " " and values[following] > value else value
    return total


def int_to_roman(number: int) -> str:
    """Convert a small positive int to a Roman numeral (3 -> "III", 14 -> "XIV")."""
    result = ""
    numerals = [(50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    for value, numeral in numerals:
        while number >= value:
            result += numeral
            number -= value
    return result


def lines_to_paragraphs(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines into paragraphs (blank lines separate paragraphs)."""
    paragraphs, current = [], []
    for line in lines + [""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    return [clean_paragraph(p) for p in paragraphs if keep_paragraph(p)]


def keep_paragraph(paragraph: str) -> bool:
    """Drop scene-break asterisks and editors' notes such as "[End volume one ...]"."""
    if re.fullmatch(r"[*\s]+", paragraph):
        return False
    return not (paragraph.startswith("[") and "edition" in paragraph.lower())


def clean_paragraph(paragraph: str) -> str:
    """Remove _italic_ underscores and collapse runs of spaces."""
    paragraph = re.sub(r"_([^_]+)_", r"\1", paragraph)
    return re.sub(r"\s+", " ", paragraph).strip()


def split_chapters(lines: list[str]) -> list[tuple[int, int, list[str]]]:
    """Split a novel into (volume, chapter, lines); volume is 0 for novels without volumes."""
    chapters: list[tuple[int, int, list[str]]] = []
    volume = 0
    for line in lines:
        stripped = line.strip()
        if stripped.upper() in END_MARKS:
            break
        if VOLUME_RE.fullmatch(stripped):
            volume = roman_to_int(VOLUME_RE.fullmatch(stripped).group(1))
        elif CHAPTER_RE.fullmatch(stripped):
            chapters.append((volume, roman_to_int(CHAPTER_RE.fullmatch(stripped).group(1)), []))
        elif chapters:  # everything before the first chapter is front matter
            chapters[-1][2].append(line)
    return chapters


def chapter_records(r_name: str, lines: list[str]) -> list[dict]:
    """Turn one novel into one record per chapter."""
    title, slug = NOVELS[r_name]
    records = []
    for volume, chapter, chapter_lines in split_chapters(lines):
        if volume:
            doc_id = f"austen-{slug}-v{volume}-ch{chapter:02d}"
            section = f"Volume {int_to_roman(volume)}, Chapter {chapter}"
        else:
            doc_id = f"austen-{slug}-ch{chapter:02d}"
            section = f"Chapter {chapter}"
        text = "\n\n".join(lines_to_paragraphs(chapter_lines))
        records.append({"doc_id": doc_id, "title": title, "section": section, "text": text})
    return records


def main() -> None:
    """Read the novels, split them into chapters and write the JSONL file."""
    novels = read_lazyload_db(DATA_DIR)
    records = [rec for name in NOVELS for rec in chapter_records(name, novels[name])]
    ids = [r["doc_id"] for r in records]
    assert len(ids) == len(set(ids)), "duplicate doc_id"
    assert all(r["text"] for r in records), "empty chapter"
    write_jsonl_atomic(records, OUT_PATH)
    chars = sum(len(r["text"]) for r in records)
    print(f"wrote {len(records)} chapters ({chars:,} characters of text) to {OUT_PATH}")


if __name__ == "__main__":
    main()
