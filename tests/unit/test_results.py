import json
import math

import pytest

from course_utils.results import NotebookResults, load_results, results_path


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
