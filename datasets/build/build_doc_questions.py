"""Build datasets/doc_questions.jsonl: hand-written questions answered inside one SQLite documentation section.

The course authors read SQLite documentation sections of datasets/domain_corpus.jsonl (run
build_domain_corpus.py first) and wrote (doc_id, question, answer) triples by hand, in a user's words,
with a short answer copied verbatim from the section; they are the data below. This script finds each
answer's evidence mechanically (the one prose sentence of the section that contains the answer, and the
optional hint when the answer alone occurs in several sentences), checks every triple and fails loudly,
naming each triple that does not verify. The SQLite FAQ and the Python FAQ are never used, so nothing
here overlaps domain_qa.jsonl.

Splits are by page (every question about one documentation page lands in the same split): the sorted
pages are shuffled with a fixed seed and each page goes to the split furthest below its 50/25/25 share
of questions. Records keep the order of the triples below, written atomically.

Each output line is one JSON record:
  {"dq_id", "question", "answer" (1-8 words, verbatim in the section), "evidence" (the full sentence
   holding the answer, verbatim), "doc_id", "page" (e.g. "wal"), "section", "split"}

Run from the repository root:
    .venv/bin/python datasets/build/build_doc_questions.py
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

from jsonl_files import read_jsonl, write_jsonl_atomic  # datasets/build/jsonl_files.py

DATASETS = Path(__file__).resolve().parents[1]
CORPUS_PATH = DATASETS / "domain_corpus.jsonl"
OUT_PATH = DATASETS / "doc_questions.jsonl"

SEED = 26
SPLIT_FRACTIONS = {"train": 0.5, "validation": 0.25, "test": 0.25}
MAX_ANSWER_WORDS = 8
MAX_SHARED_RUN = 6  # a question may not copy a run of this many consecutive words from its evidence
MIN_TITLE_WORDS = 3  # section titles this long must not be copied into the question verbatim
TOKENS_PER_WORD = 1.3  # rough subword tokens per whitespace word, for the position summary only
EARLY_TOKENS = 256  # the summary counts evidence that starts beyond this many tokens of its section
CODE_INDENT = "    "  # code blocks in the corpus are indented by four spaces
ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "cf.", "etc.", "Mr.", "Dr.", "approx.", "No.")
SENTENCE_END_RE = re.compile(r"[.!?][\"')\]]*(?=\s+[A-Z0-9\"'(\[-]|\s*$)")
WORD_RE = re.compile(r"[a-z0-9_]+")

# (doc_id, question, answer) or (doc_id, question, answer, hint): the hint is a few words of the
# evidence sentence, needed only when the answer occurs in more than one sentence of the section.
TRIPLES: list[tuple[str, ...]] = [
    ("sqlite-about-01", "On what date did the SQLite project get started?", "2000-05-09"),
    ("sqlite-about-01", "Until about when do the developers intend to keep supporting SQLite?", "the year 2050"),
    ("sqlite-amalgamation-02", "How much of a speedup was measured when SQLite is compiled from the single combined C file instead of the separate sources?", "between 5 and 10%"),
    ("sqlite-amalgamation-02", "Which tool compiles the parse.y grammar into the parser C file?", "Lemon parser generator"),
    ("sqlite-appfileformat-03-p2", "Up to roughly what size can SQLite read and write blobs faster than separate files on disk?", "about 100KB"),
    ("sqlite-appfileformat-03-p2", "Since which year has the database file format stayed backwards compatible?", "2004"),
    ("sqlite-appfunc-05", "What value does a scalar SQL function return if its callback never calls any of the result-setting routines?", "NULL", "If none of these routines"),
    ("sqlite-appfunc-05", "Which two extra callbacks do window functions need on top of xStep and xFinal?", "xValue and xInverse"),
    ("sqlite-arch-07", "Which single source file holds SQLite's bytecode virtual machine?", "vdbe.c"),
    ("sqlite-arch-07", "In which source file are the date and time conversion functions implemented?", "date.c"),
    ("sqlite-atomiccommit-02-p2", "Before which version did SQLite not assume the powersafe overwrite property?", "3.7.9"),
    ("sqlite-atomiccommit-02-p2", "What is the VFS property called that says a file's content is written before its size is increased?", "SQLITE_IOCAP_SAFE_APPEND"),
    ("sqlite-atomiccommit-31", "What size of checksum protects every page stored in a rollback journal?", "32-bit"),
    ("sqlite-atomiccommit-31", "At what level is the synchronous setting by default?", "full", "The default synchronous setting"),
    ("sqlite-atomiccommit-39", "Starting with which release is the TRUNCATE journal mode available?", "3.6.4"),
    ("sqlite-atomiccommit-39", "Which journaling mode commits by zeroing the journal header rather than removing the journal file?", "PERSIST", "by setting the"),
    ("sqlite-autoinc-03", "Which error is raised when inserting into an AUTOINCREMENT table after the largest possible rowid was already used?", "SQLITE_FULL"),
    ("sqlite-autoinc-03", "In which internal table is the largest rowid of an AUTOINCREMENT table recorded?", "sqlite_sequence", "keeps track"),
    ("sqlite-backup-01", "Which SQL command introduced in 3.27.0 can be used instead of the online backup interface?", "VACUUM INTO"),
    ("sqlite-backup-01", "In which SQLite version did VACUUM INTO first appear?", "3.27.0"),
    ("sqlite-cintro-03", "Which routine should new programs use to compile SQL instead of the legacy sqlite3_prepare()?", "sqlite3_prepare_v2()", "New applications"),
    ("sqlite-cintro-03", "How many different routines are there for opening a database connection?", "three separate routines"),
    ("sqlite-cli-07", "How many different output formats can the command-line shell display query results in?", "14 different output formats"),
    ("sqlite-cli-07", "In list mode, which character separates the columns unless I change it?", "a pipe symbol"),
    ("sqlite-cli-07", "What column width value tells the shell to size a column automatically?", "0", "means the column width is chosen automatically"),
    ("sqlite-cli-14", "Which option makes the shell's CSV import skip a header line when loading into an existing table?", "--skip 1"),
    ("sqlite-cli-14", "Which RFC does the shell follow when parsing imported CSV records?", "RFC 4180", "with this exception"),
    ("sqlite-cli-38", "Which dot-command lets one audited statement get past the restrictions of the shell's safe mode?", ".nonce NONCE"),
    ("sqlite-compile-04-p2", "What page size does SQLite use for new databases when nothing else is configured?", "4096", "The default value is"),
    ("sqlite-compile-04-p2", "By default, after how many pages does the WAL auto-checkpoint kick in?", "1000"),
    ("sqlite-compile-04-p2", "What is the default depth limit for the FTS3/FTS4 MATCH search tree?", "12", "The default limit is"),
    ("sqlite-compile-04-p2", "Which value of the double-quoted string compile option is recommended?", "0", "The recommended setting is"),
    ("sqlite-conflict-02", "How many algorithms does SQLite offer for resolving constraint conflicts?", "five"),
    ("sqlite-conflict-02", "When the ROLLBACK algorithm fires while no transaction is open, which other algorithm does it behave like?", "ABORT", "If no transaction is active"),
    ("sqlite-cpu-07", "Which shell script do the developers run to follow the performance impact of their changes?", "speed-check.sh", "As SQLite developers edit"),
    ("sqlite-cpu-07", "About how long is the per-line CPU cycle report produced during performance checks?", "approximately 80,000 lines"),
    ("sqlite-csv-02", "What happens to extra columns when a CSV file has more columns than the declared count?", "the excess columns are ignored"),
    ("sqlite-csv-02", "What value fills missing columns when a CSV row has too few fields?", "NULL"),
    ("sqlite-datatype3-05", "How many significant decimal digits survive a conversion between TEXT and REAL?", "the first 15 significant decimal digits"),
    ("sqlite-datatype3-05", "What was the BLOB type affinity formerly called?", "NONE"),
    ("sqlite-datatype3-05", "If I insert the string '3.0e+5' into a NUMERIC column, what value is stored?", "the integer 300000"),
    ("sqlite-datatype3-16", "Which collating function does a column get when none is declared for it?", "BINARY", "If no collating function is explicitly defined"),
    ("sqlite-datatype3-16", "For an expression like x IN (y, z), whose collating sequence is used?", "the collating sequence of x"),
    ("sqlite-dbstat-01", "Which compile-time option makes the disk-usage statistics virtual table available?", "SQLITE_ENABLE_DBSTAT_VTAB"),
    ("sqlite-dbstat-01", "Which kinds of pages does the disk-usage statistics table leave out of its analysis?", "Freelist pages, pointer-map pages, and the lock page"),
    ("sqlite-debugging-01", "What command-line option makes the shell disable the lookaside allocator?", "--lookaside 0 0"),
    ("sqlite-debugging-01", "Which C routine does the shell's .breakpoint command call?", "test_breakpoint()", "does nothing but invoke"),
    ("sqlite-debugging-01", "Which shell setting shows EXPLAIN output and additionally enables VDBE tracing?", ".eqp trace"),
    ("sqlite-deterministic-05", "Which flag marks an application-defined SQL function as deterministic?", "SQLITE_DETERMINISTIC", "if the 4th parameter"),
    ("sqlite-deterministic-05", "What command repairs an index that was corrupted by a nearly deterministic function?", "REINDEX"),
    ("sqlite-different-01-p2", "How many bytes does storing a single character in a VARCHAR(100) column really take once the column overhead is counted?", "two bytes"),
    ("sqlite-different-01-p2", "Which keyword do I put in front of a query to see the virtual machine code it compiles to?", "EXPLAIN", "Users of the database can view"),
    ("sqlite-eqp-02", "How are all joins carried out in SQLite?", "using nested scans"),
    ("sqlite-eqp-02", "What word starts the detail column of a query plan row when only part of a table's rows are visited?", "SEARCH", "indicates that only a subset"),
    ("sqlite-expridx-03", "Which flag must an application-defined function be registered with before it can appear in an index on an expression?", "SQLITE_DETERMINISTIC"),
    ("sqlite-expridx-03", "Can an expression used in a CREATE INDEX statement contain a subquery?", "may not use subqueries"),
    ("sqlite-fasterthanfs-04", "Which test program is used to measure blob I/O performance against plain files?", "kvtest.c", "I/O performance is measured"),
    ("sqlite-fasterthanfs-04", "In the blob benchmark, roughly how much faster are reads from the database than from individual files?", "about 35% faster"),
    ("sqlite-fasterthanfs-04", "Which kvtest option runs every blob read or write in its own transaction?", "--multitrans", "Use the"),
    ("sqlite-fileformat2-04", "How many bytes long is the header at the start of a database file?", "100 bytes"),
    ("sqlite-fileformat2-04", "What number in the header's text encoding field stands for UTF-16be?", "3", "means UTF-16be"),
    ("sqlite-fileformat2-21", "What is the minimum usable space of a page, according to the freelist description?", "480 bytes"),
    ("sqlite-fileformat2-21", "At which byte offset in the header is the total count of freelist pages kept?", "36", "number of freelist pages"),
    ("sqlite-fileformat2-34", "What is the largest value the seq field can reach before automatic key generation fails?", "9223372036854775807"),
    ("sqlite-fileformat2-34", "What happens to an AUTOINCREMENT table's row in the sequence table when that table is dropped?", "automatically deleted"),
    ("sqlite-flextypegood-12", "According to the flexible typing essay, how many sources usually produce most data errors when you have 20 data sources?", "just 2 or 3"),
    ("sqlite-floatingpoint-03", "How many bits wide is the mantissa M of a binary64 number?", "53-bit integer"),
    ("sqlite-floatingpoint-03", "Which cents values can be stored exactly in binary64 floating point?", "0.00, 0.25, 0.50, and 0.75"),
    ("sqlite-foreignkeys-03", "Are foreign key constraints on or off when a connection is first opened?", "disabled by default"),
    ("sqlite-foreignkeys-03", "Which SQLite version first enforced foreign key constraints?", "3.6.19", "behaves as it did prior"),
    ("sqlite-foreignkeys-09", "Which MATCH mode does SQLite apply to every foreign key constraint?", "MATCH SIMPLE", "are handled as if"),
    ("sqlite-foreignkeys-09", "Does the recursive_triggers pragma change how foreign key actions behave?", "does not affect"),
    ("sqlite-fts5-16", "Which Unicode version's rules does the unicode61 tokenizer follow for case folding?", "Unicode 6.1", "case-insensitive"),
    ("sqlite-fts5-16", "What is the default remove_diacritics setting for the unicode61 tokenizer?", "\"1\"", "The default value is"),
    ("sqlite-fts5-16", "What is the default list of token character categories for unicode61?", "L* N* Co"),
    ("sqlite-fts5-22", "What is the default value of the FTS5 detail option?", "full", "may be set to"),
    ("sqlite-fts5-22", "In the email indexing test, how big was the full-text index with detail=none?", "134 MiB"),
    ("sqlite-fts5-25", "What are the hard-coded values of k1 and b in FTS5's bm25?", "1.2 and 0.75"),
    ("sqlite-fts5-25", "What weight do table columns get when bm25() is given fewer weight arguments than there are columns?", "a weight of 1.0"),
    ("sqlite-fts5-29", "What is the largest value allowed for the FTS5 automerge setting?", "16"),
    ("sqlite-fts5-29", "What is the automerge parameter set to out of the box?", "4", "The default value is"),
    ("sqlite-gencol-05", "Which pragma lists generated columns, since table_info leaves them out?", "PRAGMA table_xinfo"),
    ("sqlite-gencol-05", "What kind of generated column can still be added with ALTER TABLE ADD COLUMN?", "a VIRTUAL column"),
    ("sqlite-howitworks-04", "Which database engines run a tree of objects in memory rather than bytecode?", "MySQL, PostgreSQL, and SQL-Server"),
    ("sqlite-howtocompile-03", "Which compiler optimization flag is used for the precompiled shell on the SQLite website?", "-Os"),
    ("sqlite-howtocompile-03", "What compile option adds extra commentary to EXPLAIN listings?", "-DSQLITE_ENABLE_EXPLAIN_COMMENTS"),
    ("sqlite-howtocompile-03", "Besides sqlite3.c and sqlite3.h, which third source file do you need to build the CLI?", "shell.c", "program itself"),
    ("sqlite-howtocorrupt-08", "Which locking mechanism does SQLite use by default on unix?", "POSIX advisory locking", "The default locking mechanism"),
    ("sqlite-howtocorrupt-08", "Which system call drops every POSIX advisory lock on a file for all threads of a process?", "close()", "One particularly pernicious problem"),
    ("sqlite-howtocorrupt-14", "Which kind of storage device is called an especially pernicious liar about sync requests?", "USB flash memory sticks"),
    ("sqlite-howtocorrupt-14", "In WAL mode, during which operation can a failed sync corrupt the database?", "during a checkpoint operation"),
    ("sqlite-inmemorydb-01", "How can I create an on-disk database file that is literally named :memory:?", "./:memory:"),
    ("sqlite-inmemorydb-01", "If two connections both open the special in-memory filename, how many databases do they get?", "two independent in-memory databases"),
    ("sqlite-isolation-02", "Since which version does SQLite offer write-ahead log mode?", "3.7.0"),
    ("sqlite-isolation-02", "What kind of isolation do readers get in WAL mode?", "snapshot isolation"),
    ("sqlite-isolation-02", "What error does a read transaction get when it tries to start writing after another connection has already committed a change?", "SQLITE_BUSY_SNAPSHOT error", "escalate"),
    ("sqlite-json1-12", "Which release first supported the -> and ->> JSON operators?", "3.38.0"),
    ("sqlite-json1-12", "If the right operand of -> is a plain text label X, which JSON path is it treated as?", "'$.X'"),
    ("sqlite-json1-20", "What does the parent column contain in rows returned by json_each()?", "always NULL"),
    ("sqlite-json1-20", "Which JSON table-valued function walks the whole nested structure recursively rather than only the top level's children?", "json_tree(X)", "recursively walks"),
    ("sqlite-lang_aggfunc-02", "What separator does group_concat() use when no second argument is given?", "A comma"),
    ("sqlite-lang_aggfunc-02", "What does total() return when the group has no non-NULL rows?", "0.0"),
    ("sqlite-lang_aggfunc-02", "Which exception can sum() raise that total() never does?", "integer overflow", "Sum() will throw"),
    ("sqlite-lang_altertable-04", "Which SQLite versions can no longer read a database after a column was added to a table?", "3.1.3"),
    ("sqlite-lang_altertable-04", "Where in the column list does a newly added column end up?", "the end of the list"),
    ("sqlite-lang_analyze-05", "What range of values is advised for the analysis_limit pragma?", "between 100 and 1000", "Values of N"),
    ("sqlite-lang_analyze-05", "What is the analysis limit set to by default?", "0", "The default value for the analysis limit"),
    ("sqlite-lang_attach-01", "When two attached databases have a table with the same name and no schema prefix is used, which one is picked?", "least recently attached"),
    ("sqlite-lang_attach-01", "Which limit setting caps how many databases one connection can attach at once?", "SQLITE_LIMIT_ATTACHED"),
    ("sqlite-lang_conflict-01", "In which release was UPSERT, the other use of the ON CONFLICT phrase, added to INSERT?", "3.24.0"),
    ("sqlite-lang_conflict-01", "What does the REPLACE algorithm put in a column when a NOT NULL constraint would be violated?", "the default value for that column"),
    ("sqlite-lang_conflict-01", "Which conflict algorithm is triggered by a foreign key violation even when FAIL was requested?", "ABORT", "A foreign key constraint violation causes"),
    ("sqlite-lang_corefunc-01-p2", "What probability does unlikely(X) stand for when written as a likelihood() call?", "likelihood(X,0.0625)"),
    ("sqlite-lang_corefunc-01-p2", "Which extension should I load to get case conversion for non-ASCII characters?", "the ICU extension"),
    ("sqlite-lang_corefunc-01-p2", "Which SQL function is printf() now an alias of?", "format()", "is an alias for"),
    ("sqlite-lang_createtable-13", "Which column declaration with INTEGER PRIMARY KEY does not make the column a rowid alias?", "PRIMARY KEY DESC", "The exception mentioned above"),
    ("sqlite-lang_createtable-13", "What error is raised when an UPDATE tries to store a blob in an INTEGER PRIMARY KEY column?", "\"datatype mismatch\" error", "If an UPDATE statement"),
    ("sqlite-lang_createtable-13", "How much faster is a lookup by rowid compared with a search on another indexed key?", "around twice as fast"),
    ("sqlite-lang_createtrigger-01", "If neither BEFORE nor AFTER is written, when does a trigger run?", "BEFORE is the default"),
    ("sqlite-lang_createtrigger-01", "Which kind of triggers does SQLite support: per row or per statement?", "only FOR EACH ROW triggers"),
    ("sqlite-lang_createview-01", "Can I run INSERT, UPDATE or DELETE directly against a view?", "Views are read-only"),
    ("sqlite-lang_createview-01", "In which SQLite version did the column-name list syntax for views appear?", "3.9.0"),
    ("sqlite-lang_datefunc-03", "In the weekday modifier, which number stands for Sunday?", "Sunday is 0"),
    ("sqlite-lang_datefunc-03", "What date does adding '+1 month' to 2001-03-31 give?", "2001-05-01"),
    ("sqlite-lang_datefunc-03", "For how many days at the start of 1970 are unix timestamps misread as julian day numbers by the 'auto' modifier?", "the first 63 days of 1970"),
    ("sqlite-lang_delete-03", "Which compile-time option adds ORDER BY and LIMIT clauses to DELETE?", "SQLITE_ENABLE_UPDATE_DELETE_LIMIT"),
    ("sqlite-lang_delete-03", "How is a negative LIMIT on a DELETE statement treated?", "\"no limit\""),
    ("sqlite-lang_droptable-01", "When foreign keys are on, what does DROP TABLE run implicitly before removing the table?", "an implicit DELETE FROM command"),
    ("sqlite-lang_droptable-01", "Which optional clause stops DROP TABLE from raising an error for a table that doesn't exist?", "IF EXISTS"),
    ("sqlite-lang_explain-02", "Which callback is still invoked even when a statement is prefixed with EXPLAIN?", "The authorizer callback"),
    ("sqlite-lang_explain-02", "What kind of statements should you avoid using EXPLAIN on if you want consistent results?", "PRAGMA statements", "For consistent results"),
    ("sqlite-lang_expr-02", "What decimal number is the hex literal 0x1234 equal to?", "4660"),
    ("sqlite-lang_expr-02", "Which version added hexadecimal integer literals?", "3.8.6"),
    ("sqlite-lang_expr-02", "How do you write a single quote inside a string literal?", "putting two single quotes in a row"),
    ("sqlite-lang_expr-11", "What does CAST('123e+5' AS INTEGER) return?", "123", "results in"),
    ("sqlite-lang_expr-11", "What is the result of casting text with no numeric prefix to REAL?", "0.0", "If there is no prefix that can be interpreted as a real number"),
    ("sqlite-lang_expr-11", "Before which version did casting a huge REAL to an integer give the most negative integer?", "3.8.2"),
    ("sqlite-lang_indexedby-01", "What happens to a query whose INDEXED BY index cannot be used?", "the query will fail with an error"),
    ("sqlite-lang_indexedby-01", "When NOT INDEXED is specified, which key may SQLite still use for lookups?", "the rowid"),
    ("sqlite-lang_insert-01", "What should an INSERT ... SELECT always include when it has an upsert clause, to avoid a parsing ambiguity?", "a WHERE clause"),
    ("sqlite-lang_insert-01", "For compatibility with which database does the parser accept a lone REPLACE keyword instead of INSERT OR REPLACE?", "MySQL"),
    ("sqlite-lang_mathfunc-01", "Which base does the one-argument log() function use in SQLite?", "base-10 logarithm", "Compatibility note"),
    ("sqlite-lang_mathfunc-01", "What does sqrt() return for a negative argument?", "NULL is returned"),
    ("sqlite-lang_naming-01", "Which database is searched first when an object name is given without a schema?", "The temp database"),
    ("sqlite-lang_naming-01", "Are schema names case-sensitive?", "case-insensitive"),
    ("sqlite-lang_returning-05", "Can a statement inside a trigger use a RETURNING clause?", "cannot be used by statements within triggers"),
    ("sqlite-lang_returning-05", "In what order do the rows produced by RETURNING come out?", "an arbitrary order"),
    ("sqlite-lang_savepoint-01", "When an outermost savepoint is opened outside BEGIN...COMMIT, which statement does it behave like?", "BEGIN DEFERRED TRANSACTION"),
    ("sqlite-lang_savepoint-01", "What happens if RELEASE names a savepoint that is not on the transaction stack?", "the RELEASE command returns an error"),
    ("sqlite-lang_select-11", "In the comma form LIMIT a, b, which of the two expressions is the offset?", "the first expression", "OFFSET expression"),
    ("sqlite-lang_select-11", "If I give LIMIT a value below zero, how many rows can come back?", "there is no upper bound"),
    ("sqlite-lang_transaction-02", "How many write transactions can be open at the same time?", "only one simultaneous write transaction"),
    ("sqlite-lang_transaction-02", "What error does a write statement get when its read transaction cannot be upgraded because another connection is writing?", "SQLITE_BUSY"),
    ("sqlite-lang_transaction-03", "Which transaction type do you get with a plain BEGIN?", "DEFERRED", "The default transaction behavior"),
    ("sqlite-lang_transaction-03", "In which journal mode do EXCLUSIVE and IMMEDIATE transactions behave the same?", "WAL mode"),
    ("sqlite-lang_update-03", "From which release is UPDATE with a FROM clause supported?", "3.33.0"),
    ("sqlite-lang_update-03", "Which other database engine does SQLite's UPDATE-FROM try to be compatible with?", "PostgreSQL", "The SQLite implementation strives"),
    ("sqlite-lang_upsert-02", "Which prefix in a DO UPDATE clause refers to the value that would have been inserted?", "\"excluded.\" prefix"),
    ("sqlite-lang_upsert-02", "Which database requires the vocabulary.count form rather than count+1 in the upsert example?", "PostgreSQL"),
    ("sqlite-lang_vacuum-01", "Since which version can VACUUM be run on an attached database?", "3.15.0"),
    ("sqlite-lang_vacuum-01", "Which pragma is the alternative to running VACUUM for wiping traces of deleted content?", "PRAGMA secure_delete=ON"),
    ("sqlite-lang_vacuum-01", "In write-ahead log mode, which database property can VACUUM still change?", "auto_vacuum support property"),
    ("sqlite-lang_with-09", "From which version can CTEs carry MATERIALIZED or NOT MATERIALIZED hints?", "3.35.0", "are only available in"),
    ("sqlite-lang_with-09", "What is a CTE said to act as once it is materialized?", "optimization fence"),
    ("sqlite-limits-01-p2", "What is the largest number of tables a single join may contain?", "64 tables"),
    ("sqlite-limits-01-p2", "How many terms can a compound SELECT have by default?", "500"),
    ("sqlite-limits-01-p2", "What is the default maximum number of arguments an SQL function can take?", "100", "The default value of this limit is"),
    ("sqlite-limits-01-p2", "What is the default length limit, in bytes, of a LIKE or GLOB pattern?", "50000", "The default value of this limit is"),
    ("sqlite-loadext-02", "Which file suffix do shared libraries use on the Mac?", ".dylib"),
    ("sqlite-loadext-02", "What generic entry point name does the extension loader try first?", "sqlite3_extension_init", "It will first try"),
    ("sqlite-loadext-02", "Which dot-command loads an extension in the command-line shell?", ".load", "From the command-line shell"),
    ("sqlite-lockingv3-04", "How many locking states can a database file be in from one process's point of view?", "five locking states", "From the point of view"),
    ("sqlite-lockingv3-04", "Which lock state does the pager module not keep track of?", "PENDING locks", "the pager module does not track"),
    ("sqlite-lockingv3-07", "Which lock does SQLite version 3 use to avoid writer starvation?", "the PENDING lock", "seeks to avoid"),
    ("sqlite-malloc-15", "In which version did SQLite first ship the lookaside allocator?", "3.6.1"),
    ("sqlite-malloc-15", "How big are the slots of the small-slot lookaside pool?", "128-byte slots"),
    ("sqlite-malloc-15", "What is the default lookaside configuration after the two-size change?", "40 slots of 1200 bytes each"),
    ("sqlite-malloc-19", "What minimum allocation size is suggested as reasonable for the memsys5 allocator?", "512", "A minimum allocation size of"),
    ("sqlite-malloc-19", "About how much memory does each SQL parser object use?", "about 1.6KB"),
    ("sqlite-mmap-03", "Is memory-mapped I/O on or off by default?", "disabled by default"),
    ("sqlite-mmap-03", "Which compile-time macro sets the hard upper bound on mmap_size?", "SQLITE_MAX_MMAP_SIZE", "The hard upper bound can be set"),
    ("sqlite-mmap-03", "On which platform is the mmap hard upper bound forced to zero because it lacks a unified buffer cache?", "OpenBSD"),
    ("sqlite-nulls-01", "In what month and year were the original NULL-handling tests run?", "May of 2002"),
    ("sqlite-nulls-01", "Which #define must be changed to make SQLite treat NULLs as distinct for SELECT DISTINCT and UNION?", "NULL_ALWAYS_DISTINCT"),
    ("sqlite-nulls-01", "Which two database engines regard NULLs in a UNIQUE column as equal to each other?", "Informix and MS-SQL"),
    ("sqlite-omitted-01", "Apart from RENAME TABLE, ADD COLUMN and RENAME COLUMN, which fourth ALTER TABLE variant is supported?", "DROP COLUMN"),
    ("sqlite-omitted-01", "Which two permission commands from client/server databases are not implemented?", "GRANT and REVOKE", "commands commonly found"),
    ("sqlite-optoverview-06", "When SQLite turns a LIKE into a range search and the literal prefix x is 'hello', what is the upper-bound string y?", "'hellp'"),
    ("sqlite-optoverview-06", "Which compiler option makes LIKE case sensitive by default?", "SQLITE_CASE_SENSITIVE_LIKE"),
    ("sqlite-optoverview-06", "Is the GLOB operator case sensitive?", "always case sensitive"),
    ("sqlite-optoverview-22", "Without ANALYZE data, how many rows does SQLite assume a table has when deciding on an automatic index?", "one million"),
    ("sqlite-optoverview-22", "Which warning is logged each time a statement using an automatic index is prepared?", "SQLITE_WARNING_AUTOINDEX"),
    ("sqlite-optoverview-22", "Which pragma turns automatic indexing off at run time?", "automatic_index pragma"),
    ("sqlite-partialindex-04", "Will an index term written as b=6 match a query term b=3+3 when choosing a partial index?", "does not match"),
    ("sqlite-partialindex-04", "As of which date do the two partial-index usability rules describe the query planner?", "2013-08-01"),
    ("sqlite-pragma-06", "What is the auto_vacuum setting by default?", "0 or \"none\""),
    ("sqlite-pragma-06", "In incremental auto-vacuum mode, which pragma must be run to actually reclaim pages?", "incremental_vacuum pragma"),
    ("sqlite-pragma-09", "What is the default suggested cache size, as the pragma value?", "-2000"),
    ("sqlite-pragma-09", "What default cache size does the TEMP database have?", "0 pages"),
    ("sqlite-pragma-34", "Which journal modes are the only ones allowed for an in-memory database?", "MEMORY or OFF", "Note that the journal_mode for an in-memory database"),
    ("sqlite-pragma-34", "When is the OFF journal mode disabled for safety?", "when SQLITE_DBCONFIG_DEFENSIVE is enabled"),
    ("sqlite-pragma-35", "What is the default journal size limit?", "-1 (no limit)"),
    ("sqlite-pragma-35", "What value should journal_size_limit be set to so that journals and WAL files are always truncated to their minimum size?", "set the journal_size_limit to zero"),
    ("sqlite-pragma-38", "Which locking mode do the temp database and in-memory databases always use?", "exclusive locking mode"),
    ("sqlite-pragma-38", "Which compile-time option changes the default connection locking mode?", "SQLITE_DEFAULT_LOCKING_MODE"),
    ("sqlite-pragma-41", "What is the default bitmask used by PRAGMA optimize?", "0xfffe", "The default MASK"),
    ("sqlite-pragma-41", "How should I call the optimize pragma to see what it would do without doing it?", "PRAGMA optimize(-1)"),
    ("sqlite-pragma-41", "By how much must a table's row count grow since the last ANALYZE before the optimize pragma re-analyzes it?", "25 times or more"),
    ("sqlite-pragma-54", "What synchronous setting does the TEMP schema always use?", "synchronous=OFF", "The TEMP schema always has"),
    ("sqlite-pragma-54", "For apps using WAL, which synchronous level is recommended in most cases?", "synchronous=NORMAL", "is a good choice"),
    ("sqlite-printf-05", "What does the %q substitution print when its argument is a null pointer?", "no output is generated"),
    ("sqlite-printf-05", "What does %Q print when given a null pointer?", "an unquoted \"NULL\""),
    ("sqlite-printf-09", "Which printf flag adds thousands separators to %d output?", "%,d"),
    ("sqlite-printf-09", "With the alternate-form-2 flag, up to how many significant digits are shown for floating point values?", "from 16 to 26"),
    ("sqlite-psow-02", "What sector size did the default unix and windows VFSes report up to version 3.7.9?", "512", "have always returned"),
    ("sqlite-psow-02", "What nickname is given to xSectorSize's value, the span of bytes a failed write could harm?", "\"blast radius\""),
    ("sqlite-psow-02", "Which other database library is said to have assumed powersafe overwrite for decades?", "BerkeleyDB"),
    ("sqlite-queryplanner-07", "With an index on both fruit and state, how many binary searches find the California orange price?", "only 2 binary searches"),
    ("sqlite-queryplanner-07", "If one index is a prefix of another, which one should I drop?", "the index with fewer columns"),
    ("sqlite-queryplanner-ng-09", "What value of N did the first NGQP release use for joins of three or more tables?", "N=10 for all joins"),
    ("sqlite-queryplanner-ng-09", "How many nodes does the TPC-H Q8 query graph have?", "8 nodes"),
    ("sqlite-queryplanner-ng-14", "How many rows sharing the same left-most value make an index low-quality, according to the checklist?", "more than 10 or 20 rows"),
    ("sqlite-queryplanner-ng-14", "Which table does the query planner read to learn that an index is of low quality?", "SQLITE_STAT1 table", "the way the query planner knows"),
    ("sqlite-quirks-11", "From which version does using a double-quoted string literal write a warning to the error log?", "3.27.0"),
    ("sqlite-quirks-11", "Which compile-time setting do the developers encourage to turn off double-quoted string literals by default?", "-DSQLITE_DQS=0"),
    ("sqlite-quirks-11", "For compatibility with which database were double-quoted strings accepted as literals in the first place?", "MySQL 3.x", "in an effort to be compatible"),
    ("sqlite-quirks-12", "In the example trigger where a keyword becomes the name, what kind of trigger is the one called \"AFTER\"?", "a \"BEFORE\" trigger"),
    ("sqlite-quirks-12", "Which three keywords does the example statement use as identifiers, something other databases would reject?", "\"union\", \"true\", and \"with\""),
    ("sqlite-recovery-02", "What does the recovery page compare using the recovery API to?", "a salvage undertaking"),
    ("sqlite-recovery-02", "Can content that was deleted before corruption show up again after a recovery?", "Previously deleted content might reappear"),
    ("sqlite-rescode-07", "Which result code, unlike the busy code, means the conflict happened inside one and the same connection?", "SQLITE_LOCKED", "differs from"),
    ("sqlite-rescode-07", "What statement should start a transaction so that it never hits busy errors halfway through?", "BEGIN IMMEDIATE instead of just BEGIN"),
    ("sqlite-rowidtable-02", "Which command may change the rowids of tables that don't declare an INTEGER PRIMARY KEY?", "the VACUUM command"),
    ("sqlite-rowidtable-02", "How is each rowid stored in the file format?", "a variable-length integer"),
    ("sqlite-rowvalue-06", "How many contacts can the example scrolling window show at a time?", "7 contacts"),
    ("sqlite-rowvalue-06", "How does SQLite really evaluate LIMIT x OFFSET y?", "\"LIMIT x+y\""),
    ("sqlite-rtree-04", "How many columns can an R*Tree index have?", "between 3 and 11 columns"),
    ("sqlite-rtree-04", "How many shadow tables does an R*Tree virtual table create?", "three shadow tables"),
    ("sqlite-rtree-07", "What precision is used by default to store R*Tree coordinates?", "32-bit floating point values"),
    ("sqlite-rtree-07", "By how much should contained-within query boxes be expanded to guard against rounding?", "0.000012%"),
    ("sqlite-schematab-03", "What is stored in the rootpage column for views and triggers?", "0 or NULL"),
    ("sqlite-schematab-03", "What does the schema table store as the SQL text of automatically created constraint indexes?", "NULL", "The sqlite_schema.sql is NULL"),
    ("sqlite-security-02", "How much memory does the embedded-systems example hand to SQLite as its fixed heap?", "5 MB of memory"),
    ("sqlite-security-02", "What is the default value of SQLITE_MAX_ALLOCATION_SIZE?", "2147483391 (0x7ffffeff)"),
    ("sqlite-security-02", "Which compile option limits the width and precision of printf() substitutions?", "-DSQLITE_PRINTF_PRECISION_LIMIT=100000"),
    ("sqlite-series-01", "What is the default STEP of generate_series?", "1", "STEP defaults"),
    ("sqlite-series-01", "From which version is the START argument of generate_series required?", "3.37.0"),
    ("sqlite-series-01", "Which compile option restores the old behaviour where START defaulted to 0?", "-DZERO_ARGUMENT_GENERATE_SERIES"),
    ("sqlite-serverless-02", "Which two services are given as examples of neo-serverless databases?", "Microsoft Azure Cosmo DB and Amazon S3"),
    ("sqlite-serverless-02", "On what date was the section about the two meanings of serverless added?", "2018-04-02"),
    ("sqlite-sessionintro-05", "Which is more compact, a changeset or a patchset?", "slightly more compact than a changeset"),
    ("sqlite-sessionintro-05", "Can an UPDATE change in a changeset modify PRIMARY KEY fields?", "It is not possible"),
    ("sqlite-sharedcache-05", "What error does a query get in shared-cache mode when it can't obtain a required table lock?", "SQLITE_LOCKED"),
    ("sqlite-sharedcache-05", "Which pragma switches a shared-cache connection to read-uncommitted isolation?", "read_uncommitted pragma"),
    ("sqlite-spellfix1-04", "What is the maximum cost of a single-character edit in spellfix1's edit distance?", "100", "the maximum cost of any single-character edit"),
    ("sqlite-spellfix1-04", "What is the default scope value used to limit spellfix1's phonetic key?", "4", "The default scope value"),
    ("sqlite-spellfix1-04", "What is the default language id in spellfix1?", "0", "The default langid"),
    ("sqlite-sqlar-03", "Which file types does the archive page give as an example of things email firewalls block?", "DLLs"),
    ("sqlite-stricttables-02", "What error is raised when a value can't be losslessly converted to a STRICT column's declared type?", "SQLITE_CONSTRAINT_DATATYPE"),
    ("sqlite-stricttables-02", "Does type coercion happen for an ANY column in a STRICT table?", "No type coercion occurs"),
    ("sqlite-tempfiles-03", "What suffix is appended to the database file name to form the rollback journal's name?", "\"-journal\""),
    ("sqlite-tempfiles-03", "What is an abandoned rollback journal left after a crash called?", "a \"hot journal\""),
    ("sqlite-tempfiles-12", "Out of the box, what is SQLITE_TEMP_STORE defined as?", "1", "The default value of the SQLITE_TEMP_STORE"),
    ("sqlite-tempfiles-12", "What is the temp_store pragma set to by default?", "0", "The default setting for the temp_store pragma"),
    ("sqlite-tempfiles-12", "What range of values can SQLITE_TEMP_STORE take?", "an integer between 0 and 3"),
    ("sqlite-testing-03", "How many seed files does the dbsqlfuzz fuzzer use?", "303 seed files"),
    ("sqlite-testing-03", "How many distinct test cases does TH3 implement?", "49116 distinct test cases"),
    ("sqlite-testing-03", "What is the subset of Tcl tests that developers run before each check-in called?", "\"veryquick\""),
    ("sqlite-testing-07", "Which pragma is used after a simulated crash to make sure the database isn't corrupt?", "The integrity_check PRAGMA"),
    ("sqlite-testing-07", "How does the TH3 harness simulate crashes, given that it can't spawn child processes?", "an in-memory VFS"),
    ("sqlite-testing-25", "Which gcc option is used to compile SQLite into assembly language for mutation testing?", "the -S option"),
    ("sqlite-testing-25", "Which special comments mark branches that the mutation tester should skip?", "\"/*OPTIMIZATION-IF-TRUE*/\" and \"/*OPTIMIZATION-IF-FALSE*/\""),
    ("sqlite-undoredo-02", "Which SQL function do the undo/redo triggers use to make their generated statements safe from SQL injection?", "quote()", "The use of the"),
    ("sqlite-undoredo-02", "What is the special table holding undo/redo information called in the example?", "\"UNDOLOG\""),
    ("sqlite-uri-06", "Which URI query parameter disables all calls to the VFS's xLock and xUnlock methods?", "nolock query parameter", "disables all calls"),
    ("sqlite-uri-06", "Which URI query parameter makes SQLite skip all file locking because the file sits on read-only media?", "immutable query parameter"),
    ("sqlite-useovernet-05", "What mean time between failures is quoted for spinning storage?", "exceeds 1 million hours"),
    ("sqlite-vfs-07", "Which shim splits a big database into several smaller files so it can grow past the filesystem's size limit?", "test_multiplex.c"),
    ("sqlite-vfs-07", "Which application uses the quota shim to enforce resource limits on its databases?", "Firefox"),
    ("sqlite-vfs-07", "What is the name of the demonstration VFS for embedded devices that lack a filesystem?", "\"fs\""),
    ("sqlite-vtab-06", "What should xCreate return when it fails to create the virtual table?", "SQLITE_ERROR"),
    ("sqlite-vtab-06", "What kind of virtual table results when a module leaves its xCreate pointer NULL?", "an eponymous-only virtual table", "If the xCreate method is omitted (if it is a NULL pointer)"),
    ("sqlite-vtab-13", "If xBestIndex doesn't set estimatedRows, how many rows does SQLite assume?", "the default estimate of 25 rows"),
    ("sqlite-vtab-13", "Up to what argvIndex value is the omit flag honored?", "less than or equal to 16"),
    ("sqlite-wal-05", "After how many pages does the default checkpoint strategy run?", "once the WAL reaches 1000 pages"),
    ("sqlite-wal-12", "Roughly how large is the WAL file when it reaches the automatic checkpoint threshold?", "about 4MB in size"),
    ("sqlite-wal-12", "Which two checkpoint options make a manual checkpoint run to completion before returning?", "SQLITE_CHECKPOINT_RESTART or SQLITE_CHECKPOINT_TRUNCATE", "which will ensure"),
    ("sqlite-wal-12", "Since which version should the WAL file of one transaction be proportional in size to that transaction?", "3.11.0"),
    ("sqlite-walformat-09", "How many bytes long is the header of the shm file?", "136 bytes"),
    ("sqlite-walformat-09", "What value does the iVersion field at the start of the shm file always hold?", "3007000"),
    ("sqlite-walformat-09", "How many read marks are kept in the shm file's header?", "Five", "read marks"),
    ("sqlite-whentouse-04", "What is the largest database size SQLite supports according to the checklist for choosing a database engine?", "281 terabytes", "SQLite supports databases up to"),
    ("sqlite-whentouse-04", "How many writers at a time does SQLite allow per database file?", "one writer at a time"),
    ("sqlite-whyc-07", "Why is recoding SQLite in Go considered unlikely?", "Go hates assert()"),
    ("sqlite-whyc-07", "For how many years of SQLite's existence did none of the safe languages exist?", "the first 10 years"),
    ("sqlite-windowfunctions-06", "Which frame boundary is always equivalent to \"0 PRECEDING\"?", "\"CURRENT ROW\""),
    ("sqlite-windowfunctions-06", "How many ways are there to describe the start and end boundaries of a window frame?", "five ways"),
    ("sqlite-windowfunctions-09", "How many window functions come built into SQLite?", "11 built-in window functions"),
    ("sqlite-windowfunctions-09", "What does percent_rank() return when the partition has just one row?", "0.0", "If the partition contains only one row"),
    ("sqlite-windowfunctions-09", "Which three of SQLite's own window functions take the frame specification into account?", "first_value(), last_value() and nth_value()"),
    ("sqlite-withoutrowid-06", "How many B-Trees does the wordcount example use as an ordinary rowid table?", "two separate B-Trees"),
    ("sqlite-withoutrowid-06", "In the best case, how much disk space can a WITHOUT ROWID table save?", "about half the amount of disk space"),
    ("sqlite-withoutrowid-07", "Roughly what fraction of a page should an average WITHOUT ROWID row stay under?", "about 1/20th the size of a database page"),
    ("sqlite-withoutrowid-07", "Which utility program can measure the average row size in an existing database?", "\"sqlite3_analyzer.exe\" utility program"),
    ("sqlite-zipfile-06", "Which two values are allowed in the method column when adding an entry to a zip archive?", "integer values 0 and 8"),
    ("sqlite-zipfile-06", "What mode does zipfile give a new directory entry when mode is NULL?", "16877 (drwxr-xr-x)"),
    ("sqlite-zipfile-06", "What must the data column be set to in order to add a directory to a zip archive?", "NULL", "To insert a directory into the archive, set"),
]


class TripleError(ValueError):
    """A hand-written triple that does not verify against the corpus."""


def page_of(doc: dict) -> str:
    """The documentation page of a section: its source file name without ".html" ("wal.html" -> "wal")."""
    return doc["url"].removesuffix(".html")


def line_sentences(line: str) -> list[str]:
    """Split one line of prose into sentences, each an exact substring of the line."""
    result, start = [], 0
    for match in SENTENCE_END_RE.finditer(line):
        candidate = line[start:match.end()].strip()
        if candidate.endswith(ABBREVIATIONS):
            continue
        result.append(candidate)
        start = match.end()
    rest = line[start:].strip()
    return result + [rest] if rest else result


def prose_sentences(text: str) -> list[str]:
    """The sentences of a section's prose, in order: code blocks skipped, list items and table rows kept whole."""
    sentences = []
    for paragraph in text.split("\n\n"):
        for line in paragraph.split("\n"):
            if line.startswith(CODE_INDENT) or not line.strip():
                continue
            sentences.extend(line_sentences(line))
    return sentences


def occurs(answer: str, text: str) -> bool:
    """True if `answer` occurs verbatim in `text` as a whole: "500" is not found in "50000", nor "0" in "0.5"."""
    return re.search(rf"(?<![\w.]){re.escape(answer)}(?!\w|[.,]\d)", text) is not None


def find_evidence(text: str, answer: str, hint: str) -> str:
    """The one distinct prose sentence of `text` that contains `answer` (and `hint`, when given)."""
    matches = list(dict.fromkeys(s for s in prose_sentences(text) if occurs(answer, s) and hint in s))
    if not matches:
        where = "together with the hint " + repr(hint) if hint else "in any prose sentence"
        raise TripleError(f"answer {answer!r} not found {where}")
    if len(matches) > 1:
        shown = "; ".join(repr(s[:80]) for s in matches[:3])
        raise TripleError(f"answer {answer!r} occurs in {len(matches)} sentences ({shown}); add or sharpen a hint")
    return matches[0]


def longest_shared_run(question: str, evidence: str) -> int:
    """Length of the longest run of consecutive words (lower-cased) that the question copies from the evidence."""
    q_words, e_words = WORD_RE.findall(question.lower()), WORD_RE.findall(evidence.lower())
    best = 0
    previous = [0] * (len(e_words) + 1)
    for q_word in q_words:
        current = [0] * (len(e_words) + 1)
        for j, e_word in enumerate(e_words, start=1):
            if q_word == e_word:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def mentions(text: str, phrase: str) -> bool:
    """True if `phrase` occurs in `text` as a whole token sequence (case-insensitive)."""
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE) is not None


def check_question(question: str, answer: str, evidence: str, section: str) -> None:
    """Raise TripleError if the question gives away its answer, copies its evidence or its section title."""
    if not question.endswith("?"):
        raise TripleError("the question must end with '?'")
    if mentions(question, answer):
        raise TripleError(f"the question contains its answer {answer!r}")
    shared = longest_shared_run(question, evidence)
    if shared >= MAX_SHARED_RUN:
        raise TripleError(f"the question copies {shared} consecutive words of its evidence; rephrase it")
    title = re.sub(r"\s*\(part \d+\)$", "", section)
    if len(title.split()) >= MIN_TITLE_WORDS and title.lower() in question.lower():
        raise TripleError(f"the question reuses the section title {title!r} verbatim")


def build_record(triple: tuple[str, ...], docs: dict[str, dict]) -> dict:
    """Verify one triple and turn it into a record (without dq_id and split)."""
    if len(triple) not in (3, 4):
        raise TripleError("a triple is (doc_id, question, answer) or (doc_id, question, answer, hint)")
    doc_id, question, answer = triple[:3]
    hint = triple[3] if len(triple) == 4 else ""
    doc = docs.get(doc_id)
    if doc is None:
        raise TripleError(f"doc_id {doc_id!r} is not in {CORPUS_PATH.name}")
    if doc["source"] != "sqlite" or doc_id.startswith("sqlite-faq-"):
        raise TripleError(f"{doc_id} is not a SQLite documentation section (FAQ and Python FAQ are excluded)")
    if not 1 <= len(answer.split()) <= MAX_ANSWER_WORDS:
        raise TripleError(f"answer {answer!r} must have 1-{MAX_ANSWER_WORDS} words")
    if not occurs(answer, doc["text"]):
        raise TripleError(f"answer {answer!r} does not occur verbatim in the section text")
    evidence = find_evidence(doc["text"], answer, hint)
    check_question(question, answer, evidence, doc["section"])
    return {"question": question, "answer": answer, "evidence": evidence, "doc_id": doc_id,
            "page": page_of(doc), "section": doc["section"]}


def build_records(triples: list[tuple[str, ...]], docs: dict[str, dict]) -> list[dict]:
    """Verify every triple; raise SystemExit listing all that fail, else return the records in order."""
    records, problems = [], []
    for number, triple in enumerate(triples, start=1):
        try:
            records.append(build_record(triple, docs))
        except TripleError as error:
            problems.append(f"  triple {number} {triple[:2]}: {error}")
    questions = Counter(record["question"] for record in records)
    problems += [f"  question asked {n} times: {q!r}" for q, n in questions.items() if n > 1]
    if problems:
        raise SystemExit(f"{len(problems)} doc question(s) do not verify:\n" + "\n".join(problems))
    return records


def assign_splits(page_counts: dict[str, int], seed: int) -> dict[str, str]:
    """Give each page a split: pages shuffled with `seed`, each to the split furthest below its share of questions."""
    pages = sorted(page_counts)
    random.Random(seed).shuffle(pages)
    counts = dict.fromkeys(SPLIT_FRACTIONS, 0)
    splits = {}
    for page in pages:
        total_after = sum(counts.values()) + page_counts[page]
        split = max(SPLIT_FRACTIONS, key=lambda s: SPLIT_FRACTIONS[s] * total_after - counts[s])
        splits[page] = split
        counts[split] += page_counts[page]
    return splits


def evidence_start_tokens(record: dict, docs: dict[str, dict]) -> float:
    """Rough token offset of the evidence in its section (whitespace words before it times TOKENS_PER_WORD)."""
    text = docs[record["doc_id"]]["text"]
    return len(text[: text.index(record["evidence"])].split()) * TOKENS_PER_WORD


def main() -> None:
    """Verify the triples, split them by page and write doc_questions.jsonl."""
    docs = {doc["doc_id"]: doc for doc in read_jsonl(CORPUS_PATH)}
    records = build_records(TRIPLES, docs)
    splits = assign_splits(Counter(record["page"] for record in records), SEED)
    records = [{"dq_id": f"dq-{number:04d}", **record, "split": splits[record["page"]]}
               for number, record in enumerate(records, start=1)]
    write_jsonl_atomic(records, OUT_PATH)
    counts = {s: sum(r["split"] == s for r in records) for s in SPLIT_FRACTIONS}
    pages = {s: len({r["page"] for r in records if r["split"] == s}) for s in SPLIT_FRACTIONS}
    late = sum(evidence_start_tokens(r, docs) > EARLY_TOKENS for r in records)
    print(f"wrote {len(records)} doc questions {counts} from {len(splits)} pages {pages} to {OUT_PATH}")
    print(f"{late} of {len(records)} evidence sentences start beyond ~{EARLY_TOKENS} tokens of their section "
          f"(whitespace words x {TOKENS_PER_WORD})")


if __name__ == "__main__":
    main()
