"""Safe file arrival (extracts.md, "Files still being written"): partial names, the settle period,
files picked up later, and no re-reading of files an earlier run already hashed."""

from __future__ import annotations

import os
import time

import pytest

from soepel_etl import pipeline
from soepel_etl.extracts import arrival
from tests.conftest import ONDERWIJS_HEADER, load_of, loads, onderwijs_row, run_pipeline, settings_for, write_delivery

NAME = "onderwijs_25PZ_20200315.csv"


def _deliver(landing, name=NAME, **kw):
    return write_delivery(landing / "onderwijs" / name, ONDERWIJS_HEADER, [onderwijs_row(**kw)])


def _age(path, seconds: float) -> None:
    """Pretend the file was last written ``seconds`` ago (as a finished copy would be)."""
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture
def hash_calls(monkeypatch):
    calls = []
    real = arrival.sha256_of

    def counting(path):
        calls.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(arrival, "sha256_of", counting)
    return calls


@pytest.mark.parametrize("partial", [f"{NAME}.part", f"{NAME}.tmp", f"{NAME}.filepart", f"{NAME}.PART", f".{NAME}",
                                     f".sync/{NAME}"])
def test_file_still_being_written_is_not_new(landing, warehouse, partial):
    _deliver(landing, name=partial)
    assert pipeline.new_files(settings_for(landing, warehouse)) == []


def test_file_still_being_written_is_skipped_by_run_and_picked_up_once_renamed(landing, warehouse):
    copying = _deliver(landing, name=f"{NAME}.filepart")
    first = run_pipeline(landing, warehouse)
    assert first.records == [] and first.skipped == 0
    assert loads(warehouse) == []
    copying.rename(copying.with_name(NAME))       # the sender's copy finished
    second = run_pipeline(landing, warehouse)
    assert [(r.file_name, r.outcome) for r in second.records] == [(NAME, "loaded")]


def test_recently_modified_file_waits_for_the_settle_period(landing, warehouse):
    path = _deliver(landing)
    settings = settings_for(landing, warehouse)
    assert pipeline.new_files(settings, settle_seconds=60) == []
    _age(path, 61)
    assert pipeline.new_files(settings, settle_seconds=60) == [f"onderwijs/{NAME}"]


def test_run_has_no_settle_period(landing, warehouse):
    path = _deliver(landing)
    _age(path, -30)                                # just written, on a share whose clock runs ahead
    summary = run_pipeline(landing, warehouse)
    assert [(r.file_name, r.outcome) for r in summary.records] == [(NAME, "loaded")]


def test_nothing_new_reads_no_file(landing, warehouse, hash_calls):
    for month in ("03", "06", "09"):
        _deliver(landing, name=f"onderwijs_25PZ_2020{month}15.csv", inschrijving_id=f"E{month}")
    run_pipeline(landing, warehouse)
    assert len(hash_calls) == 3
    hash_calls.clear()
    assert pipeline.new_files(settings_for(landing, warehouse), settle_seconds=60) == []
    assert hash_calls == []
    assert run_pipeline(landing, warehouse).skipped == 3
    assert hash_calls == []


def test_only_new_or_changed_files_are_hashed(landing, warehouse, hash_calls):
    old = _deliver(landing)
    size = old.stat().st_size
    run_pipeline(landing, warehouse)
    hash_calls.clear()
    _deliver(landing, name="onderwijs_25PZ_20200615.csv", inschrijving_id="E2")
    # the same name and size with other bytes (a re-delivery), so only the mtime tells: must be read again
    _deliver(landing, name=NAME, inschrijving_id="E3")
    assert old.stat().st_size == size
    new = pipeline.new_files(settings_for(landing, warehouse))
    assert sorted(hash_calls) == sorted([NAME, "onderwijs_25PZ_20200615.csv"])
    assert sorted(new) == [f"onderwijs/{NAME}", "onderwijs/onderwijs_25PZ_20200615.csv"]


def test_touched_file_is_hashed_once_and_not_loaded_again(landing, warehouse, hash_calls):
    path = _deliver(landing)
    run_pipeline(landing, warehouse)
    _age(path, 3600)                               # same bytes, other mtime (e.g. copied back from a backup)
    hash_calls.clear()
    assert pipeline.new_files(settings_for(landing, warehouse)) == []
    assert hash_calls == [NAME]
    run_pipeline(landing, warehouse)               # records the new (path, size, mtime)
    hash_calls.clear()
    assert pipeline.new_files(settings_for(landing, warehouse)) == []
    assert hash_calls == []


def test_seen_index_is_written_with_the_run_and_not_when_it_fails(landing, warehouse, monkeypatch):
    _deliver(landing)
    from soepel_etl.extracts import ingest

    def boom(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(ingest, "exclude_without_consent", boom)
    with pytest.raises(OSError):
        run_pipeline(landing, warehouse)
    assert arrival.read_seen(warehouse) == {}
    monkeypatch.undo()
    run_pipeline(landing, warehouse)
    seen = arrival.read_seen(warehouse)
    path = landing / "onderwijs" / NAME
    assert seen == {(f"onderwijs/{NAME}", path.stat().st_size, path.stat().st_mtime_ns):
                    load_of(warehouse, NAME)["sha256"]}


def test_file_changing_while_hashed_is_not_recorded(landing, monkeypatch):
    path = _deliver(landing)
    [found] = arrival.scan(landing).ready
    real = arrival.sha256_of

    def sender_still_appending(p):
        digest = real(p)
        with open(p, "a", encoding="utf-8") as fh:
            fh.write("more\n")
        return digest

    monkeypatch.setattr(arrival, "sha256_of", sender_still_appending)
    _, record = arrival.hash_of(found, {})
    assert not record
    assert path.stat().st_size != found.size
