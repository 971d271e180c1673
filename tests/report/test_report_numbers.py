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
                        assert share in ("<10", "x", "–") and cell["p"] == "–"   # "x": hidden by secondary suppression
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


# -- work after outflow (marts/outflow_work, marts/cohort_work) ------------------------------------
WORK_DIMS = {
    "cohort": "cohort", "pilot_code": "pilot_code",
    **{f"w{k}": f"CASE WHEN employed_{k} IS NULL THEN 'onbekend' WHEN employed_{k} THEN 'werk' ELSE 'geen' END"
       for k in (12, 24)},
    **{f"hb{k}": f"hours_band_{k}" for k in (12, 24)},
    **{f"ct{k}": f"CASE WHEN contract_{k} = 'onbekend' THEN 'niet_opgegeven' ELSE contract_{k} END" for k in (12, 24)},
    **{f"lw{k}": f"CASE WHEN wage_{k} IS NULL THEN 'nee' ELSE 'ja' END" for k in (12, 24)},
    **{f"sb{k}": f"coalesce(sbi_section_{k}, 'onbekend')" for k in (12, 24)},
    "dw": "CASE WHEN durable_work_24 IS NULL THEN 'onbekend' WHEN durable_work_24 THEN 'ja' ELSE 'nee' END",
    "se": "CASE WHEN same_employer_12_24 IS NULL THEN 'onbekend' WHEN same_employer_12_24 THEN 'ja' ELSE 'nee' END",
}
WORK_TABLES = ("baan_uren12", "baan_uren24", "baan_contract12", "baan_contract24", "baan_duurzaam_cohort",
               "baan_duurzaam_pilot", "baan_werkgever_cohort", "baan_werkgever_pilot", "baan_loon12", "baan_loon24",
               "baan_sector")


def _work_con(warehouse):
    con = _con(warehouse)
    for name in ("outflow_work", "cohort_work"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{warehouse}/marts/{name}/**/*.parquet', "
                    "hive_partitioning=true)")
    return con


def test_every_work_cell_equals_a_query_on_outflow_work(warehouse, intern_tables):
    con = _work_con(warehouse)
    assert set(WORK_TABLES) <= set(intern_tables)
    checked = 0
    for table_id in WORK_TABLES:
        for _, cell in _cells(intern_tables[table_id]):
            key = parse_key(cell["key"])
            if key is None:
                continue
            assert set(key) <= set(WORK_DIMS), (table_id, key)
            where = " AND ".join(f"CAST({WORK_DIMS[d]} AS VARCHAR) = '{v}'" for d, v in key.items()) or "true"
            expected = con.execute(f"SELECT count(*) FROM outflow_work WHERE {where}").fetchone()[0]
            assert parse_number(cell["n"]) == expected, (table_id, key)
            checked += 1
    assert checked > 300


def _cohort_rows(table):
    """{cohort: {column header: cell}} for the body rows of a per-cohort table."""
    header = [c["text"] for c in table["rows"][0]]
    out = {}
    for row in table["rows"][1:]:
        label = row[0]["text"]
        if label == "Totaal":
            continue
        out[int(label.split(" ")[0])] = dict(zip(header[1:], row[1:]))
    return out


def test_work_tables_equal_cohort_work(warehouse, intern_tables):
    """The same figures from the other mart: counts per cohort and horizon summed over marts/cohort_work."""
    con = _work_con(warehouse)
    for k in (12, 24):
        mart = {r[0]: r[1:] for r in con.execute(f"""
            SELECT cohort, sum(outflows_observed), sum(employed), sum(hours_52_plus), sum(contract_onbepaald),
                   sum(with_wage), sum(durable_work)
            FROM cohort_work WHERE horizon = {k} GROUP BY cohort""").fetchall()}
        hours = _cohort_rows(intern_tables[f"baan_uren{k}"])
        contract = _cohort_rows(intern_tables[f"baan_contract{k}"])
        wages = _cohort_rows(intern_tables[f"baan_loon{k}"])
        durable = _cohort_rows(intern_tables["baan_duurzaam_cohort"])
        assert set(hours) == set(mart)
        for cohort, (observed, employed, h52, onbepaald, with_wage, durable_work) in mart.items():
            n = {col: parse_number(c["n"]) for col, c in hours[cohort].items()}
            assert n["Totaal"] - n["Nog onbekend"] == observed, (k, cohort)
            assert n["Met werk (totaal)"] == employed, (k, cohort)
            assert n["12 tot 35 uur per week"] + n["35 uur per week of meer"] == h52, (k, cohort)
            assert parse_number(contract[cohort]["Vast (onbepaalde tijd)"]["n"]) == onbepaald, (k, cohort)
            assert parse_number(wages[cohort]["Uitstromers met loon"]["n"]) == with_wage, (k, cohort)
            if k == 24:
                assert parse_number(durable[cohort]["Ja"]["n"]) == durable_work, cohort


def _half_up(value: float, step: int) -> int:
    from decimal import ROUND_HALF_UP, Decimal
    return int((Decimal(repr(value)) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * step


def _nearest_rank_sql(k: int, p: int) -> str:
    wages = f"list_sort(list(wage_{k}) FILTER (WHERE employed_{k} AND wage_{k} IS NOT NULL))"
    return f"CASE WHEN len({wages}) > 0 THEN {wages}[CAST(ceil({p} * len({wages}) / 100.0) AS BIGINT)] END"


def test_wage_percentiles_equal_the_marts(warehouse, intern_tables):
    """Intern: each cohort's percentiles by nearest rank over marts/outflow_work, in whole euros; and the
    report's percentile rule gives marts/cohort_work's figures on that mart's own groups."""
    from soepel_etl.report.tables import nearest_rank

    con = _work_con(warehouse)
    shown = 0
    for k in (12, 24):
        expected = {r[0]: r[1:] for r in con.execute(
            f"SELECT cohort, {', '.join(_nearest_rank_sql(k, p) for p in (25, 50, 75))} FROM outflow_work "
            "GROUP BY cohort").fetchall()}
        rows = _cohort_rows(intern_tables[f"baan_loon{k}"])
        for cohort, values in expected.items():
            cells = [rows[cohort][c]["n"] for c in ("25% verdient minder dan (€)", "Mediaan (€)",
                                                    "75% verdient minder dan (€)")]
            for value, cell in zip(values, cells):
                if value is None:
                    assert cell == "–", (k, cohort)
                else:
                    assert parse_number(cell) == _half_up(value, 1), (k, cohort, value, cell)
                    shown += 1
        groups = con.execute(f"""
            SELECT w.wage_p25, w.wage_p50, w.wage_p75, list(o.wage_{k}) FILTER (WHERE o.employed_{k}
                   AND o.wage_{k} IS NOT NULL)
            FROM cohort_work AS w JOIN outflow_work AS o USING (cohort, pilot_code, niveau, diploma)
            WHERE w.horizon = {k} GROUP BY ALL""").fetchall()
        assert len(groups) > 20
        for p25, p50, p75, wages in groups:
            assert [nearest_rank(wages or [], p) for p in (25, 50, 75)] == [p25, p50, p75]
    assert shown > 20


def test_sectors_have_their_dutch_names(warehouse, intern_tables):
    from soepel_etl.reference import national_table

    names = {r["sectie"]: r["naam"] for r in national_table("sbi_secties")}
    con = _work_con(warehouse)
    sections = {s for (s,) in con.execute("SELECT sbi_section_12 FROM outflow_work WHERE sbi_section_12 IS NOT NULL "
                                          "UNION SELECT sbi_section_24 FROM outflow_work "
                                          "WHERE sbi_section_24 IS NOT NULL").fetchall()}
    labels = [row[0]["text"] for row in intern_tables["baan_sector"]["rows"][1:-1]]
    assert sections and {f"{s} {names[s]}" for s in sections} <= set(labels)


def test_minimum_wage_table_is_the_shipped_table_with_its_source(reports):
    from html import unescape

    from soepel_etl.reference import national_table

    html = reports["intern"]["html"].read_text(encoding="utf-8")
    table = parse_tables(html)["minimumloon"]
    rows = national_table("minimumjeugdloon")
    hourly = {(r["geldig_vanaf"], int(r["leeftijd"])): float(r["minimum_uurloon"]) for r in rows}
    body = table["rows"][1:]
    assert body
    months = {m: i + 1 for i, m in enumerate(("januari", "februari", "maart", "april", "mei", "juni", "juli",
                                              "augustus", "september", "oktober", "november", "december"))}
    for row in body:
        day, month, year = row[0]["text"].removeprefix("Vanaf ").split(" ")
        period = f"{year}-{months[month]:02d}-{int(day):02d}"
        for i, age in enumerate((18, 19, 20, 21)):
            assert parse_number(row[1 + i]["n"]) == pytest.approx(hourly[(period, age)]), (period, age)
            assert parse_number(row[5 + i]["n"]) == pytest.approx(round(hourly[(period, age)] * 152, 2))
        for source in {r["bron"] for r in rows if r["geldig_vanaf"] == period}:
            assert source in unescape(html), source
    section = html.split('<section class="part" id="werk"', 1)[1].split("</section>", 1)[0]
    assert "18 tot en met 21 jaar" in section and "minimum" in section
