"""Every figure of the course, one helper per kind, one look.

Titles state the finding, not the variables; axes carry units. Notebook 00 draws the map of the six
approaches; 01-03 draw loss curves; 04-07 draw bars, trade-offs and heatmaps with the same helpers.
Each helper returns the matplotlib Figure, so a notebook shows it and a test can inspect it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], title: str, xlabel: str, ylabel: str, logx: bool = False, logy: bool = False
) -> Figure:
    """Line plot of named (x values, y values) curves, one colour each."""
    set_course_style()
    fig, ax = plt.subplots(figsize=(7, 4))
    for (label, (xs, ys)), colour in zip(curves.items(), PALETTE):
        if len(xs) != len(ys):
            raise ValueError(f"Curve {label!r} has {len(xs)} x values but {len(ys)} y values.")
        ax.plot(xs, ys, label=label, color=colour, marker="o" if len(xs) < 30 else None)
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


def plot_grouped_bars(groups: Mapping[str, Mapping[str, float]], title: str, ylabel: str) -> Figure:
    """Grouped bars: one group per outer key (e.g. a metric), one coloured bar per inner key (e.g. a retriever)."""
    set_course_style()
    if not groups:
        raise ValueError("plot_grouped_bars needs at least one group of values.")
    series = list(dict.fromkeys(name for values in groups.values() for name in values))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * len(groups) * len(series) + 2), 4))
    for offset, (name, colour) in enumerate(zip(series, PALETTE * 3)):
        xs = [i + (offset - (len(series) - 1) / 2) * width for i in range(len(groups))]
        ax.bar(xs, [values.get(name, 0.0) for values in groups.values()], width=width, label=name, color=colour, edgecolor="black")
    ax.set_xticks(range(len(groups)), list(groups))
    ax.set(ylabel=ylabel, title=title)
    ax.legend()
    fig.tight_layout()
    return fig
