"""The generator's delivery patterns, seen in the written landing zone: a werk sender a delivery
behind, one that stopped, and a municipal reorganisation in the middle of the history."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from soepel_etl.extracts.filenames import parse_delivery_name
from soepel_etl.extracts.reader import read_delivery
from soepel_etl.extracts.werk_senders import WerkDelivery, employment_coverage_month, missing_senders, werk_senders
from soepel_etl.reference import current_municipality_map, region_of_sql, shipped_reference_dir
from soepel_etl.synthetic import generate
from soepel_etl.synthetic.reference import load_reference

PERSONS, SEED = 1500, 20240401
REF = load_reference()
LAGGING, STOPPED = REF.gm_code[REF.lagging_sender], REF.gm_code[REF.stopped_sender]


def _date(text: str | None) -> dt.date | None:
    text = (text or "").strip()
    for pattern, order in ((r"(\d{4})-(\d{1,2})-(\d{1,2})", (0, 1, 2)), (r"(\d{1,2})-(\d{1,2})-(\d{4})", (2, 1, 0))):
        m = re.fullmatch(pattern, text[:10] if order == (0, 1, 2) else text)
        if m:
            try:
                return dt.date(*(int(m.group(i + 1)) for i in order))
            except ValueError:
                return None
    return None


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    root = tmp_path_factory.mktemp("patterns")
    summary = generate(root / "landing", persons=PERSONS, seed=SEED)
    return root, summary


def _valid(landing_root: Path, source: str, bad: set[str]):
    for path in sorted((landing_root / "landing" / source).iterdir()):
        if path.name in bad:
            continue
        yield path, parse_delivery_name(path, source)


@pytest.fixture(scope="module")
def werk(landing):
    """One WerkDelivery per valid werk file, with the latest periode in it."""
    root, summary = landing
    con = duckdb.connect()
    out = []
    for path, name in _valid(root, "werk", set(summary["bad_file_kinds"])):
        read_delivery(con, path, name.extension, root)
        # the injected bad rows (a periode after the delivery month) are quarantined by the pipeline
        [(latest,)] = con.execute("""SELECT max(replace(periode, '-', '')) FROM raw
                                     WHERE regexp_full_match(replace(periode, '-', ''), '20[0-9]{2}(0[1-9]|1[0-2])')
                                       AND replace(periode, '-', '') <= ?""",
                                  [f"{name.delivery_date:%Y%m}"]).fetchall()
        out.append(WerkDelivery(name.sender, name.delivery_date, f"{latest[:4]}-{latest[4:]}"))
    return out


def test_the_lagging_sender_delivers_on_time_but_a_quarter_behind(werk):
    senders = {s.sender: s for s in werk_senders(werk, current_municipality_map(shipped_reference_dir()))}
    lagging = senders[LAGGING]
    latest = max(s.latest_delivery for s in senders.values())
    assert lagging.active and (latest - lagging.latest_delivery).days < 31
    others = [s.coverage_month for s in senders.values() if s.active and s.sender != LAGGING]
    assert lagging.coverage_month < min(others)      # it holds the employment coverage month back
    assert employment_coverage_month(senders.values()) == lagging.coverage_month
    # at every delivery it is about a quarter behind what the regular senders had then
    lag = [(d.delivery_date.year * 12 + d.delivery_date.month) - (int(d.latest_periode[:4]) * 12 + int(d.latest_periode[5:]))
           for d in werk if d.sender == LAGGING]
    assert min(lag) >= 5 and len(lag) >= 8


def test_the_stopped_sender_is_more_than_six_months_behind_and_missing(werk):
    senders = werk_senders(werk, current_municipality_map(shipped_reference_dir()))
    assert [s.sender for s in missing_senders(senders)] == [STOPPED]
    stopped = next(s for s in senders if s.sender == STOPPED)
    latest = max(s.latest_delivery for s in senders)
    assert stopped.latest_delivery <= dt.date(2023, 6, 30) and (latest - stopped.latest_delivery).days > 183
    # it did deliver before it stopped, and it no longer decides the coverage month
    assert len([d for d in werk if d.sender == STOPPED]) >= 4
    assert employment_coverage_month(senders) != stopped.coverage_month


def test_a_merged_municipality_delivers_under_its_old_codes_then_its_new_code(werk):
    old = {"GM0501", "GM0530", "GM0614"}     # Brielle, Hellevoetsluis, Westvoorne -> Voorne aan Zee (2023-01-01)
    merged_on = dt.date(2023, 1, 1)
    before = [d for d in werk if d.sender in old]
    after = [d for d in werk if d.sender == "GM1992"]
    assert before and after     # (a predecessor without residents in the sample has no files)
    assert all(d.delivery_date < merged_on for d in before) and all(d.delivery_date >= merged_on for d in after)
    senders = werk_senders(werk, current_municipality_map(shipped_reference_dir()))
    voorne = [s for s in senders if "GM1992" in s.codes]
    assert len(voorne) == 1 and set(voorne[0].codes) == {d.sender for d in before} | {"GM1992"} and voorne[0].active
    # the region's centre no longer delivers for Voorne aan Zee, but still delivers
    assert any(d.sender == "GM0599" and d.delivery_date > merged_on for d in werk)


def test_early_enrolments_carry_the_code_of_their_year(landing):
    root, summary = landing
    changes = {}
    for line in (shipped_reference_dir() / "gemeente_herindelingen.csv").read_text(encoding="utf-8").splitlines()[1:]:
        old_code, _, new_code, _, day = line.split(";")
        changes[old_code] = (new_code, dt.date.fromisoformat(day))
    seen: dict[str, list[dt.date]] = {}
    for path, name in _valid(root, "onderwijs", set(summary["bad_file_kinds"])):
        con = duckdb.connect()     # the CSV and xlsx readers leave a view and a table of one name
        read_delivery(con, path, name.extension, root)
        for code, start in con.execute("SELECT upper(trim(woongemeente)), datum_inschrijving FROM raw").fetchall():
            if code in changes and _date(start):
                seen.setdefault(code, []).append(_date(start))
    assert seen, "no enrolment carries a code that has since disappeared"
    for code, starts in seen.items():
        assert max(starts) < changes[code][1], f"{code} used after it disappeared"
    # old codes land in pilot regions (Friesland Noord, Rivierenland, Rijnland, Amsterdam) through the table
    regions = dict(duckdb.sql(f"SELECT gemeente_code, rmc_regio_code FROM {region_of_sql(shipped_reference_dir())}"
                              ).fetchall())
    assert {regions[c] for c in seen} >= {"RMC04", "RMC15"}
    assert all(regions[c] is not None for c in seen)
