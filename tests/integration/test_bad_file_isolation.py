"""A bad file never stops the others (extracts.md): a file that fails a critical check on its own
contents is rejected with the check's name, nothing of it is staged, and the other files load."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from soepel_etl.schema.contracts import SOURCES
from soepel_etl.quality.policy import CRITICAL
from soepel_etl.quality.suites import MIN_ROWS_FOR_RATES, raw_suite
from tests.conftest import (
    BAD_BSN, BSN_A, BSN_C, ONDERWIJS_HEADER, TEST_KEY_TEXT, load_of, loads, onderwijs_row, run_pipeline, staged,
    write_delivery,
)

GOOD_ROWS = {
    "onderwijs": onderwijs_row(),
    "werk": dict(bsn=BSN_A, periode="202001", werkgever="L01", uren="40", contractsoort="bepaald"),
    "uitkeringen": dict(bsn=BSN_A, uitkering="WW", datum_start="01-01-2020"),
    "deelnemers": dict(bsn=BSN_A, pilot="AMS", deelname="ondersteund", toestemming="J", datum_toestemming="01-01-2020"),
    "interventies": dict(bsn=BSN_A, pilot="AMS", interventie="jobcoach", datum_start="01-02-2020"),
}
SENDERS = {"onderwijs": "25PZ", "werk": "GM0363", "uitkeringen": "GM0363", "deelnemers": "AMS", "interventies": "AMS"}
ROWS = MIN_ROWS_FOR_RATES + 5


def _rows(source: str, n: int = ROWS, **change) -> list[dict]:
    """n distinct good rows (a distinct line per row via a distinct record key), then ``change`` applied."""
    out = []
    for i in range(n):
        row = dict(GOOD_ROWS[source])
        if source == "onderwijs":
            row["inschrijving_id"] = f"E{i}"
        elif source == "werk":
            row["werkgever"] = f"L{i:02d}"
        elif source in ("uitkeringen", "interventies"):
            row["datum_start"] = f"{i % 28 + 1:02d}-02-2020"
        else:
            row["pilot"] = ("IJV", "AMS", "RIJ", "ZOD", "RIV", "FRN")[i % 6]
            row["bsn"] = (BSN_A, BSN_C)[i // 6 % 2]
        row.update(change)
        out.append(row)
    return out


def _header(source: str) -> list[str]:
    return ONDERWIJS_HEADER if source == "onderwijs" else [c.name for c in SOURCES[source].columns]


def _first_required(source: str) -> str:
    return next(c.name for c in SOURCES[source].columns if c.required)


# each critical raw expectation (by the profile column it judges) → rows that break it
PLANTERS = {
    "valid_identifier_rate": lambda source: _rows(source, bsn=BAD_BSN),
    "quarantine_rate": lambda source: _rows(source, **{_first_required(source): ""}),
}


def _critical_raw():
    for name, source in SOURCES.items():
        for e in raw_suite(source):
            if e["meta"]["severity"] != CRITICAL or e["type"] == "expect_table_columns_to_match_set":
                continue    # the reduction's shape is made by code, not by a file
            yield name, e["kwargs"]["column"], e["type"]


def test_every_critical_raw_expectation_rejects_only_its_file(landing, warehouse):
    planted = {}
    for i, (source, column, kind) in enumerate(_critical_raw()):
        assert column in PLANTERS, f"no planted violation for critical raw expectation {kind}({column})"
        name = f"{source}_{SENDERS[source]}_202003{i + 1:02d}.csv"
        write_delivery(landing / source / name, _header(source), PLANTERS[column](source))
        planted[name] = f"raw_{source}: {kind}({column})"
    assert len(planted) == 2 * len(SOURCES)
    good = write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20200401.csv", ONDERWIJS_HEADER,
                          [onderwijs_row(inschrijving_id="GOOD")])

    summary = run_pipeline(landing, warehouse)

    for name, expectation in planted.items():
        record = load_of(warehouse, name)
        assert record["outcome"] == "rejected", (name, record)
        assert expectation in record["reason"], (name, record["reason"])
        assert record["rows_loaded"] == record["rows_quarantined"] == record["rows_excluded"] == 0
        assert expectation in (warehouse / "rejected" / f"{record['load_id']}.txt").read_text()
        for folder in ("staging", "quarantine"):
            assert not list((warehouse / folder).rglob(f"{record['load_id']}*")), (folder, name)
    assert load_of(warehouse, good.name)["outcome"] == "loaded"
    assert [r["enrolment_id"] for r in staged(warehouse, "onderwijs")] == ["GOOD"]
    assert all(r["rows_read"] == r["rows_loaded"] + r["rows_quarantined"] + r["rows_duplicate"] + r["rows_excluded"]
               for r in loads(warehouse) if r["outcome"] == "loaded")
    assert summary.files("rejected") == len(planted) and summary.build is not None


def test_mixed_case_brin_duplicates_load_and_the_cli_exits_zero(landing, warehouse):
    # the same enrolment twice, BRIN once in lower case: staging upper-cases BRIN, so before the rows
    # were compared case-folded this staged two rows with one record key, a critical staged check
    # failed and the whole run (with the good file beside it) rolled back
    mixed = write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20200315.csv", ONDERWIJS_HEADER,
                           [onderwijs_row(), onderwijs_row(brin="25pz")])
    other = write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20200415.csv", ONDERWIJS_HEADER,
                           [onderwijs_row(bsn=BSN_C, inschrijving_id="E2")])
    env = {**os.environ, "SOEPEL_PSEUDONYM_KEY": TEST_KEY_TEXT}
    result = subprocess.run([sys.executable, "-m", "soepel_etl.cli", "run", "--landing", str(landing),
                             "--warehouse", str(warehouse)], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    record = load_of(warehouse, mixed.name)
    assert (record["outcome"], record["rows_loaded"], record["rows_duplicate"]) == ("loaded", 1, 1)
    assert load_of(warehouse, other.name)["rows_loaded"] == 1


def test_a_staged_check_failure_rejects_the_file_not_the_run(landing, warehouse, monkeypatch):
    """Whatever critical check a file fails, it is that file's rejection (here: a staged-suite check
    made to fail for one file by breaking its staged pseudonyms)."""
    from soepel_etl.extracts import profiles

    bad = write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20200315.csv", ONDERWIJS_HEADER, [onderwijs_row()])
    good = write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20200415.csv", ONDERWIJS_HEADER,
                          [onderwijs_row(bsn=BSN_C, inschrijving_id="E2")])
    real = profiles.staged_profiles

    def staged_profiles(con, source, files):
        rows = real(con, source, files)
        return {name: row | ({"bad_person_keys": 1} if name == bad.name else {}) for name, row in rows.items()}

    monkeypatch.setattr(profiles, "staged_profiles", staged_profiles)
    run_pipeline(landing, warehouse)
    assert load_of(warehouse, bad.name)["outcome"] == "rejected"
    assert "staged_onderwijs: expect_column_values_to_be_between(bad_person_keys)" in load_of(warehouse, bad.name)["reason"]
    assert load_of(warehouse, good.name)["outcome"] == "loaded"


def test_rules_are_per_file_when_files_share_a_batch(landing, warehouse):
    """Files of one source go through the row checks together (extracts/batch.py); a row repeated in
    another file is that file's own row (no duplicate, no record-key conflict), and each file's rows
    are judged at its own delivery date."""
    first = write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20200315.csv", ONDERWIJS_HEADER, [onderwijs_row()])
    # the same enrolment again, after another one (other bytes: not a duplicate file; another line)
    again = write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20200415.csv", ONDERWIJS_HEADER,
                           [onderwijs_row(bsn=BSN_C, inschrijving_id="E2"), onderwijs_row()])
    run_pipeline(landing, warehouse)
    for f, rows in ((first, 1), (again, 2)):
        record = load_of(warehouse, f.name)
        assert (record["outcome"], record["rows_loaded"], record["rows_duplicate"], record["rows_quarantined"]) == \
            ("loaded", rows, 0, 0), f.name


def test_date_rules_use_each_files_own_delivery_date_when_files_share_a_batch(landing, warehouse):
    """The batch's files are checked by one statement, but "after the delivery month" and "age at the
    delivery date" are judged at each row's own file's delivery date: the same row fails in the
    earlier delivery and passes in the later one, in both orders of the rules' limits."""
    werk = [c.name for c in SOURCES["werk"].columns]
    may = dict(bsn=BSN_A, periode="202005", werkgever="L01", uren="40", contractsoort="bepaald")
    april = dict(may, periode="202004", werkgever="L02")
    early_werk = write_delivery(landing / "werk" / "werk_GM0363_20200415.csv", werk, [april, may])
    late_werk = write_delivery(landing / "werk" / "werk_GM0363_20200615.csv", werk, [may])
    # twelve on 16 March 2020: eleven at the first delivery, twelve at the second (MIN_AGE is 12)
    turns_twelve = onderwijs_row(geboortedatum="16-03-2008", inschrijving_id="E7")
    early_onderwijs = write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20200315.csv", ONDERWIJS_HEADER,
                                     [onderwijs_row(), turns_twelve])
    late_onderwijs = write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20200415.csv", ONDERWIJS_HEADER,
                                    [turns_twelve])
    run_pipeline(landing, warehouse)
    expected = {
        early_werk: (1, 1, {"after_delivery_month:periode": 1}),
        late_werk: (1, 0, {}),
        early_onderwijs: (1, 1, {"age_out_of_range:geboortedatum": 1}),
        late_onderwijs: (1, 0, {}),
    }
    for f, (rows_loaded, rows_quarantined, reasons) in expected.items():
        record = load_of(warehouse, f.name)
        assert (record["outcome"], record["rows_loaded"], record["rows_quarantined"]) == \
            ("loaded", rows_loaded, rows_quarantined), f.name
        assert json.loads(record["quarantine_reasons"] or "{}") == reasons, f.name
