"""The numbers in the HTML and the workbook are the marts' numbers (parsed back and compared)."""

from __future__ import annotations

import duckdb
import openpyxl
import pytest

from soepel_etl.report.labels import STATUSES, programme_sql

from tests.report.helpers import parse_key, parse_number, parse_tables


def _con(warehouse):
    con = duckdb.connect()
    for name in ("outflow_outcomes", "cohort_outcomes", "risk_monitor"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{warehouse}/marts/{name}/**/*.parquet', "
                    "hive_partitioning=true)")
    con.execute(f"CREATE VIEW loads AS SELECT * FROM read_parquet('{warehouse}/_meta/loads/*.parquet', "
                "union_by_name=true)")
    return con


@pytest.fixture(scope="module")
def intern_tables(reports):
    return parse_tables(reports["intern"]["html"].read_text(encoding="utf-8"))


def _cells(table):
    for row in table["rows"]:
        for cell in row:
            if cell["tag"] == "td":
                yield row[0]["text"], cell


def test_status_per_cohort_equals_cohort_outcomes(warehouse, intern_tables):
    con = _con(warehouse)
    for k in (6, 12, 24):
        expected = dict(((c, s), n) for c, s, n in con.execute(
            f"SELECT cohort, status, sum(n) FROM cohort_outcomes WHERE horizon = {k} GROUP BY ALL").fetchall())
        totals = dict(con.execute("SELECT cohort, count(*) FROM outflow_outcomes GROUP BY ALL").fetchall())
        table = intern_tables[f"status{k}_cohort"]
        seen = 0
        for _, cell in _cells(table):
            key = parse_key(cell["key"])
            value = parse_number(cell["n"])
            if "cohort" in key and f"m{k}" in key:
                assert value == expected.get((int(key["cohort"]), key[f"m{k}"]), 0), (k, key)
                if value:
                    n_total = totals[int(key["cohort"])]
                    assert parse_number(cell["p"]) == pytest.approx(round(100 * value / n_total, 1))
                seen += 1
            elif "cohort" in key:
                assert value == totals[int(key["cohort"])]
            elif f"m{k}" in key:
                assert value == sum(v for (c, s), v in expected.items() if s == key[f"m{k}"])
            else:
                assert value == sum(totals.values())
        assert seen == len(totals) * len(STATUSES)


def test_every_outflow_cell_equals_a_query_on_the_mart(warehouse, intern_tables):
    """Each keyed outflow cell re-counted with DuckDB from marts/outflow_outcomes (path months from the
    months_* columns' definition are covered by test_path_rows_add_up)."""
    con = _con(warehouse)
    columns = {
        "cohort": "cohort", "prog": programme_sql(), "part": "participation_type",
        "f24": "CASE WHEN final_24 THEN 'definitief' ELSE 'voorlopig' END",
        "sd": "CASE WHEN sustained_destination_24 IS NULL THEN 'onbekend' WHEN sustained_destination_24 THEN 'ja' "
              "ELSE 'nee' END",
        "sw": "CASE WHEN sustained_work_24 IS NULL THEN 'onbekend' WHEN sustained_work_24 THEN 'ja' ELSE 'nee' END",
        "m6": "status_6", "m12": "status_12", "m24": "status_24",
    }
    checked = 0
    for table in intern_tables.values():
        if table["family"] != "uitstroom":
            continue
        for _, cell in _cells(table):
            key = parse_key(cell["key"])
            if key is None or not set(key) <= set(columns):
                continue
            where = " AND ".join(f"CAST({columns[d]} AS VARCHAR) = '{v}'" for d, v in key.items()) or "true"
            expected = con.execute(f"SELECT count(*) FROM outflow_outcomes WHERE {where}").fetchone()[0]
            assert parse_number(cell["n"]) == expected, (table["id"], key)
            checked += 1
    assert checked > 200


def test_path_rows_add_up_and_match_horizons(intern_tables, warehouse):
    con = _con(warehouse)
    n = con.execute("SELECT count(*) FROM outflow_outcomes").fetchone()[0]
    path = intern_tables["pad_24_maanden"]
    body = [row for row in path["rows"] if row[0]["tag"] == "th" and row[1]["tag"] == "td"]
    assert len(body) == 24
    for row in body:
        values = [parse_number(c["n"]) for c in row[1:]]
        assert sum(values[:-1]) == values[-1] == n
    for k in (6, 12, 24):
        expected = dict(con.execute(f"SELECT status_{k}, count(*) FROM outflow_outcomes GROUP BY ALL").fetchall())
        for cell in body[k - 1][1:-1]:
            status = next(iter(parse_key(cell["key"]).values()))
            assert parse_number(cell["n"]) == expected.get(status, 0)
    # months_<status>_24 is the row sum over the 24 months of the path
    for status in STATUSES:
        total = con.execute(f"SELECT sum(months_{status}_24) FROM outflow_outcomes").fetchone()[0]
        col = STATUSES.index(status) + 1
        assert sum(parse_number(row[col]["n"]) for row in body) == total


def test_risk_tables_equal_risk_monitor(warehouse, intern_tables):
    con = _con(warehouse)
    expected = dict(((r, l), n) for r, l, n in con.execute(
        "SELECT rmc_region_code, risk_level, count(*) FROM risk_monitor GROUP BY ALL").fetchall())
    table = intern_tables["risico_regio"]
    for _, cell in _cells(table):
        key = parse_key(cell["key"])
        if "region" in key and "level" in key:
            assert parse_number(cell["n"]) == expected.get((key["region"], key["level"]), 0)
    flags = intern_tables["risico_signalen"]
    for flag in ("zonder_startkwalificatie", "vsv", "neet_3m", "op_uitkering", "baanverlies_6m"):
        n = con.execute(f"SELECT count(*) FILTER (WHERE {flag}) FROM risk_monitor").fetchone()[0]
        cell = next(c for _, c in _cells(flags) if parse_key(c["key"]) == {flag: "True"})
        assert parse_number(cell["n"]) == n


def test_quality_table_equals_loads_manifest(warehouse, intern_tables):
    con = _con(warehouse)
    rejected, quarantined = con.execute("SELECT count(*) FILTER (WHERE outcome = 'rejected'), "
                                    "sum(rows_quarantined) FILTER (WHERE outcome = 'loaded') FROM loads").fetchone()
    total = intern_tables["kwaliteit_bestanden"]["rows"][-1]
    assert total[0]["text"] == "Totaal"
    assert parse_number(total[2]["n"]) == rejected
    assert parse_number(total[6]["n"]) == quarantined


@pytest.mark.parametrize("audience", ["intern", "publiek"])
def test_workbook_equals_html(reports, audience):
    tables = parse_tables(reports[audience]["html"].read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(reports[audience]["xlsx"])
    assert wb.sheetnames[0] == "Inhoud"
    assert set(wb.sheetnames[1:]) == set(tables)
    for table_id, table in tables.items():
        ws = wb[table_id]
        header = [c.value for c in ws[5]]
        rows = [r for r in ws.iter_rows(min_row=6, values_only=True) if r[0] is not None][:len(table["rows"]) - 1]
        html_rows = table["rows"][1:]
        assert len(rows) == len(html_rows), table_id
        n_cols = len(html_rows[0]) - 1
        for xrow, hrow in zip(rows, html_rows):
            assert xrow[0] == hrow[0]["text"]
            for j, cell in enumerate(hrow[1:]):
                shown = parse_number(cell["n"])
                got = xrow[1 + j]
                if isinstance(got, (int, float)):
                    assert got == shown, (table_id, xrow[0], header[1 + j])
                elif hasattr(got, "strftime"):
                    assert got.strftime("%d-%m-%Y") == cell["n"]
                else:
                    assert str(got) == cell["n"], (table_id, xrow[0], header[1 + j])
                if cell["p"] is not None:
                    share = xrow[1 + n_cols + j]
                    if isinstance(share, (int, float)):
                        assert round(share * 100, 1) == pytest.approx(parse_number(cell["p"])), table_id
                    else:
                        assert share in ("<10", "x", "–") and cell["p"] == "–"
        # number formats: counts as integers with a thousands format, shares as percentages
        formats = {c.number_format for r in ws.iter_rows(min_row=6) for c in r if isinstance(c.value, (int, float))}
        assert formats <= {"#,##0", "0.0%", "General"} or table["family"] is None


def test_same_warehouse_same_bytes(warehouse, reports, tmp_path):
    from soepel_etl.report import write_report

    again = write_report(warehouse, tmp_path, "intern")
    assert again["html"].read_bytes() == reports["intern"]["html"].read_bytes()
    again = write_report(warehouse, tmp_path, "publiek")
    assert again["html"].read_bytes() == reports["publiek"]["html"].read_bytes()


def test_cli_report(warehouse, tmp_path):
    from soepel_etl.cli import main

    assert main(["report", "--warehouse", str(warehouse), "--out", str(tmp_path), "--rmc-region", "RMC21"]) == 0
    assert (tmp_path / "rmc-monitor-regio-RMC21-intern.html").exists()
    assert (tmp_path / "rmc-monitor-regio-RMC21-intern.xlsx").exists()
    with pytest.raises(SystemExit):
        main(["report", "--warehouse", str(warehouse), "--out", str(tmp_path), "--audience", "extern"])
