"""Build datasets/out_of_corpus_questions.jsonl: questions that no document of a corpus answers (abstention).

Two sets, written by the course authors as data below:
- "handbook": plausible employee questions about the SYNTHETIC Northwind Analytics handbook
  (datasets/handbook.jsonl) on topics no policy covers (bereavement leave, parking, an office or a
  country the handbook has no policy for...);
- "docs": SQLite questions that the curated documentation subset of datasets/domain_corpus.jsonl does
  not answer (features newer than the documented 3.40 release, tools and bindings it never mentions...).

Each question carries its "missing terms": words that an answering document would have to contain. The
script fails loudly if any document of the corpus contains all of a question's missing terms (matched
case-insensitively wherever no letter or digit precedes them, so "volunteer" also matches "volunteering"
and "setlk_timeout" matches "SQLITE_ENABLE_SETLK_TIMEOUT"). As a second, softer check for human review it
reports, per question, the document with the largest share of the question's content words; `--review`
prints that for every question, a plain run for the ten highest.

Splits: within each corpus the questions are shuffled with a fixed seed and cut in half, validation then
test. Records are written sorted by oq_id, atomically.

Each output line is one JSON record:
  {"oq_id": "oq-h-001" | "oq-d-001", "corpus": "handbook" | "docs", "question", "split": "validation" | "test"}

Run from the repository root:
    .venv/bin/python datasets/build/build_out_of_corpus_questions.py [--review]
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from jsonl_files import read_jsonl, write_jsonl_atomic  # datasets/build/jsonl_files.py

DATASETS = Path(__file__).resolve().parents[1]
HANDBOOK_PATH = DATASETS / "handbook.jsonl"
DOCS_PATH = DATASETS / "domain_corpus.jsonl"
OUT_PATH = DATASETS / "out_of_corpus_questions.jsonl"

SEED = 26
ID_PREFIXES = {"handbook": "oq-h", "docs": "oq-d"}
REPORTED_BY_DEFAULT = 10
STOPWORDS = frozenset({
    "a", "about", "after", "an", "and", "any", "are", "as", "at", "be", "before", "by", "can", "do", "does",
    "for", "from", "get", "how", "i", "if", "in", "is", "it", "its", "my", "of", "on", "or", "the", "to",
    "what", "when", "where", "which", "who", "why", "with", "you", "your", "there", "their", "this", "that",
    "than", "into", "per", "each", "much", "many", "long", "use", "used", "using",
})

# (question, missing terms): no document of the corpus may contain all the missing terms.
HANDBOOK_QUESTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("How many days of bereavement leave do I get if a close relative dies?", ("bereavement",)),
    ("Is jury duty paid leave at Northwind Analytics?", ("jury",)),
    ("Can I bring my dog to the Berlin office?", ("dog",)),
    ("How much of my home broadband bill does the company reimburse each month?", ("broadband",)),
    ("Is there a company car scheme for people in the Sales team?", ("company car",)),
    ("How many paid volunteering days does each employee get per year?", ("volunteer",)),
    ("What is the dress code when I meet clients on site?", ("dress",)),
    ("How do I book a meeting room in the Lyon office?", ("meeting room",)),
    ("Where can staff park their cars at the Manchester office?", ("parking",)),
    ("Does Northwind offer a bicycle leasing scheme?", ("bicycle",)),
    ("Do employees get stock options or shares in the company?", ("stock option",)),
    ("After five years of service, can I take an unpaid sabbatical, and for how long?", ("sabbatical",)),
    ("What overtime rate is paid for hours worked beyond my contract?", ("overtime",)),
    ("Do I need permission to take a paid side job in the evenings?", ("side job",)),
    ("How many days of paid leave do I get for my own wedding?", ("wedding",)),
    ("Is there a lactation room for nursing parents in the Berlin office?", ("lactation",)),
    ("How do I update my legal name in the HR systems after getting married?", ("legal name",)),
    ("How do I request an ergonomic assessment of my workstation?", ("ergonomic",)),
    ("Does the company pay for eye tests or glasses for screen work?", ("eye test",)),
    ("How many days of paid leave can I take to look after a sick child?", ("sick child",)),
    ("Is there a shuttle bus from the train station to the Austin office?", ("shuttle",)),
    ("What long-service award do employees get after ten years with the company?", ("long-service",)),
    ("Can I get a standing desk at the office?", ("standing desk",)),
    ("Can I work compressed hours, for example four ten-hour days a week?", ("compressed",)),
    ("How long must I stay in my current role before applying for an internal vacancy?", ("vacanc",)),
    ("How do I sign up for the company mentoring programme?", ("mentor",)),
    ("Am I allowed to contribute to open-source projects during working hours?", ("open-source",)),
    ("How do I get access to the GPU cluster for training models?", ("GPU",)),
    ("What is the monthly mobile data allowance on a company phone?", ("data allowance",)),
    ("How do I request a TLS certificate for a new internal web service?", ("TLS",)),
    ("What naming convention should new servers follow?", ("naming convention",)),
    ("What is the budget per person for a team-building event?", ("team-building",)),
    ("How much does the company spend per head on the annual summer party?", ("summer",)),
    ("What should I do when a client asks me to sign a non-disclosure agreement?", ("non-disclosure",)),
    ("How do I apply for childcare vouchers?", ("childcare",)),
    ("Where is smoking allowed on company premises?", ("smok",)),
    ("From which day of sick leave do employees in France need a medical certificate?", ("sick", "France")),
    ("How many weeks of paid parental leave does the primary caregiver get in Japan?", ("parental", "Japan")),
    ("How much is the weekly on-call payment for the Consulting team?", ("on-call", "Consulting")),
    ("How do I print documents in the Osaka office?", ("print", "Osaka")),
    ("Which Tunnelink version do I need on a Chromebook?", ("Chromebook",)),
    ("What is the salary range for Level 2 in the Consulting job family?", ("salary", "Consulting")),
    ("How often are the secrets in the QA environment rotated?", ("QA",)),
    ("How many vacation days do full-time employees in Canada get?", ("Canada",)),
    ("What are the opening hours of the Munich office?", ("Munich",)),
    ("Can I expense a taxi home after working late?", ("taxi",)),
    ("How do I reserve a locker in the office?", ("locker",)),
    ("How many days off does the company give for religious holidays?", ("religious",)),
    ("How much notice do I need to give before taking unpaid leave?", ("unpaid leave",)),
    ("Does Northwind match donations that employees make to charities?", ("donation",)),
]

DOCS_QUESTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("What does the jsonb() function return?", ("jsonb",)),
    ("What does octet_length() measure for a text value?", ("octet_length",)),
    ("How does concat_ws() treat NULL arguments?", ("concat_ws",)),
    ("In which SQLite version was the timediff() function added?", ("timediff",)),
    ("What is the sqlite3_rsync utility used for?", ("sqlite3_rsync",)),
    ("What differences does the sqldiff command-line tool report?", ("sqldiff",)),
    ("What does the %fallback directive do in a Lemon grammar file?", ("%fallback",)),
    ("Which columns does the bytecode() table-valued function return?", ("bytecode(",)),
    ("What is the swarmvtab virtual table for?", ("swarmvtab",)),
    ("Which compression algorithms can the ZIPVFS extension use?", ("zipvfs",)),
    ("What kind of database files can the CEROD extension read?", ("CEROD",)),
    ("In which version did the query planner start using Bloom filters for joins?", ("Bloom",)),
    ("How do I load SQLite's WebAssembly build in a web browser?", ("WebAssembly",)),
    ("What does BEGIN CONCURRENT allow that a normal BEGIN does not?", ("BEGIN CONCURRENT",)),
    ("What is the HC-tree storage backend?", ("HC-tree",)),
    ("Which open-source award did SQLite win in 2005?", ("award",)),
    ("On what date was SQLite 3.40.0 released?", ("3.40.0",)),
    ("What does uuid_blob() return?", ("uuid_blob",)),
    ("What does sqlite3_value_frombind() tell me about a value?", ("value_frombind",)),
    ("What does sqlite3_expanded_sql() return?", ("expanded_sql",)),
    ("What is the kvvfs used for in the JavaScript build of SQLite?", ("kvvfs",)),
    ("Which npm package gives Node.js programs access to SQLite?", ("Node.js",)),
    ("How does Litestream replicate an SQLite database to S3?", ("Litestream",)),
    ("Which JDBC driver should I use to work with SQLite from Java?", ("JDBC",)),
    ("How do I set up an ODBC data source for SQLite on Windows?", ("ODBC",)),
    ("Which version added the median() and percentile() aggregate functions?", ("percentile",)),
    ("What does sqlite3_trace_v2() report with the SQLITE_TRACE_PROFILE flag?", ("trace_v2",)),
    ("What does the dbhash utility compute?", ("dbhash",)),
    ("How much does a membership in the SQLite Consortium cost?", ("Consortium",)),
    ("How much does a license for the SQLite Encryption Extension cost?", ("Encryption Extension", "licen")),
    ("How do I enable SQLite in PHP's PDO extension?", ("PDO",)),
    ("Which Android API level first shipped SQLite 3.x?", ("API level",)),
    ("What escape sequences does the unistr() function decode?", ("unistr",)),
    ("What does sqlite3_stmt_explain() change on a prepared statement?", ("stmt_explain",)),
    ("What does sqlite3_is_interrupted() report?", ("is_interrupted",)),
    ("What does delta_apply() from the fossildelta extension do?", ("fossildelta",)),
    ("What does sqlite3_db_name() return?", ("sqlite3_db_name",)),
    ("How does sqlite3_vtab_in() let a virtual table process an IN constraint all at once?", ("vtab_in",)),
    ("What does the sqlite3_autovacuum_pages() callback decide?", ("autovacuum_pages",)),
    ("What does json_pretty() do with its second argument?", ("json_pretty",)),
    ("Which SQLite release fixed CVE-2022-35737?", ("CVE",)),
    ("How do I create a vec0 virtual table for vector search?", ("vec0",)),
    ("How does rqlite replicate an SQLite database with Raft?", ("rqlite",)),
    ("Which SQLite version ships with iOS 16?", ("iOS 16",)),
    ("How do I use SQLite through the Room persistence library on Android?", ("Room persistence",)),
    ("Which Python package gives asyncio programs access to SQLite?", ("aiosqlite",)),
    ("How do I query a database file over HTTP range requests with sql.js-httpvfs?", ("httpvfs",)),
    ("Which extension provides a stddev() aggregate function for SQLite?", ("stddev",)),
    ("What does the SQLITE_DBCONFIG_ENABLE_ATTACH_CREATE option control?", ("ATTACH_CREATE",)),
    ("What does sqlite3changegroup_add_change() do?", ("changegroup_add_change",)),
]

CORPUS_QUESTIONS = {"handbook": HANDBOOK_QUESTIONS, "docs": DOCS_QUESTIONS}


def document_text(doc: dict) -> str:
    """Everything a retriever could show of a document: title, section (if any) and text."""
    return " ".join(str(doc.get(field, "")) for field in ("title", "section", "text"))


def contains_term(text: str, term: str) -> bool:
    """True if `term` occurs in `text` not preceded by a letter or digit (case-insensitive; "_" is no obstacle)."""
    return re.search(rf"(?<![^\W_]){re.escape(term)}", text, re.IGNORECASE) is not None


def answering_documents(terms: tuple[str, ...], docs: list[dict]) -> list[str]:
    """Ids of the documents that contain every missing term (there must be none)."""
    return [doc["doc_id"] for doc in docs if all(contains_term(document_text(doc), t) for t in terms)]


def content_words(text: str) -> set[str]:
    """Lower-cased words of three or more characters, without stopwords."""
    return {w for w in re.findall(r"[a-z0-9_]+", text.lower()) if len(w) >= 3 and w not in STOPWORDS}


def best_overlap(question: str, doc_words: dict[str, set[str]]) -> tuple[str, float]:
    """The document sharing the largest fraction of the question's content words, and that fraction."""
    words = content_words(question)
    doc_id = max(sorted(doc_words), key=lambda d: len(words & doc_words[d]))
    return doc_id, len(words & doc_words[doc_id]) / max(1, len(words))


def check_questions(corpus: str, questions: list[tuple[str, tuple[str, ...]]], docs: list[dict]) -> list[str]:
    """Problems with one corpus's questions: duplicates, missing terms that some document contains."""
    problems = []
    texts = [q for q, _ in questions]
    problems += [f"  {corpus}: question asked twice: {q!r}" for q in sorted(set(texts)) if texts.count(q) > 1]
    for question, terms in questions:
        if not question.endswith("?") or not terms:
            problems.append(f"  {corpus}: {question!r} must end with '?' and name its missing terms")
        found = answering_documents(terms, docs)
        if found:
            problems.append(f"  {corpus}: {question!r}: documents {found[:5]} contain all of {list(terms)}")
    return problems


def assign_splits(n: int, seed: int) -> list[str]:
    """Validation for a seeded random half of n positions, test for the rest."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    validation = set(order[: n // 2])
    return ["validation" if i in validation else "test" for i in range(n)]


def build_records() -> tuple[list[dict], list[tuple[float, str, str, str]]]:
    """Check every question against its corpus; return the records and (overlap, oq_id, best doc, question) rows."""
    corpora = {"handbook": read_jsonl(HANDBOOK_PATH), "docs": read_jsonl(DOCS_PATH)}
    problems = [p for name, qs in CORPUS_QUESTIONS.items() for p in check_questions(name, qs, corpora[name])]
    if problems:
        raise SystemExit(f"{len(problems)} out-of-corpus question(s) do not verify:\n" + "\n".join(problems))
    records, overlaps = [], []
    for name, questions in CORPUS_QUESTIONS.items():
        doc_words = {doc["doc_id"]: content_words(document_text(doc)) for doc in corpora[name]}
        for number, ((question, _), split) in enumerate(zip(questions, assign_splits(len(questions), SEED)), 1):
            oq_id = f"{ID_PREFIXES[name]}-{number:03d}"
            records.append({"oq_id": oq_id, "corpus": name, "question": question, "split": split})
            doc_id, score = best_overlap(question, doc_words)
            overlaps.append((score, oq_id, doc_id, question))
    return sorted(records, key=lambda r: r["oq_id"]), overlaps


def main() -> None:
    """Verify the questions, write out_of_corpus_questions.jsonl and print the overlap review."""
    records, overlaps = build_records()
    write_jsonl_atomic(records, OUT_PATH)
    counts = {(r["corpus"], r["split"]): 0 for r in records}
    for record in records:
        counts[(record["corpus"], record["split"])] += 1
    print(f"wrote {len(records)} out-of-corpus questions to {OUT_PATH}: "
          + ", ".join(f"{c} {s} {n}" for (c, s), n in sorted(counts.items())))
    shown = sorted(overlaps, reverse=True)
    if "--review" not in sys.argv[1:]:
        shown = shown[:REPORTED_BY_DEFAULT]
    print("highest word overlap with any document (share of the question's content words; review by hand):")
    for score, oq_id, doc_id, question in shown:
        print(f"  {score:.2f}  {oq_id}  {doc_id:<32} {question}")


if __name__ == "__main__":
    main()
