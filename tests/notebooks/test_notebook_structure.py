"""Every notebook follows the course's anatomy, and ships with outputs from a real, error-free run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course_utils.paths import repo_root

NOTEBOOKS = sorted((repo_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((repo_root() / "solutions").glob("[0-9][0-9]_*_solutions.ipynb"))


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def markdown(path: Path) -> str:
    return "\n".join("".join(c["source"]) for c in cells(path) if c["cell_type"] == "markdown")


def code(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in cells(path) if c["cell_type"] == "code"]


def test_the_course_has_notebooks_and_solutions():
    assert NOTEBOOKS and SOLUTIONS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_opens_with_objectives_prerequisites_and_runtime(path):
    text = markdown(path)
    for heading in ("Objectives", "Prerequisites", "Expected runtime"):
        assert heading in text, f"{path.name} lacks '{heading}'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_prints_the_banner_and_ends_with_exercises_summary_and_troubleshooting(path):
    assert any("banner()" in source for source in code(path)[:3]), "the banner must be among the first code cells"
    text = markdown(path)
    for heading in ("Exercise", "Summary", "Troubleshooting", "Further reading"):
        assert heading in text, f"{path.name} lacks '{heading}'"
    assert any("check_" in source for source in code(path)), "exercises must be auto-checked"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_a_matching_solutions_notebook(path):
    assert (repo_root() / "solutions" / f"{path.stem}_solutions.ipynb").exists()


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.stem)
def test_committed_outputs_come_from_a_complete_error_free_run(path):
    code_cells = [c for c in cells(path) if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code_cells]
    assert all(count is not None for count in counts), "every code cell must have been executed"
    assert counts == sorted(counts), "cells must have been executed top to bottom, in order"
    errors = [o for c in code_cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path.name} was committed with error outputs"


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.stem)
def test_no_cell_shows_a_claim_as_its_raw_repr(path):
    # a claim prints its own sentence when recorded; a cell that ends on the call also shows the dataclass repr
    reprs = [i for i, c in enumerate(cells(path)) if c["cell_type"] == "code" for o in c.get("outputs", [])
             if o.get("output_type") == "execute_result" and re.match(r"(Claim|Comparison|Estimate)\(", "".join(o.get("data", {}).get("text/plain", "")))]
    assert not reprs, f"{path.name}: cells {reprs} end on a claim; assign it (claim = results.claim(...)) so only its sentence shows"


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.stem)
def test_colab_badge_points_at_this_notebook(path):
    badge = re.search(r"colab\.research\.google\.com/github/[^/]+/[^/]+/blob/main/([^)\s]+)", markdown(path))
    assert badge, f"{path.name} has no Open-in-Colab badge"
    assert (repo_root() / badge.group(1)) == path


_AMOUNT = r"(\d+(\.\d+)?|a|an|one|half an?|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|fifty|a hundred)"
_COUNT = r"(\d+(\.\d+)?|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|fifty|a hundred)"
# Phrasings that quote a measurement in prose: a measured value, a ratio of speeds or sizes, a duration.
MEASURED_NUMBER_PATTERNS = (
    r"\d+(\.\d+)?\s?(tokens/s|% recall|perplexity of \d)",
    rf"\bmeasured\s(at\s|about\s|around\s|roughly\s|~)?{_COUNT}\b",
    rf"\b{_COUNT}\s?(x|×|times)\s(slower|faster|smaller|larger|bigger|fewer|more)\b",
    rf"\b(takes|took|in|under|within|about|over|less than|more than)\s{_AMOUNT}\s(and a half\s)?(seconds?|minutes?|milliseconds?|ms|s|hours?)\b",
    rf"\b{_COUNT}\s?extra\s(seconds|minutes|s|ms)\b",
)


def measured_numbers_quoted(text: str) -> list[str]:
    """The phrases of `text` that quote a measured number (see MEASURED_NUMBER_PATTERNS)."""
    return [match.group(0) for pattern in MEASURED_NUMBER_PATTERNS for match in re.finditer(pattern, text, re.IGNORECASE)]


@pytest.mark.parametrize(
    "prose",
    ["bf16 was measured about 20 times slower", "the models load in under a second", "it runs at 14 tokens/s",
     "training takes about a minute and a half", "the conversion takes about 25 s once", "1.5 extra minutes", "3x faster"],
)
def test_the_measured_number_check_catches_every_phrasing(prose):
    assert measured_numbers_quoted(prose)


@pytest.mark.parametrize("prose", ["section 6 of notebook 04", "LoRA trains under 5% of the parameters", "k = 5 examples",
                                   "each notebook is budgeted at 3 minutes", "its budget is 4 minutes",
                                   "the README's measured runtime table", "what was measured in section 6"])
def test_the_measured_number_check_lets_counts_and_references_pass(prose):
    assert measured_numbers_quoted(prose) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_markdown_quotes_no_measured_numbers(path):
    # Numbers come from `results.report`, printed by code; prose about measurements stays number-free.
    assert measured_numbers_quoted(markdown(path)) == []
