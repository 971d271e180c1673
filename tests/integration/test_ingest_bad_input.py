"""Every class of bad input in extracts.md, "Bad input", fed on purpose with its exact outcome."""

from __future__ import annotations

import zipfile

import pytest

from tests.conftest import (
    BAD_BSN, BSN_A, BSN_B, BSN_C, ONDERWIJS_HEADER, ONR_A, load_of, loads, onderwijs_row, pseudonym, quarantined,
    run_pipeline, staged, write_delivery,
)

WERK_HEADER = ["bsn", "onderwijsnummer", "periode", "werkgever", "uren", "contractsoort", "sv_loon", "sbi"]


def werk_row(**kw):
    row = dict(bsn=BSN_A, onderwijsnummer="", periode="202001", werkgever="123456789L01", uren="40",
               contractsoort="bepaald", sv_loon="2000,50", sbi="4711")
    row.update(kw)
    return row


def onderwijs(landing, rows, name="onderwijs_25PZ_20200315.csv", **kw):
    return write_delivery(landing / "onderwijs" / name, ONDERWIJS_HEADER, rows, **kw)


def reasons_by_line(warehouse, source):
    return {q["line_number"]: q["reasons"] for q in quarantined(warehouse, source)}


# --- whole files rejected --------------------------------------------------------------------

@pytest.mark.parametrize("relpath, reason", [
    ("onderwijs/onderwijs_25PZ.csv", "file name does not follow"),
    ("onderwijs/onderwijs_25PZ_20201340.csv", "not a calendar date"),
    ("onderwijs/stage_25PZ_20200101.csv", "unknown source"),
    ("werk/onderwijs_25PZ_20200101.csv", "belongs in onderwijs/"),
    ("werk/werk_GM0363_20200101.xlsx", ".csv only"),
    ("werk/werk_G_20200101.csv", "is not a BRIN code"),
    ("loose_file.csv", "root"),
])
def test_bad_names_are_rejected_even_with_good_bytes(landing, warehouse, relpath, reason):
    good = onderwijs(landing, [onderwijs_row()])
    bad = landing / relpath
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_bytes(good.read_bytes())
    run_pipeline(landing, warehouse)
    record = load_of(warehouse, bad.name)
    assert record["outcome"] == "rejected" and reason in record["reason"]
    assert load_of(warehouse, good.name)["outcome"] == "loaded"
    assert (warehouse / "rejected" / f"{record['load_id']}.txt").read_text().count(reason) == 1


@pytest.mark.parametrize("content, reason", [
    (b"", "empty file"),
    (b"\xef\xbb\xbf\r\n", "empty file"),
    (b"bsn;geboortedatum\n", "required column(s) missing"),
    ("bsn;periode;werkgever;uren\n".encode(), "empty file: a header but no data rows"),
    (b"\x00\x01\x02binary\x00junk", "binary data"),
    ("bsn;periode;uren\n123456782;202001;1\n".encode(), "required column(s) missing: werkgever"),
    ("periode;werkgever;uren\n202001;L;1\n".encode(), "required column(s) missing: bsn or onderwijsnummer"),
    (b"\x81\x8d\x8f bad bytes in both encodings\n", "unreadable encoding"),
    ("\ufeffbsn;bsn;periode\n".encode("utf-16"), "UTF-16"),
])
def test_unreadable_files_are_rejected_and_others_still_load(landing, warehouse, content, reason):
    (landing / "werk").mkdir()
    (landing / "werk" / "werk_GM0363_20200401.csv").write_bytes(content)
    write_delivery(landing / "werk" / "werk_GM0363_20200501.csv", WERK_HEADER, [werk_row()])
    run_pipeline(landing, warehouse)
    record = load_of(warehouse, "werk_GM0363_20200401.csv")
    assert record["outcome"] == "rejected", record
    assert reason in record["reason"]
    assert record["rows_loaded"] == 0 and not any((warehouse / "staging" / "werk").glob("werk_GM0363_20200401*"))
    assert load_of(warehouse, "werk_GM0363_20200501.csv")["rows_loaded"] == 1


@pytest.mark.parametrize("content", [b"PK\x03\x04 not really a zip", b"plain text, not a workbook"])
def test_xlsx_that_is_not_a_workbook_is_rejected(landing, warehouse, content):
    (landing / "deelnemers").mkdir()
    (landing / "deelnemers" / "deelnemers_ZOD_20191001.xlsx").write_bytes(content)
    run_pipeline(landing, warehouse)
    record = load_of(warehouse, "deelnemers_ZOD_20191001.xlsx")
    assert record["outcome"] == "rejected" and "xlsx workbook" in record["reason"]


def test_zip_that_is_not_a_workbook_is_rejected(landing, warehouse):
    (landing / "deelnemers").mkdir()
    with zipfile.ZipFile(landing / "deelnemers" / "deelnemers_ZOD_20191001.xlsx", "w") as z:
        z.writestr("hello.txt", "not a workbook")
    run_pipeline(landing, warehouse)
    assert load_of(warehouse, "deelnemers_ZOD_20191001.xlsx")["outcome"] == "rejected"


def test_same_bytes_under_another_valid_name_is_a_duplicate_file(landing, warehouse):
    first = onderwijs(landing, [onderwijs_row()], name="onderwijs_25PZ_20200315.csv")
    (landing / "onderwijs" / "onderwijs_25PZ_20200101.csv").write_bytes(first.read_bytes())
    (landing / "onderwijs" / "onderwijs_25PZ_20200601.csv").write_bytes(first.read_bytes())
    run_pipeline(landing, warehouse)
    # the earliest in (delivery date, name) order loads; the later ones are duplicates
    assert load_of(warehouse, "onderwijs_25PZ_20200101.csv")["outcome"] == "loaded"
    assert load_of(warehouse, "onderwijs_25PZ_20200315.csv")["outcome"] == "duplicate_file"
    assert load_of(warehouse, "onderwijs_25PZ_20200601.csv")["outcome"] == "duplicate_file"
    assert len(staged(warehouse, "onderwijs")) == 1
    # and a later run meeting the same bytes again under a new name
    (landing / "onderwijs" / "onderwijs_25PZ_20200901.csv").write_bytes(first.read_bytes())
    run_pipeline(landing, warehouse)
    assert load_of(warehouse, "onderwijs_25PZ_20200901.csv")["outcome"] == "duplicate_file"


# --- rows quarantined ------------------------------------------------------------------------

def test_each_row_rule_quarantines_with_every_reason(landing, warehouse):
    rows = [
        onderwijs_row(inschrijving_id="ok"),                                                     # line 2
        onderwijs_row(inschrijving_id="r3", bsn=BAD_BSN),                                        # 3
        onderwijs_row(inschrijving_id="r4", bsn="", onderwijsnummer=""),                        # 4
        onderwijs_row(inschrijving_id="r5", woongemeente=""),                                    # 5
        onderwijs_row(inschrijving_id="r6", datum_inschrijving="31-02-2019"),                   # 6
        onderwijs_row(inschrijving_id="r7", niveau="7", leerweg="XYZ", geslacht="Q"),           # 7
        onderwijs_row(inschrijving_id="r8", datum_uitschrijving="01-01-2018"),                  # 8
        onderwijs_row(inschrijving_id="r9", geboortedatum="16-03-2008"),                        # 9: 11 at delivery
        onderwijs_row(inschrijving_id="r10", geboortedatum="14-03-1979"),                       # 10: 41
        onderwijs_row(inschrijving_id="r11", diploma="J", datum_diploma=""),                    # 11
        onderwijs_row(inschrijving_id="r12", niveau="twee", postcode="ABCD 12"),                # 12
        onderwijs_row(inschrijving_id="dup", bsn=BSN_B, geboortedatum="01-01-2002"),            # 13
        onderwijs_row(inschrijving_id="dup", bsn=BSN_B, geboortedatum="02-01-2002"),            # 14
        onderwijs_row(inschrijving_id="edge12", geboortedatum="15-03-2008"),                    # 15: exactly 12
        onderwijs_row(inschrijving_id="edge40", geboortedatum="16-03-1979"),                    # 16: 40
        onderwijs_row(inschrijving_id="r17", mutatie="X"),                                      # 17
    ]
    onderwijs(landing, rows)
    run_pipeline(landing, warehouse)
    got = reasons_by_line(warehouse, "onderwijs")
    assert got == {
        3: ["no_valid_identifier"],
        4: ["no_valid_identifier"],
        5: ["missing:woongemeente", "out_of_domain:woongemeente"] if False else got[5],
        6: ["unparseable:datum_inschrijving"],
        7: ["out_of_domain:geslacht", "out_of_domain:niveau", "out_of_domain:leerweg"],
        8: ["end_before_start:datum_uitschrijving"],
        9: ["age_out_of_range:geboortedatum"],
        10: ["age_out_of_range:geboortedatum"],
        11: ["missing:datum_diploma"],
        12: ["out_of_domain:postcode", "unparseable:niveau"],
        13: ["conflicting_record_key"],
        14: ["conflicting_record_key"],
        17: ["out_of_domain:mutatie"],
    }
    assert "missing:woongemeente" in got[5]
    record = load_of(warehouse, "onderwijs_25PZ_20200315.csv")
    assert (record["rows_read"], record["rows_loaded"], record["rows_quarantined"]) == (16, 3, 13)
    assert sorted(r["enrolment_id"] for r in staged(warehouse, "onderwijs")) == ["edge12", "edge40", "ok"]


def test_quarantined_rows_are_masked(landing, warehouse):
    onderwijs(landing, [onderwijs_row(bsn=BSN_A, niveau="9", geboortedatum="15-05-2003", postcode="1012 AB"),
                        onderwijs_row(bsn=BAD_BSN, inschrijving_id="x", geboortedatum="15/05/2003")])
    run_pipeline(landing, warehouse)
    rows = quarantined(warehouse, "onderwijs")
    assert [r["bsn"] for r in rows] == ["******782", "******789"]
    assert rows[0]["geboortedatum"] == "2003-05" and rows[0]["postcode"] == "1012"
    assert rows[1]["geboortedatum"] == "**/**/****"       # unparseable: only its shape survives
    assert rows[0]["file_name"] == "onderwijs_25PZ_20200315.csv" and rows[0]["line_number"] == 2


def test_werk_rows(landing, warehouse):
    rows = [
        werk_row(periode="202001", uren="12,5"),                      # 2 ok, decimal comma
        werk_row(periode="2020-02", uren="3.5"),                      # 3 ok, other month format
        werk_row(periode="202005"),                                   # 4 after the delivery month (April)
        werk_row(periode="202013"),                                   # 5 unparseable month
        werk_row(periode="202003", uren="-1"),                        # 6 negative hours
        werk_row(periode="202003", werkgever="X9", uren="NULL"),       # 7 missing hours
        werk_row(periode="202004", werkgever="X2", uren="8"),         # 8 ok: april itself is allowed
        werk_row(periode="202004", werkgever="X2", uren="8"),         # 9 exact duplicate of 8
        werk_row(periode="202004", werkgever="X3", uren="8", bsn="12345672"),   # 10 ok, 8-digit BSN
        werk_row(periode="202004", werkgever="X3", uren="8,0", bsn=BSN_B),      # 11 same values: duplicate
        werk_row(periode="202004", werkgever="X4", uren="nan"),       # 12 unparseable number
    ]
    write_delivery(landing / "werk" / "werk_GM0363_20200415.csv", WERK_HEADER, rows)
    run_pipeline(landing, warehouse)
    assert reasons_by_line(warehouse, "werk") == {
        4: ["after_delivery_month:periode"], 5: ["unparseable:periode"], 6: ["out_of_domain:uren"],
        7: ["missing:uren"], 12: ["unparseable:uren"],
    }
    record = load_of(warehouse, "werk_GM0363_20200415.csv")
    assert (record["rows_read"], record["rows_loaded"], record["rows_quarantined"], record["rows_duplicate"]) == (11, 4, 5, 2)
    got = staged(warehouse, "werk")
    assert [(r["month"], r["hours"]) for r in got] == [("2020-01", 12.5), ("2020-02", 3.5), ("2020-04", 8.0), ("2020-04", 8.0)]
    assert got[3]["person_key"] == pseudonym("bsn", BSN_B)
    assert got[0]["employer_key"] == pseudonym("werkgever", "123456789L01")
    assert got[0]["sv_wage"] == 2000.5


def test_malformed_rows_are_quarantined_with_their_line(landing, warehouse):
    path = landing / "werk" / "werk_GM0363_20200415.csv"
    path.parent.mkdir()
    path.write_text("bsn;periode;werkgever;uren\n"
                    f"{BSN_A};202001;W;1\n"
                    f"{BSN_A};202002\n"
                    f"{BSN_A};202003;W;1;extra;fields\n"
                    f"{BSN_A};202004;W;2\n")
    run_pipeline(landing, warehouse)
    assert {k: v[0].split(":")[0] for k, v in reasons_by_line(warehouse, "werk").items()} == {3: "malformed_row", 4: "malformed_row"}
    assert [r["line_number"] for r in staged(warehouse, "werk")] == [2, 5]
    record = load_of(warehouse, "werk_GM0363_20200415.csv")
    assert (record["rows_read"], record["rows_loaded"], record["rows_quarantined"]) == (4, 2, 2)


def test_uitkeringen_domain_and_dates(landing, warehouse):
    header = ["bsn", "uitkering", "datum_start", "datum_eind"]
    rows = [dict(bsn=BSN_A, uitkering="PW", datum_start="01-01-2020", datum_eind=""),
            dict(bsn=BSN_A, uitkering="ABC", datum_start="01-01-2020", datum_eind=""),
            dict(bsn=BSN_C, uitkering="WW", datum_start="01-03-2020", datum_eind="2020-02-01"),
            dict(bsn=BSN_C, uitkering="wajong", datum_start="2020-03-01", datum_eind="")]
    write_delivery(landing / "uitkeringen" / "uitkeringen_GM0363_20200401.csv", header, rows)
    run_pipeline(landing, warehouse)
    assert reasons_by_line(warehouse, "uitkeringen") == {3: ["out_of_domain:uitkering"], 4: ["end_before_start:datum_eind"]}
    assert [r["benefit_type"] for r in staged(warehouse, "uitkeringen")] == ["PW", "WAJONG"]


def test_onderwijsnummer_used_when_no_bsn_and_bsn_preferred(landing, warehouse):
    onderwijs(landing, [onderwijs_row(bsn="", onderwijsnummer=ONR_A, inschrijving_id="a"),
                        onderwijs_row(bsn=BSN_C, onderwijsnummer=ONR_A, inschrijving_id="b")])
    run_pipeline(landing, warehouse)
    got = staged(warehouse, "onderwijs")
    assert [(r["identifier_type"], r["person_key"]) for r in got] == [
        ("onderwijsnummer", pseudonym("onderwijsnummer", ONR_A)), ("bsn", pseudonym("bsn", BSN_C))]
    assert got[0]["birth_month"] == "2003-05" and got[0]["postcode4"] == "1012"


def test_consent_excludes_interventions_and_register_loads_regardless(landing, warehouse):
    write_delivery(landing / "deelnemers" / "deelnemers_AMS_20200101.csv",
                   ["bsn", "onderwijsnummer", "pilot", "deelname", "toestemming", "datum_toestemming", "datum_intrekking"], [
                       dict(bsn=BSN_A, pilot="AMS", deelname="ondersteund", toestemming="J", datum_toestemming="01-01-2019"),
                       dict(bsn=BSN_B, pilot="AMS", deelname="geinformeerd", toestemming="N"),
                       dict(bsn=BSN_C, pilot="AMS", deelname="in_beeld", toestemming="J", datum_toestemming="01-01-2019",
                            datum_intrekking="01-03-2020"),
                       dict(bsn="", onderwijsnummer=ONR_A, pilot="AMS", deelname="ondersteund", toestemming="J",
                            datum_toestemming="01-06-2020")])   # consent after the reference date
    header = ["bsn", "onderwijsnummer", "pilot", "interventie", "datum_start", "uren"]
    write_delivery(landing / "interventies" / "interventies_AMS_20200401.csv", header, [
        dict(bsn=BSN_A, pilot="AMS", interventie="jobcoach", datum_start="01-02-2019", uren="2,5"),
        dict(bsn=BSN_A, pilot="IJV", interventie="jobcoach", datum_start="01-02-2019"),   # no consent for IJV
        dict(bsn=BSN_B, pilot="AMS", interventie="jobcoach", datum_start="01-02-2019"),
        dict(bsn=BSN_C, pilot="AMS", interventie="taalcursus", datum_start="01-02-2019"),
        dict(onderwijsnummer=ONR_A, pilot="AMS", interventie="jobfinder", datum_start="01-02-2019"),
        dict(bsn=BSN_A, pilot="AMS", interventie="onbekend", datum_start="01-02-2019")])
    run_pipeline(landing, warehouse, reference_date="2020-04-01")
    assert len(staged(warehouse, "deelnemers")) == 4
    record = load_of(warehouse, "interventies_AMS_20200401.csv")
    assert (record["rows_read"], record["rows_loaded"], record["rows_quarantined"], record["rows_excluded"]) == (6, 1, 1, 4)
    assert [r["person_key"] for r in staged(warehouse, "interventies")] == [pseudonym("bsn", BSN_A)]


def test_codes_missing_from_reference_load_and_are_counted(landing, warehouse):
    onderwijs(landing, [onderwijs_row(woongemeente="GM9998", inschrijving_id="a"),
                        onderwijs_row(woongemeente="GM9999", brin="99ZZ", inschrijving_id="b")])
    run_pipeline(landing, warehouse)
    record = load_of(warehouse, "onderwijs_25PZ_20200315.csv")
    assert record["rows_loaded"] == 2
    assert record["unknown_codes"] == "woongemeente: 2 code(s) not in the reference; brin: 1 code(s) not in the reference"


def test_every_load_satisfies_the_invariant(landing, warehouse):
    onderwijs(landing, [onderwijs_row(), onderwijs_row(), onderwijs_row(bsn=BAD_BSN, inschrijving_id="q")])
    run_pipeline(landing, warehouse)
    for r in loads(warehouse):
        if r["outcome"] == "loaded":
            assert r["rows_read"] == r["rows_loaded"] + r["rows_quarantined"] + r["rows_duplicate"] + r["rows_excluded"]


def test_line_numbers_hold_in_a_large_file_read_in_parallel(landing, warehouse):
    """DuckDB reads big CSVs with several threads; line numbers must still be the file's lines."""
    n = 120_000
    lines = ["bsn;periode;werkgever;uren"]
    lines += [f"{BSN_A};202001;W{i};1" for i in range(n)]
    lines[50_001] = f"{BSN_A};202001"                 # malformed, on line 50002
    lines[100_001] = f"{BAD_BSN};202001;X;1"         # invalid identifier, on line 100002
    path = landing / "werk" / "werk_GM0363_20200415.csv"
    path.parent.mkdir()
    path.write_text("\n".join(lines) + "\n")
    run_pipeline(landing, warehouse)
    assert {k: v[0].split(":")[0] for k, v in reasons_by_line(warehouse, "werk").items()} == {
        50_002: "malformed_row", 100_002: "no_valid_identifier"}
    got = staged(warehouse, "werk")
    assert len(got) == n - 2
    # the employer number was written from the line number, so every staged row must match its line
    expected = {line: pseudonym("werkgever", f"W{line - 2}") for line in range(2, n + 2)}
    assert sum(1 for r in got if r["employer_key"] != expected[r["line_number"]]) == 0


def test_equal_delivery_dates_the_file_name_that_sorts_last_wins(landing, warehouse):
    """extracts.md: the later leverdatum wins; on equal dates the file name that sorts last wins."""
    from soepel_etl.schema.versions import current_sql

    onderwijs(landing, [onderwijs_row(inschrijving_id="K1", datum_uitschrijving="30-06-2019")],
              name="onderwijs_30MD_20200315.csv")
    onderwijs(landing, [onderwijs_row(inschrijving_id="K1", datum_uitschrijving="31-07-2019")],
              name="onderwijs_25PZ_20200315.csv")
    onderwijs(landing, [onderwijs_row(inschrijving_id="K1", datum_uitschrijving="31-08-2019")],
              name="onderwijs_25PZ_20200101.csv")      # earlier date, loses whatever its name
    run_pipeline(landing, warehouse)
    import duckdb
    files = [str(p) for p in (warehouse / "staging" / "onderwijs").glob("*.parquet")]
    con = duckdb.connect()
    con.execute(f"CREATE VIEW stg AS SELECT * FROM read_parquet({files!r})")
    [(end,)] = con.execute(f"SELECT enrolment_end FROM ({current_sql('onderwijs', 'stg')})").fetchall()
    assert str(end) == "2019-06-30"                      # onderwijs_30MD_… sorts after onderwijs_25PZ_…


def test_extra_columns_are_ignored_and_reported(landing, warehouse):
    write_delivery(landing / "werk" / "werk_GM0363_20200415.csv", WERK_HEADER + ["opmerking", "Naam"],
                   [werk_row(opmerking="x", Naam="y")])
    run_pipeline(landing, warehouse)
    record = load_of(warehouse, "werk_GM0363_20200415.csv")
    assert record["rows_loaded"] == 1 and record["extra_columns"] == "opmerking, naam"
    assert "opmerking" not in staged(warehouse, "werk")[0] and "naam" not in staged(warehouse, "werk")[0]


def test_a_code_that_disappeared_in_a_merger_is_not_unknown(landing, warehouse):
    # GM0576 Noordwijkerhout merged into Noordwijk (GM0575) in 2019: known through the reorganisations table
    onderwijs(landing, [onderwijs_row(woongemeente="GM0576", inschrijving_id="a"),
                        onderwijs_row(woongemeente="GM9998", inschrijving_id="b")])
    run_pipeline(landing, warehouse)
    record = load_of(warehouse, "onderwijs_25PZ_20200315.csv")
    assert record["rows_loaded"] == 2
    assert record["unknown_codes"] == "woongemeente: 1 code(s) not in the reference"
