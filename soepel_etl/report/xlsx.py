"""The workbook: the report's tables, one sheet per table, with headers and number formats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import xlsxwriter

from . import texts
from .format import hidden_text
from .model import Report, Table


def write_workbook(report: Report, path: Path, built_at) -> Path:
    created = pd.Timestamp(built_at).tz_convert("UTC").tz_localize(None).to_pydatetime() \
        if pd.Timestamp(built_at).tzinfo else pd.Timestamp(built_at).to_pydatetime()
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    wb.set_properties({"title": report.title, "subject": report.subtitle, "author": "Soepel ETL",
                       "created": created, "comments": texts.INTERN_NOTICE if report.audience == "intern"
                       else texts.PUBLIEK_NOTICE})
    f = {
        "title": wb.add_format({"bold": True, "font_size": 14, "font_color": "#0B4F8A"}),
        "notice": wb.add_format({"bold": True, "font_color": "#B42318"} if report.audience == "intern"
                                else {"italic": True, "font_color": "#0B3D6B"}),
        "head": wb.add_format({"bold": True, "bg_color": "#F6F8FA", "bottom": 2, "text_wrap": True,
                               "valign": "bottom", "align": "center"}),
        "head_left": wb.add_format({"bold": True, "bg_color": "#F6F8FA", "bottom": 2, "valign": "bottom"}),
        "label": wb.add_format({}),
        "label_total": wb.add_format({"bold": True, "top": 1}),
        "count": wb.add_format({"num_format": "#,##0"}),
        "count_total": wb.add_format({"num_format": "#,##0", "bold": True, "top": 1}),
        "share": wb.add_format({"num_format": "0.0%"}),
        "share_total": wb.add_format({"num_format": "0.0%", "bold": True, "top": 1}),
        "sup": wb.add_format({"align": "right", "font_color": "#8A5300"}),
        "sup_total": wb.add_format({"align": "right", "font_color": "#8A5300", "bold": True, "top": 1}),
        "amount": wb.add_format({"num_format": "#,##0.00"}),
        "date": wb.add_format({"num_format": "dd-mm-yyyy", "align": "right"}),
        "text": wb.add_format({"text_wrap": False}),
        "note": wb.add_format({"italic": True, "font_color": "#57606A"}),
    }
    index = wb.add_worksheet("Inhoud")
    index.write(0, 0, report.title, f["title"])
    index.write(1, 0, report.subtitle)
    index.write(2, 0, report.build_label)
    index.write(3, 0, texts.INTERN_NOTICE if report.audience == "intern" else texts.PUBLIEK_NOTICE, f["notice"])
    index.write_row(5, 0, ["Blad", "Tabel", "Onderdeel"], f["head_left"])
    r = 6
    if report.audience == "publiek":
        for line in texts.suppression_summary(report):
            index.write(r, 0, line)
            r += 1
        r += 1
    for section in report.sections:
        for table in section.tables:
            index.write_url(r, 0, f"internal:'{table.id}'!A1", string=table.id)
            index.write(r, 1, table.title)
            index.write(r, 2, section.title)
            r += 1
    index.set_column(0, 0, 24)
    index.set_column(1, 1, 70)
    index.set_column(2, 2, 50)
    for table in report.tables():
        _sheet(wb, f, report, table)
    wb.close()
    return path


def _sheet(wb, f, report: Report, table: Table) -> None:
    ws = wb.add_worksheet(table.id[:31])
    ws.write(0, 0, table.title, f["title"])
    ws.write(1, 0, texts.INTERN_NOTICE if report.audience == "intern" else texts.PUBLIEK_NOTICE, f["notice"])
    ws.write(2, 0, f"{report.subtitle}. Aantallen: {table.unit}.")
    shares = table.has_shares()
    header_row = 4
    ws.write(header_row, 0, table.stub, f["head_left"])
    headers = [f"{c} (aantal)" if shares else c for c in table.columns]
    if shares:
        headers += [f"{c} (%)" for c in table.columns]
    ws.write_row(header_row, 1, headers, f["head"])
    ws.set_row(header_row, 45)
    n = len(table.columns)
    for i, (label, cells) in enumerate(table.rows):
        row = header_row + 1 + i
        total = i in table.total_rows
        ws.write(row, 0, label, f["label_total" if total else "label"])
        for j, cell in enumerate(cells):
            _value(ws, f, row, 1 + j, cell, total)
            if shares:
                col = 1 + n + j
                if cell.den is None:
                    continue
                if cell.share_suppressed or cell.share is None:
                    ws.write_string(row, col, hidden_text(cell) if cell.suppressed else "–",
                                    f["sup_total" if total else "sup"])
                else:
                    ws.write_number(row, col, cell.share, f["share_total" if total else "share"])
    last = header_row + len(table.rows)
    if table.note:
        ws.write(last + 2, 0, table.note, f["note"])
    hidden = report.disclosure.get("tables", {}).get(table.id) if table.family else None
    if hidden is not None:
        ws.write(last + 3, 0, texts.table_suppression_note(hidden), f["note"])
    ws.freeze_panes(header_row + 1, 1)
    ws.set_column(0, 0, max(18, min(60, max([len(str(r[0])) for r in table.rows] + [len(table.stub)]) + 2)))
    ws.set_column(1, len(headers), 14)


def _value(ws, f, row: int, col: int, cell, total: bool) -> None:
    v = cell.value
    if cell.suppressed:
        ws.write_string(row, col, hidden_text(cell), f["sup_total" if total else "sup"])
    elif isinstance(v, bool):
        ws.write_string(row, col, "ja" if v else "nee")
    elif isinstance(v, (int, float)) and cell.decimals:
        ws.write_number(row, col, v, f["amount"])
    elif isinstance(v, (int, float)):
        ws.write_number(row, col, v, f["count_total" if total else "count"])
    elif isinstance(v, dt.date):
        ws.write_datetime(row, col, dt.datetime(v.year, v.month, v.day), f["date"])
    else:
        ws.write_string(row, col, str(v), f["text"])
