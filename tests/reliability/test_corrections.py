"""Corrections and late data, over a sequence of deliveries into one warehouse.

After each delivery:
* core tables and marts equal a rebuild from scratch (a fresh warehouse) on all deliveries so far;
* provisional figures become final exactly when coverage allows (final_24 needs month u+24 to be
  observed: both the employment and the education coverage month must reach it);
* final figures change only for the outflows a correction touches — checked here by comparing the
  marts before and after — and the run summary, the run log and ``_meta/changes/<run_id>.parquet``
  list exactly those outflows and columns (no person_key).

Six people leave school in June 2020 (u+24 = 2022-06); P8 leaves in June 2021 (provisional
throughout); P7 is a control nobody corrects.
"""

from __future__ import annotations

import duckdb
import pytest

from soepel_etl.warehouse.changes import CHANGES
from tests.conftest import ONDERWIJS_HEADER, run_pipeline, write_delivery
from tests.reliability import helpers as h
from tests.scenario import make_bsn

WERK = ["bsn", "periode", "werkgever", "uren"]
DEELNEMERS = ["bsn", "pilot", "deelname", "toestemming", "datum_toestemming", "datum_intrekking"]
P = {i: make_bsn(100 + i) for i in range(1, 10)}   # P9: only extends the education coverage
ANCHOR = make_bsn(99)


def enrolment(i: int, **overrides) -> dict:
    row = dict(bsn=P[i], geboortedatum="15-05-2002", woongemeente="GM0363", brin="25PZ", inschrijving_id=f"E{i}",
               crebo="25254", niveau="2", leerweg="BOL", datum_inschrijving="01-08-2018",
               datum_uitschrijving="30-06-2020", diploma="N", datum_diploma="", mutatie="N")
    if i == 8:
        row.update(datum_inschrijving="01-08-2019", datum_uitschrijving="30-06-2021")
    row.update(overrides)
    return row


def months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def work(i: int, month: str, hours: str = "20") -> dict:
    return dict(bsn=P[i], periode=month, werkgever=f"LH{i}", uren=hours)


def anchor(month: str) -> dict:
    return dict(bsn=ANCHOR, periode=month, werkgever="ANCHOR", uren="1")


# (delivery files, outflows whose final figures must change, the columns that change per outflow,
#  whether the June-2020 outflows are final after it)
def deliveries():
    return [
        ("first deliveries: coverage 2022-04, u+24 not yet observed", {
            "onderwijs/onderwijs_25PZ_20220415.csv": [enrolment(i) for i in range(1, 9)],
            "werk/werk_GM0363_20220430.csv": [work(4, m) for m in months("2020-07", "2022-04")]
            + [work(1, m) for m in months("2020-07", "2021-12")] + [anchor("2022-04")],
            "deelnemers/deelnemers_AMS_20220415.csv": [dict(bsn=P[6], pilot="AMS", deelname="ondersteund",
                                                            toestemming="J", datum_toestemming="01-01-2019")],
        }, {}, False),
        ("employment coverage reaches 2022-06, education still 2022-04: still provisional", {
            "werk/werk_GM0363_20220630.csv": [work(4, m) for m in ("2022-05", "2022-06")] + [anchor("2022-06")],
        }, {}, False),
        ("education coverage reaches 2022-07: u+24 observed, figures become final, none changes", {
            "onderwijs/onderwijs_30RN_20220715.csv": [enrolment(9, brin="30RN", inschrijving_id="X9",
                                                                datum_uitschrijving="")],
        }, {}, True),
        ("enrolment end date corrected", {
            "onderwijs/onderwijs_25PZ_20220815.csv": [enrolment(1, datum_uitschrijving="31-03-2020", mutatie="W")],
        }, {"E1": {"outflow_date", "outflow_month"}}, True),
        ("a diploma added later", {
            "onderwijs/onderwijs_25PZ_20220915.csv": [enrolment(2, diploma="J", datum_diploma="30-06-2020",
                                                                mutatie="W")],
        }, {"E2": {"diploma"}}, True),
        ("an enrolment withdrawn (mutatie V)", {
            "onderwijs/onderwijs_25PZ_20221015.csv": [enrolment(3, mutatie="V")],
        }, {"E3": {"outflow"}}, True),
        ("a month of employment restated to zero hours", {
            "werk/werk_GM0363_20221031.csv": [work(4, "2021-06", "0")],
        }, {"E4": {"status_12", "months_werk_24"}}, True),
        ("employment arriving three months late (P5 final, P8 provisional at 24 months)", {
            "werk/werk_GM0363_20221130.csv": [work(5, "2022-03"), work(8, "2022-04")],
        }, {"E5": {"months_werk_24"}}, True),
        ("consent withdrawn", {
            "deelnemers/deelnemers_AMS_20221215.csv": [dict(bsn=P[6], pilot="AMS", deelname="ondersteund",
                                                            toestemming="J", datum_toestemming="01-01-2019",
                                                            datum_intrekking="01-12-2022")],
        }, {"E6": {"participation_type"}}, True),
    ]


HEADERS = {"onderwijs": ONDERWIJS_HEADER, "werk": WERK, "deelnemers": DEELNEMERS}


def _outflows(wh) -> dict[str, dict]:
    rows = duckdb.sql(f"SELECT * FROM read_parquet('{wh}/marts/outflow_outcomes/**/*.parquet')").fetchall()
    cols = duckdb.sql(f"SELECT * FROM read_parquet('{wh}/marts/outflow_outcomes/**/*.parquet') LIMIT 0").columns
    return {r["enrolment_id"]: r for r in (dict(zip(cols, row)) for row in rows)}


def _final_differences(old: dict[str, dict], new: dict[str, dict]) -> dict[str, set[str]]:
    """Independently of the package: which previously final figures differ now, per enrolment."""
    out: dict[str, set[str]] = {}
    for eid, row in old.items():
        final = {k for k in ("final_6", "final_12", "final_24") if row.get(k)}
        if not final:
            continue
        if eid not in new:
            out[eid] = {"outflow"}
            continue
        for col, value in row.items():
            horizon = next((f"final_{k}" for k in ("6", "12", "24") if col.endswith(f"_{k}")), None)
            if col == "person_key" or (horizon and horizon not in final):
                continue
            if new[eid].get(col) != value:
                out.setdefault(eid, set()).add(col)
    return out


def _core_and_marts(wh) -> dict:
    return {k: v for k, v in h.tables(wh).items() if k.startswith(("core/", "marts/"))}


def test_corrections_and_late_data(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "warehouse"
    previous: dict[str, dict] = {}
    for step, (what, files, expected, final_after) in enumerate(deliveries(), start=1):
        for rel, rows in files.items():
            write_delivery(landing / rel, HEADERS[rel.split("/")[0]], rows)
        summary = run_pipeline(landing, wh)
        assert all(r.outcome == "loaded" and r.rows_quarantined == 0 for r in summary.records), (what, summary.records)

        # the incremental warehouse equals a rebuild from scratch on everything delivered so far
        fresh = run_pipeline(landing, tmp_path / f"fresh{step}")
        assert _core_and_marts(wh) == _core_and_marts(tmp_path / f"fresh{step}"), what
        assert not fresh.final_changes

        now = _outflows(wh)
        june_2020 = {eid: r for eid, r in now.items() if r["outflow_month"] == "2020-06"}
        assert all(r["final_24"] is final_after for r in june_2020.values()), (what, step)
        assert all(r["final_6"] and r["final_12"] for r in june_2020.values()), what
        assert now["E8"]["final_24"] is False and now["E8"]["final_12"] is final_after, what   # u+12 = 2022-06 too

        # final figures change exactly for the outflows the correction touched, and nothing else
        touched = _final_differences(previous, now) if previous else {}
        assert set(touched) == set(expected), (what, touched)
        for eid, columns in expected.items():
            assert columns <= touched[eid], (what, eid, touched[eid])

        # … and the run says so: summary line, log, _meta/changes
        reported: dict[str, set[str]] = {}
        for c in summary.final_changes:
            reported.setdefault(c["enrolment_id"], set()).add(c["column"])
        assert reported == touched, what
        lines = "\n".join(summary.lines())
        part = wh / CHANGES / f"{summary.run_id}.parquet"
        log = (wh / "_meta" / "logs" / f"{summary.run_id}.log").read_text()
        if expected:
            assert f"final figures changed: {len(expected)} outflow(s) (corrections to their records" in lines
            for eid in expected:
                assert f"25PZ/{eid}:" in lines and f"final figure changed: 25PZ/{eid}:" in log
            stored = duckdb.sql(f"SELECT * FROM read_parquet('{part}')")
            assert stored.columns == ["run_id", "brin", "enrolment_id", "column", "old", "new"]
            assert {(r[2], r[3]) for r in stored.fetchall()} == {(e, c) for e, cs in touched.items() for c in cs}
        else:
            assert "final figures changed" not in lines and not part.exists()
        previous = now

    # the withdrawn enrolment is gone, the zero-hours month is no work, consent withdrawal took hold
    assert "E3" not in previous
    assert previous["E6"]["participation_type"] == "geen_registratie"
    assert previous["E1"]["outflow_month"] == "2020-03" and previous["E2"]["diploma"] is True
    assert previous["E4"]["status_12"] != "werk"
    con = duckdb.connect(str(wh / "catalog.duckdb"), read_only=True)
    try:   # analysts find the changes in the catalog too
        assert con.sql("SELECT count(DISTINCT enrolment_id) FROM meta.changes").fetchall()[0][0] == 6
    finally:
        con.close()


def test_changes_are_not_personal_data(tmp_path):
    from soepel_etl.warehouse.changes import SCHEMA

    assert "person_key" not in SCHEMA.names
    assert set(SCHEMA.names) == {"run_id", "brin", "enrolment_id", "column", "old", "new"}
