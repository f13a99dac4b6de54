"""The claims ledger: every claim the notebooks measured, with its interval and verdict, in CLAIMS.md.

Notebooks 00-07 record each "A beats B" claim with `results.claim(...)` (see `course_utils.stats`);
this tool reads them from the cache (`<cache>/results/NN_topic.json`) and writes one table to
`CLAIMS.md` at the repository root. Run it after the notebooks:

    python -m tools.claims_ledger           # what `make claims` runs
    python -m tools.claims_ledger --check   # exit 1 when CLAIMS.md differs from the recorded claims
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from course_utils.paths import repo_root, write_text_atomic
from course_utils.results import (
    SEED_SPREAD_FILE,
    load_claims,
    load_seed_spread,
    seed_spread_verdict,
)
from course_utils.stats import format_number

NOTEBOOKS = (
    "00_setup_and_map",
    "01_pretraining",
    "02_continued_pretraining",
    "03_instruction_finetuning",
    "04_rag",
    "05_embedding_finetuning",
    "06_prompt_engineering",
    "07_choosing_and_combining",
)

HEADER = """# Claims ledger

Every claim the course's notebooks make, as measured by their last run: the effect, its 95% confidence
interval and the verdict the code reached. Generated from the results recorded in the cache by
`make claims` (`python -m tools.claims_ledger`); do not edit by hand. After `make run-all`, run
`make claims` again and commit the file; `python -m tools.claims_ledger --check` fails when it is stale.

Verdicts:
- **supported**: the whole confidence interval lies on the claimed side (for "no meaningful
  difference" claims: inside the ±margin band).
- **contradicted**: the whole interval lies on the other side (outside the ±margin band).
- **not measurable at n = N**: the interval straddles the line; N items cannot tell, so the notebook
  does not claim it either way (more items would).

An effect with a sign is a paired difference, A minus B on the same items; one without is a mean.
"""

TABLE_HEAD = (
    "| claim | notebook (result key) | expected | effect | 95% CI | n | verdict |",
    "|---|---|---|---|---|---|---|",
)


def collect_claims(notebooks: Sequence[str] = NOTEBOOKS) -> tuple[list[dict[str, Any]], list[str]]:
    """Return every recorded claim in notebook order, and the notebooks that recorded none (or never ran)."""
    claims, silent = [], []
    for notebook in notebooks:
        try:
            recorded = load_claims(notebook)
        except FileNotFoundError:
            recorded = {}
        if not recorded:
            silent.append(notebook)
        ordered = sorted(recorded.items(), key=lambda item: item[1].get("recorded_at", 0))  # the notebook's order
        claims += [{**entry, "key": key, "notebook": notebook} for key, entry in ordered]
    return claims, silent


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _expected_text(entry: dict[str, Any]) -> str:
    if entry["expected"] == "equivalent":
        return f"within ±{format_number(entry['margin'])}"
    sign = ">" if entry["expected"] == "higher" else "<"
    return f"{sign} {format_number(entry.get('threshold') or 0.0)}"


def claim_row(entry: dict[str, Any]) -> str:
    """Return one claim as a row of the ledger's table."""
    signed = entry.get("kind") == "paired_difference"
    interval = f"{format_number(entry['low'], signed)} to {format_number(entry['high'], signed)}"
    if entry.get("confidence", 0.95) != 0.95:
        interval += f" ({entry['confidence']:.0%} CI)"
    cells = (
        entry["statement"] or entry["key"],
        f"{entry['notebook']} (`{entry['key']}`)",
        _expected_text(entry),
        format_number(entry["effect"], signed),
        interval,
        entry["n"],
        entry["verdict"],
    )
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


SEEDS_HEAD = (
    "",
    "## Across seeds",
    "",
    "The training claims above come from one run, seeded 0. `make seeds` re-ran them with several seeds and recorded",
    f"each claim's effect per seed in `{SEED_SPREAD_FILE}`; the interval here is a Student t interval across the seeds.",
    "",
    "| claim | notebook (result key) | expected | effect per seed | mean | 95% CI | seeds | verdict |",
    "|---|---|---|---|---|---|---|---|",
)


def seed_rows(notebooks: Sequence[str] = NOTEBOOKS) -> list[str]:
    """Return one ledger row per claim re-run across seeds (none when the seed record is missing)."""
    rows = []
    for notebook in notebooks:
        try:
            recorded = load_seed_spread(notebook)
        except (FileNotFoundError, KeyError):
            continue
        for key, entry in recorded.items():
            spread, outcome = seed_spread_verdict(entry)
            cells = (
                entry["statement"],
                f"{notebook} (`{key}`)",
                _expected_text(entry),
                ", ".join(format_number(value, True) for value in entry["effects"]),
                format_number(spread.value, True),
                f"{format_number(spread.low, True)} to {format_number(spread.high, True)}",
                spread.n,
                outcome,
            )
            rows.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return rows


def ledger_markdown(claims: Sequence[dict[str, Any]], silent: Sequence[str] = (), seeds: Sequence[str] = ()) -> str:
    """Return the text of CLAIMS.md: the header, one row per claim, the notebooks that claimed nothing, the seed table."""
    lines = [HEADER]
    lines += [*TABLE_HEAD, *(claim_row(entry) for entry in claims)] if claims else ["No claims recorded yet: run the notebooks first."]
    if silent:
        lines += ["", "Notebooks with no recorded claims (not run yet, or they claim nothing): " + ", ".join(silent) + "."]
    if seeds:
        lines += [*SEEDS_HEAD, *seeds]
    return "\n".join(lines) + "\n"


def default_path() -> Path:
    """Return where the ledger lives: CLAIMS.md at the repository root."""
    return repo_root() / "CLAIMS.md"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: `python -m tools.claims_ledger [--check] [--out PATH]`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="where to write the ledger (default: CLAIMS.md)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when the ledger is stale")
    args = parser.parse_args(argv)
    path = args.out or default_path()
    claims, silent = collect_claims()
    text = ledger_markdown(claims, silent, seed_rows())
    if args.check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            print(f"{path.name} is stale: it differs from the claims recorded in the cache. Run `make claims`.")
            return 1
        print(f"{path.name} matches the recorded claims.")
        return 0
    write_text_atomic(path, text)
    print(f"Wrote {path}: {len(claims)} claim(s) from {len(NOTEBOOKS) - len(silent)} notebook(s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
