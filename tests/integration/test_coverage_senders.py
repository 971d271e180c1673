"""Employment coverage per werk sender (spec/extracts.md, werk) and municipal reorganisations, on
small hand-built landing zones run through the real pipeline.

- The employment coverage month is the earliest coverage among the *active* senders: a municipality a
  delivery behind holds it back (risk month, final flags and `onbekend` months follow it) until its
  late delivery arrives; then the figures move on and final figures change only through corrections,
  which are listed.
- A sender whose latest delivery is more than six months before the latest werk delivery is inactive:
  it no longer holds the month back and is named as missing in the run summary and the report.
- A merged municipality: an enrolment with an old code lands in today's municipality and its RMC
  region (and so in the risk monitor); werk delivered under the old and the new code is one sender.
  A reference folder without gemeente_herindelingen.csv still builds (codes map to themselves).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from soepel_etl.reference import FILES, shipped_reference_dir
from tests.conftest import ONDERWIJS_HEADER, TEST_KEY, run_pipeline, write_delivery
from tests.scenario import make_bsn

WERK_HEADER = ["bsn", "periode", "werkgever", "uren"]


def months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def enrolment(bsn: str, gemeente: str, enrolment_id: str, start: str, end: str, birth: str = "2001-05-15") -> dict:
    return dict(bsn=bsn, geboortedatum=birth, woongemeente=gemeente, brin="25PZ", inschrijving_id=enrolment_id,
                crebo="25254", niveau="2", leerweg="BOL", datum_inschrijving=start, datum_uitschrijving=end,
                diploma="N", datum_diploma="", mutatie="N")


def worked(bsn: str, first: str, last: str, hours: float = 80, employer: str = "LH1") -> list[dict]:
    return [dict(bsn=bsn, periode=m, werkgever=employer, uren=str(hours)) for m in months(first, last)]


def deliver(landing: Path, source: str, sender: str, day: str, header: list[str], rows: list[dict]) -> None:
    write_delivery(landing / source / f"{source}_{sender}_{day.replace('-', '')}.csv", header, rows)


def table(warehouse: Path, name: str) -> list[dict]:
    return duckdb.sql(f"SELECT * FROM read_parquet('{warehouse / name}/**/*.parquet', union_by_name=true)"
                      ).to_arrow_table().to_pylist()


def latest_build(warehouse: Path) -> dict:
    return max(table(warehouse, "_meta/builds"), key=lambda r: r["built_at"])


def senders(warehouse: Path) -> dict[str, dict]:
    """The latest build's werk senders as stored in the warehouse."""
    run_id = latest_build(warehouse)["run_id"]
    return {r["sender"]: r for r in table(warehouse, "_meta/coverage") if r["run_id"] == run_id}


def rows_of(warehouse: Path, name: str, bsn: str) -> list[dict]:
    key = TEST_KEY.pseudonym("bsn", bsn)
    return [r for r in table(warehouse, name) if r["person_key"] == key]


def status(warehouse: Path, bsn: str, month: str) -> str | None:
    found = [r["status"] for r in rows_of(warehouse, "core/person_month", bsn) if r["month"] == month]
    return found[0] if found else None


def report_html(warehouse: Path, out: Path, audience: str) -> str:
    from soepel_etl.report import write_report

    return write_report(warehouse, out, audience)["html"].read_text(encoding="utf-8")


# -- a municipality a delivery behind --------------------------------------------------------------

A, B = make_bsn(101), make_bsn(102)     # A lives in Amsterdam (GM0363), B in Tiel (GM0281)


def lagging_landing(landing: Path) -> None:
    # both leave school in June 2019: u = 2019-06, the 24-month window runs 2019-07 … 2021-06
    deliver(landing, "onderwijs", "25PZ", "2021-09-30", ONDERWIJS_HEADER, [
        enrolment(A, "GM0363", "E1", "2017-08-01", "2019-06-30"),
        enrolment(B, "GM0281", "E2", "2017-08-01", "2019-06-30")])
    deliver(landing, "werk", "GM0363", "2021-08-31", WERK_HEADER, worked(A, "2019-07", "2021-06"))
    # Tiel delivers on the same day but a quarter behind: its data reach 2021-03
    deliver(landing, "werk", "GM0281", "2021-08-31", WERK_HEADER, worked(B, "2019-07", "2021-03"))


def test_a_sender_a_delivery_behind_holds_coverage_back_until_its_late_delivery(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    lagging_landing(landing)
    summary = run_pipeline(landing, warehouse)

    # the slowest active sender sets the month, not the fastest (max over all werk rows gave 2021-06)
    build = latest_build(warehouse)
    assert build["employment_coverage_month"] == "2021-03"
    assert build["risk_reference_month"] == "2021-03"
    assert {r["reference_month"] for r in table(warehouse, "marts/risk_monitor")} == {"2021-03"}
    stored = senders(warehouse)
    assert {s: (r["coverage_month"], r["active"], r["holds_back"]) for s, r in stored.items()} == {
        "GM0281": ("2021-03", True, True), "GM0363": ("2021-06", True, False)}
    lines = "\n".join(summary.lines())
    assert "GM0281: 2021-03, delivered 2021-08-31; holds the employment coverage month back" in lines
    assert "missing werk senders" not in lines

    # Amsterdam's months after Tiel's coverage are unknown for A too: observation is one month for all
    (a_before,) = rows_of(warehouse, "marts/outflow_outcomes", A)
    assert a_before["final_12"] and not a_before["final_24"]
    assert a_before["status_24"] == "onbekend" and a_before["months_onbekend_24"] == 3
    assert [status(warehouse, A, m) for m in ("2021-03", "2021-04", "2021-06")] == ["werk", "onbekend", "onbekend"]
    # B's months after 2021-03 are not "no work" while Tiel is behind
    assert status(warehouse, B, "2021-05") == "onbekend"

    # Tiel's late delivery arrives with the missing quarter and one correction: B's month u+6 restated to 0 hours
    deliver(landing, "werk", "GM0281", "2021-11-30", WERK_HEADER,
            worked(B, "2021-04", "2021-06") + worked(B, "2019-12", "2019-12", hours=0))
    summary = run_pipeline(landing, warehouse)

    build = latest_build(warehouse)
    assert build["employment_coverage_month"] == "2021-06"     # min(Amsterdam 2021-06, Tiel 2021-06)
    assert build["risk_reference_month"] == "2021-06"
    (a_after,) = rows_of(warehouse, "marts/outflow_outcomes", A)
    assert a_after["final_24"] and a_after["status_24"] == "werk" and a_after["months_onbekend_24"] == 0
    # A's figures that were final before did not move (no record of A arrived)
    for column in ("status_6", "status_12", "final_6", "final_12", "cohort", "rmc_region_code"):
        assert a_after[column] == a_before[column], column
    (b_after,) = rows_of(warehouse, "marts/outflow_outcomes", B)
    assert b_after["status_6"] == "geen" and b_after["final_24"]
    # the only final figure that changed is B's, through the listed correction
    assert summary.final_changes, "the correction to a final month must be listed"
    assert {(c["brin"], c["enrolment_id"]) for c in summary.final_changes} == {("25PZ", "E2")}
    assert {"status_6", "werk", "geen"} <= {v for c in summary.final_changes for v in (c["column"], c["old"], c["new"])}
    listed = table(warehouse, "_meta/changes")
    assert {(r["brin"], r["enrolment_id"]) for r in listed} == {("25PZ", "E2")}


def test_months_a_fast_sender_delivered_beyond_both_coverage_months_keep_their_month(tmp_path):
    # education reaches 2021-02, Tiel 2021-03, Amsterdam 2021-06: Amsterdam's last three months lie
    # beyond both coverage months (under the old rule the employment month was always the latest werk
    # month, so every werk row fell inside the build's months)
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    deliver(landing, "onderwijs", "25PZ", "2021-02-28", ONDERWIJS_HEADER, [
        enrolment(A, "GM0363", "E1", "2017-08-01", "2019-06-30"),
        enrolment(B, "GM0281", "E2", "2017-08-01", "2019-06-30")])
    deliver(landing, "werk", "GM0363", "2021-08-31", WERK_HEADER, worked(A, "2019-07", "2021-06"))
    deliver(landing, "werk", "GM0281", "2021-08-31", WERK_HEADER, worked(B, "2019-07", "2021-03"))
    run_pipeline(landing, warehouse)

    assert latest_build(warehouse)["employment_coverage_month"] == "2021-03"
    employment = table(warehouse, "core/employment_months")
    assert all(r["month"] is not None for r in employment)
    assert {r["month"] for r in employment} >= {"2021-04", "2021-06"}
    # the timeline still ends at the later coverage month: unobserved months are not invented
    assert max(r["month"] for r in rows_of(warehouse, "core/person_month", A)) == "2021-03"


# -- a sender that stopped delivering -----------------------------------------------------------------

C = make_bsn(103)    # lives in Utrecht (GM0344)


def test_a_sender_more_than_six_months_behind_is_missing_and_holds_nothing_back(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    deliver(landing, "onderwijs", "25PZ", "2021-09-30", ONDERWIJS_HEADER, [
        enrolment(A, "GM0363", "E1", "2017-08-01", "2019-06-30"),
        enrolment(C, "GM0344", "E3", "2017-08-01", "2019-06-30")])
    deliver(landing, "werk", "GM0363", "2021-08-31", WERK_HEADER, worked(A, "2019-07", "2021-06"))
    # Utrecht's last werk delivery is eight months before Amsterdam's: inactive
    deliver(landing, "werk", "GM0344", "2020-12-31", WERK_HEADER, worked(C, "2019-07", "2020-10"))
    summary = run_pipeline(landing, warehouse)

    build = latest_build(warehouse)
    assert build["employment_coverage_month"] == "2021-06"     # Utrecht's 2020-10 holds nothing back
    assert build["missing_werk_senders"] == "GM0344"
    stored = senders(warehouse)
    assert (stored["GM0344"]["active"], stored["GM0344"]["holds_back"]) == (False, False)
    assert stored["GM0363"]["holds_back"]
    lines = summary.lines()
    assert "missing werk senders: GM0344" in lines
    assert any(line.strip().startswith("GM0344: 2020-10") and "MISSING" in line for line in lines)
    (a,) = rows_of(warehouse, "marts/outflow_outcomes", A)
    assert a["final_24"]

    # the report names it as missing, in the data-quality section of both audiences
    for audience in ("intern", "publiek"):
        html = report_html(warehouse, tmp_path / "reports", audience)
        section = html[html.index('id="kwaliteit"'):]
        assert "Utrecht (GM0344)" in section and "ontbreekt" in section, audience
        assert "Amsterdam (GM0363)" in section and "bepaalt de maand" in section, audience


# -- a merged municipality --------------------------------------------------------------------------

D, E = make_bsn(104), make_bsn(105)    # D enrolled in 2018 in Brielle (GM0501, Voorne aan Zee GM1992 since 2023)


def merger_landing(landing: Path) -> None:
    deliver(landing, "onderwijs", "25PZ", "2023-06-30", ONDERWIJS_HEADER, [
        enrolment(D, "GM0501", "E4", "2018-08-01", "2020-06-30", birth="2002-05-15"),
        enrolment(E, "GM0363", "E5", "2018-08-01", "2020-06-30", birth="2002-05-15")])
    deliver(landing, "werk", "GM0363", "2023-06-30", WERK_HEADER, worked(E, "2020-07", "2023-04"))
    # Brielle's last delivery under its old code, after the merger date (its data reach 2022-12), then
    # Voorne aan Zee under the new code: within six months of each other, so without the merger the
    # old code would be an active sender of its own holding coverage back at 2022-12
    deliver(landing, "werk", "GM0501", "2023-02-28", WERK_HEADER, worked(D, "2020-07", "2022-12"))
    deliver(landing, "werk", "GM1992", "2023-06-30", WERK_HEADER, worked(D, "2023-01", "2023-04"))


def test_a_merged_municipality_maps_to_todays_region_and_delivers_as_one_sender(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    merger_landing(landing)
    summary = run_pipeline(landing, warehouse)

    (enrolment_d,) = rows_of(warehouse, "core/enrolments", D)
    assert enrolment_d["municipality_code"] == "GM0501"       # the record as delivered
    assert enrolment_d["rmc_region_code"] == "RMC29"          # the region of Voorne aan Zee today
    (person_d,) = rows_of(warehouse, "core/persons", D)
    assert (person_d["municipality_code"], person_d["rmc_region_code"]) == ("GM1992", "RMC29")
    (outflow_d,) = rows_of(warehouse, "marts/outflow_outcomes", D)
    assert outflow_d["rmc_region_code"] == "RMC29"
    (risk_d,) = rows_of(warehouse, "marts/risk_monitor", D)
    assert (risk_d["municipality_code"], risk_d["rmc_region_code"]) == ("GM1992", "RMC29")

    # werk under the old and the new code is one sender
    stored = senders(warehouse)
    assert set(stored) == {"GM0363", "GM1992"}
    assert stored["GM1992"]["codes"] == ["GM0501", "GM1992"] and stored["GM1992"]["active"]
    assert stored["GM1992"]["coverage_month"] == "2023-04"
    assert latest_build(warehouse)["employment_coverage_month"] == "2023-04"
    assert any("GM1992 (delivered also as GM0501): 2023-04" in line for line in summary.lines())
    assert [status(warehouse, D, m) for m in ("2022-12", "2023-01", "2023-04")] == ["werk"] * 3


def test_before_the_merger_date_regions_follow_today_but_the_parts_are_separate_senders(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    merger_landing(landing)
    run_pipeline(landing, warehouse, reference_date="2022-12-31")

    # gemeenten.csv lists today's municipalities: Brielle's enrolment is in Rijnmond whatever the date
    (person_d,) = rows_of(warehouse, "core/persons", D)
    assert (person_d["municipality_code"], person_d["rmc_region_code"]) == ("GM1992", "RMC29")
    # but on 2022-12-31 Voorne aan Zee did not exist yet: Brielle was a sender of its own, and it
    # (delivered up to 2022-12, within six months of the latest delivery) holds the month back
    stored = senders(warehouse)
    assert set(stored) == {"GM0363", "GM0501", "GM1992"}
    assert stored["GM0501"]["holds_back"]
    assert latest_build(warehouse)["employment_coverage_month"] == "2022-12"


def test_a_reference_folder_without_the_reorganisation_table_still_builds(tmp_path):
    reference = tmp_path / "reference"
    reference.mkdir()
    for name in FILES:
        shutil.copy(shipped_reference_dir() / f"{name}.csv", reference / f"{name}.csv")
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    merger_landing(landing)
    run_pipeline(landing, warehouse, reference=reference)

    # codes map to themselves: Brielle's old code is in no region of this folder, and is a sender of its own
    (person_d,) = rows_of(warehouse, "core/persons", D)
    assert (person_d["municipality_code"], person_d["rmc_region_code"]) == ("GM0501", "-")
    assert rows_of(warehouse, "marts/risk_monitor", D) == []
    stored = senders(warehouse)
    assert set(stored) == {"GM0363", "GM0501", "GM1992"}
    assert stored["GM0501"]["active"] and stored["GM0501"]["holds_back"]
    assert latest_build(warehouse)["employment_coverage_month"] == "2022-12"


@pytest.fixture(autouse=True)
def _no_reference_env(monkeypatch):
    # the tests choose their reference folder; a developer's SOEPEL_REFERENCE_DIR must not leak in
    monkeypatch.delenv("SOEPEL_REFERENCE_DIR", raising=False)


# -- a sender that joins with data that end earlier --------------------------------------------------

def test_a_sender_that_joins_behind_moves_coverage_back_without_stopping_the_run(tmp_path, caplog):
    # Amsterdam has delivered up to 2021-06; then Tiel starts delivering, its data reaching 2021-03.
    # The spec makes the month wait for Tiel (it is active): the month moves back, the figures of
    # 2021-04 … 2021-06 become provisional again — expected, so the run goes on with a warning.
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    deliver(landing, "onderwijs", "25PZ", "2021-09-30", ONDERWIJS_HEADER, [
        enrolment(A, "GM0363", "E1", "2017-08-01", "2019-06-30"),
        enrolment(B, "GM0281", "E2", "2017-08-01", "2019-06-30")])
    deliver(landing, "werk", "GM0363", "2021-08-31", WERK_HEADER, worked(A, "2019-07", "2021-06"))
    run_pipeline(landing, warehouse)
    assert latest_build(warehouse)["employment_coverage_month"] == "2021-06"
    (a_before,) = rows_of(warehouse, "marts/outflow_outcomes", A)
    assert a_before["final_24"]

    deliver(landing, "werk", "GM0281", "2021-09-15", WERK_HEADER, worked(B, "2019-07", "2021-03"))
    with caplog.at_level("WARNING"):
        run_pipeline(landing, warehouse)
    build = latest_build(warehouse)
    assert build["employment_coverage_month"] == "2021-03"
    assert senders(warehouse)["GM0281"]["holds_back"]
    (a_after,) = rows_of(warehouse, "marts/outflow_outcomes", A)
    assert not a_after["final_24"] and a_after["status_24"] == "onbekend"
    assert any("waits for werk sender(s) GM0281" in r.getMessage() for r in caplog.records)
    results = " ".join(p.read_text(encoding="utf-8") for p in (warehouse / "_meta/quality/runs").glob("*.json"))
    assert "months_back_explained" in results


def test_an_active_sender_whose_data_go_back_still_stops_the_run(tmp_path):
    # the control: the same move back caused by a sender that was already active is a regression
    from soepel_etl.quality import QualityFailure

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    lagging_landing(landing)
    deliver(landing, "werk", "GM0281", "2021-11-30", WERK_HEADER, worked(B, "2021-04", "2021-06"))
    run_pipeline(landing, warehouse)
    assert latest_build(warehouse)["employment_coverage_month"] == "2021-06"
    before = sorted(str(p.relative_to(warehouse)) for p in warehouse.rglob("*") if p.is_file())
    # Tiel's late delivery is lost from staging (what the check is for): its coverage falls to 2021-03
    (lost,) = [p for p in (warehouse / "staging/werk").glob("*.parquet") if "20211130" in p.name]
    lost.unlink()
    deliver(landing, "onderwijs", "25PZ", "2021-10-31", ONDERWIJS_HEADER, [
        enrolment(A, "GM0363", "E1", "2017-08-01", "2019-06-30")])
    with pytest.raises(QualityFailure, match="coverage"):
        run_pipeline(landing, warehouse)
    after = sorted(str(p.relative_to(warehouse)) for p in warehouse.rglob("*") if p.is_file())
    assert set(after) - set(before) <= {p for p in after if p.startswith("_meta/logs/")}
