"""Shared helpers: build delivery files in any dialect, run the real pipeline, read what it wrote."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from soepel_etl.identity.pseudonyms import PseudonymKey
from soepel_etl.settings import Settings

TEST_KEY_TEXT = "test-key-" + "0123456789abcdef" * 3   # 57 bytes, used only by the tests
TEST_KEY = PseudonymKey.from_text(TEST_KEY_TEXT)

# valid identifiers (eleven-test) for hand-built cases
BSN_A = "123456782"
BSN_B = "012345672"      # also delivered as 8 digits: 12345672
BSN_C = "111222333"
ONR_A = "101222331"      # onderwijsnummer
BAD_BSN = "123456789"

ONDERWIJS_HEADER = ["bsn", "onderwijsnummer", "geboortedatum", "geslacht", "postcode", "woongemeente", "brin",
                    "inschrijving_id", "crebo", "opleiding", "niveau", "leerweg", "datum_inschrijving",
                    "datum_uitschrijving", "diploma", "datum_diploma", "reden_uitschrijving", "mutatie"]


def onderwijs_row(**overrides) -> dict:
    row = dict(bsn=BSN_A, onderwijsnummer="", geboortedatum="15-05-2003", geslacht="M", postcode="1012 AB",
               woongemeente="GM0363", brin="25PZ", inschrijving_id="E1", crebo="25254", opleiding="Entree",
               niveau="1", leerweg="BOL", datum_inschrijving="01-08-2018", datum_uitschrijving="30-06-2019",
               diploma="N", datum_diploma="", reden_uitschrijving="", mutatie="N")
    row.update(overrides)
    return row


def write_delivery(path: Path, header: list[str], rows: list[dict], *, delimiter: str = ";", encoding: str = "utf-8",
                   line_end: str = "\n", bom: bool = False, quote_all: bool = False, trailing_blank: bool = False,
                   header_names: list[str] | None = None) -> Path:
    def field(value: str) -> str:
        value = "" if value is None else str(value)
        if quote_all or delimiter in value or '"' in value:
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [delimiter.join(field(h) for h in (header_names or header))]
    lines += [delimiter.join(field(r.get(h, "")) for h in header) for r in rows]
    text = line_end.join(lines) + line_end + (line_end if trailing_blank else "")
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# Session fixtures are built once per xdist worker. Under --dist loadfile (scripts/test.sh) the test
# files of a folder that shares them in its conftest.py therefore go to one worker as one unit, so
# each is built once; every other file is a unit of its own. (xdist's own --dist loadgroup renames
# node ids in a way pytest 9 no longer honours, hence a scheduler.)
SHARED_SESSION_FIXTURES = ("tests/report/", "tests/airflow/", "tests/reliability/")


@pytest.hookimpl(optionalhook=True)   # an xdist hook: pytest -p no:xdist must still run
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedFixtureScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return next((folder for folder in SHARED_SESSION_FIXTURES if path.startswith(folder)), path)

    return SharedFixtureScheduling(config, log)


# The units that take minutes go first (scripts/test.sh turns off xdist's ordering by number of
# tests), so the short files fill the end of every worker instead of the others waiting for one
# worker's last long unit.
LONGEST_FIRST = ("tests/report/", "tests/stack/", "tests/reliability/", "tests/airflow/", "tests/install/",
                 "tests/equivalence/")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return next((i for i, folder in enumerate(LONGEST_FIRST) if path.startswith(folder)), len(LONGEST_FIRST))
    items.sort(key=rank)    # stable: each file keeps its own order


@pytest.fixture
def landing(tmp_path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder


@pytest.fixture
def warehouse(tmp_path) -> Path:
    return tmp_path / "warehouse"


def settings_for(landing: Path, warehouse: Path, reference_date: str | None = None, reference=None) -> Settings:
    return Settings.resolve(landing=landing, warehouse=warehouse, reference=reference,
                            reference_date=reference_date, key=TEST_KEY, environ={})


def run_pipeline(landing: Path, warehouse: Path, **kwargs):
    from soepel_etl import pipeline

    return pipeline.run(settings_for(landing, warehouse, **kwargs))


def query(sql: str, params=None):
    return duckdb.sql(sql, params=params) if params else duckdb.sql(sql)


def loads(warehouse: Path) -> list[dict]:
    from soepel_etl.warehouse.loads import read_loads

    return read_loads(warehouse).to_pylist()


def load_of(warehouse: Path, file_name: str) -> dict:
    rows = [r for r in loads(warehouse) if r["file_name"] == file_name]
    assert len(rows) == 1, f"{file_name}: {len(rows)} load rows"
    return rows[0]


def _parts(warehouse: Path, folder: str, source: str) -> list[dict]:
    files = sorted((warehouse / folder / source).glob("*.parquet"))
    if not files:
        return []
    return duckdb.sql(f"SELECT * FROM read_parquet({[str(f) for f in files]!r}, union_by_name=true) "
                      "ORDER BY file_name, line_number").to_arrow_table().to_pylist()


def staged(warehouse: Path, source: str) -> list[dict]:
    return _parts(warehouse, "staging", source)


def quarantined(warehouse: Path, source: str) -> list[dict]:
    return _parts(warehouse, "quarantine", source)


def pseudonym(kind: str, value: str) -> str:
    return TEST_KEY.pseudonym(kind, value)


def tree_state(root: Path) -> dict[str, bytes]:
    """Every file below root (but the lock) with its bytes: to prove a run changed nothing."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".lock"}


DATE = dt.date
