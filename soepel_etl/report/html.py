"""The self-contained HTML page: inline CSS, inline SVG charts, no scripts, no external resources."""

from __future__ import annotations

from html import escape

from . import texts
from .charts import chart_svg
from .format import share_text, value_text
from .model import Report, Section, Table, key_text

CSS = """
:root { --ink:#1f2328; --muted:#57606a; --line:#d0d7de; --accent:#0b4f8a; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", Arial, sans-serif;
       color:var(--ink); background:#fff; line-height:1.5; font-size:15px; }
header.top { background:var(--accent); color:#fff; padding:28px 40px 22px; }
header.top h1 { margin:0 0 4px; font-size:28px; font-weight:650; letter-spacing:-0.01em; }
header.top p { margin:2px 0; opacity:.92; }
nav.toc { background:var(--bg); border-bottom:1px solid var(--line); padding:10px 40px; font-size:14px; }
nav.toc a { color:var(--accent); margin-right:18px; text-decoration:none; white-space:nowrap; }
nav.toc a:hover { text-decoration:underline; }
main { max-width:1280px; margin:0 auto; padding:8px 40px 40px; }
section.part { padding:18px 0 26px; border-bottom:1px solid var(--line); }
section.part > h2 { font-size:22px; margin:14px 0 8px; color:var(--accent); }
section.part > p { max-width:880px; }
.notice { border-left:5px solid #b42318; background:#fef3f2; color:#7a271a; padding:8px 14px; margin:10px 0 14px;
          font-weight:600; font-size:14px; }
.notice.publiek { border-color:#0b4f8a; background:#eef5fc; color:#0b3d6b; font-weight:500; }
.block { display:grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap:24px; align-items:start;
         margin:18px 0 26px; }
.block.wide, .block.notable { grid-template-columns: minmax(0, 1fr); }
.block h3 { grid-column: 1 / -1; margin:0; font-size:17px; }
figure { margin:0; }
figure svg { width:100%; height:auto; }
.block.wide figure { max-width:860px; }
.tablewrap { overflow-x:auto; }
table.data { border-collapse:collapse; font-size:13px; width:100%; font-variant-numeric: tabular-nums; }
table.data caption { text-align:left; color:var(--muted); font-size:12.5px; padding:0 0 6px; caption-side:top; }
table.data th, table.data td { padding:4px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
table.data thead th { background:var(--bg); text-align:right; font-weight:600; border-bottom:2px solid #aab3bd; }
table.data thead th:first-child, table.data tbody th { text-align:left; }
table.data tbody th { font-weight:500; }
table.data td { text-align:right; white-space:nowrap; }
table.data td.text { text-align:left; white-space:normal; }
table.data tr.total th, table.data tr.total td { font-weight:650; border-top:2px solid #aab3bd; }
table.data td .p { display:block; color:var(--muted); font-size:11.5px; }
table.data td.sup { color:#8a5300; }
p.note { color:var(--muted); font-size:13px; margin:6px 0 0; }
dl.defs dt { font-weight:650; margin-top:12px; }
dl.defs dd { margin:2px 0 0 0; max-width:880px; }
footer { color:var(--muted); font-size:13px; padding:20px 40px 40px; max-width:1280px; margin:0 auto; }
@media (max-width: 1000px) { .block { grid-template-columns: minmax(0, 1fr); } }
@media print { nav.toc { display:none; } section.part { break-inside:auto; } .notice { break-inside:avoid; } }
"""


def _notice(report: Report) -> str:
    if report.audience == "intern":
        return f'<p class="notice intern" role="note">{escape(texts.INTERN_NOTICE)}</p>'
    return f'<p class="notice publiek" role="note">{escape(texts.PUBLIEK_NOTICE)}</p>'


def table_html(table: Table, hidden: dict | None = None) -> str:
    # data-hidden: the persons in the table's suppressed cells, as the note under it says
    hidden_attr = f' data-hidden="{hidden["persons"]}"' if hidden is not None else ""
    if table.withheld_rows:   # rows left out: the reader knows the columns no longer add up to the total
        hidden_attr += f' data-withheld="{len(table.withheld_rows)}"'
    out = [f'<div class="tablewrap"><table class="data" id="t-{table.id}" data-table="{table.id}" '
           f'data-family="{table.family or ""}" data-unit="{escape(table.unit)}"{hidden_attr}>',
           f"<caption>{escape(table.title)} (aantallen {escape(table.unit)}"
           + (f"; percentages per {table.shares_of}" if table.has_shares() else "") + ")</caption>",
           "<thead><tr>" + f'<th scope="col">{escape(table.stub)}</th>'
           + "".join(f'<th scope="col">{escape(c)}</th>' for c in table.columns) + "</tr></thead><tbody>"]
    for i, (label, cells) in enumerate(table.rows):
        cls = ' class="total"' if i in table.total_rows else ""
        tds = []
        for cell in cells:
            attrs = []
            classes = []
            if cell.key is not None:
                attrs.append(f'data-key="{escape(key_text(cell.key))}"')
            if cell.follows is not None:
                attrs.append(f'data-follows="{escape(key_text(cell.follows))}"')
            if cell.den is not None:
                attrs.append(f'data-den="{escape(key_text(cell.den))}"')
            if cell.suppressed:
                classes.append("sup")
            if not isinstance(cell.value, (int, float)) or isinstance(cell.value, bool):
                classes.append("text")
            if classes:
                attrs.append(f'class="{" ".join(classes)}"')
            body = f'<span class="n">{escape(value_text(cell))}</span>'
            share = share_text(cell)
            if share is not None:
                body += f'<span class="p">{escape(share)}</span>'
            elif cell.den is not None:
                body += '<span class="p">–</span>'
            tds.append(f"<td {' '.join(attrs)}>{body}</td>" if attrs else f"<td>{body}</td>")
        out.append(f'<tr{cls}><th scope="row">{escape(label)}</th>{"".join(tds)}</tr>')
    out.append("</tbody></table></div>")
    if table.note:
        out.append(f'<p class="note">{escape(table.note)}</p>')
    if hidden is not None:
        out.append(f'<p class="note suppression">{escape(texts.table_suppression_note(hidden))}</p>')
    return "".join(out)


def _block(report: Report, table: Table) -> str:
    svg = chart_svg(table)
    heading = f"<h3>{escape(table.title)}</h3>"
    hidden = report.disclosure.get("tables", {}).get(table.id) if table.family else None
    if svg is None:
        return f'<div class="block notable">{heading}{table_html(table, hidden)}</div>'
    wide = " wide" if table.chart == "area" or len(table.columns) > 4 else ""
    figure = (f'<figure role="img" aria-label="{escape("Grafiek: " + table.title + ". De cijfers staan in de tabel.")}">'
              f"{svg}</figure>")
    return f'<div class="block{wide}">{heading}{figure}<div>{table_html(table, hidden)}</div></div>'


def _section(report: Report, section: Section) -> str:
    parts = [f'<section class="part" id="{section.id}" aria-labelledby="h-{section.id}">',
             f'<h2 id="h-{section.id}">{escape(section.title)}</h2>', _notice(report)]
    parts += [f"<p>{escape(p)}</p>" for p in section.intro]
    if section.id == "definities":
        parts.append('<dl class="defs">' + "".join(f"<dt>{escape(t)}</dt><dd>{escape(d)}</dd>"
                                                   for t, d in texts.DEFINITIONS) + "</dl>")
    if section.html_extra:
        parts.append(section.html_extra)
    parts += [_block(report, t) for t in section.tables]
    parts.append("</section>")
    return "\n".join(parts)


def render(report: Report) -> str:
    toc = "".join(f'<a href="#{s.id}">{escape(s.title.split(":")[0])}</a>' for s in report.sections)
    audience = "Intern" if report.audience == "intern" else "Publieksversie"
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="nl">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">",
        f"<title>{escape(report.title)} – {escape(report.selection_label)} ({audience.lower()})</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f'<header class="top"><h1>{escape(report.title)}</h1><p>{escape(report.subtitle)} · {audience}</p>'
        f"<p>{escape(report.build_label)}</p></header>",
        f'<nav class="toc" aria-label="Inhoud">{toc}</nav>',
        "<main>",
        *[_section(report, s) for s in report.sections],
        "</main>",
        f"<footer>{_notice(report)}<p>Soepel ETL · RMC-monitor · {escape(report.build_label)}</p></footer>",
        "</body></html>",
        "",
    ])
