import json
import math

import pytest

from course_utils import stats
from course_utils.results import NotebookResults, load_claims, load_results, results_path
from course_utils.stats import Comparison


def test_report_prints_and_records_the_value(tmp_cache, capsys):
    results = NotebookResults("99_example")
    results.report("ppl", 12.5, "validation perplexity")
    assert "validation perplexity: 12.5" in capsys.readouterr().out
    saved = json.loads(results_path("99_example").read_text())
    assert saved["metrics"]["ppl"]["value"] == 12.5


def test_report_merges_with_numbers_recorded_earlier(tmp_cache):
    NotebookResults("99_example").report("a", 1)
    NotebookResults("99_example").report("b", 2)
    assert set(load_results("99_example")) == {"a", "b"}


def test_report_refuses_a_non_finite_number(tmp_cache):
    with pytest.raises(ValueError, match="finite"):
        NotebookResults("99_example").report("loss", math.nan)


def test_load_results_names_the_notebook_to_run(tmp_cache):
    with pytest.raises(FileNotFoundError, match="notebooks/42_missing.ipynb"):
        load_results("42_missing")


def test_results_path_rejects_a_file_name():
    with pytest.raises(ValueError, match="without folder or extension"):
        results_path("notebooks/00_setup_and_map.ipynb")


def test_table_lists_every_measurement(tmp_cache):
    results = NotebookResults("99_example")
    results.report("tps", 13.25, "tokens per second", unit="tokens/s")
    assert "| tokens per second | 13.2 tokens/s |" in results.table()


def test_estimate_prints_the_interval_and_records_the_scores(tmp_cache, capsys):
    # 7 of 20 right: 0.35, Wilson 95% interval 0.18-0.57.
    NotebookResults("99_example").estimate("accuracy", [1] * 7 + [0] * 13, "answer accuracy")
    assert "answer accuracy: 0.35 (95% CI 0.18–0.57, n = 20)" in capsys.readouterr().out
    entry = load_results("99_example")["accuracy"]
    assert (entry["value"], entry["n"], entry["scores"]) == (0.35, 20, [1.0] * 7 + [0.0] * 13)
    assert entry["low"] == pytest.approx(0.181, abs=1e-3)
    assert entry["high"] == pytest.approx(0.567, abs=1e-3)


def test_table_shows_the_interval_of_an_estimate(tmp_cache):
    results = NotebookResults("99_example")
    results.estimate("accuracy", [1] * 7 + [0] * 13, "answer accuracy")
    assert "| answer accuracy | 0.35 (95% CI 0.18–0.57, n = 20) |" in results.table()


def test_claim_prints_the_verdict_and_records_the_claim(tmp_cache, capsys):
    gain = Comparison(0.31, 0.22, 0.40, 110, p_value=0.001, label_a="RAG", label_b="closed-book")
    NotebookResults("99_example").claim("rag_beats_closed_book", stats.claim("rag", "RAG vs closed-book", gain))
    assert "RAG vs closed-book: +0.31 (95% CI +0.22 to +0.40, n = 110): supported" in capsys.readouterr().out
    entry = load_claims("99_example")["rag_beats_closed_book"]
    assert entry["statement"] == "RAG vs closed-book"
    assert entry["notebook"] == "99_example"
    assert (entry["effect"], entry["low"], entry["high"], entry["n"]) == (0.31, 0.22, 0.40, 110)
    assert (entry["verdict"], entry["expected"], entry["p_value"]) == ("supported", "higher", 0.001)


def test_claim_judges_a_bare_comparison(tmp_cache):
    claim = NotebookResults("99_example").claim("same_speed", Comparison(-0.1, -0.3, 0.1, 8), "LoRA vs full fine-tuning")
    assert claim.verdict == "not measurable at n = 8"
    assert load_claims("99_example")["same_speed"]["verdict"] == "not measurable at n = 8"


def test_claim_of_an_estimate_records_its_scores(tmp_cache):
    accuracy = stats.mean_ci([1, 1, 1, 0])
    NotebookResults("99_example").claim("above_chance", accuracy, "accuracy above chance", threshold=0.5)
    entry = load_claims("99_example")["above_chance"]
    assert (entry["kind"], entry["threshold"], entry["scores"]) == ("estimate", 0.5, [1.0, 1.0, 1.0, 0.0])


def test_claim_refuses_a_plain_number(tmp_cache):
    with pytest.raises(TypeError, match="stats.Claim"):
        NotebookResults("99_example").claim("gain", 0.3)


def test_claims_merge_with_claims_recorded_earlier(tmp_cache):
    NotebookResults("99_example").claim("a", Comparison(0.2, 0.1, 0.3, 10))
    NotebookResults("99_example").claim("b", Comparison(0.2, 0.1, 0.3, 10))
    assert set(load_claims("99_example")) == {"a", "b"}


def test_load_claims_is_empty_for_a_notebook_that_claimed_nothing(tmp_cache):
    NotebookResults("99_example").report("a", 1)
    assert load_claims("99_example") == {}


def test_load_claims_names_the_notebook_to_run(tmp_cache):
    with pytest.raises(FileNotFoundError, match="notebooks/42_missing.ipynb"):
        load_claims("42_missing")
