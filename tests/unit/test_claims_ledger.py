import pytest

from course_utils import results, stats
from course_utils.results import NotebookResults
from course_utils.stats import Comparison, Estimate
from tools import claims_ledger


@pytest.fixture
def recorded_claims(tmp_path, monkeypatch):
    """A temporary cache in which notebooks 04 and 01 recorded one claim each; the rest never ran."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    rag = stats.claim("rag", "RAG vs closed-book", Comparison(0.31, 0.22, 0.40, 110))
    NotebookResults("04_rag").claim("rag_beats_closed_book", rag)
    NotebookResults("01_pretraining").claim("beats_chance", Estimate(0.42, 0.30, 0.55, 60), "accuracy above 0.5", threshold=0.5)


def test_ledger_has_one_row_per_claim_in_notebook_order(recorded_claims, tmp_path):
    out = tmp_path / "CLAIMS.md"
    assert claims_ledger.main(["--out", str(out)]) == 0
    first_table = out.read_text().split("## Across seeds")[0]  # the second table comes from the committed seed record
    rows = [line for line in first_table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows == [
        "| accuracy above 0.5 | 01_pretraining (`beats_chance`) | > 0.50 | 0.42 | 0.30 to 0.55 | 60 | not measurable at n = 60 |",
        "| RAG vs closed-book | 04_rag (`rag_beats_closed_book`) | > 0.00 | +0.31 | +0.22 to +0.40 | 110 | supported |",
    ]


def test_ledger_header_says_how_to_regenerate_and_what_verdicts_mean(recorded_claims, tmp_path):
    out = tmp_path / "CLAIMS.md"
    claims_ledger.main(["--out", str(out)])
    text = out.read_text()
    assert "make claims" in text
    assert all(word in text for word in ("**supported**", "**contradicted**", "**not measurable at n = N**"))


def test_ledger_lists_the_notebooks_that_recorded_no_claims(recorded_claims):
    text = claims_ledger.ledger_markdown(*claims_ledger.collect_claims())
    assert "00_setup_and_map, 02_continued_pretraining, 03_instruction_finetuning" in text
    assert "04_rag," not in text


def test_equivalence_claim_shows_its_margin(tmp_cache):
    same = stats.claim("trl", "TRL vs hand-assembled", Comparison(0.01, -0.02, 0.03, 50), "equivalent", margin=0.05)
    NotebookResults("03_instruction_finetuning").claim("trl_matches_manual", same)
    text = claims_ledger.ledger_markdown(*claims_ledger.collect_claims())
    assert "| within ±0.05 | +0.01 | -0.02 to +0.03 | 50 | supported |" in text


def test_a_pipe_in_a_statement_does_not_break_the_table(tmp_cache):
    NotebookResults("04_rag").claim("pipe", Comparison(0.2, 0.1, 0.3, 10), "top-k | reranked")
    text = claims_ledger.ledger_markdown(*claims_ledger.collect_claims())
    assert "| top-k \\| reranked |" in text


def test_ledger_without_any_claims_says_so(tmp_cache):
    assert "No claims recorded yet" in claims_ledger.ledger_markdown(*claims_ledger.collect_claims())


def test_check_fails_when_the_ledger_is_stale_and_passes_after_writing(recorded_claims, tmp_path):
    out = tmp_path / "CLAIMS.md"
    assert claims_ledger.main(["--out", str(out), "--check"]) == 1  # not written yet
    claims_ledger.main(["--out", str(out)])
    assert claims_ledger.main(["--out", str(out), "--check"]) == 0
    NotebookResults("04_rag").claim("another", Comparison(0.2, 0.1, 0.3, 10), "another claim")
    assert claims_ledger.main(["--out", str(out), "--check"]) == 1


def test_ledger_adds_the_claims_rerun_across_seeds(tmp_path, monkeypatch):
    record = tmp_path / "seed_spread.json"
    record.write_text('{"02_continued_pretraining": {"cpt": {"expected": "lower", "statement": "CPT lowers loss", '
                      '"seeds": [0, 1, 2], "effects": [-2.7, -2.8, -2.9]}}}')
    monkeypatch.setattr(results, "seed_spread_path", lambda: record)
    text = claims_ledger.ledger_markdown([], (), claims_ledger.seed_rows())
    # mean -2.8, sd 0.1, t(0.975, 2) = 4.303: half-width 0.248 -> -3.05 to -2.55
    assert "## Across seeds" in text
    assert "| CPT lowers loss | 02_continued_pretraining (`cpt`) | < 0.00 | -2.70, -2.80, -2.90 | -2.80 | -3.05 to -2.55 | 3 | supported |" in text
