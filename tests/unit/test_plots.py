import pytest

from course_utils import plots


def test_approach_map_draws_one_bubble_per_approach():
    approaches = [plots.Approach("RAG", "04", 2, 1, 2, 5, "fresh data"), plots.Approach("CPT", "02", 4, 4, 4, 1, "domain")]
    figure = plots.plot_approach_map(approaches)
    ax = figure.axes[0]
    assert len(ax.collections[0].get_offsets()) == 2
    assert "cost" in ax.get_xlabel() and ax.get_title()


def test_loss_curves_refuse_mismatched_lengths():
    with pytest.raises(ValueError, match="steps"):
        plots.plot_loss_curves({"train": ([1, 2], [3.0])}, title="t")


def test_bars_highlight_one_bar():
    figure = plots.plot_bars({"a": 1.0, "b": 2.0}, title="B wins", ylabel="score", highlight="b")
    bars = figure.axes[0].patches
    assert bars[0].get_facecolor() != bars[1].get_facecolor()
