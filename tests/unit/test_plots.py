import pytest

from course_utils import plots


def test_approach_map_draws_one_bubble_per_approach():
    approaches = [plots.Approach("RAG", "04", 2, 1, 2, 5, "fresh data"), plots.Approach("CPT", "02", 4, 4, 4, 1, "domain")]
    figure = plots.plot_approach_map(approaches)
    ax = figure.axes[0]
    assert len(ax.collections[0].get_offsets()) == 2
    assert "cost" in ax.get_xlabel() and ax.get_title()


def test_loss_curves_refuse_mismatched_lengths():
    with pytest.raises(ValueError, match="x values"):
        plots.plot_loss_curves({"train": ([1, 2], [3.0])}, title="t")


def test_bars_highlight_one_bar():
    figure = plots.plot_bars({"a": 1.0, "b": 2.0}, title="B wins", ylabel="score", highlight="b")
    bars = figure.axes[0].patches
    assert bars[0].get_facecolor() != bars[1].get_facecolor()


def test_lines_can_use_log_axes():
    figure = plots.plot_lines({"a": ([1, 10, 100], [3.0, 2.0, 1.5])}, title="t", xlabel="x", ylabel="y", logx=True)
    assert figure.axes[0].get_xscale() == "log"


def test_tradeoff_labels_every_point():
    points = {"before": (900.0, 140.0), "0%": (60.0, 450.0), "25%": (70.0, 150.0)}
    figure = plots.plot_tradeoff(points, title="t", xlabel="domain", ylabel="general", reference="before")
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.texts] == ["before", "0%", "25%"]
    assert len(ax.lines[0].get_xdata()) == 2  # the reference is not part of the curve


def test_grouped_bars_draw_one_bar_per_series_and_group():
    figure = plots.plot_grouped_bars({"recall@5": {"BM25": 0.6, "dense": 0.9}, "MRR": {"BM25": 0.5, "dense": 0.8}}, title="Dense wins", ylabel="score")
    ax = figure.axes[0]
    assert len(ax.patches) == 4 and [t.get_text() for t in ax.get_legend().get_texts()] == ["BM25", "dense"]
    with pytest.raises(ValueError):
        plots.plot_grouped_bars({}, title="t", ylabel="y")
