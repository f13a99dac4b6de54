"""Every figure of the course, one helper per kind, one look.

Titles state the finding, not the variables; axes carry units. Notebook 00 draws the map of the six
approaches; 01-03 draw loss curves; 04-07 draw bars, trade-offs and heatmaps with the same helpers.
Each helper returns the matplotlib Figure, so a notebook shows it and a test can inspect it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def set_course_style() -> None:
    """Apply the course's plot style (called by every helper)."""
    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.titleweight": "bold",
            "font.size": 10,
        }
    )


@dataclass(frozen=True)
class Approach:
    """One way to adapt a model, placed on the course map (scores from 1 = low to 5 = high)."""

    name: str
    notebook: str
    cost: float
    data_needed: float
    control: float
    freshness: float
    when: str


def plot_approach_map(approaches: Sequence[Approach]) -> Figure:
    """Bubble map: cost (x) against control (y); bubble size = data needed; colour = freshness."""
    set_course_style()
    fig, ax = plt.subplots(figsize=(8, 5.5))
    sizes = [120 * a.data_needed**1.6 for a in approaches]
    points = ax.scatter(
        [a.cost for a in approaches], [a.control for a in approaches], s=sizes, c=[a.freshness for a in approaches],
        cmap="viridis", vmin=1, vmax=5, alpha=0.75, edgecolors="black",
    )
    for a in approaches:
        ax.annotate(f"{a.name}\n(nb {a.notebook})", (a.cost, a.control), textcoords="offset points", xytext=(0, 18), ha="center", fontsize=9)
    ax.set_xlim(0.3, 5.7)
    ax.set_ylim(0.3, 6.2)
    ax.set_xlabel("cost: compute, money and expertise (1 = low, 5 = high)")
    ax.set_ylabel("control over the model (1 = low, 5 = high)")
    ax.set_title("The more you pay, the more you control — bubble size = data needed")
    fig.colorbar(points, ax=ax, label="freshness: how easily new knowledge gets in (5 = instantly)")
    fig.tight_layout()
    return fig


def plot_lines(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], title: str, xlabel: str, ylabel: str, logx: bool = False, logy: bool = False,
    errors: Mapping[str, Any] | None = None,
) -> Figure:
    """Line plot of named (x values, y values) curves, one colour each; `errors` maps a curve to its `yerr` (e.g. `stats.error_bars`)."""
    set_course_style()
    fig, ax = plt.subplots(figsize=(7, 4))
    unknown = set(errors or {}) - set(curves)
    if unknown:
        raise ValueError(f"errors names curves that are not plotted: {sorted(unknown)}.")
    for (label, (xs, ys)), colour in zip(curves.items(), PALETTE):
        if len(xs) != len(ys):
            raise ValueError(f"Curve {label!r} has {len(xs)} x values but {len(ys)} y values.")
        ax.plot(xs, ys, label=label, color=colour, marker="o" if len(xs) < 30 else None)
        if errors and label in errors:
            ax.errorbar(xs, ys, yerr=errors[label], fmt="none", ecolor=colour, capsize=4)
    ax.set_xscale("log" if logx else "linear")
    ax.set_yscale("log" if logy else "linear")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_loss_curves(curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], title: str, ylabel: str = "loss (nats/token)") -> Figure:
    """Loss against training step for named curves, e.g. {"train": (steps, losses), "validation": (...)}."""
    return plot_lines(curves, title, xlabel="training step", ylabel=ylabel)


def plot_tradeoff(
    points: Mapping[str, tuple[float, float]], title: str, xlabel: str, ylabel: str, reference: str | None = None
) -> Figure:
    """Labelled (x, y) points joined in order (a trade-off curve); the `reference` point is drawn apart as a star."""
    set_course_style()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    curve = {label: point for label, point in points.items() if label != reference}
    ax.plot([p[0] for p in curve.values()], [p[1] for p in curve.values()], color=PALETTE[0], marker="o")
    if reference is not None:
        ax.scatter(*points[reference], marker="*", s=250, color=PALETTE[1], zorder=3)
    for label, (x, y) in points.items():
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(6, 6))
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    fig.tight_layout()
    return fig


def plot_bars(values: Mapping[str, float], title: str, ylabel: str, highlight: str | None = None) -> Figure:
    """Bar chart of named values, one bar optionally highlighted."""
    set_course_style()
    fig, ax = plt.subplots(figsize=(max(5, 0.7 * len(values) + 2), 4))
    names = list(values)
    colours = [PALETTE[1] if name == highlight else PALETTE[0] for name in names]
    ax.bar(names, [values[n] for n in names], color=colours, edgecolor="black")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.tick_params(axis="x", rotation=30 if len(names) > 5 else 0)
    fig.tight_layout()
    return fig


def plot_grouped_bars(
    groups: Mapping[str, Mapping[str, float]], title: str, ylabel: str, errors: Mapping[str, Mapping[str, tuple[float, float]]] | None = None
) -> Figure:
    """Grouped bars: one group per outer key (e.g. a metric), one coloured bar per inner key (e.g. a retriever).

    `errors` has the shape of `groups`, each bar's (distance below, distance above), e.g. from `stats.error_bars`.
    """
    set_course_style()
    if not groups:
        raise ValueError("plot_grouped_bars needs at least one group of values.")
    missing = [(g, name) for g, values in groups.items() for name in values if errors is not None and name not in errors.get(g, {})]
    if missing:
        raise ValueError(f"errors lacks the bars {missing[:3]}: give every bar its (below, above) distances, or no errors.")
    series = list(dict.fromkeys(name for values in groups.values() for name in values))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * len(groups) * len(series) + 2), 4))
    for offset, (name, colour) in enumerate(zip(series, PALETTE * 3)):
        xs = [i + (offset - (len(series) - 1) / 2) * width for i in range(len(groups))]
        yerr = None if errors is None else [[errors[g].get(name, (0.0, 0.0))[side] for g in groups] for side in (0, 1)]
        ax.bar(xs, [values.get(name, 0.0) for values in groups.values()], width=width, label=name, color=colour, edgecolor="black",
               yerr=yerr, capsize=3 if yerr else 0)
    ax.set_xticks(range(len(groups)), list(groups))
    ax.set(ylabel=ylabel, title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_against_budget(
    panels: Mapping[str, Mapping[str, float]], budgets: Mapping[str, float], title: str, exceptions: Mapping[str, Mapping[str, float]] | None = None
) -> Figure:
    """Horizontal bars, one panel per measure (e.g. wall time, memory), a dashed line at each budget; bars over it in red.

    `exceptions` gives a bar its own budget ({measure: {name: budget}}), drawn as a short dashed mark on that bar's row.
    """
    set_course_style()
    if not panels or not all(panels.values()):
        raise ValueError("plot_against_budget needs at least one panel with at least one value.")
    exceptions = exceptions or {}
    names = list(next(iter(panels.values())))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 0.35 * len(names) + 1.8), sharey=True, squeeze=False)
    for ax, (measure, values) in zip(axes[0], panels.items()):
        budget = budgets.get(measure)
        own = exceptions.get(measure, {})
        limits = {name: own.get(name, budget) for name in names}
        colours = [PALETTE[3] if limits[n] is not None and values[n] > limits[n] else PALETTE[0] for n in names]
        ax.barh(names, [values[n] for n in names], color=colours, edgecolor="black")
        if budget is not None:
            ax.axvline(budget, color=PALETTE[3], linestyle="--", label=f"budget {budget:g}" + (" (short marks: a notebook's own)" if own else ""))
        for row, name in enumerate(names):
            if name in own:
                ax.plot([own[name]] * 2, [row - 0.45, row + 0.45], color=PALETTE[3], linestyle="--")
        if budget is not None:
            ax.legend(loc="lower right")
        ax.set_xlabel(measure)
    axes[0][0].invert_yaxis()  # the y axis is shared: invert once, so the first notebook is on top
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def plot_projections(
    panels: Mapping[str, Sequence[Sequence[float]]], labels: Sequence[str], title: str, annotations: Sequence[str] | None = None, share_axes: bool = True
) -> Figure:
    """Side-by-side 2-D scatter panels (e.g. PCA of embeddings before and after), one colour per label, on shared axes."""
    set_course_style()
    if not panels:
        raise ValueError("plot_projections needs at least one panel of 2-D points.")
    groups = list(dict.fromkeys(labels))
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels) + 1.8, 4.6), squeeze=False, sharex=share_axes, sharey=share_axes)
    for ax, (name, points) in zip(axes[0], panels.items()):
        points = [tuple(p) for p in points]
        if len(points) != len(labels) or any(len(p) != 2 for p in points):
            raise ValueError(f"Panel {name!r} needs one (x, y) point per label: {len(points)} points, {len(labels)} labels.")
        colours = PALETTE if len(groups) <= len(PALETTE) else [plt.get_cmap("tab20")(i % 20) for i in range(len(groups))]
        for group, colour in zip(groups, colours):
            xs = [p[0] for p, label in zip(points, labels) if label == group]
            ys = [p[1] for p, label in zip(points, labels) if label == group]
            ax.scatter(xs, ys, color=colour, label=group, s=45, edgecolors="black", linewidths=0.5)
        for text, point in zip(annotations or [], points):
            ax.annotate(text, point, textcoords="offset points", xytext=(4, 3), fontsize=7)
        ax.set(title=name, xlabel="principal component 1", ylabel="principal component 2")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, fontsize=8, loc="center right")  # outside the panels, so it hides no point
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout(rect=(0, 0, 0.84, 1))
    return fig


def plot_heatmap(
    matrix: Mapping[str, Mapping[str, float]], title: str, xlabel: str, ylabel: str, colorbar_label: str = "score", vmin: float = 0.0, vmax: float = 1.0
) -> Figure:
    """Heatmap of {row: {column: value}} with every cell annotated (e.g. prompt variants x models, notebook 06)."""
    import numpy as np

    set_course_style()
    if not matrix or not all(matrix.values()):
        raise ValueError("plot_heatmap needs at least one row with at least one value.")
    rows = list(matrix)
    columns = list(dict.fromkeys(column for values in matrix.values() for column in values))
    values = np.array([[matrix[row].get(column, np.nan) for column in columns] for row in rows], dtype=float)
    fig, ax = plt.subplots(figsize=(1.6 * len(columns) + 3.5, 0.45 * len(rows) + 1.8))
    colours = plt.get_cmap("viridis").with_extremes(bad="lightgrey")  # missing cells (NaN) are grey and labelled n/a
    image = ax.imshow(np.ma.masked_invalid(values), cmap=colours, vmin=vmin, vmax=vmax, aspect="auto")
    ax.grid(False)
    ax.set_xticks(range(len(columns)), columns)
    ax.set_yticks(range(len(rows)), rows)
    for (i, j), value in np.ndenumerate(values):
        text = "n/a" if np.isnan(value) else f"{value:.2f}"
        dark = not np.isnan(value) and value < vmin + 0.6 * (vmax - vmin)
        ax.text(j, i, text, ha="center", va="center", color="white" if dark else "black", fontsize=9)
    fig.colorbar(image, ax=ax, label=colorbar_label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    fig.tight_layout()
    return fig


def plot_quality_vs_cost(
    panels: Mapping[str, Mapping[str, tuple[float, float]]], title: str, ylabel: str, symlog_x: Sequence[str] = ()
) -> Figure:
    """(cost, quality) points, one panel per cost measure (x label = panel name); each name keeps one colour and marker.

    Panels named in `symlog_x` get a symmetric-log x axis, so costs spanning orders of magnitude, zero included, fit.
    Used by notebook 07 (every approach: accuracy against compute spent and against seconds per answer).
    """
    import math

    set_course_style()
    if not panels or not all(panels.values()):
        raise ValueError("plot_quality_vs_cost needs at least one panel with at least one (cost, quality) point.")
    names = list(dict.fromkeys(name for points in panels.values() for name in points))
    markers = "osD^vPX*"
    style = {name: (PALETTE[i % len(PALETTE)], markers[i % len(markers)]) for i, name in enumerate(names)}
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels) + 2.2, 4.3), sharey=True, squeeze=False)
    for ax, (measure, points) in zip(axes[0], panels.items()):
        for name, (x, y) in points.items():
            colour, marker = style[name]
            ax.scatter(x, y, s=80, color=colour, marker=marker, edgecolors="black", zorder=3, label=name, alpha=0.85)
        positive = [x for x, _ in points.values() if x > 0]
        if measure in symlog_x and positive:
            threshold = min(positive)
            ax.set_xscale("symlog", linthresh=threshold, linscale=0.4)
            ax.set_xticks([0.0] + [10.0**e for e in range(math.ceil(math.log10(threshold)), math.floor(math.log10(max(positive))) + 1)])
        ax.set_xlabel(measure)
    axes[0][0].set_ylabel(ylabel)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=8, frameon=False)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout(rect=(0, 0, 1 - 2.0 / (4.6 * len(panels) + 2.2), 1))
    return fig
