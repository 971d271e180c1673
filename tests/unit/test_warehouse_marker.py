"""A warehouse is a warehouse: ``--warehouse`` at a folder that is not one is refused, untouched.

A run deletes, moves and chmods inside its warehouse; these tests point every entry point (the CLI's
run, report, sql and catalog; the pipeline functions the DAGs call) at a folder of someone's files
and check that every file, folder and permission in it is exactly as before. A new or empty folder
becomes a warehouse with a marker; a warehouse written before markers existed is adopted.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from soepel_etl import pipeline
from soepel_etl.cli import main
from soepel_etl.warehouse.marker import MARKER, NotAWarehouse, check, claim
from tests.conftest import TEST_KEY_TEXT, ONDERWIJS_HEADER, onderwijs_row, run_pipeline, settings_for, write_delivery


def snapshot(root):
    """Every path below root with its mode and (for files) bytes, the root's own mode included."""
    out = {".": stat.S_IMODE(root.stat().st_mode)}
    for p in sorted(root.rglob("*")):
        out[str(p.relative_to(root))] = (stat.S_IMODE(p.stat().st_mode), p.read_bytes() if p.is_file() else None)
    return out


@pytest.fixture
def someones_folder(tmp_path):
    folder = tmp_path / "documents"
    (folder / "letters").mkdir(parents=True)
    (folder / "letters" / "brief.txt").write_text("not a warehouse\n")
    (folder / ".tmp").mkdir()                         # names a run would sweep
    (folder / ".tmp" / "keep.txt").write_text("mine\n")
    (folder / "catalog.duckdb").write_text("not a catalog\n")
    os.chmod(folder, 0o755)
    return folder


@pytest.fixture
def delivery(landing):
    write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20200315.csv", ONDERWIJS_HEADER, [onderwijs_row()])
    return landing


@pytest.mark.parametrize("args", [
    ["run", "--landing", "{landing}", "--warehouse", "{folder}"],
    ["report", "--warehouse", "{folder}", "--out", "{out}"],
    ["sql", "--warehouse", "{folder}", "SELECT 1"],
    ["catalog", "--warehouse", "{folder}"],
])
def test_every_command_refuses_a_folder_that_is_not_a_warehouse_and_changes_nothing(
        args, someones_folder, delivery, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOEPEL_PSEUDONYM_KEY", TEST_KEY_TEXT)
    before = snapshot(someones_folder)
    argv = [a.format(landing=delivery, folder=someones_folder, out=tmp_path / "reports") for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{someones_folder} is not a Soepel warehouse" in err and "Nothing in it was changed" in err
    assert snapshot(someones_folder) == before


@pytest.mark.parametrize("stage", ["run", "ingest_files", "build_only"])
def test_the_pipeline_functions_the_dags_call_refuse_it_too(stage, someones_folder, delivery):
    before = snapshot(someones_folder)
    with pytest.raises(NotAWarehouse, match="is not a Soepel warehouse"):
        getattr(pipeline, stage)(settings_for(delivery, someones_folder))
    assert snapshot(someones_folder) == before


def test_a_new_or_empty_folder_becomes_a_warehouse_with_a_marker(delivery, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (tmp_path / "new" / "warehouse", empty):
        run_pipeline(delivery, folder)
        marker = json.loads((folder / MARKER).read_text())
        assert marker == {"format_version": 1, "created_by": "soepel-etl 0.1.0"}
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert check(folder) == folder and claim(folder) == folder


def test_a_warehouse_from_before_markers_is_adopted_by_a_run_and_read_as_it_is(delivery, warehouse):
    run_pipeline(delivery, warehouse)
    (warehouse / MARKER).unlink()                     # what the previous version left
    assert check(warehouse) == warehouse              # readers accept it and write nothing
    assert not (warehouse / MARKER).exists()
    summary = run_pipeline(delivery, warehouse)
    assert summary.files("loaded") == 0               # the same warehouse: nothing to load again
    assert "adopted" in json.loads((warehouse / MARKER).read_text())


def test_a_warehouse_of_a_newer_format_is_refused(delivery, warehouse):
    run_pipeline(delivery, warehouse)
    (warehouse / MARKER).write_text(json.dumps({"format_version": 2, "created_by": "soepel-etl 9.0"}))
    with pytest.raises(NotAWarehouse, match="format 2, written by soepel-etl 9.0"):
        run_pipeline(delivery, warehouse)
    with pytest.raises(NotAWarehouse, match="Upgrade soepel-etl"):
        check(warehouse)
