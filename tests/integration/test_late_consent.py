"""Late consent (extracts.md): rows excluded for lack of consent load in the run that finds the consent
valid, re-read from the landing zone; the file's loads row gets a new version counting them."""

from __future__ import annotations

import duckdb

from soepel_etl.warehouse.loads import read_load_history
from tests.conftest import BSN_A, BSN_C, load_of, loads, pseudonym, run_pipeline, staged, write_delivery

DEELNEMERS = ["bsn", "pilot", "deelname", "toestemming", "datum_toestemming", "datum_intrekking"]
INTERVENTIES = ["bsn", "pilot", "interventie", "datum_start"]


def _deelnemers(landing, date, consent_a: str, withdrawn_c: str = ""):
    write_delivery(landing / "deelnemers" / f"deelnemers_AMS_{date}.csv", DEELNEMERS, [
        dict(bsn=BSN_A, pilot="AMS", deelname="ondersteund", toestemming=consent_a,
             datum_toestemming="01-01-2020" if consent_a == "J" else ""),
        dict(bsn=BSN_C, pilot="AMS", deelname="ondersteund", toestemming="J", datum_toestemming="01-01-2020",
             datum_intrekking=withdrawn_c)])


def _interventies(landing, date, start):
    return write_delivery(landing / "interventies" / f"interventies_AMS_{date}.csv", INTERVENTIES, [
        dict(bsn=BSN_A, pilot="AMS", interventie="jobcoach", datum_start=start),
        dict(bsn=BSN_C, pilot="AMS", interventie="jobcoach", datum_start=start)])


def _core_interventions(warehouse) -> int:
    return duckdb.sql(f"SELECT count(*) FROM read_parquet('{warehouse}/core/interventions/**/*.parquet')").fetchall()[0][0]


def test_late_consent_loads_excluded_rows_and_reports_files_it_cannot_reread(landing, warehouse):
    _deelnemers(landing, "20200201", consent_a="N")
    kept = _interventies(landing, "20200210", "01-02-2020")
    changed = _interventies(landing, "20200211", "02-02-2020")
    gone = _interventies(landing, "20200212", "03-02-2020")
    run_pipeline(landing, warehouse)
    for f in (kept, changed, gone):
        first = load_of(warehouse, f.name)
        assert (first["rows_loaded"], first["rows_excluded"], first["version"]) == (1, 1, 1)
    assert _core_interventions(warehouse) == 3

    changed.write_bytes(changed.read_bytes() + b"\n")        # edited in place after loading
    gone.unlink()
    _deelnemers(landing, "20200301", consent_a="J")         # the consent form came back
    summary = run_pipeline(landing, warehouse)

    revised = load_of(warehouse, kept.name)
    assert (revised["rows_loaded"], revised["rows_excluded"], revised["version"]) == (2, 0, 2)
    assert revised["rows_read"] == revised["rows_loaded"] + revised["rows_quarantined"] + \
        revised["rows_duplicate"] + revised["rows_excluded"]
    assert "late consent: 1 row(s)" in revised["reason"]
    versions = [r for r in read_load_history(warehouse).to_pylist() if r["file_name"] == kept.name]
    assert [v["version"] for v in versions] == [1, 2] and versions[0]["rows_excluded"] == 1
    assert load_of(warehouse, gone.name)["rows_excluded"] == 1         # could not be re-read: unchanged
    text = "\n".join(summary.lines())
    assert "late consent: 1 row(s) excluded earlier loaded from 1 earlier file(s)" in text, text
    assert f"{gone.name}: no longer in the landing zone" in text and f"{changed.name}: its bytes changed" in text
    a_rows = [r for r in staged(warehouse, "interventies") if r["person_key"] == pseudonym("bsn", BSN_A)]
    # kept's row, brought in late; the changed file is new bytes, so it also loads as a delivery of its own
    assert sorted((r["file_name"], r["line_number"]) for r in a_rows) == [(kept.name, 2), (changed.name, 2)]
    assert _core_interventions(warehouse) == 5
    assert all(r["rows_read"] == r["rows_loaded"] + r["rows_quarantined"] + r["rows_duplicate"] + r["rows_excluded"]
               for r in loads(warehouse) if r["outcome"] == "loaded")

    again = run_pipeline(landing, warehouse)                 # nothing new: nothing re-read, nothing changes
    assert again.late_consent.rows == 0 and not again.late_consent.revisions


def test_consent_withdrawn_still_removes_interventions(landing, warehouse):
    _deelnemers(landing, "20200201", consent_a="J")
    _interventies(landing, "20200210", "01-02-2020")
    run_pipeline(landing, warehouse)
    assert _core_interventions(warehouse) == 2
    _deelnemers(landing, "20200301", consent_a="J", withdrawn_c="15-02-2020")
    summary = run_pipeline(landing, warehouse)
    assert _core_interventions(warehouse) == 1 and not summary.late_consent.revisions


def test_rows_excluded_at_an_earlier_reference_date_load_when_a_later_one_makes_consent_valid(landing, warehouse):
    # consent dated 05-02-2020: invalid at the first run's explicit reference date, valid at the
    # default one (the latest delivery date, 10-02-2020) of a run that delivers nothing new
    write_delivery(landing / "deelnemers" / "deelnemers_AMS_20200201.csv", DEELNEMERS, [
        dict(bsn=BSN_A, pilot="AMS", deelname="ondersteund", toestemming="J", datum_toestemming="05-02-2020")])
    kept = _interventies(landing, "20200210", "01-02-2020")
    run_pipeline(landing, warehouse, reference_date="2020-02-01")
    assert load_of(warehouse, kept.name)["rows_excluded"] == 2
    summary = run_pipeline(landing, warehouse)
    assert summary.late_consent.rows == 1
    assert (load_of(warehouse, kept.name)["rows_loaded"], load_of(warehouse, kept.name)["rows_excluded"]) == (1, 1)


def test_a_file_that_could_not_be_reread_is_tried_again_later(landing, warehouse):
    _deelnemers(landing, "20200201", consent_a="N")
    kept = _interventies(landing, "20200210", "01-02-2020")
    run_pipeline(landing, warehouse)
    away = kept.with_name(".away")                           # moved out for a while (hidden: not a delivery)
    kept.rename(away)
    _deelnemers(landing, "20200301", consent_a="J")
    summary = run_pipeline(landing, warehouse)
    assert summary.late_consent.rows == 0 and load_of(warehouse, kept.name)["rows_excluded"] == 1
    away.rename(kept)                                        # back, unchanged; nothing else is new
    summary = run_pipeline(landing, warehouse)
    assert summary.late_consent.rows == 1 and load_of(warehouse, kept.name)["rows_excluded"] == 0
    assert run_pipeline(landing, warehouse).late_consent.rows == 0
