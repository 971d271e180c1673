"""A real run on a generated landing zone: load summary, invariants, properties, privacy, stability."""

from __future__ import annotations

import logging

import duckdb
import pytest

from soepel_etl.synthetic import generate
from tests.conftest import TEST_KEY_TEXT, loads, run_pipeline, tree_state
from tests.privacy import scan_text, scan_tree, secrets_of_landing

STATUSES = ("werk", "onderwijs", "werkend_lerend", "uitkering", "geen", "onbekend")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("generated")
    landing, warehouse = root / "landing", root / "warehouse"
    generate(landing, persons=600, seed=7)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    logging.getLogger().addHandler(handler)
    try:
        summary = run_pipeline(landing, warehouse)
    finally:
        logging.getLogger().removeHandler(handler)
    return landing, warehouse, summary, [r.getMessage() for r in records]


def q(warehouse, sql):
    con = duckdb.connect(str(warehouse / "catalog.duckdb"), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def test_every_file_is_accounted_for(generated):
    landing, warehouse, summary, _ = generated
    delivered = sorted(p.name for p in landing.rglob("*") if p.is_file())
    assert sorted(r["file_name"] for r in loads(warehouse)) == delivered
    outcomes = {r["outcome"] for r in loads(warehouse)}
    assert outcomes == {"loaded", "rejected", "duplicate_file"}
    for r in loads(warehouse):
        if r["outcome"] == "loaded":
            assert r["rows_read"] == r["rows_loaded"] + r["rows_quarantined"] + r["rows_duplicate"] + r["rows_excluded"]
        else:
            assert r["reason"]
    assert summary.rows("quarantined") > 0 and summary.rows("duplicate") > 0 and summary.rows("excluded") > 0


def test_person_month_has_one_status_per_person_and_month(generated):
    _, warehouse, _, _ = generated
    [(rows, keys, bad)] = q(warehouse, f"""
        SELECT count(*), count(DISTINCT (person_key, month)),
               count(*) FILTER (WHERE status IS NULL OR status NOT IN {STATUSES})
        FROM core.person_month""")
    assert rows == keys and bad == 0 and rows > 0
    # and the status agrees with the flags by the spec's priority
    [(disagree,)] = q(warehouse, """
        SELECT count(*) FROM core.person_month WHERE status <> CASE
            WHEN NOT observed THEN 'onbekend' WHEN bbl THEN 'werkend_lerend' WHEN enrolled THEN 'onderwijs'
            WHEN employed THEN 'werk' WHEN benefit THEN 'uitkering' ELSE 'geen' END""")
    assert disagree == 0


def test_month_counts_add_up_to_24(generated):
    _, warehouse, _, _ = generated
    [(bad, n)] = q(warehouse, "SELECT count(*) FILTER (WHERE " + " + ".join(f"months_{s}_24" for s in STATUSES)
                   + " <> 24), count(*) FROM marts.outflow_outcomes")
    assert bad == 0 and n > 0


def test_cohort_counts_add_up_to_outflows(generated):
    _, warehouse, _, _ = generated
    [(outflows,)] = q(warehouse, "SELECT count(*) FROM marts.outflow_outcomes")
    per_horizon = q(warehouse, "SELECT horizon, sum(n) FROM marts.cohort_outcomes GROUP BY 1 ORDER BY 1")
    assert per_horizon == [(6, outflows), (12, outflows), (24, outflows)]
    [(off,)] = q(warehouse, """SELECT count(*) FROM (SELECT sum(share) s FROM marts.cohort_outcomes
                 GROUP BY cohort, pilot_code, niveau, leerweg, diploma, participation_type, horizon)
                 WHERE abs(s - 1) > 1e-9""")
    assert off == 0


def test_risk_score_is_the_number_of_true_flags(generated):
    _, warehouse, _, _ = generated
    [(bad, n, ages)] = q(warehouse, """
        SELECT count(*) FILTER (WHERE risk_score <> (zonder_startkwalificatie AND NOT enrolled_at_r)::INT
               + neet_3m::INT + op_uitkering::INT + baanverlies_6m::INT
               OR risk_level <> CASE WHEN risk_score >= 2 THEN 'hoog' WHEN risk_score = 1 THEN 'verhoogd' ELSE 'laag' END),
               count(*), count(*) FILTER (WHERE age NOT BETWEEN 16 AND 27)
        FROM marts.risk_monitor""")
    assert bad == 0 and n > 0 and ages == 0


def test_the_generated_senders_show_in_coverage_summary_and_report(generated, tmp_path):
    """The generator's lagging sender holds the employment month back, its stopped sender is missing,
    and its merged municipality is one sender with its old codes: in meta.coverage, the run summary
    and the data-quality section of both reports."""
    from soepel_etl.report import write_report
    from soepel_etl.synthetic.reference import load_reference

    _, warehouse, summary, _ = generated
    ref = load_reference()
    lagging, stopped = ref.gm_code[ref.lagging_sender], ref.gm_code[ref.stopped_sender]
    senders = {r[0]: r[1:] for r in q(warehouse, "SELECT sender, codes, coverage_month, active, holds_back "
                                                  "FROM meta.coverage")}
    [(employment,)] = q(warehouse, "SELECT employment_coverage_month FROM meta.builds")
    assert senders[lagging][1] == employment and senders[lagging][2:] == (True, True)
    assert senders[stopped][2:] == (False, False) and senders[stopped][1] < employment
    assert all(not holds for s, (_, _, _, holds) in senders.items() if s != lagging)
    merged = senders["GM1992"]
    assert set(merged[0]) > {"GM1992"} and merged[2]      # delivered under old codes too, one active sender
    assert not set(senders) & {"GM0501", "GM0530", "GM0614"}
    assert f"missing werk senders: {stopped}" in summary.lines()
    for audience in ("intern", "publiek"):
        html = write_report(warehouse, tmp_path, audience)["html"].read_text(encoding="utf-8")
        section = html[html.index('id="kwaliteit"'):]
        assert f"({lagging})" in section and "bepaalt de maand" in section and f"({stopped})" in section
        assert "ontbreekt" in section and "Voorne aan Zee (GM1992)" in section


def test_nothing_personal_in_the_warehouse_or_the_logs(generated):
    landing, warehouse, _, messages = generated
    secrets = secrets_of_landing(landing, TEST_KEY_TEXT)
    assert len(secrets.identifiers) > 500 and len(secrets.birth_dates) > 300   # the scan has something to find
    assert scan_tree(warehouse, secrets) == []
    assert scan_text("\n".join(messages), secrets) == []


def test_the_scan_would_find_a_leak(generated, tmp_path):
    """The scan is not vacuous: plant each kind of leak and see it found."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    landing, _, _, _ = generated
    secrets = secrets_of_landing(landing, TEST_KEY_TEXT)
    bsn = sorted(secrets.identifiers)[0]
    birth = sorted(secrets.birth_dates)[0]
    pq.write_table(pa.table({"x": [f"id {bsn}"], "d": pa.array([birth], pa.date32())}), tmp_path / "leak.parquet")
    (tmp_path / "leak.log").write_text(f"key={TEST_KEY_TEXT} born {birth:%d-%m-%Y}")
    findings = scan_tree(tmp_path, secrets)
    assert len(findings) == 4


def test_a_second_run_changes_nothing(generated):
    landing, warehouse, _, _ = generated
    before = tree_state(warehouse)
    summary = run_pipeline(landing, warehouse)
    assert summary.records == [] and summary.build_skipped
    assert tree_state(warehouse) == before


def test_analyst_access_through_sqlalchemy_and_pandas(generated):
    import pandas as pd
    import sqlalchemy

    _, warehouse, _, _ = generated
    engine = sqlalchemy.create_engine(f"duckdb:///{warehouse / 'catalog.duckdb'}", connect_args={"read_only": True})
    with engine.connect() as con:
        frame = pd.read_sql("SELECT cohort, status_12, count(*) AS n FROM marts.outflow_outcomes "
                            "WHERE pilot_code = 'AMS' GROUP BY ALL ORDER BY ALL", con)
    engine.dispose()    # DuckDB allows one configuration per open file in a process
    assert len(frame) > 0 and set(frame.columns) == {"cohort", "status_12", "n"}


def _dictionary_queries() -> list[str]:
    """The example questions of docs/data-dictionary.md, exactly as an analyst would copy them."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    section = text.split("## Example questions", 1)[1].split("\n## ", 1)[0]
    return [q.strip() for q in re.findall(r"```sql\n(.*?)```", section, re.S)]


def test_data_dictionary_questions_from_cli_python_and_sqlalchemy(generated):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import pandas as pd
    import sqlalchemy

    _, warehouse, _, _ = generated
    queries = _dictionary_queries()
    assert len(queries) == 5        # the three of the risk monitor and outcomes, two of work after outflow
    catalog = warehouse / "catalog.duckdb"
    engine = sqlalchemy.create_engine(f"duckdb:///{catalog}", connect_args={"read_only": True})
    cli = shutil.which("duckdb", path=str(Path(sys.executable).parent))
    assert cli, "the duckdb CLI (duckdb-cli) is part of the test dependencies"
    for sql in queries:
        with engine.connect() as connection:
            frame = pd.read_sql(sql, connection)
        engine.dispose()        # DuckDB allows one configuration per open file in a process
        assert len(frame) > 0, sql
        con = duckdb.connect(str(catalog), read_only=True)
        try:
            assert len(con.sql(sql).fetchall()) == len(frame)
        finally:
            con.close()
        out = subprocess.run([cli, "-readonly", "-csv", str(catalog), "-c", sql], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert len(out.stdout.strip().splitlines()) == len(frame) + 1     # header + rows


def test_a_forced_rebuild_gives_the_same_rows(generated, tmp_path):
    import shutil

    from soepel_etl import pipeline
    from tests.conftest import settings_for

    landing, warehouse, _, _ = generated
    copy = tmp_path / "warehouse"
    shutil.copytree(warehouse, copy)

    def rows(root, table):
        return duckdb.sql(f"SELECT * FROM read_parquet('{root}/marts/{table}/**/*.parquet') ORDER BY ALL").fetchall()

    before = {t: rows(copy, t) for t in ("outflow_outcomes", "cohort_outcomes", "risk_monitor")}
    summary = pipeline.build_only(settings_for(landing, copy), force=True)
    assert summary.build is not None
    assert {t: rows(copy, t) for t in before} == before


def test_many_person_ranges_give_the_same_tables_as_one(generated, tmp_path):
    """The build handles persons range by range; how many ranges must not change a single value."""
    import shutil

    from dataclasses import replace

    from soepel_etl import pipeline
    from tests.conftest import settings_for

    landing, warehouse, _, _ = generated
    copy = tmp_path / "warehouse"
    shutil.copytree(warehouse, copy)
    tables = ["core/person_month", "core/employment_months", "core/persons", "marts/outflow_outcomes",
              "marts/cohort_outcomes", "marts/risk_monitor"]

    def rows(root, table):
        return duckdb.sql(f"SELECT * FROM read_parquet('{root}/{table}/**/*.parquet') ORDER BY ALL").fetchall()

    many = replace(settings_for(landing, copy), person_months_per_range=2_000)
    summary = pipeline.build_only(many, force=True)
    assert summary.build is not None and summary.build.person_ranges > 10
    assert len(list((copy / "core/person_month").glob("*.parquet"))) == summary.build.person_ranges
    for table in tables:
        assert rows(copy, table) == rows(warehouse, table), table


def test_every_table_has_exactly_the_columns_and_types_declared_beside_its_model(generated):
    from soepel_etl.models.dictionary import declared, published_models

    _, warehouse, _, _ = generated
    con = duckdb.connect()
    try:
        for name in published_models("core") + published_models("marts"):
            written = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
                                  f"read_parquet('{warehouse}/{name}/*.parquet'))").fetchall()
            assert [(c, t) for c, (t, _) in declared(name).columns.items()] == written, name
    finally:
        con.close()
