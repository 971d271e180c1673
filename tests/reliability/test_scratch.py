"""Delivered content with raw identifiers touches disk only outside the warehouse, in a private
scratch folder that the run removes and the next run sweeps after a crash (docs/reliability.md)."""

from __future__ import annotations

import os
import stat
import time

from soepel_etl.extracts import ingest, reader
from tests.conftest import run_pipeline, write_delivery
from tests.reliability.helpers import output, run_cli, start_cli

WERK_HEADER = ["bsn", "onderwijsnummer", "periode", "werkgever", "uren", "contractsoort", "sv_loon", "sbi"]


def _cp1252_werk(landing, rows: int):
    # "ë" in the employer makes the file Windows-1252, so the reader transcodes it to a UTF-8 copy
    body = [dict(bsn="123456782", periode="202001", werkgever=f"Café Noël {i}", uren="40") for i in range(rows)]
    return write_delivery(landing / "werk" / "werk_GM0363_20200315.csv", WERK_HEADER, body, encoding="cp1252")


def test_transcoded_copy_and_spill_folder_live_outside_the_warehouse(landing, warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("SOEPEL_SCRATCH_DIR", str(tmp_path / "scratch"))
    _cp1252_werk(landing, 3)
    seen = {}
    real_transcode, real_connect = reader._transcode, ingest._connect

    def transcode(path, encoding, out):
        seen["copy"] = out
        result = real_transcode(path, encoding, out)
        seen["copy_existed"] = out.exists()
        return result

    def connect(workdir):
        seen["spill"] = workdir
        return real_connect(workdir)

    monkeypatch.setattr(reader, "_transcode", transcode)
    monkeypatch.setattr(ingest, "_connect", connect)
    summary = run_pipeline(landing, warehouse)
    assert summary.records[0].encoding == "cp1252" and seen["copy_existed"]
    for what in ("copy", "spill"):
        path = seen[what].resolve()
        assert not path.is_relative_to(warehouse.resolve()), (what, path)
        assert path.is_relative_to((tmp_path / "scratch").resolve()), (what, path)
    private = next(p for p in seen["copy"].parents if p.name == f"soepel-etl-{os.getuid()}")
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    assert not seen["copy"].exists() and not seen["spill"].exists()
    run_folders = [p for p in private.rglob("*") if p.is_dir()]
    assert len(run_folders) == 1 and not any(run_folders[0].iterdir())    # only the warehouse's (empty) folder


def test_a_killed_run_leaves_its_copy_outside_and_the_next_run_removes_it(landing, warehouse, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    monkeypatch.setenv("SOEPEL_SCRATCH_DIR", str(scratch))      # cli_env passes the environment on
    _cp1252_werk(landing, 300_000)
    proc = start_cli(landing, warehouse)
    deadline, copy = time.monotonic() + 120, None
    while copy is None and time.monotonic() < deadline and proc.poll() is None:
        copy = next(iter(scratch.glob("soepel-etl-*/*/*/*/delivery.utf8")), None)
        time.sleep(0.005)
    assert copy is not None, "the run never wrote its transcoded copy"
    os.killpg(proc.pid, 9)
    output(proc)
    assert copy.exists()                                    # SIGKILL: nobody cleaned up …
    assert not list(warehouse.rglob("*.utf8"))              # … and nothing of it is in the warehouse
    done = run_cli(landing, warehouse)
    assert done.returncode == 0, done.stderr
    assert not copy.exists() and not copy.parent.parent.exists()
    leftovers = [p for p in scratch.rglob("*") if p.is_file()]
    assert not leftovers, leftovers
