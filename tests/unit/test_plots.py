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


def test_lines_draw_error_bars_only_for_the_curves_given_and_refuse_unknown_ones():
    curves = {"gap": ([0.9, 0.8], [-0.05, -0.2]), "zero": ([0.9, 0.8], [0.0, 0.0])}
    figure = plots.plot_lines(curves, title="t", xlabel="x", ylabel="y", errors={"gap": [[0.02, 0.03], [0.04, 0.05]]})
    assert len(figure.axes[0].containers) == 1  # one errorbar container, for "gap"
    with pytest.raises(ValueError, match="not plotted"):
        plots.plot_lines(curves, title="t", xlabel="x", ylabel="y", errors={"other": [0.1, 0.1]})


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


def test_grouped_bars_draw_each_bars_error_bar_and_refuse_a_bar_without_one():
    groups = {"wording 1": {"A": 0.5, "B": 0.25}}
    errors = {"wording 1": {"A": (0.25, 0.125), "B": (0.0, 0.5)}}
    figure = plots.plot_grouped_bars(groups, title="t", ylabel="y", errors=errors)
    bars = [c for c in figure.axes[0].containers if getattr(c, "errorbar", None) is not None]  # the bar containers
    segments = [bar.errorbar.lines[2][0].get_segments()[0] for bar in bars]  # one vertical segment per bar: (x, low), (x, high)
    assert [(seg[0][1], seg[1][1]) for seg in segments] == [(0.25, 0.625), (0.25, 0.75)]
    with pytest.raises(ValueError, match="errors lacks"):
        plots.plot_grouped_bars(groups, title="t", ylabel="y", errors={"wording 1": {"A": (0.1, 0.1)}})


def test_projections_draw_one_panel_per_entry_and_one_point_per_label():
    panels = {"before": [(0.0, 0.0), (0.1, 0.0), (1.0, 1.0)], "after": [(0.0, 0.0), (0.9, 0.0), (1.0, 2.0)]}
    figure = plots.plot_projections(panels, labels=["a", "a", "b"], title="Variants move apart", annotations=["de", "fr", "x"])
    assert [ax.get_title() for ax in figure.axes] == ["before", "after"]
    assert sum(len(c.get_offsets()) for c in figure.axes[0].collections) == 3
    assert [t.get_text() for t in figure.axes[1].texts] == ["de", "fr", "x"]
    many = plots.plot_projections({"p": [(float(i), 0.0) for i in range(9)]}, labels=[str(i) for i in range(9)], title="t")
    assert len({tuple(c.get_facecolor()[0]) for c in many.axes[0].collections}) == 9  # one colour per cluster, even past the palette
    with pytest.raises(ValueError, match="one \\(x, y\\) point per label"):
        plots.plot_projections({"before": [(0.0, 0.0)]}, labels=["a", "b"], title="t")


def test_heatmap_annotates_every_cell_and_marks_missing_ones():
    matrix = {"chat, zero-shot": {"SmolLM2": 0.75, "Gemma": 0.25}, "raw text, 3-shot": {"SmolLM2": 0.5}}
    figure = plots.plot_heatmap(matrix, title="The best prompt depends on the model", xlabel="model", ylabel="prompt variant")
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.texts] == ["0.75", "0.25", "0.50", "n/a"]
    assert ax.texts[-1].get_color() == "black"  # readable on the grey of a missing cell
    assert [t.get_text() for t in ax.get_yticklabels()] == ["chat, zero-shot", "raw text, 3-shot"]
    with pytest.raises(ValueError, match="at least one row"):
        plots.plot_heatmap({}, title="t", xlabel="x", ylabel="y")


def test_quality_vs_cost_draws_one_point_per_approach_per_panel_with_one_legend():
    panels = {"compute (FLOPs)": {"RAG": (0.0, 0.2), "IFT": (1e12, 0.0)}, "seconds per answer": {"RAG": (1.5, 0.2), "IFT": (0.01, 0.0)}}
    figure = plots.plot_quality_vs_cost(panels, title="Retrieval buys accuracy", ylabel="accuracy", symlog_x=("compute (FLOPs)",))
    first, second = figure.axes
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["RAG", "IFT"] and len(first.collections) == 2
    assert first.get_xscale() == "symlog" and second.get_xscale() == "linear"
    assert first.collections[0].get_facecolor().tolist() == second.collections[0].get_facecolor().tolist()  # one colour per approach
    with pytest.raises(ValueError, match="at least one panel"):
        plots.plot_quality_vs_cost({}, title="t", ylabel="y")
