"""Municipal reorganisations: the shipped table, code chains, and the region lookup that goes through it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from soepel_etl.reference import (ReferenceError, check_reference_dir, current_municipality_map,
                                  current_municipality_sql, region_of_sql, shipped_reference_dir)

HEADER = "oude_gemeente_code;oude_gemeente_naam;nieuwe_gemeente_code;nieuwe_gemeente_naam;datum_herindeling\n"


def _folder(tmp_path: Path, herindelingen: str | None) -> Path:
    folder = tmp_path / "ref"
    folder.mkdir()
    (folder / "gemeenten.csv").write_text(
        "gemeente_code;gemeente_naam;rmc_regio_code;rmc_regio_naam;arbeidsmarktregio\n"
        "GM0003;Centrum;RMC01;Een;Arbeid Een\n"
        "GM0005;Buiten;RMC02;Twee;Arbeid Twee\n"
        "GM0009;Oud Eigen;RMC09;Negen;Arbeid Negen\n", encoding="utf-8")
    (folder / "instellingen.csv").write_text("brin;naam;pilot\n00AA;School;\n", encoding="utf-8")
    (folder / "pilots.csv").write_text("pilot;naam;doelgroep\nXYZ;Pilot;entree\n", encoding="utf-8")
    if herindelingen is not None:
        (folder / "gemeente_herindelingen.csv").write_text(HEADER + herindelingen, encoding="utf-8")
    return folder


def _regions(folder: Path, as_of: dt.date | None = None) -> dict[str, tuple]:
    rows = duckdb.sql(f"SELECT gemeente_code, huidige_gemeente_code, rmc_regio_code FROM {region_of_sql(folder, as_of)}"
                      ).fetchall()
    return {code: (current, region) for code, current, region in rows}


CHAIN = ("GM0001;A;GM0002;B;2018-01-01\n"
         "GM0002;B;GM0003;Centrum;2022-01-01\n"
         "GM0008;Oud;GM0009;Oud Eigen;2016-01-01\n")


def test_a_chain_maps_to_todays_code_and_its_region(tmp_path):
    folder = _folder(tmp_path, CHAIN)
    check_reference_dir(folder)
    regions = _regions(folder)
    assert regions["GM0001"] == ("GM0003", "RMC01")    # A -> B (2018) -> C (2022)
    assert regions["GM0002"] == ("GM0003", "RMC01")
    assert regions["GM0003"] == ("GM0003", "RMC01")    # the merged municipality itself


def test_as_of_a_date_only_earlier_changes_apply(tmp_path):
    folder = _folder(tmp_path, CHAIN)
    assert current_municipality_map(folder, dt.date(2019, 6, 1)) == {"GM0001": "GM0002", "GM0008": "GM0009"}
    assert current_municipality_map(folder, dt.date(2022, 1, 1)) == {
        "GM0001": "GM0003", "GM0002": "GM0003", "GM0008": "GM0009"}
    assert current_municipality_map(folder, dt.date(2015, 1, 1)) == {}


def test_a_code_that_never_changed_maps_to_itself(tmp_path):
    folder = _folder(tmp_path, CHAIN)
    assert _regions(folder)["GM0005"] == ("GM0005", "RMC02")
    assert duckdb.sql(f"SELECT count(*) FROM {current_municipality_sql(folder)} WHERE gemeente_code = 'GM0005'"
                      ).fetchall() == [(0,)]


def test_an_unknown_code_finds_no_region(tmp_path):
    folder = _folder(tmp_path, CHAIN)
    [(region,)] = duckdb.sql(f"""SELECT r.rmc_regio_code FROM (SELECT 'gm7777' AS woongemeente) AS x
        LEFT JOIN {region_of_sql(folder)} AS r ON r.gemeente_code = upper(trim(x.woongemeente))""").fetchall()
    assert region is None
    assert "GM7777" not in _regions(folder)


def test_an_old_folder_without_the_table_still_works(tmp_path):
    folder = _folder(tmp_path, None)
    check_reference_dir(folder)
    assert _regions(folder) == {"GM0003": ("GM0003", "RMC01"), "GM0005": ("GM0005", "RMC02"),
                                "GM0009": ("GM0009", "RMC09")}
    assert current_municipality_map(folder) == {}


def test_an_old_code_still_listed_in_a_regional_folder_keeps_its_own_region(tmp_path):
    # GM0009 changed to a code the folder does not list: the folder's own row still gives the region
    folder = _folder(tmp_path, "GM0009;Oud Eigen;GM0010;Nieuw;2020-01-01\n")
    assert _regions(folder)["GM0009"] == ("GM0010", "RMC09")


def test_a_code_with_two_successors_is_refused(tmp_path):
    folder = _folder(tmp_path, "GM0001;A;GM0002;B;2018-01-01\nGM0001;A;GM0003;Centrum;2018-01-01\n")
    with pytest.raises(ReferenceError, match="changes twice"):
        check_reference_dir(folder)


def test_a_bad_date_is_refused(tmp_path):
    folder = _folder(tmp_path, "GM0001;A;GM0002;B;1-1-2018\n")
    with pytest.raises(ReferenceError, match="datum_herindeling"):
        check_reference_dir(folder)


def test_the_shipped_table_maps_real_mergers_into_the_pilot_regions():
    folder = shipped_reference_dir()
    check_reference_dir(folder)
    regions = _regions(folder)
    assert regions["GM0070"] == ("GM1949", "RMC04")    # Franekeradeel -> Waadhoeke (2018), Friesland Noord
    assert regions["GM0079"] == ("GM1970", "RMC04")    # Kollumerland -> Noardeast-Fryslân (2019)
    assert regions["GM0081"] == ("GM0080", "RMC04")    # Leeuwarderadeel -> Leeuwarden (2018)
    assert regions["GM0236"] == ("GM1960", "RMC15")    # Geldermalsen -> West Betuwe (2019), Rivierenland
    assert regions["GM0576"] == ("GM0575", "RMC26")    # Noordwijkerhout -> Noordwijk (2019), Rijnland
    assert regions["GM0608"] == ("GM1931", "RMC27")    # Schoonhoven -> Krimpenerwaard (2015), Midden-Holland
    assert regions["GM0370"] == ("GM0439", "RMC21")    # Beemster -> Purmerend (2022)
    assert regions["GM0530"] == ("GM1992", "RMC29")    # Hellevoetsluis -> Voorne aan Zee (2023)
    assert regions["GM0265"][0] == "GM1945"            # Millingen -> Groesbeek (2015) -> Berg en Dal (2016)
    # every successor that is still a municipality in a pilot or comparison region is in gemeenten.csv
    assert all(region is not None for code, (current, region) in regions.items()
               if current in {"GM1949", "GM1970", "GM0080", "GM1960", "GM0575", "GM1931", "GM0439",
                              "GM0363", "GM1992", "GM1930"})


def test_a_copy_of_the_shipped_folder_without_the_table_loses_only_the_old_codes(tmp_path):
    folder = tmp_path / "old"
    shutil.copytree(shipped_reference_dir(), folder)
    (folder / "gemeente_herindelingen.csv").unlink()
    check_reference_dir(folder)
    regions = _regions(folder)
    assert "GM0070" not in regions and regions["GM1949"] == ("GM1949", "RMC04")
