from course_utils import run_all
from course_utils.paths import repo_root


def test_default_notebooks_are_lessons_then_solutions_in_order():
    paths = run_all.default_notebooks()
    names = [p.relative_to(repo_root()).as_posix() for p in paths]
    lessons = [n for n in names if n.startswith("notebooks/")]
    assert lessons == sorted(lessons) and names.index(lessons[-1]) < len(lessons)
    assert "notebooks/00_setup_and_map.ipynb" in names


def test_markdown_table_lists_each_measured_notebook():
    table = run_all.markdown_table([{"notebook": "notebooks/00.ipynb", "seconds": 12.3, "peak_rss_gib": 1.2}])
    assert "| `notebooks/00.ipynb` | 12.3 | 1.2 |" in table
