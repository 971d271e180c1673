"""The synthetic generator's werk values: contract shift with time in the job, wages around the youth
minimum, SBI codes of the industries entree and level-2 leavers work in, and some empty values."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from soepel_etl.synthetic import generate
from soepel_etl.synthetic import model as M
from soepel_etl.synthetic import work_values as W
from soepel_etl.synthetic.reference import load_reference

DIVISIONS = {"47", "55", "56", "49", "52", "78", "86", "87", "88", "41", "43", "81"}
# the Rijksoverheid's published hourly minimum for a 40-hour week (rounded up to cents)
PUBLISHED_40_HOURS = {"2022-01-01": {21: 9.96, 20: 7.97, 19: 5.98, 18: 4.98, 17: 3.94, 16: 3.44, 15: 2.99},
                      "2022-07-01": {21: 10.14, 20: 8.11, 19: 6.08, 18: 5.07, 17: 4.01, 16: 3.50, 15: 3.04}}


@pytest.fixture(scope="module")
def records():
    """Every (job spell, month) of a 3 000-person truth, with the values the writer puts in werk."""
    t = M.build_truth(load_reference(), 3000, 7)
    j = t.job
    ln = (j["m1"] - j["m0"] + 1).astype(np.int64)
    job = np.repeat(np.arange(ln.size), ln)
    month = (np.repeat(j["m0"].astype(np.int64) - (np.cumsum(ln) - ln), ln) + np.arange(job.size)).astype(np.int32)
    hours = M.job_hours(t, job, month).astype(np.float64)
    keep = hours > 0
    job, month, hours = job[keep], month[keep], hours[keep]
    return dict(t=t, job=job, month=month, hours=hours, tenure=month - j["m0"][job],
                contract=W.contract_codes(t, job, month), wage=W.sv_loon(t, job, month, hours),
                sbi=W.sbi_codes(t, job, month),
                age=W.age_in_month(t, j["pid"][job], month))


def test_share_onbepaald_rises_with_months_in_the_job(records):
    permanent = records["contract"] == W.ONBEPAALD
    tenure = records["tenure"]
    shares = [permanent[(tenure >= a) & (tenure < b)].mean() for a, b in ((0, 3), (6, 12), (12, 24), (24, 48))]
    assert shares == sorted(shares) and shares[-1] - shares[0] > 0.2, shares
    assert 0.15 < shares[0] < 0.45            # about the quarter that starts permanent
    # a spell only ever moves towards onbepaald
    start = records["t"].job["contract"][records["job"]]
    assert np.all((records["contract"] == start) | (records["contract"] == W.ONBEPAALD))


def test_hourly_wage_is_near_the_youth_minimum_for_the_age(records):
    has = ~np.isnan(records["wage"])
    hourly = records["wage"][has] / records["hours"][has]
    minimum = W.minimum_hourly_wage(records["age"][has], records["month"][has])
    ratio = hourly / minimum
    assert np.quantile(ratio, 0.01) > 0.99                      # never below the minimum (rounding aside)
    assert 1.0 <= np.median(ratio) <= 1.2 and np.quantile(ratio, 0.99) < 1.6
    # the minimum rises with age: a 20-year-old's median hourly wage is well above a 17-year-old's
    ages = records["age"][has]
    assert np.median(hourly[ages == 20]) > 1.5 * np.median(hourly[ages == 17])


def test_the_minimum_wage_table_matches_the_published_hourly_figures():
    for valid_from, by_age in PUBLISHED_40_HOURS.items():
        month = M.month_of(np.array([M.day(valid_from)]))
        for age, published in by_age.items():
            assert W.minimum_hourly_wage(np.array([age]), month)[0] == pytest.approx(published), (valid_from, age)
    # "… and older", and the adult age moving from 23 (2016) to 21 (2024)
    assert W.minimum_hourly_wage(np.array([22, 23, 30]), M.month_of(np.array([M.day("2016-03-01")]))).tolist() == [
        7.48, 8.80, 8.80]
    assert W.minimum_hourly_wage(np.array([21, 25]), M.month_of(np.array([M.day("2024-08-01")]))).tolist() == [
        13.68, 13.68]


def test_some_records_lack_wage_or_sbi_and_codes_are_in_the_listed_divisions(records):
    assert 0.01 < np.isnan(records["wage"]).mean() < 0.06
    assert 0.01 < (records["sbi"] == "").mean() < 0.06
    codes = records["sbi"][records["sbi"] != ""]
    assert {c[:2] for c in codes} <= DIVISIONS
    assert {c[:2] for c in codes} >= {"47", "56", "78", "86", "43", "81"}
    agency = records["t"].job["contract"][records["job"]] == W.UITZEND
    assert {c[:2] for c in records["sbi"][agency & (records["sbi"] != "")]} == {"78"}


def test_delivered_werk_files_carry_the_values(tmp_path):
    generate(tmp_path, persons=400, seed=3)
    contracts, sbi, wages = set(), set(), []
    for path in sorted((tmp_path / "werk").glob("werk_*.csv")):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
        first = text.split("\n", 1)[0]
        reader = csv.DictReader(io.StringIO(text), delimiter=";" if first.count(";") >= first.count(",") else ",")
        for row in reader:
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            contracts.add(row.get("contractsoort", ""))
            if "sbi" in row:
                sbi.add(row["sbi"])
            wages.append(row.get("sv_loon", ""))
    assert {"onbepaald", "bepaald", "oproep", "uitzend"} <= contracts
    assert "" in sbi and {s[:2] for s in sbi if s and s != "NULL"} & DIVISIONS
    assert any(w in ("", "NULL") for w in wages)
