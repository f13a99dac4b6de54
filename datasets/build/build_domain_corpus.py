"""Build datasets/domain_corpus.jsonl: SQLite and Python documentation as plain-text sections.

Sources (Debian packages, installed under /usr/share/doc):
  * sqlite3-doc    -- the SQLite documentation pages and the SQLite FAQ (public domain)
  * python3.11-doc -- the Python FAQ, reStructuredText sources (PSF License Version 2)

Each output line is one JSON record:
  {"doc_id", "source", "title", "section", "url", "text"}

Run from the repository root:
    .venv/bin/python datasets/build/build_domain_corpus.py
"""

from __future__ import annotations

import math
import re
import textwrap
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from jsonl_files import write_jsonl_atomic  # datasets/build/jsonl_files.py

SQLITE_DIR = Path("/usr/share/doc/sqlite3")
PYFAQ_DIR = Path("/usr/share/doc/python3.11/html/_sources/faq")
PY_INVENTORY = Path("/usr/share/doc/python3.11/html/objects.inv")
OUT_PATH = Path(__file__).resolve().parents[1] / "domain_corpus.jsonl"

MIN_SECTION_CHARS = 200  # manual sections shorter than this are dropped
MIN_FAQ_CHARS = 20  # FAQ answers are kept unless (almost) empty, so every FAQ entry has a document
MAX_SECTION_CHARS = 6000  # longer sections are split into "(part N)" documents
CODE_INDENT = "    "  # code blocks are kept verbatim, indented by four spaces

# Prose pages of the SQLite documentation. Release logs, C API reference stubs (c3ref),
# legal pages, indexes/site maps and the generated requirements list are left out on purpose.
SQLITE_PROSE_PAGES = [
    "about", "amalgamation", "appfileformat", "appfunc", "arch", "atomiccommit", "autoinc",
    "backup", "cintro", "cli", "compile", "conflict", "cpu", "csv", "datatype3", "dbstat",
    "debugging", "deterministic", "different", "eqp", "expridx", "fasterthanfs",
    "fileformat2", "flextypegood", "floatingpoint", "foreignkeys", "fts5", "gencol",
    "howitworks", "howtocompile", "howtocorrupt", "inmemorydb", "isolation", "json1",
    "limits", "loadext", "lockingv3", "malloc", "mmap", "np1queryprob", "nulls", "omitted",
    "optoverview", "partialindex", "pragma", "printf", "psow", "queryplanner",
    "queryplanner-ng", "quirks", "recovery", "rescode", "rowidtable", "rowvalue", "rtree",
    "schematab", "security", "selfcontained", "series", "serverless", "sessionintro",
    "sharedcache", "spellfix1", "sqlar", "stricttables", "tempfiles", "testing",
    "threadsafe", "transactional", "undoredo", "uri", "useovernet", "vfs", "vtab", "wal",
    "walformat", "whentouse", "whyc", "windowfunctions", "withoutrowid", "zeroconf",
    "zipfile",
]
# lang.html is only an index, lang_keywords.html only a word list.
SQLITE_SKIP_LANG_PAGES = {"lang", "lang_keywords"}


@dataclass
class Block:
    """One unit of page content: a heading, a prose paragraph or a code block."""

    kind: str  # "heading" | "para" | "item" (list item) | "row" (table row) | "code"
    text: str
    level: int = 0  # heading level (1-3); 0 for paragraphs and code


# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------


def collapse_spaces(text: str) -> str:
    """Turn every run of whitespace into one space and strip the ends."""
    return re.sub(r"\s+", " ", text).strip()


def indent_code(code: str) -> str:
    """Dedent a code block, drop blank edge lines and indent it by CODE_INDENT."""
    lines = textwrap.dedent(code.expandtabs(8)).split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(CODE_INDENT + line.rstrip() if line.strip() else "" for line in lines)


def split_long_text(paragraphs: list[str], max_chars: int) -> list[list[str]]:
    """Split paragraphs into roughly equal parts of at most ~max_chars, at paragraph breaks."""
    total = len("\n\n".join(paragraphs))
    if total <= max_chars:
        return [paragraphs]
    pieces = []
    for para in paragraphs:  # a single over-long paragraph is cut at line breaks
        if len(para) > max_chars and "\n" in para:
            lines, chunk = para.split("\n"), []
            for line in lines:
                if chunk and len("\n".join(chunk + [line])) > max_chars:
                    pieces.append("\n".join(chunk))
                    chunk = []
                chunk.append(line)
            pieces.append("\n".join(chunk))
        else:
            pieces.append(para)
    target = total / math.ceil(total / max_chars)
    parts, current = [], []
    for piece in pieces:
        size = len("\n\n".join(current + [piece]))
        if current and (size > max_chars or len("\n\n".join(current)) >= target):
            parts.append(current)
            current = []
        current.append(piece)
    parts.append(current)
    return parts


def make_docs(base_id: str, source: str, title: str, section: str, url: str,
              paragraphs: list[str]) -> list[dict]:
    """Build one record per part; part 1 keeps base_id, later parts get "-p2", "-p3", ..."""
    parts = split_long_text(paragraphs, MAX_SECTION_CHARS)
    docs = []
    for number, part in enumerate(parts, start=1):
        doc_id = base_id if number == 1 else f"{base_id}-p{number}"
        label = section if len(parts) == 1 else f"{section} (part {number})"
        docs.append({"doc_id": doc_id, "source": source, "title": title,
                     "section": label, "url": url, "text": "\n\n".join(part)})
    return docs


# ---------------------------------------------------------------------------
# SQLite HTML pages
# ---------------------------------------------------------------------------


class HtmlBlockParser(HTMLParser):
    """Convert one SQLite documentation page into a flat list of Blocks."""

    SKIP_TAGS = {"script", "style", "svg", "button", "form", "select"}
    BLOCK_TAGS = {"p", "div", "li", "dt", "dd", "tr", "table", "ul", "ol", "dl",
                  "blockquote", "br", "hr", "center", "h4", "h5", "h6"}
    HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3, "h": 2}  # <h> is SQLite's hidden PRAGMA heading

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title = ""
        self._buffer: list[str] = []
        self._skip_stack: list[str] = []  # open tags whose content is ignored
        self._div_classes: list[str] = []
        self._in_title = False
        self._in_pre = False
        self._heading_level = 0
        self._pending_bullet = False
        self._in_row = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Track skipped regions, headings, <pre> and block boundaries."""
        classes = dict(attrs).get("class") or ""
        if tag == "div":
            self._div_classes.append(classes)
        if self._skip_stack:
            if tag == self._skip_stack[0]:
                self._skip_stack.append(tag)
            return
        if tag in self.SKIP_TAGS or (tag == "div" and "nosearch" in classes):
            self._skip_stack.append(tag)
            return
        if tag == "title":
            self._in_title = True
        elif tag == "pre":
            self._flush()
            self._in_pre = True
        elif tag in self.HEADING_TAGS:
            self._flush()
            self._heading_level = self.HEADING_TAGS[tag]
        elif tag in self.BLOCK_TAGS:
            self._flush()
            self._pending_bullet = self._pending_bullet or tag == "li"
            self._in_row = self._in_row or tag == "tr"
        elif tag in {"td", "th"} and "".join(self._buffer).strip():
            self._buffer.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        """Close skipped regions and flush text at the end of blocks."""
        if self._skip_stack:
            if tag == self._skip_stack[0]:
                self._skip_stack.pop()
            if tag == "div" and self._div_classes:
                self._div_classes.pop()
            return
        if tag == "div" and self._div_classes:
            self._div_classes.pop()
        if tag == "title":
            self._in_title = False
        elif tag == "pre":
            self._flush()
            self._in_pre = False
        elif tag in self.HEADING_TAGS or tag in self.BLOCK_TAGS:
            self._flush()
            if tag in {"tr", "table"}:
                self._in_row = False

    def handle_data(self, data: str) -> None:
        """Collect visible text."""
        if self._skip_stack:
            return
        if self._in_title:
            self.title += data
        else:
            self._buffer.append(data)

    def close(self) -> None:
        """Flush whatever text is left at the end of the document."""
        super().close()
        self._flush()

    def _flush(self) -> None:
        """Turn the collected text into a Block (heading, code or paragraph)."""
        raw = "".join(self._buffer)
        self._buffer = []
        if self._in_pre:
            if raw.strip():
                self.blocks.append(Block("code", indent_code(raw)))
            return
        text = collapse_spaces(raw)
        if self._heading_level:
            level, self._heading_level = self._heading_level, 0
            heading = re.sub(r"^\d+(\.\d+)*\.?\s+", "", text)
            if heading:
                self.blocks.append(Block("heading", heading, level))
        elif text and self._in_row:
            self.blocks.append(Block("row", text))
        elif text and self._pending_bullet:
            self.blocks.append(Block("item", "- " + text))
            self._pending_bullet = False
        elif text:
            self.blocks.append(Block("para", text))


def is_boilerplate(text: str) -> bool:
    """True for page furniture: syntax-diagram labels and the "last modified" footer."""
    is_diagram_label = re.fullmatch(r"[a-z][a-z0-9-]*:", text) is not None
    return is_diagram_label or text.startswith("This page last modified")


def parse_html_page(path: Path) -> tuple[str, list[Block]]:
    """Return the page title and its content blocks."""
    parser = HtmlBlockParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    blocks = [b for b in parser.blocks if not (b.kind == "para" and is_boilerplate(b.text))]
    return collapse_spaces(parser.title), join_list_items(blocks)


def join_list_items(blocks: list[Block]) -> list[Block]:
    """Merge runs of list items (or of table rows) into one paragraph with one per line."""
    joined: list[Block] = []
    for block in blocks:
        if block.kind in {"item", "row"} and joined and joined[-1].kind == block.kind:
            joined[-1] = Block(block.kind, joined[-1].text + "\n" + block.text)
        else:
            joined.append(block)
    return [Block("para", b.text) if b.kind in {"item", "row"} else b for b in joined]


@dataclass
class Section:
    """A heading with the paragraphs (prose and code) that follow it."""

    heading: str
    level: int
    paragraphs: list[str]

    def size(self) -> int:
        """Number of characters of text in the section."""
        return len("\n\n".join(self.paragraphs))

    def is_index(self) -> bool:
        """True for sections that are mostly a list of short items, such as a list of links."""
        lines = [line for p in self.paragraphs for line in p.split("\n")]
        short_items = sum(line.startswith("- ") and len(line) < 40 for line in lines)
        return len(lines) >= 20 and short_items / len(lines) > 0.9


def group_sections(blocks: list[Block], page_title: str) -> list[Section]:
    """Group blocks into one Section per heading; text before the first heading uses the title."""
    sections = [Section(page_title, 1, [])]
    for block in blocks:
        if block.kind == "heading":
            sections.append(Section(block.text, block.level, []))
        else:
            sections[-1].paragraphs.append(block.text)
    return [s for s in sections if s.paragraphs or s.level < 3]


def merge_subsections(sections: list[Section]) -> list[Section]:
    """Fold h3 sections into their h1/h2 parent unless the merged section would be too long."""
    merged: list[Section] = []
    i = 0
    while i < len(sections):
        parent = sections[i]
        j = i + 1
        while j < len(sections) and sections[j].level == 3:
            j += 1
        children = sections[i + 1:j]
        combined = parent.paragraphs + [p for c in children for p in [c.heading] + c.paragraphs]
        if parent.level < 3 and children and len("\n\n".join(combined)) <= MAX_SECTION_CHARS:
            merged.append(Section(parent.heading, parent.level, combined))
        else:
            merged.extend([parent] + children)
        i = j
    return merged


def sqlite_page_docs(path: Path) -> list[dict]:
    """Turn one SQLite documentation page into section documents."""
    title, blocks = parse_html_page(path)
    sections = merge_subsections(group_sections(blocks, title))
    docs: list[dict] = []
    number = 0
    for section in sections:
        if section.size() < MIN_SECTION_CHARS or section.is_index():
            continue
        number += 1
        base_id = f"sqlite-{path.stem}-{number:02d}"
        docs.extend(make_docs(base_id, "sqlite", title, section.heading, path.name,
                              section.paragraphs))
    return docs


def sqlite_faq_docs(path: Path) -> list[dict]:
    """One document per SQLite FAQ entry: title = question, section = page title, text = answer."""
    title, blocks = parse_html_page(path)
    entries: list[tuple[int, str, list[str]]] = []
    for block in blocks:
        match = re.fullmatch(r"\((\d+)\)\s*(.+)", block.text) if block.kind == "para" else None
        if match:
            entries.append((int(match.group(1)), match.group(2), []))
        elif entries and block.kind != "heading":
            entries[-1][2].append(block.text)
    docs = []
    for number, question, answer in entries:
        if len("\n\n".join(answer)) >= MIN_FAQ_CHARS:
            docs.extend(make_docs(f"sqlite-faq-{number:02d}", "sqlite", question, title,
                                  path.name, answer))
    return docs


def sqlite_pages() -> list[Path]:
    """The SQLite pages to include, sorted by file name."""
    lang = [p for p in SQLITE_DIR.glob("lang*.html") if p.stem not in SQLITE_SKIP_LANG_PAGES]
    prose = [SQLITE_DIR / f"{name}.html" for name in SQLITE_PROSE_PAGES]
    return sorted(set(lang + prose))


# ---------------------------------------------------------------------------
# Python FAQ (reStructuredText)
# ---------------------------------------------------------------------------

HEADING_CHARS = set("=-~^*+#\"'`")
CODE_DIRECTIVES = {"code-block", "sourcecode", "code", "doctest", "testcode"}
ADMONITIONS = {"note": "Note: ", "seealso": "See also: ", "warning": "Warning: ", "tip": "Tip: "}
DIRECTIVE_RE = re.compile(r"\.\.\s+([\w:-]+)::\s*(.*)")
LIST_ITEM_RE = re.compile(r"([*+-]|\d+\.|#\.)\s+")


def load_sphinx_labels(path: Path) -> dict[str, str]:
    """Map Sphinx cross-reference labels to their display titles (from objects.inv)."""
    data = path.read_bytes()
    body = data.split(b"\n", 4)[4]  # four header lines, then zlib-compressed entries
    labels = {}
    for line in zlib.decompress(body).decode("utf-8").splitlines():
        match = re.match(r"(.+?)\s+std:(?:label|doc)\s+-?\d+\s+\S+\s+(.*)", line)
        if match and match.group(2) != "-":
            labels[match.group(1)] = match.group(2)
    return labels


def render_role(role: str, content: str, labels: dict[str, str]) -> str:
    """Render one :role:`content` the way Sphinx would display it, as plain text."""
    explicit = re.fullmatch(r"(.*?)\s*<([^>]+)>", content, flags=re.S)
    if explicit:
        return explicit.group(1)
    name = role.split(":")[-1]
    if name in {"ref", "doc"}:
        return labels.get(content, content.replace("-", " "))
    if name == "pep":
        return f"PEP {content}"
    if name == "rfc":
        return f"RFC {content}"
    if name == "menuselection":
        return content.replace("-->", ">")
    text = content.lstrip("!")
    if text.startswith("~"):
        text = text[1:].split(".")[-1]
    if name in {"func", "meth"} and not text.endswith(")"):
        text += "()"
    return text


def clean_inline(text: str, labels: dict[str, str]) -> str:
    """Strip inline reStructuredText markup from one paragraph and collapse whitespace."""
    literals: list[str] = []

    def keep_literal(match: re.Match) -> str:
        literals.append(match.group(1))
        return f"\x00{len(literals) - 1}\x00"

    text = re.sub(r"``(.+?)``", keep_literal, text, flags=re.S)
    text = re.sub(r":([a-z]+(?::[a-z]+)?):`(.+?)`",
                  lambda m: render_role(m.group(1), m.group(2), labels), text, flags=re.S)
    text = re.sub(r"`([^`<]+?)\s*<[^>`]+>`__?", r"\1", text, flags=re.S)  # `text <url>`_
    text = re.sub(r"`([^`]+)`__?", r"\1", text)  # `named reference`_
    text = re.sub(r"`([^`]+)`", r"\1", text)  # `interpreted text`
    text = re.sub(r"\*\*(\S(?:.*?\S)?)\*\*", r"\1", text, flags=re.S)
    text = re.sub(r"(?<![\w*\\])\*(\S(?:[^*]*?\S)?)\*(?![\w*])", r"\1", text, flags=re.S)
    text = text.replace("\\ ", "").replace("\\*", "*").replace("\\_", "_")
    text = re.sub(r"\x00(\d+)\x00", lambda m: literals[int(m.group(1))], text)
    return collapse_spaces(text)


def is_underline(line: str, title: str) -> bool:
    """True if `line` is a section adornment long enough to underline `title`."""
    stripped = line.rstrip()
    return (len(stripped) >= 3 and len(set(stripped)) == 1 and stripped[0] in HEADING_CHARS
            and len(stripped) >= len(title.strip()) and bool(title.strip()))


def take_indented(lines: list[str], start: int) -> tuple[list[str], int]:
    """Collect the indented block (with blank lines) that starts at `start`."""
    end = start
    while end < len(lines) and (not lines[end].strip() or lines[end][:1].isspace()):
        end += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end], end


def strip_literal_marker(text: str) -> tuple[str, bool]:
    """Remove a trailing "::" (which announces a code block); "Example::" becomes "Example:"."""
    if not text.endswith("::"):
        return text, False
    head = text[:-2]
    return (head.rstrip() if not head or head[-1].isspace() else head + ":"), True


def rst_blocks(lines: list[str], labels: dict[str, str]) -> list[Block]:
    """Parse the body of one FAQ entry into prose paragraphs and code blocks."""
    blocks: list[Block] = []
    i, literal_next = 0, False
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if line[:1].isspace():  # indented: literal block after "::", else a block quote
            body, i = take_indented(lines, i)
            if literal_next:
                blocks.append(Block("code", indent_code("\n".join(body))))
            else:
                blocks.extend(rst_blocks(textwrap.dedent("\n".join(body)).split("\n"), labels))
            literal_next = False
            continue
        literal_next = False
        directive = DIRECTIVE_RE.match(line)
        if line.startswith(".."):
            body, i = take_indented(lines, i + 1)
            if directive:
                name, argument = directive.group(1), directive.group(2)
                blocks.extend(render_directive(name, argument, body, labels))
            continue  # comments, targets (.. _label:) and unknown directives are dropped
        if line.startswith(">>>"):  # doctest block: runs until the next blank line
            end = i
            while end < len(lines) and lines[end].strip():
                end += 1
            blocks.append(Block("code", indent_code("\n".join(lines[i:end]))))
            i = end
            continue
        item = LIST_ITEM_RE.match(line)
        if item:
            body, i = take_list_item(lines, i, len(item.group(0)))
            blocks.extend(render_list_item(item.group(1), body, labels))
            continue
        para = [line]
        i += 1
        while i < len(lines) and lines[i].strip():
            para.append(lines[i])
            i += 1
        text, literal_next = strip_literal_marker(" ".join(l.strip() for l in para))
        text = clean_inline(text, labels)
        if text:
            blocks.append(Block("para", text))
    return blocks


def take_list_item(lines: list[str], start: int, width: int) -> tuple[list[str], int]:
    """Collect one list item's body (first line minus its marker, plus lines indented by width)."""
    body = [lines[start][width:]]
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith(" " * width)):
        if LIST_ITEM_RE.match(lines[end]):
            break
        body.append(lines[end][width:])
        end += 1
    while len(body) > 1 and not body[-1].strip():
        body.pop()
    return body, end


def render_list_item(marker: str, body: list[str], labels: dict[str, str]) -> list[Block]:
    """Parse a list item's body and put a "- " (or "1. ") marker in front of its first paragraph."""
    inner = rst_blocks(body, labels)
    bullet = "- " if marker in {"*", "+", "-"} else f"{marker} "
    if inner and inner[0].kind == "para":
        inner[0] = Block("item", bullet + inner[0].text)
    return inner


def render_directive(name: str, argument: str, body: list[str],
                     labels: dict[str, str]) -> list[Block]:
    """Render a directive: code directives become code, admonitions become prose."""
    if name in CODE_DIRECTIVES:
        code = textwrap.dedent("\n".join(body))
        return [Block("code", indent_code(code))] if code.strip() else []
    if name in ADMONITIONS:
        text_lines = ([argument] if argument else []) + textwrap.dedent("\n".join(body)).split("\n")
        inner = rst_blocks(text_lines, labels)
        if inner and inner[0].kind == "para":
            inner[0] = Block("para", ADMONITIONS[name] + inner[0].text)
        return inner
    return []  # only, contents, index, highlight, testsetup, toctree, ...


@dataclass
class FaqEntry:
    """One question from the Python FAQ."""

    page: str  # e.g. "programming"
    number: int  # position of the question within its page, from 1
    category: str
    question: str
    body: list[str]


def heading_at(lines: list[str], i: int) -> str | None:
    """The adornment character if lines[i] is a section title (underlined), else None."""
    line = lines[i]
    if i + 1 >= len(lines) or line[:1].isspace() or is_underline(line, line):
        return None
    return lines[i + 1][0] if is_underline(lines[i + 1], line) else None


def rst_entries(path: Path, labels: dict[str, str]) -> list[FaqEntry]:
    """Split one FAQ page into entries at its question-level ("-" underlined) headings."""
    lines = path.read_text(encoding="utf-8").split("\n")
    page = path.name.removesuffix(".rst.txt")
    entries: list[FaqEntry] = []
    category, body = "", None
    i = 0
    while i < len(lines):
        adornment = heading_at(lines, i)
        if adornment:
            heading = clean_inline(lines[i], labels)
            overlined = i > 0 and is_underline(lines[i - 1], lines[i])
            if adornment == "-" and not overlined:  # a question
                entries.append(FaqEntry(page, len(entries) + 1, category, heading, []))
                body = entries[-1].body
            else:  # the page title or a group of questions
                category, body = heading, None
            i += 2
            continue
        is_overline = i + 1 < len(lines) and heading_at(lines, i + 1) is not None
        if body is not None and not is_overline:
            body.append(lines[i])
        i += 1
    return entries


def python_faq_docs() -> list[dict]:
    """One document per Python FAQ entry: title = question, section = its group, text = answer."""
    labels = load_sphinx_labels(PY_INVENTORY)
    docs = []
    for path in sorted(PYFAQ_DIR.glob("*.rst.txt")):
        for entry in rst_entries(path, labels):
            paragraphs = [b.text for b in join_list_items(rst_blocks(entry.body, labels))]
            if len("\n\n".join(paragraphs)) < MIN_FAQ_CHARS:
                continue
            base_id = f"pyfaq-{entry.page}-{entry.number:03d}"
            docs.extend(make_docs(base_id, "python-faq", entry.question, entry.category,
                                  f"faq/{path.name}", paragraphs))
    return docs


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def main() -> None:
    """Build all documents, check ids are unique and write the JSONL file."""
    docs: list[dict] = []
    for page in sqlite_pages():
        docs.extend(sqlite_page_docs(page))
    docs.extend(sqlite_faq_docs(SQLITE_DIR / "faq.html"))
    docs.extend(python_faq_docs())
    ids = [d["doc_id"] for d in docs]
    assert len(ids) == len(set(ids)), "duplicate doc_id"
    write_jsonl_atomic(docs, OUT_PATH)
    chars = sum(len(d["text"]) for d in docs)
    print(f"wrote {len(docs)} documents ({chars:,} characters of text) to {OUT_PATH}")


if __name__ == "__main__":
    main()
