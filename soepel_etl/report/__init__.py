"""The RMC monitoring report: one self-contained HTML page and an ``.xlsx`` workbook per selection.

``write_report(warehouse, out, audience, rmc_region, pilot)`` reads the marts, the loads manifest and
``_meta/builds`` (see :mod:`.inputs` for what still comes from elsewhere), builds the tables
(:mod:`.tables`), applies disclosure control for ``publiek`` (:mod:`.disclosure`), and writes the
page (:mod:`.html`, charts in :mod:`.charts`) and the workbook (:mod:`.xlsx`).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..warehouse.marker import check
from ..quality.runner import STATUS_PAGE
from .build import AUDIENCES, build_report, link_status_page
from .html import render
from .inputs import Selection, read_inputs
from .xlsx import write_workbook

__all__ = ["write_report", "AUDIENCES"]


def report_name(audience: str, selection: Selection) -> str:
    return f"rmc-monitor-{selection.slug()}-{audience}"


def write_report(warehouse: Path, out: Path, audience: str = "intern", rmc_region: str | None = None,
                 pilot: str | None = None, pool_cohorts: int | None = None) -> dict:
    """Write ``<out>/rmc-monitor-<selection>-<audience>.html`` and ``.xlsx``; return their paths.
    ``pool_cohorts``: publiek only, cohorts in groups of that many years (file name gets ``-pool<N>``)."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    if pool_cohorts is not None and audience != "publiek":
        raise ValueError("--pool-cohorts is for audience publiek only: the intern report shows every cohort")
    selection = Selection(rmc_region=rmc_region or None, pilot=pilot or None)
    warehouse = check(warehouse)
    inputs = read_inputs(warehouse, selection)
    try:
        if not len(inputs.outflows) and not len(inputs.risk):
            raise ValueError(f"nothing to report for {selection.slug()}: no outflows and no risk-monitor population")
        report = build_report(inputs, audience, pool=pool_cohorts)
    finally:
        inputs.close()
    link_status_page(report, Path(warehouse) / STATUS_PAGE)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base = report_name(audience, selection) + (f"-pool{pool_cohorts}" if pool_cohorts else "")
    html_path, xlsx_path = out / f"{base}.html", out / f"{base}.xlsx"
    tmp_html, tmp_xlsx = out / f".{base}.html.tmp", out / f".{base}.xlsx.tmp"
    tmp_html.write_text(render(report), encoding="utf-8")
    write_workbook(report, tmp_xlsx, inputs.build["built_at"])
    os.replace(tmp_html, html_path)
    os.replace(tmp_xlsx, xlsx_path)
    return {"html": html_path, "xlsx": xlsx_path}
