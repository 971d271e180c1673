"""The shipped reference folder and synthetic code lists: format, content rules, reproducibility."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "soepel_etl" / "reference" / "data"
SYNTHETIC = REPO / "soepel_etl" / "synthetic" / "data"
SCRIPT = REPO / "scripts" / "build_reference.py"

PILOTS = {"IJV", "AMS", "RIJ", "ZOD", "RIV", "FRN"}

COLUMNS = {
    REFERENCE / "gemeenten.csv": [
        "gemeente_code", "gemeente_naam", "rmc_regio_code", "rmc_regio_naam", "arbeidsmarktregio",
    ],
    REFERENCE / "instellingen.csv": ["brin", "naam", "pilot"],
    REFERENCE / "pilots.csv": ["pilot", "naam", "doelgroep"],
    REFERENCE / "gemeente_herindelingen.csv": [
        "oude_gemeente_code", "oude_gemeente_naam", "nieuwe_gemeente_code", "nieuwe_gemeente_naam",
        "datum_herindeling",
    ],
    SYNTHETIC / "postcodes.csv": ["pc4", "gemeente_code"],
    SYNTHETIC / "opleidingen.csv": ["crebo", "naam", "niveau"],
}


def _load_script():
    spec = importlib.util.spec_from_file_location("build_reference", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def read(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    text = raw.decode("utf-8")  # must be valid UTF-8
    assert "\r" not in text, f"{path.name}: CR line ends"
    assert text.endswith("\n")
    lines = text[:-1].split("\n")
    header = lines[0].split(";")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        values = line.split(";")
        assert len(values) == len(header), f"{path.name}:{n}: {len(values)} fields"
        rows.append(dict(zip(header, values)))
    return rows


@pytest.mark.parametrize("path", list(COLUMNS), ids=lambda p: p.name)
def test_columns_and_format(path: Path) -> None:
    assert path.exists()
    header = path.read_bytes().decode("utf-8").split("\n", 1)[0]
    assert header.split(";") == COLUMNS[path]
    rows = read(path)
    assert rows, f"{path.name} has no data rows"
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf"), "no BOM"


def test_reference_folder_holds_exactly_the_three_files_and_the_reorganisations() -> None:
    assert sorted(p.name for p in REFERENCE.iterdir()) == [
        "gemeente_herindelingen.csv", "gemeenten.csv", "instellingen.csv", "pilots.csv",
    ]


def test_herindelingen() -> None:
    rows = read(REFERENCE / "gemeente_herindelingen.csv")
    olds = [r["oude_gemeente_code"] for r in rows]
    assert len(olds) == len(set(olds))
    current = {r["gemeente_code"] for r in read(REFERENCE / "gemeenten.csv")}
    for r in rows:
        assert re.fullmatch(r"GM\d{4}", r["oude_gemeente_code"]) and re.fullmatch(r"GM\d{4}", r["nieuwe_gemeente_code"])
        assert re.fullmatch(r"20(1[5-9]|2\d)-\d{2}-\d{2}", r["datum_herindeling"])
        assert r["oude_gemeente_code"] not in current, "a code that disappeared is not a municipality today"


def test_synthetic_data_folder_holds_only_its_two_files() -> None:
    assert sorted(p.name for p in SYNTHETIC.iterdir()) == ["opleidingen.csv", "postcodes.csv"]


def test_gemeenten() -> None:
    rows = read(REFERENCE / "gemeenten.csv")
    codes = [r["gemeente_code"] for r in rows]
    assert all(re.fullmatch(r"GM\d{4}", c) for c in codes)
    assert len(set(codes)) == len(codes)
    assert codes == sorted(codes)
    for r in rows:
        assert r["gemeente_naam"] and r["arbeidsmarktregio"]
        assert re.fullmatch(r"RMC\d{2}", r["rmc_regio_code"])
    # one name per RMC code
    names: dict[str, set[str]] = {}
    for r in rows:
        names.setdefault(r["rmc_regio_code"], set()).add(r["rmc_regio_naam"])
    assert all(len(v) == 1 for v in names.values())


def test_instellingen() -> None:
    rows = read(REFERENCE / "instellingen.csv")
    brins = [r["brin"] for r in rows]
    assert all(len(b) == 4 and re.fullmatch(r"[0-9A-Z]{4}", b) for b in brins)
    assert len(set(brins)) == len(brins)
    assert all(r["naam"] for r in rows)
    assert {r["pilot"] for r in rows} <= PILOTS | {""}
    assert PILOTS <= {r["pilot"] for r in rows}, "every pilot has an institution"
    assert any(r["pilot"] == "" for r in rows), "a comparison group without pilot"


def test_pilots() -> None:
    rows = read(REFERENCE / "pilots.csv")
    assert {r["pilot"] for r in rows} == PILOTS
    assert len(rows) == 6
    assert all(r["naam"] and r["doelgroep"] for r in rows)


def test_every_pilot_has_municipalities_in_its_rmc_regions() -> None:
    module = _load_script()
    assert set(module.PILOT_RMC_REGIONS) == PILOTS
    shipped_regions = {r["rmc_regio_code"] for r in read(REFERENCE / "gemeenten.csv")}
    for pilot, regions in module.PILOT_RMC_REGIONS.items():
        assert regions, pilot
        assert set(regions) <= shipped_regions, pilot


def test_synthetic_code_lists() -> None:
    gemeenten = {r["gemeente_code"] for r in read(REFERENCE / "gemeenten.csv")}
    postcodes = read(SYNTHETIC / "postcodes.csv")
    assert all(re.fullmatch(r"[1-9]\d{3}", r["pc4"]) for r in postcodes)
    assert len({r["pc4"] for r in postcodes}) == len(postcodes)
    assert {r["gemeente_code"] for r in postcodes} == gemeenten, "every municipality has a PC4"
    opleidingen = read(SYNTHETIC / "opleidingen.csv")
    assert all(re.fullmatch(r"\d{5}", r["crebo"]) for r in opleidingen)
    assert len({r["crebo"] for r in opleidingen}) == len(opleidingen)
    levels = [int(r["niveau"]) for r in opleidingen]
    assert set(levels) <= {1, 2, 3, 4}
    assert sum(lv <= 2 for lv in levels) >= 30 and sum(lv >= 3 for lv in levels) >= 15
    assert 1 in levels and 2 in levels


def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    out, syn = tmp_path / "ref", tmp_path / "syn"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), "--synthetic-out", str(syn)],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    for path in COLUMNS:
        rebuilt = (out if path.parent == REFERENCE else syn) / path.name
        assert rebuilt.read_bytes() == path.read_bytes(), f"{path.name} differs from a rebuild"
    assert sorted(p.name for p in out.iterdir()) == ["gemeente_herindelingen.csv", "gemeenten.csv",
                                                     "instellingen.csv", "pilots.csv"]
    assert sorted(p.name for p in syn.iterdir()) == ["opleidingen.csv", "postcodes.csv"]
