"""Disk and resource faults: a write that fails part-way fails the run cleanly — exit code 1, a
message that names the problem and says the warehouse is as it was — and leaves the previous tables
in place; the next run, once there is room again, does the whole job.

* the real thing: the CLI in a subprocess under a small RLIMIT_FSIZE (SIGXFSZ ignored, so writes
  beyond the limit fail with EFBIG), small enough that DuckDB's Parquet write of a staged file fails;
* ENOSPC simulated in-process half-way through a staged Parquet file, through ``soepel-etl run``;
* a failure while publishing (the catalog write, after the moves): the journal stays, the message
  says the next run finishes, and it does.
"""

from __future__ import annotations

import errno
import resource
import signal
import subprocess

import pytest

from soepel_etl import cli
from soepel_etl.warehouse.transaction import JOURNAL
from tests.reliability import helpers as h


def _limit(max_bytes: int):
    def preexec():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return preexec


# 6 kB: DuckDB's COPY of a staged file fails (150 kB would fail the Data Docs copy instead; both clean)
@pytest.mark.parametrize("max_bytes, where", [(6_000, "staging parquet")])
def test_file_size_limit_fails_the_run_cleanly(prepared, tmp_path, max_bytes, where):
    delta, wh_base, wh_after, _ = prepared
    wh = h.copy_warehouse(wh_base, tmp_path / "wh")
    before = h.state(wh)
    result = subprocess.run(h.cli_command(delta, wh), capture_output=True, text=True, env=h.cli_env(), cwd=h.ROOT,
                            preexec_fn=_limit(max_bytes), timeout=600)
    assert result.returncode == 1, (where, result.stderr[-1500:])
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("soepel-etl: run failed"), message
    assert "could not write to disk" in message and "File too large" in message, message
    assert "the warehouse is left as it was before the run" in message, message
    assert h.state(wh) == before
    assert not any((wh / ".tmp").iterdir())            # the failed run cleaned up after itself
    again = h.run_cli(delta, wh)                        # room again: the next run does everything
    assert again.returncode == 0, again.stderr[-1500:]
    assert h.state(wh) == h.state(wh_after) and h.orphans(wh) == []


def _cli_run(landing, wh, monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.setenv("SOEPEL_PSEUDONYM_KEY", h.TEST_KEY_TEXT)
    monkeypatch.delenv("SOEPEL_REFERENCE_DIR", raising=False)
    code = cli.main(["run", "--landing", str(landing), "--warehouse", str(wh)])
    return code, capsys.readouterr().err


def test_disk_full_half_way_through_a_parquet_file(prepared, tmp_path, monkeypatch, capsys):
    from soepel_etl.extracts import batch

    delta, wh_base, wh_after, _ = prepared
    wh = h.copy_warehouse(wh_base, tmp_path / "wh")
    before = h.state(wh)
    real_writer = batch._parquet_writer
    calls = {"n": 0}

    class FillsTheDisk:
        """The third staged or quarantined file: written in full, then cut in half, then ENOSPC."""

        def __init__(self, path, schema):
            self.path, self.inner = path, real_writer(path, schema)

        def write_table(self, *args, **kwargs):
            self.inner.write_table(*args, **kwargs)

        def close(self):
            self.inner.close()
            data = self.path.read_bytes()
            self.path.write_bytes(data[: len(data) // 2])    # half a file, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device", str(self.path.name))

    def writer(path, schema):
        calls["n"] += 1
        return FillsTheDisk(path, schema) if calls["n"] == 3 else real_writer(path, schema)

    monkeypatch.setattr(batch, "_parquet_writer", writer)
    code, err = _cli_run(delta, wh, monkeypatch, capsys)
    assert calls["n"] >= 3
    assert code == 1
    assert "could not write to disk: [Errno 28] No space left on device" in err
    assert "the warehouse is left as it was before the run" in err
    assert h.state(wh) == before
    monkeypatch.setattr(batch, "_parquet_writer", real_writer)
    code, err = _cli_run(delta, wh, monkeypatch, capsys)
    assert code == 0, err
    assert h.state(wh) == h.state(wh_after) and h.orphans(wh) == []


def test_failure_while_publishing_is_finished_by_the_next_run(prepared, tmp_path, monkeypatch, capsys):
    from soepel_etl import pipeline

    delta, wh_base, wh_after, _ = prepared
    wh = h.copy_warehouse(wh_base, tmp_path / "wh")

    def full(root):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pipeline, "write_catalog", full)
    code, err = _cli_run(delta, wh, monkeypatch, capsys)
    assert code == 1
    assert "No space left on device" in err and "the next run finishes publishing" in err
    assert (wh / JOURNAL).exists()
    monkeypatch.undo()
    code, err = _cli_run(delta, wh, monkeypatch, capsys)
    assert code == 0, err
    assert "finished the commit of an earlier run" in err
    assert h.state(wh) == h.state(wh_after) and h.orphans(wh) == []
    assert (wh / "catalog.duckdb").exists()
