"""Charts drawn on the server as PNG: the report builder's chart and the one mailed inline.

Mail clients do not show SVG or run scripts, so a scheduled report carries its chart as a
PNG image. matplotlib draws it headless with its Agg renderer; a ``Figure`` made directly
(not through pyplot) keeps no global state, so worker threads do not share a figure.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from opsdesk.reporting.metrics import Result
from opsdesk.reporting.metrics.base import PERIOD_GROUPINGS

# Calm colours readable on white paper and in a dark mail client (the image has its own white).
BAR = "#2f6fb3"
TEXT = "#1f2933"
GRID = "#d9dee4"
WIDTH, HEIGHT, DPI = 7.2, 3.6, 100
MAX_BARS = 40


def chart_series(result: Result) -> tuple[list[str], list[float | None], str]:
    """The labels, the headline values and the axis title of a result's chart. Durations are
    drawn in hours and rates in percent, so the axis reads as people speak."""
    metric = result.metric
    column = metric.headline if metric.headline in dict(metric.columns) else metric.columns[0][0]
    rows = result.rows or [{"label": "All records", **result.total}]
    labels = [str(row.get("label", row.get("group", ""))) for row in rows][:MAX_BARS]
    raw = [row.get(column) for row in rows][:MAX_BARS]
    title = dict(metric.columns).get(column, column)
    if metric.kind == "duration" and column in ("mean", "median", "p90"):
        values = [None if v is None else v / 3600 for v in raw]
        axis = f"{title} (hours)"
    elif metric.kind == "ratio" and column == "value":
        values = [None if v is None else v * 100 for v in raw]
        axis = f"{title} (%)"
    else:
        values = [None if v is None else float(v) for v in raw]
        axis = title
    return labels, values, axis


def result_png(result: Result) -> bytes:
    """The result as a PNG: a line over time for day/week/month groups, bars otherwise."""
    labels, values, axis = chart_series(result)
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, facecolor="white")
    ax = figure.add_subplot()
    ax.set_title(result.metric.label, color=TEXT, fontsize=12, loc="left")
    ax.set_ylabel(axis, color=TEXT)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    drawn = [0.0 if v is None else v for v in values]
    positions = list(range(len(labels)))
    if result.filters.group_by in PERIOD_GROUPINGS and len(labels) > 1:
        ax.plot(positions, drawn, color=BAR, marker="o", linewidth=2)
    else:
        bars = ax.bar(positions, drawn, color=BAR)
        ax.bar_label(
            bars, labels=["—" if v is None else f"{v:,.1f}" for v in values], color=TEXT, fontsize=8
        )
    slanted = len(labels) > 4
    ax.set_xticks(
        positions, labels, rotation=30 if slanted else 0, ha="right" if slanted else "center"
    )
    ax.tick_params(colors=TEXT, labelsize=8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 10 else f"{v:g}"))
    ax.set_ylim(bottom=0)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
