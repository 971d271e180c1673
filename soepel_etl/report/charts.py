"""Static SVG charts (matplotlib), drawn from a table after disclosure control.

Only shown numbers are drawn: suppressed segments of a 100% bar are merged into one grey
'onderdrukt' segment (its size follows from the shown total anyway). Text is drawn as paths, so
the SVG needs no fonts; ids are salted with the table id so several inline SVGs can share a page;
no creation date is written, so the same warehouse gives the same bytes.
"""

from __future__ import annotations

import io
import math
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.textpath import TextToPath  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from .model import Table  # noqa: E402

SUPPRESSED_COLOUR = "#DDDDDD"
INK = "#222222"
GRID = "#DDDDDD"

plt.rcParams.update({
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.edgecolor": "#888888",
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "svg.fonttype": "path",
    "axes.spines.top": False,
    "axes.spines.right": False,
})

_pct = FuncFormatter(lambda v, _: f"{v * 100:.0f}%")

WIDTH = 7.2           # inches, every chart
FONT, LEGEND_FONT = 9, 8
PT = 1 / 72           # inches per point
TICK = 3.5 + 3.5      # a tick and its label's pad, points (matplotlib's defaults)
_measure = TextToPath()


def _text_width(text: str, size: float) -> float:
    """Width of a label in points, from the font itself (no drawing)."""
    return _measure.get_text_width_height_descent(text, FontProperties(family="DejaVu Sans", size=size),
                                                  ismath=False)[0]


def _fit(fig, ax, axes_height: float, ylabels: list[str], legend: tuple | None = None,
         xlabel: bool = False) -> None:
    """Size the figure and place the axes and legend from the measured width of the row labels.
    Not ``bbox_inches="tight"``: that lays out every text of the chart once more just to find its
    edges, a third of a chart's drawing time. ``legend``: (handles, names, columns), placed under
    the x axis."""
    left = max((_text_width(label, FONT) for label in ylabels), default=0.0) + TICK + 6
    left = min(left, 0.6 * WIDTH / PT)           # a label longer than that is cut, not the axes
    right, top = 14, 8                           # half of the last x tick label ('100%') sticks out
    axis = FONT * 1.25 + TICK + (FONT * 1.25 + 4 if xlabel else 0)
    rows = math.ceil(len(legend[1]) / legend[2]) if legend and legend[1] else 0
    bottom = axis + (rows * LEGEND_FONT * 1.5 + 8 if rows else 0) + 4
    height = axes_height + (top + bottom) * PT
    fig.set_size_inches(WIDTH, height)
    fig.subplots_adjust(left=left * PT / WIDTH, right=1 - right * PT / WIDTH,
                        top=1 - top * PT / height, bottom=bottom * PT / height)
    if rows:
        handles, names, columns = legend
        kwargs = {} if handles is None else {"handles": handles, "labels": names}   # None: the artists own labels
        ax.legend(**kwargs, loc="upper center", bbox_to_anchor=(0.5, (bottom - axis) * PT / height),
                  bbox_transform=fig.transFigure, ncol=columns, frameon=False, fontsize=LEGEND_FONT)


def _svg(fig, salt: str) -> str:
    plt.rcParams["svg.hashsalt"] = salt
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    # scale to its container
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1', text, count=1)
    return _renumber_ids(text, salt)


def _renumber_ids(text: str, prefix: str) -> str:
    """matplotlib's ids are hashes (long digit runs that a privacy scan would flag, and that could
    clash between charts): replace them by '<table id>-<n>' in order of appearance."""
    mapping: dict[str, str] = {}
    for old in re.findall(r'\bid="([^"]+)"', text):
        mapping.setdefault(old, f"{prefix}-{len(mapping) + 1}")
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{mapping[m.group(1)]}"', text)
    return re.sub(r'#([A-Za-z_][\w.-]*)', lambda m: "#" + mapping.get(m.group(1), m.group(1)), text)


def _body_rows(table: Table, include_total: bool = True):
    for i, (label, cells) in enumerate(table.rows):
        if not include_total and i in table.total_rows:
            continue
        yield label, cells


def stacked(table: Table) -> str:
    rows = list(_body_rows(table))
    keep = [j for j in range(len(table.columns) - 1) if j not in table.chart_skip]   # subtotals are not segments
    parts = [table.columns[j] for j in keep]
    colours = [table.colours[j] for j in keep]
    fig, ax = plt.subplots()
    ylabels = []
    any_suppressed = False
    for y, (label, cells) in enumerate(reversed(rows)):
        ylabels.append(label)
        body = [cells[j] for j in keep]
        if cells[-1].suppressed or all(c.share_suppressed for c in body):
            ax.text(0.005, y, "onderdrukt (<10)", va="center", fontsize=8, color="#555555")
            continue
        left = 0.0
        for j, c in enumerate(body):
            if c.share_suppressed or not c.share:
                continue
            ax.barh(y, c.share, left=left, color=colours[j], edgecolor="white", linewidth=0.5, height=0.72)
            if c.share >= 0.07:
                ax.text(left + c.share / 2, y, f"{c.share * 100:.0f}%", ha="center", va="center", fontsize=7.5,
                        color="white" if colours[j] in ("#0072B2", "#D55E00", "#009E73") else INK)
            left += c.share
        if any(c.share_suppressed for c in body) and left < 0.9999:
            any_suppressed = True
            ax.barh(y, 1 - left, left=left, color=SUPPRESSED_COLOUR, hatch="///", edgecolor="white",
                    linewidth=0.5, height=0.72)
    ax.set_yticks(range(len(ylabels)), ylabels)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(_pct)
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours]
    names = list(parts)
    if any_suppressed:
        handles.append(plt.Rectangle((0, 0), 1, 1, facecolor=SUPPRESSED_COLOUR, hatch="///", edgecolor="white"))
        names.append("Onderdrukt (<10)")
    _fit(fig, ax, 0.32 * len(rows) + 0.5, ylabels, (handles, names, min(len(names), 3)))
    return _svg(fig, table.id)


def area(table: Table) -> str:
    months = list(range(1, len(table.rows) + 1))
    fig, ax = plt.subplots()
    series = []
    for j in range(len(table.columns) - 1):
        series.append([0.0 if cells[j].share_suppressed else (cells[j].share or 0.0) for _, cells in table.rows])
    rest = [max(0.0, 1 - sum(s[i] for s in series)) for i in range(len(months))]
    colours = list(table.colours)
    names = list(table.columns[:-1])
    if any(r > 1e-9 for r in rest):
        series.append(rest)
        colours.append(SUPPRESSED_COLOUR)
        names.append("Onderdrukt (<10)")
    ax.stackplot(months, series, colors=colours, labels=names, edgecolor="white", linewidth=0.3)
    ax.set_xlim(1, months[-1])
    ax.set_ylim(0, 1)
    ax.set_xticks([1, 6, 12, 18, 24])
    ax.set_xlabel("Maanden na uitstroom")
    ax.yaxis.set_major_formatter(_pct)
    _fit(fig, ax, 2.9, ["100%"], (None, names, 3), xlabel=True)
    return _svg(fig, table.id)


def grouped(table: Table) -> str | None:
    rows = list(_body_rows(table, include_total=False))
    groups = table.columns[:-1]
    if not groups or not rows:
        return None     # nobody in the selection: the table alone says so, an empty chart says nothing
    fig, ax = plt.subplots()
    height = 0.8 / len(groups)
    for y, (label, cells) in enumerate(reversed(rows)):
        for j, c in enumerate(cells[:-1]):
            pos = y + 0.4 - height * (j + 0.5)
            if c.share_suppressed:
                ax.text(0.002, pos, "<10", va="center", fontsize=7, color="#555555")
                continue
            ax.barh(pos, c.share or 0.0, height=height * 0.92, color=table.colours[j])
            ax.text((c.share or 0) + 0.005, pos, f"{(c.share or 0) * 100:.0f}%", va="center", fontsize=7)
    ax.set_yticks(range(len(rows)), [r[0] for r in reversed(rows)])
    ax.xaxis.set_major_formatter(_pct)
    ax.set_xlim(0, max([c.share or 0 for _, cells in rows for c in cells[:-1]] + [0.1]) * 1.18)
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    handles = [plt.Rectangle((0, 0), 1, 1, color=table.colours[j]) for j in range(len(groups))]
    _fit(fig, ax, 0.65 * len(rows) + 0.5, [r[0] for r in rows], (handles, list(groups), len(groups)))
    return _svg(fig, table.id)


def bars(table: Table) -> str:
    rows = list(_body_rows(table, include_total=False))
    fig, ax = plt.subplots()
    values = [0 if cells[0].suppressed else cells[0].value for _, cells in rows]
    top = max(values + [1])
    for y, ((label, cells), v) in enumerate(zip(reversed(rows), reversed(values))):
        if cells[0].suppressed:
            ax.text(top * 0.005, y, "<10", va="center", fontsize=7.5, color="#555555")
            continue
        ax.barh(y, v, color=table.colours[0] if table.colours else "#0072B2", height=0.7)
        ax.text(v + top * 0.01, y, f"{v:,}".replace(",", "."), va="center", fontsize=7.5)
    ax.set_yticks(range(len(rows)), [r[0] for r in reversed(rows)])
    ax.set_xlim(0, top * 1.12)
    ax.set_xlabel(table.columns[0])
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    _fit(fig, ax, 0.28 * len(rows) + 0.4, [r[0] for r in rows], xlabel=True)
    return _svg(fig, table.id)


def chart_svg(table: Table) -> str | None:
    return {"stacked": stacked, "area": area, "grouped": grouped, "bars": bars}.get(table.chart, lambda t: None)(table)
