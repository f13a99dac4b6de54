"""The course runner: notebook selection, the README runtime table, measurement of a real kernel, the report."""

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tools import run_all
from course_utils.paths import repo_root
from course_utils.results import NotebookResults

README = f"""# Course

intro

{run_all.README_TABLE_START}
| notebook | wall time (s) | peak RSS (GiB) |
|---|---:|---:|
| `notebooks/00_setup_and_map.ipynb` (first run, converts the chat model) | 42.4 | 1.51 |
| `notebooks/00_setup_and_map.ipynb` | 21.3 | 1.47 |
| `solutions/00_setup_and_map_solutions.ipynb` | 11.0 | 0.66 |
{run_all.README_TABLE_END}

## Next section
"""


def write_notebook(path, *sources):
    notebook = new_notebook(cells=[new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


def test_default_notebooks_are_lessons_then_solutions_in_order():
    paths = run_all.default_notebooks()
    names = [p.relative_to(repo_root()).as_posix() for p in paths]
    lessons = [n for n in names if n.startswith("notebooks/")]
    assert lessons == sorted(lessons) and names.index(lessons[-1]) < len(lessons)
    assert "notebooks/00_setup_and_map.ipynb" in names


def test_a_number_selects_the_lesson_and_its_solutions():
    chosen = [p.relative_to(repo_root()).as_posix() for p in run_all.select_notebooks(["0"])]
    assert chosen == ["notebooks/00_setup_and_map.ipynb", "solutions/00_setup_and_map_solutions.ipynb"]


def test_selecting_a_missing_notebook_fails_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="No notebook numbered 99"):
        run_all.select_notebooks(["99"])
    with pytest.raises(FileNotFoundError, match="not a notebook"):
        run_all.select_notebooks([str(tmp_path / "missing.ipynb")])


def test_markdown_table_lists_each_measured_notebook():
    table = run_all.markdown_table([{"notebook": "notebooks/00.ipynb", "seconds": 12.3, "peak_rss_gib": 1.2}])
    assert "| `notebooks/00.ipynb` | 12.3 | 1.2 |" in table


def test_readme_update_replaces_the_plain_row_and_keeps_rows_measured_under_other_conditions():
    measured = [{"notebook": "notebooks/00_setup_and_map.ipynb", "seconds": 19.9, "peak_rss_gib": 1.4, "status": "ok"}]
    updated = run_all.update_readme_table(README, measured)
    assert "| `notebooks/00_setup_and_map.ipynb` | 19.9 | 1.4 |" in updated
    assert "| 21.3 |" not in updated
    assert "(first run, converts the chat model) | 42.4 | 1.51 |" in updated
    assert updated.endswith("## Next section\n") and updated.startswith("# Course\n\nintro\n")


def test_readme_update_inserts_new_notebooks_in_course_order_and_skips_failures():
    measured = [
        {"notebook": "notebooks/01_pretraining.ipynb", "seconds": 99.0, "peak_rss_gib": 1.1, "status": "ok"},
        {"notebook": "notebooks/02_continued_pretraining.ipynb", "seconds": 5.0, "peak_rss_gib": 0.1, "status": "error"},
    ]
    rows = run_all.parse_table(run_all.update_readme_table(README, measured))
    assert [row["notebook"] for row in rows] == [
        "notebooks/00_setup_and_map.ipynb", "notebooks/00_setup_and_map.ipynb", "notebooks/01_pretraining.ipynb",
        "solutions/00_setup_and_map_solutions.ipynb",
    ]


def test_readme_update_with_a_note_replaces_only_the_row_with_that_note():
    measured = [{"notebook": "notebooks/00_setup_and_map.ipynb", "seconds": 40.0, "peak_rss_gib": 1.5, "status": "ok"}]
    updated = run_all.update_readme_table(README, measured, note="(first run, converts the chat model)")
    assert "(first run, converts the chat model) | 40.0 | 1.5 |" in updated and "| 21.3 | 1.47 |" in updated


def test_readme_update_refuses_a_readme_without_markers():
    with pytest.raises(ValueError, match="markers"):
        run_all.update_readme_table("# no table here\n", [])


def test_measure_saves_outputs_and_reads_the_kernels_peak_memory(tmp_path):
    # 600 MiB written by the kernel: the parent never holds it, so only the kernel's peak can show it
    path = write_notebook(
        tmp_path / "big.ipynb", "block = b'x' * (600 * 2**20)", "print(len(block) // 2**20)", "import matplotlib.pyplot as plt\nplt.plot([0, 1]);"
    )
    row = run_all.measure(path, timeout_s=60)
    assert row["status"] == "ok"
    assert 0.55 <= row["peak_rss_gib"] < 2.0
    saved = nbformat.read(path, as_version=4)
    assert saved.cells[1].outputs[0]["text"].strip() == "600"
    assert "image/png" in saved.cells[2].outputs[0]["data"]  # figures are saved as images even under MPLBACKEND=Agg


def test_a_failing_notebook_is_reported_left_unchanged_and_fails_the_run(tmp_path, tmp_cache, capsys):
    path = write_notebook(tmp_path / "broken.ipynb", "raise RuntimeError('cell two never runs')", "print('unreachable')")
    before = path.read_text()
    assert run_all.main([str(path), "--report-dir", str(tmp_path / "reports"), "--no-progress", "--timeout", "60"]) == 1
    assert path.read_text() == before  # a failed run never overwrites the committed outputs
    [row] = json.loads((tmp_cache / "results" / "runtimes.json").read_text())
    assert row["status"] == "error" and "cell two never runs" in row["error"]
    assert "broken.ipynb` failed" in (tmp_path / "reports" / "run_all.md").read_text()


def test_report_lists_runtimes_plot_and_which_key_numbers_this_run_recorded(tmp_path, tmp_cache):
    results = NotebookResults("01_pretraining")
    results.report("final_val_loss", 4.2, "validation loss after training", "nats/token")
    row = {"notebook": "notebooks/01_pretraining.ipynb", "seconds": 200.0, "peak_rss_gib": 1.1, "status": "ok", "started_at": 0.0}
    report = run_all.write_report([row], 0.0, 200.0, tmp_path / "reports")
    text = report.read_text()
    assert "| `notebooks/01_pretraining.ipynb` | ok | 200.0 | 1.1 | **no** |" in text  # 200 s is over the 180 s budget
    assert "validation loss after training | 4.2 nats/token" in text and "all recorded by this run" in text
    assert (tmp_path / "reports" / "run_all.png").stat().st_size > 10_000
    later = run_all.report_markdown([dict(row, started_at=results.metrics["final_val_loss"]["recorded_at"] + 1)], 0.0, 1.0)
    assert "1 not recorded by this run" in later


def test_runtimes_json_keeps_the_latest_run_of_every_notebook(tmp_cache):
    run_all.save_runtimes([{"notebook": "a.ipynb", "seconds": 1.0}, {"notebook": "b.ipynb", "seconds": 2.0}])
    path = run_all.save_runtimes([{"notebook": "a.ipynb", "seconds": 3.0}])
    assert {row["notebook"]: row["seconds"] for row in json.loads(path.read_text())} == {"a.ipynb": 3.0, "b.ipynb": 2.0}


def test_budget_plot_draws_a_bar_per_notebook_and_colours_those_over_budget():
    from matplotlib.colors import to_hex

    from course_utils.plots import PALETTE, plot_against_budget

    figure = plot_against_budget({"wall time (s)": {"00": 20.0, "03": 300.0}, "peak RSS (GiB)": {"00": 1.5, "03": 2.3}},
                                 {"wall time (s)": 180.0, "peak RSS (GiB)": 4.0}, "1 of 2 notebooks over budget")
    time_axis, memory_axis = figure.axes
    assert [to_hex(bar.get_facecolor()) for bar in time_axis.patches] == [PALETTE[0], PALETTE[3]]
    assert [to_hex(bar.get_facecolor()) for bar in memory_axis.patches] == [PALETTE[0], PALETTE[0]]
    assert [label.get_text() for label in time_axis.get_yticklabels()] == ["00", "03"]
    with pytest.raises(ValueError):
        plot_against_budget({}, {}, "nothing")


def test_notebook_03_is_judged_against_its_own_four_minute_budget():
    assert run_all.within_budget({"notebook": "notebooks/03_instruction_finetuning.ipynb", "seconds": 213.0, "peak_rss_gib": 2.3})
    assert not run_all.within_budget({"notebook": "notebooks/04_rag.ipynb", "seconds": 213.0, "peak_rss_gib": 2.3})
    assert not run_all.within_budget({"notebook": "notebooks/03_instruction_finetuning.ipynb", "seconds": 250.0, "peak_rss_gib": 2.3})


def test_budget_plot_colours_a_bar_by_its_own_budget():
    from matplotlib.colors import to_hex

    from course_utils.plots import PALETTE, plot_against_budget

    figure = plot_against_budget({"wall time (s)": {"03": 213.0, "04": 213.0}}, {"wall time (s)": 180.0}, "03 has 240 s",
                                 exceptions={"wall time (s)": {"03": 240.0}})
    assert [to_hex(bar.get_facecolor()) for bar in figure.axes[0].patches] == [PALETTE[0], PALETTE[3]]
