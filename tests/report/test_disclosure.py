"""Disclosure control for audience publiek: no person count of 1 to 9 is shown, and the attacker of
definitions.md (tests/report/attack.py) cannot narrow any suppressed count to a range under 5, on
every publiek report: the whole warehouse, every pilot, every RMC region, with and without pooled
cohorts."""

from __future__ import annotations

import hashlib
import pickle

import duckdb
import openpyxl
import pytest
from matplotlib.colors import same_color
from matplotlib.patches import Rectangle

from soepel_etl.report import charts, html, suppression, write_report
from soepel_etl.report.build import build_report
from soepel_etl.report.html import render
from soepel_etl.report.inputs import Selection, read_inputs
from soepel_etl.report.xlsx import write_workbook
from tests.report import attack
from tests.report.helpers import parse_number, parse_tables

MIN_RANGE = 5


def _selections(warehouse) -> list[tuple[str | None, str | None]]:
    src = f"read_parquet('{warehouse}/marts/outflow_outcomes/**/*.parquet', hive_partitioning=true)"
    con = duckdb.connect()
    try:
        pilots = [r[0] for r in con.sql(f"SELECT DISTINCT pilot_code FROM {src} WHERE pilot_code IS NOT NULL "
                                         "ORDER BY 1").fetchall()]
        regions = [r[0] for r in con.sql(f"SELECT DISTINCT rmc_region_code FROM {src} ORDER BY 1").fetchall()]
    finally:
        con.close()
    return [(None, None)] + [(None, p) for p in pilots] + [(r, None) for r in regions]


def _family(system: suppression.System, secondary: bool) -> tuple:
    return (system.values.tobytes(), tuple(tuple(sorted(eq.items())) for eq in system.equations),
            tuple(map(tuple, system.groups)), secondary)


def _once(compute, key):
    """``compute``, answering again from memory for arguments whose ``key`` it has seen."""
    done = {}

    def call(*args, **kwargs):
        k = key(*args, **kwargs)
        if k not in done:
            done[k] = compute(*args, **kwargs)
        return done[k]
    return call


@pytest.fixture(scope="module")
def solved_once():
    """Selections can hold the same family exactly (a pilot whose outflows are one RMC region's, a
    family the pooling does not touch: 55 of the 102 families of publiek_reports); its suppression
    search is then the same computation, so within this module it is solved once and the outcome
    reused. Every report is still built, written and attacked on its own."""
    protect = suppression.protect
    once = _once(lambda system, secondary=True: protect(system, secondary=secondary),
                 lambda system, secondary=True: _family(system, secondary))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(suppression, "protect", once)
        yield


def _drawing(drawn: dict, report: list):
    """A stand-in for charts._svg that keeps what a chart draws, read from matplotlib's own artists
    before they become SVG (the SVG draws its text as paths): ``drawn[(report[0], table id)] =
    (texts, bars)``."""
    original = charts._svg

    def keep(fig, salt):
        ax = fig.axes[0]
        drawn[(report[0], salt)] = ([t.get_text() for t in ax.texts],
                                    [p for p in ax.patches if isinstance(p, Rectangle)])
        return original(fig, salt)
    return keep


@pytest.fixture(scope="module")
def publiek_charts() -> dict:
    """What the charts of :func:`publiek_reports` drew, per (report, table id), and each table's chart
    kind (filled by that fixture)."""
    return {"drawn": {}, "kinds": {}}


@pytest.fixture(scope="module")
def publiek_reports(warehouse, tmp_path_factory, solved_once, publiek_charts) -> dict:
    """Every publiek report, written by write_report. A table equal to one drawn before (pickled
    byte for byte: 571 of the 1 156 tables here) gets that chart again, as drawing it would give the
    same SVG (tests/report/test_report_numbers.py: test_same_warehouse_same_bytes); what each chart
    drew is kept for test_charts_of_every_publiek_report_draw_only_what_their_tables_show (a chart
    reused from an earlier report is checked against that report's table, which is the same)."""
    out = tmp_path_factory.mktemp("publiek")
    reports = {}
    kinds = publiek_charts["kinds"]
    current = [None]

    def chart(table):
        kinds[table.id] = table.chart
        return charts.chart_svg(table)

    chart_once = _once(chart, lambda table: hashlib.sha256(pickle.dumps(table)).digest())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(html, "chart_svg", chart_once)
        patch.setattr(charts, "_svg", _drawing(publiek_charts["drawn"], current))
        for region, pilot in _selections(warehouse):
            for pool in (None, 2):
                name = f"{region or pilot or 'alle'}{'-pool2' if pool else ''}"
                current[0] = name
                reports[name] = write_report(warehouse, out, "publiek", rmc_region=region, pilot=pilot,
                                             pool_cohorts=pool)
    return reports


def _body(table):
    return attack.body(table)


def test_every_selection_is_reported(publiek_reports):
    assert len(publiek_reports) >= 2 * (1 + 3 + 3)


def test_no_person_count_from_1_to_9(publiek_reports):
    for name, paths in publiek_reports.items():
        tables = attack.read_report(paths)   # also: the workbook shows what the page shows
        counts = 0
        for table in tables.values():
            if not table["family"]:
                continue
            for row in _body(table):
                for cell in row[1:]:
                    value = parse_number(cell["n"])
                    if value in ("<10", "x"):
                        assert cell["p"] in (None, "–"), "a share is shown with a suppressed count"
                        continue
                    assert isinstance(value, float) and (value == 0 or value >= 10), (name, table["id"], value)
                    counts += 1
        assert counts > 50, name
        wb = openpyxl.load_workbook(paths["xlsx"])
        for table_id, table in tables.items():
            if table["family"]:
                n_cols = len(table["rows"][0]) - 1
                for row in wb[table_id].iter_rows(min_row=6, max_col=1 + n_cols, values_only=True):
                    assert not any(isinstance(v, (int, float)) and 0 < v < 10 for v in row[1:]), (name, table_id)


def test_zeros_are_shown(publiek_reports):
    """Zeros are real zeros, shown as 0: the status tables of the whole warehouse have some."""
    tables = parse_tables(publiek_reports["alle"]["html"].read_text(encoding="utf-8"))
    zeros = [c for t in tables.values() if t["family"] for row in _body(t) for c in row[1:]
             if parse_number(c["n"]) == 0.0]
    assert zeros


def test_attacker_cannot_narrow_any_suppressed_cell(publiek_reports):
    attacked = 0
    for name, paths in publiek_reports.items():
        for family, cells in attack.attack(paths).items():
            attacked += len(cells)
            narrow = {k: r for k, r in cells.items() if r[1] - r[0] < MIN_RANGE}
            assert not narrow, (name, family, narrow)
    assert attacked > 100, "the attack needs suppressed cells to attack"


def test_attacker_narrows_cells_without_secondary_suppression(warehouse, tmp_path):
    """The control: the same attacker, on a report with primary suppression only, pins cells."""
    inputs = read_inputs(warehouse, Selection(pilot="IJV"))
    report = build_report(inputs, "publiek", secondary=False)
    paths = {"html": tmp_path / "primary-only.html", "xlsx": tmp_path / "primary-only.xlsx"}
    paths["html"].write_text(render(report), encoding="utf-8")
    write_workbook(report, paths["xlsx"], inputs.build["built_at"])
    narrow = {f: {k: r for k, r in cells.items() if r[1] - r[0] < MIN_RANGE}
              for f, cells in attack.attack(paths).items()}
    assert sum(len(v) for v in narrow.values()) >= 5, narrow
    assert any(r[0] == r[1] for v in narrow.values() for r in v.values()), "no cell recovered exactly"


@pytest.fixture(scope="module")
def pilot_report(warehouse, solved_once):
    """The publiek report of a pilot as data (its suppression search takes many rounds)."""
    return build_report(read_inputs(warehouse, Selection(pilot="IJV")), "publiek")


def test_the_published_pattern_is_solved_to_the_full_gap(pilot_report):
    """The search's candidates are solved loosely (SEARCH_GAP); the pattern that is published comes
    from a solve within MIP_GAP of the fewest persons hidden. A pilot needs many rounds: without the
    final tight solve its gaps are 8-10 %."""
    report = pilot_report
    searched = [f for f in report.disclosure["families"] if f.rounds > 1]
    assert searched, "no family needed a search"
    assert all(f.gap <= suppression.MIP_GAP + 1e-6 for f in searched), [(f.name, f.gap) for f in searched]


def _check_charts(drawn: dict, tables: dict, kinds: dict) -> tuple[int, bool]:
    """Every bar a chart draws (a share, or a count for the bar charts) and every number it writes
    is one its table shows, so no suppressed count or share reaches a chart; the grey 'onderdrukt'
    segment is the rest of a 100 % bar, known from the shown shares. The area chart writes no
    numbers and is not read. ``drawn``: table id → (texts, bars); ``tables``: the page's tables
    (helpers.parse_tables). Returns the bars checked and whether a suppressed segment was drawn."""
    checked, suppressed = 0, False
    for table_id, (labels, bars) in drawn.items():
        if kinds[table_id] == "area":
            continue
        cells = [c for row in _body(tables[table_id]) for c in row[1:]]
        shares = [parse_number(c["p"]) for c in cells if c["p"] not in (None, "–")]
        counts = [parse_number(c["n"]) for c in cells if isinstance(parse_number(c["n"]), float)]
        for label in labels:
            if label.endswith("%"):      # a share, rounded to whole percents (the table has one decimal)
                assert any(abs(float(label[:-1]) - p) <= 0.55 for p in shares), (table_id, label, shares)
            elif label not in ("<10", "onderdrukt (<10)"):
                assert parse_number(label) in counts, (table_id, label, counts)
        for bar in bars:
            if same_color(bar.get_facecolor(), charts.SUPPRESSED_COLOUR):
                suppressed = True
                continue
            if bar.get_width() == 0:
                continue
            if kinds[table_id] == "bars":
                assert bar.get_width() in counts, (table_id, bar.get_width(), counts)
            else:
                assert any(abs(bar.get_width() * 100 - p) <= 0.05 + 1e-9 for p in shares), (
                    table_id, bar.get_width(), shares)
            checked += 1
    return checked, suppressed


def test_charts_draw_only_what_their_tables_show(pilot_report, monkeypatch):
    """A chart is drawn from its table after disclosure control (_check_charts), on the pilot's
    report drawn here, without reusing any chart."""
    report = pilot_report
    drawn: dict = {}
    monkeypatch.setattr(charts, "_svg", _drawing(drawn, ["pilot"]))
    tables = parse_tables(render(report))
    kinds = {t.id: t.chart for t in report.tables()}
    checked, suppressed = _check_charts({table_id: v for (_, table_id), v in drawn.items()}, tables, kinds)
    assert checked > 100 and suppressed, "nothing suppressed was charted"


def test_charts_of_every_publiek_report_draw_only_what_their_tables_show(publiek_reports, publiek_charts):
    """The same check on every chart of every publiek report (a chart is a way out for a
    suppressed figure too), each against the table on its own report's page."""
    by_report: dict[str, dict] = {}
    for (name, table_id), v in publiek_charts["drawn"].items():
        by_report.setdefault(name, {})[table_id] = v
    assert by_report.keys() <= publiek_reports.keys() and len(by_report) > len(publiek_reports) / 2
    checked, suppressed = 0, False
    for name, drawn in by_report.items():
        tables = parse_tables(publiek_reports[name]["html"].read_text(encoding="utf-8"))
        n, s = _check_charts(drawn, tables, publiek_charts["kinds"])
        checked, suppressed = checked + n, suppressed or s
    assert checked > 1000 and suppressed, (checked, suppressed)


def test_shares_only_next_to_shown_count_and_denominator(publiek_reports):
    for paths in publiek_reports.values():
        for table in parse_tables(paths["html"].read_text(encoding="utf-8")).values():
            shown = {c["key"] for row in _body(table) for c in row[1:]
                     if c["key"] and isinstance(parse_number(c["n"]), float)}
            for row in _body(table):
                for cell in row[1:]:
                    if cell["p"] not in (None, "–"):
                        assert cell["key"] in shown and cell["den"] in shown, (table["id"], cell)


def test_pooled_cohorts_are_labelled_as_groups(publiek_reports):
    tables = parse_tables(publiek_reports["alle-pool2"]["html"].read_text(encoding="utf-8"))
    labels = [row[0]["text"] for row in _body(tables["cohorten"])][:-1]
    assert labels and all("–" in label for label in labels), labels
    first, last = (int(x) for x in labels[0].split("–"))
    assert first % 2 == 0 and last == first + 1


def test_pooling_is_for_publiek_only(warehouse, tmp_path):
    with pytest.raises(ValueError, match="publiek"):
        write_report(warehouse, tmp_path, "intern", pool_cohorts=2)


def test_page_explains_suppression(publiek_reports):
    html = publiek_reports["alle"]["html"].read_text(encoding="utf-8")
    assert "Een 0 is een echte 0" in html
    assert "Onderdrukt in deze tabel" in html
    tables = parse_tables(html)
    assert all(t["hidden"] is not None for t in tables.values() if t["family"])


def test_same_key_same_display_everywhere(publiek_reports):
    for paths in publiek_reports.values():
        shown: dict = {}
        for table in parse_tables(paths["html"].read_text(encoding="utf-8")).values():
            for row in _body(table):
                for cell in row[1:]:
                    if cell["key"] is None:
                        continue
                    k = (table["family"], attack.canon(dict(p.split("=", 1) for p in cell["key"].split("|")))
                         if cell["key"] != "*" else ())
                    assert shown.setdefault(k, cell["n"]) == cell["n"], (table["id"], k)
