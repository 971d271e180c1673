"""Chart layout: the axes are placed from the measured row labels, whatever their length."""

from __future__ import annotations

from soepel_etl.report.charts import chart_svg
from soepel_etl.report.model import Cell, Table


def _table(labels: list[str]) -> Table:
    rows = [(label, [Cell(6, share=0.6), Cell(4, share=0.4), Cell(10, share=1.0)]) for label in labels]
    return Table(id="t", title="t", stub="rij", columns=["a", "b", "Totaal"], rows=rows, chart="stacked",
                 colours=["#0072B2", "#D55E00"])


def test_a_very_long_row_label_still_gives_a_chart():
    svg = chart_svg(_table(["kort", "een heel lange rij " * 12]))
    assert svg.startswith("<svg") and "<path" in svg


def test_charts_are_as_wide_as_each_other():
    short, long = chart_svg(_table(["a"])), chart_svg(_table(["een langere rijnaam dan a"]))
    width = [s[:s.index(">")].split('viewBox="')[1].split()[2] for s in (short, long)]
    assert width[0] == width[1]
