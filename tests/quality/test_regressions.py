"""Checks between builds, each with its regression planted in real data and found by the real pipeline.

A hand-built landing zone (tests/scenario.py) is loaded and built; then the regression arrives — a
second delivery, or the loss of a staged file that a restore from an older backup would cause — and
the next run must catch it: critical checks stop the run and leave the warehouse as it was, the
warning is recorded and the run completes. Nothing is monkeypatched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soepel_etl.quality import QualityFailure
from soepel_etl.warehouse.loads import read_loads
from tests.conftest import run_pipeline, tree_state
from tests.scenario import Scenario

COHORT = 30          # outflows of cohort 2019, each in work for the whole 24-month window


def scenario(tmp_path: Path) -> Scenario:
    """30 people leave school in June 2019 and work July 2019 … June 2021 (their final figures), delivered
    by the municipality in mid-2021; the anchor's delivery at the end of 2021 sets employment coverage."""
    s = Scenario(tmp_path, coverage="2021-12")
    s.people = []
    for _ in range(COHORT):
        p = s.person()
        s.people.append(p)
        s.enrol(p, start="2017-08-01", end="2019-06-30")
        for year, first, last in ((2019, 7, 12), (2020, 1, 12), (2021, 1, 6)):
            for month in range(first, last + 1):
                s.work(p, f"{year}-{month:02d}", delivery="2021-07-31")
    summary = s.run()
    assert summary.build is not None and summary.build.rows["marts/outflow_outcomes"] == COHORT
    return s


def staged_file(s: Scenario, source: str, file_name: str) -> Path:
    (load_id,) = [r["load_id"] for r in read_loads(s.warehouse).to_pylist() if r["file_name"] == file_name]
    return s.warehouse / "staging" / source / f"{load_id}.parquet"


def last_results(warehouse: Path) -> dict:
    return json.loads(sorted((warehouse / "_meta/quality/runs").glob("*.json"))[-1].read_text())


def failures_of(results: dict, suite: str) -> list[dict]:
    return [f for s in results["suites"] if s["suite"] == suite for f in s["failures"]]


def stops(s: Scenario, *expected: str, waive: str = "", monkeypatch=None) -> str:
    if waive:
        monkeypatch.setenv("SOEPEL_QUALITY_WAIVE", waive)
    before = tree_state(s.warehouse)
    with pytest.raises(QualityFailure) as info:
        run_pipeline(s.landing, s.warehouse)
    assert tree_state(s.warehouse) == before                  # the warehouse stays as it was
    message = str(info.value)
    for text in expected:
        assert text in message, message
    return message


def test_first_build_and_a_clean_second_build_pass_every_check(tmp_path):
    s = scenario(tmp_path)
    assert not any(x["suite"].startswith("regression_") for x in last_results(s.warehouse)["suites"])
    later = s.person()                                  # a new outflow in a later delivery: nothing regresses
    s.enrol(later, start="2018-08-01", end="2020-06-30", delivery="2021-12-31")
    summary = s.run()
    assert summary.build is not None
    results = last_results(s.warehouse)
    ran = {x["suite"]: x for x in results["suites"] if x["suite"].startswith("regression_")}
    assert set(ran) == {"regression_coverage", "regression_final_figures", "regression_outflows_per_cohort",
                        "regression_onbekend"}
    assert all(x["success"] for x in ran.values()), ran


def test_a_final_figure_changed_without_a_correction_stops_the_run(tmp_path, monkeypatch):
    s = scenario(tmp_path)
    # the municipality's mid-2021 werk delivery is lost from staging (say a restore from an older backup):
    # 30 final outflows lose their work, and no record of these people arrived since the last build
    staged_file(s, "werk", "werk_GM0363_20210731.csv").unlink()
    message = stops(s, "regression_final_figures", "unexplained", "marts/outflow_outcomes")
    assert "regression_coverage" not in message              # coverage still comes from the anchor
    assert "regression_onbekend" not in message


def test_a_correction_to_their_records_explains_changed_final_figures(tmp_path):
    s = scenario(tmp_path)
    # the municipality restates three people's hours in month u+24 to 0: a correction, loaded in this run
    for p in s.people[:3]:
        s.work(p, "2021-06", hours=0, delivery="2021-12-15")
    summary = s.run()
    changed = {(c["enrolment_id"], c["column"]) for c in summary.final_changes}
    assert {c for _, c in changed} >= {"status_24"} and len({e for e, _ in changed}) == 3
    (run,) = [x for x in last_results(s.warehouse)["suites"] if x["suite"] == "regression_final_figures"]
    assert run["success"], run


def test_a_coverage_month_moving_backwards_stops_the_run(tmp_path, monkeypatch):
    s = scenario(tmp_path)
    # the delivery that carried employment coverage to 2021-12 is lost from staging; the latest werk
    # month left is 2021-06: every person-month from July to December 2021 would turn 'onbekend'.
    # Waiving the other checks' tables shows this check stops the run on its own.
    staged_file(s, "werk", "werk_GM0363_20211231.csv").unlink()
    stops(s, "regression_coverage", "months_back", "coverage/employment", waive="marts/outflow_outcomes,"
          "core/person_month", monkeypatch=monkeypatch)


def test_onbekend_rising_in_observed_months_stops_the_run(tmp_path, monkeypatch):
    s = scenario(tmp_path)
    staged_file(s, "werk", "werk_GM0363_20211231.csv").unlink()
    message = stops(s, "regression_onbekend", "onbekend_share", "core/person_month",
                    waive="coverage/employment,marts/outflow_outcomes", monkeypatch=monkeypatch)
    assert "regression_coverage" not in message


def test_an_outflow_drop_beyond_the_set_share_is_a_warning(tmp_path, monkeypatch):
    s = scenario(tmp_path)
    # the school withdraws 2 of 30 enrolments (6.7%): under the default 10%, no warning
    for p in s.people[:2]:
        s.enrol(p, start="2017-08-01", end="2019-06-30", enrolment_id=f"E{s.people.index(p) + 1}",
                delivery="2022-01-15", mutatie="V")
    s.run()
    assert not failures_of(last_results(s.warehouse), "regression_outflows_per_cohort")
    # then 3 more of the 28 left (10.7%): recorded as a warning, the run completes and commits
    for p in s.people[2:5]:
        s.enrol(p, start="2017-08-01", end="2019-06-30", enrolment_id=f"E{s.people.index(p) + 1}",
                delivery="2022-01-20", mutatie="V")
    summary = s.run()
    assert summary.files("loaded") == 1 and summary.build is not None
    (failure,) = failures_of(last_results(s.warehouse), "regression_outflows_per_cohort")
    assert failure["severity"] == "warning" and failure["batches"] == ["marts/outflow_outcomes cohort 2019"]
    assert len(s.table("marts/outflow_outcomes")) == COHORT - 5               # committed: a warning does not stop the run


def test_the_outflow_drop_share_is_a_setting():
    from soepel_etl.settings import Settings
    from tests.conftest import TEST_KEY

    assert Settings.resolve(key=TEST_KEY, environ={}).outflow_drop_max == 0.10
    assert Settings.resolve(key=TEST_KEY, environ={"SOEPEL_OUTFLOW_DROP_MAX": "0.05"}).outflow_drop_max == 0.05
    with pytest.raises(ValueError, match="SOEPEL_OUTFLOW_DROP_MAX"):
        Settings.resolve(key=TEST_KEY, environ={"SOEPEL_OUTFLOW_DROP_MAX": "15"})
