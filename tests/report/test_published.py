"""Published means published: what a publiek report leaves out, how a selection is checked and applied,
where names come from, and which tables say that their figures are provisional. Each failed before
the change that made it true."""

from __future__ import annotations

import re
import shutil

import duckdb
import pytest

from soepel_etl.reference import shipped_reference_dir
from soepel_etl.report import write_report
from tests.report.conftest import PILOT
from tests.report.helpers import parse_key, parse_number, parse_tables
from tests.scenario import Scenario


def _mart(warehouse, name: str) -> str:
    return f"read_parquet('{warehouse}/marts/{name}/**/*.parquet', hive_partitioning=true)"


def _titles(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-table="([^"]+)"[^>]*><caption>([^<]*)</caption>', html))


def _section(html: str, section: str) -> str:
    return html.split(f'<section class="part" id="{section}"', 1)[1].split("</section>", 1)[0]


def test_publiek_has_no_data_quality_tables_and_says_why(reports):
    publiek = reports["publiek"]["html"].read_text(encoding="utf-8")
    intern = reports["intern"]["html"].read_text(encoding="utf-8")
    assert any(t.startswith("kwaliteit_") for t in parse_tables(intern))
    assert not any(t.startswith("kwaliteit_") for t in parse_tables(publiek))
    assert "alleen in de interne versie" in _section(publiek, "kwaliteit")


def test_pilot_filters_the_risk_monitor_to_the_regions_its_outflows_live_in(warehouse, tmp_path):
    html = write_report(warehouse, tmp_path, "intern", pilot=PILOT)["html"].read_text(encoding="utf-8")
    con = duckdb.connect()
    regions = [r for (r,) in con.execute(
        f"SELECT DISTINCT rmc_region_code FROM {_mart(warehouse, 'outflow_outcomes')} "
        f"WHERE pilot_code = '{PILOT}' AND rmc_region_code <> '-' ORDER BY 1").fetchall()]
    national = con.execute(f"SELECT count(*) FROM {_mart(warehouse, 'risk_monitor')}").fetchone()[0]
    expected = con.execute(f"SELECT count(*) FROM {_mart(warehouse, 'risk_monitor')} "
                           f"WHERE rmc_region_code IN ({', '.join(repr(r) for r in regions)})").fetchone()[0]
    assert regions and 0 < expected < national
    table = parse_tables(html)["risico_regio"]
    shown = {parse_key(c["key"]).get("region") for row in table["rows"] for c in row if c["key"]}
    assert shown - {None} == set(regions)
    total = [c for row in table["rows"] for c in row if c["key"] == "*"]
    assert parse_number(total[0]["n"]) == expected
    text = _section(html, "risico")
    assert "uitstromers van pilot" in text and all(f"({r})" in text for r in regions)


@pytest.mark.parametrize("option, code, message", [("--pilot", "XYZ", "unknown pilot 'XYZ'"),
                                                    ("--rmc-region", "RMC99", "unknown RMC region 'RMC99'")])
def test_an_unknown_pilot_or_region_is_an_error(warehouse, tmp_path, capsys, option, code, message):
    from soepel_etl.cli import main

    assert main(["report", "--warehouse", str(warehouse), "--out", str(tmp_path), option, code]) == 2
    err = capsys.readouterr().err
    assert message in err and ("AMS" in err or "RMC21" in err)          # the codes that would work
    assert not list(tmp_path.glob("*.html"))


def test_names_come_from_the_reference_the_warehouse_was_built_with(tmp_path, monkeypatch):
    reference = tmp_path / "reference"
    shutil.copytree(shipped_reference_dir(), reference)
    for name, old, new in (("pilots", "RMC Agglomeratie Amsterdam", "Pilot Zuidas-Test"),
                           ("gemeenten", "Agglomeratie Amsterdam", "Regio Amstel-Test")):
        path = reference / f"{name}.csv"
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    s = Scenario(tmp_path / "s", coverage="2021-12")
    for i in range(3):
        p = s.person()
        s.enrol(p, start="2018-08-01", end="2020-06-30", birth="2003-05-15")     # 25PZ: pilot AMS, GM0363: RMC21
    s.run(reference=reference)
    shutil.rmtree(reference)                       # the folder is gone; the report must not need it
    monkeypatch.setenv("SOEPEL_REFERENCE_DIR", str(shipped_reference_dir()))
    html = write_report(s.warehouse, tmp_path / "out", "intern", pilot="AMS")["html"].read_text(encoding="utf-8")
    assert "Pilot Zuidas-Test" in html and "Regio Amstel-Test" in html
    assert "RMC Agglomeratie Amsterdam" not in html


def test_every_table_with_provisional_figures_is_marked(warehouse, reports):
    html = reports["intern"]["html"].read_text(encoding="utf-8")
    titles, tables = _titles(html), parse_tables(html)
    con = duckdb.connect()
    open_ = {k: con.execute(f"SELECT count(*) FILTER (WHERE NOT final_{k}) FROM "
                            f"{_mart(warehouse, 'outflow_outcomes')}").fetchone()[0] for k in (6, 12, 24)}
    assert open_[24] > 0                                  # the warehouse has provisional figures
    horizon = {"pad_24_maanden": 24, "bestemming_cohort": 24, "bestemming_opleiding": 24, "werk_cohort": 24,
               "werk_opleiding": 24, "deelname_status12": 12, "deelname_bestemming": 24,
               "baan_uren12": 12, "baan_uren24": 24, "baan_contract12": 12, "baan_contract24": 24,
               "baan_duurzaam_cohort": 24, "baan_duurzaam_pilot": 24, "baan_werkgever_cohort": 24,
               "baan_werkgever_pilot": 24, "baan_loon12": 12, "baan_loon24": 24, "baan_sector": 12,
               **{f"status{k}_{by}": k for k in (6, 12, 24) for by in ("cohort", "opleiding")}}
    for table_id, k in horizon.items():
        assert ("met voorlopige cijfers" in titles[table_id]) == (open_[k] > 0), table_id
    # rows: a programme is marked exactly when one of its outflows is provisional at that horizon
    programmes = dict(con.execute(f"""
        SELECT CASE WHEN niveau <= 1 THEN 'Entree (niveau 1)' WHEN niveau = 2 AND leerweg = 'BBL' THEN 'Niveau 2 bbl'
                    WHEN niveau = 2 THEN 'Niveau 2 bol' ELSE 'Niveau 3 en 4' END, bool_or(NOT final_24)
        FROM {_mart(warehouse, 'outflow_outcomes')} GROUP BY 1""").fetchall())
    labels = [row[0]["text"] for row in tables["status24_opleiding"]["rows"][1:-1]]
    for label in labels:
        name = label.removesuffix(" (voorlopig)")
        assert label.endswith("(voorlopig)") == programmes[name], label
    for table_id in ("risico_leeftijd", "risico_regio", "interventies_soort", "cohorten", "minimumloon"):
        assert "met voorlopige cijfers" not in titles[table_id], table_id


def _half_up(value: float, step: int) -> int:
    from decimal import ROUND_HALF_UP, Decimal
    return int((Decimal(repr(value)) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * step


@pytest.mark.parametrize("report", ["publiek", "publiek_pilot"])
def test_publiek_wage_percentiles_follow_the_wage_rule(warehouse, reports, report):
    """definitions.md: a published wage percentile needs at least 20 outflows (WAGE_PUBLISH_MIN) and is
    rounded to the nearest 10 euros (WAGE_PUBLISH_ROUND); the exact figures are recomputed from the mart."""
    from soepel_etl.schema.rules import WAGE_PUBLISH_MIN, WAGE_PUBLISH_ROUND

    assert (WAGE_PUBLISH_MIN, WAGE_PUBLISH_ROUND) == (20, 10)
    pilot = f"AND pilot_code = '{PILOT}'" if report == "publiek_pilot" else ""
    tables = parse_tables(reports[report]["html"].read_text(encoding="utf-8"))
    con = duckdb.connect()
    hidden = shown = 0
    for k in (12, 24):
        wages = f"list_sort(list(wage_{k}) FILTER (WHERE employed_{k} AND wage_{k} IS NOT NULL))"
        exact = {r[0]: r[1:] for r in con.execute(f"""
            SELECT cohort, coalesce(len({wages}), 0), {', '.join(f"{wages}[CAST(ceil({p} * len({wages}) / 100.0) AS BIGINT)]"
                                                    for p in (25, 50, 75))}
            FROM {_mart(warehouse, 'outflow_work')} WHERE true {pilot} GROUP BY cohort""").fetchall()}
        total = con.execute(f"SELECT count(wage_{k}) FROM {_mart(warehouse, 'outflow_work')} "
                            f"WHERE employed_{k} {pilot}").fetchone()[0]
        for row in tables[f"baan_loon{k}"]["rows"][1:]:
            label = row[0]["text"]
            n = total if label == "Totaal" else exact[int(label.split(" ")[0])][0]
            values = [parse_number(c["n"]) for c in row[2:5]]
            if n < WAGE_PUBLISH_MIN:
                assert values == ["x", "x", "x"], (k, label, n, values)
                hidden += 1
                continue
            if parse_number(row[1]["n"]) in ("<10", "x"):   # its count hidden: the percentiles with it
                assert values == ["x", "x", "x"], (k, label)
                continue
            for value, p_exact in zip(values, exact.get(int(label.split(" ")[0]), (None,) * 4)[1:]
                                      if label != "Totaal" else (None,) * 3):
                assert isinstance(value, float) and value % WAGE_PUBLISH_ROUND == 0, (k, label, value)
                if p_exact is not None:
                    assert value == _half_up(p_exact, WAGE_PUBLISH_ROUND), (k, label, value, p_exact)
                shown += 1
    assert hidden and shown, (hidden, shown)
