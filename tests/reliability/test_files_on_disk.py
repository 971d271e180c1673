"""Files on disk: everything a run writes — warehouse, staging, quarantine, rejected, logs, quality
docs, the catalog, the lock — is owner-only (no group or other permission bits), even when the
process that starts the run has a permissive umask; and the caller's umask is restored afterwards.
"""

from __future__ import annotations

import os
import stat
import subprocess

from tests.conftest import ONDERWIJS_HEADER, onderwijs_row, run_pipeline, write_delivery
from tests.reliability import helpers as h


def _loose(root) -> list[str]:
    out = []
    for p in [root, *root.rglob("*")]:
        mode = p.lstat().st_mode
        if stat.S_IMODE(mode) & 0o077:
            out.append(f"{oct(stat.S_IMODE(mode))} {p.relative_to(root)}")
    return out


def _landing(tmp_path):
    landing = tmp_path / "landing"
    write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20210315.csv", ONDERWIJS_HEADER,
                   [onderwijs_row(), onderwijs_row(bsn="123456789", inschrijving_id="E2")])   # one quarantined
    (landing / "werk").mkdir()
    (landing / "werk" / "werk_GM0363_20210331.csv").write_bytes(b"")                         # rejected
    return landing


def test_in_process_run_with_a_permissive_umask(tmp_path):
    landing, wh = _landing(tmp_path), tmp_path / "warehouse"
    old = os.umask(0)
    try:
        summary = run_pipeline(landing, wh)
        assert os.umask(0) == 0, "the run must restore the caller's umask"
    finally:
        os.umask(old)
    assert summary.files("rejected") == 1 and summary.rows("quarantined") == 1
    assert any((wh / "quarantine").rglob("*.parquet")) and any((wh / "rejected").iterdir())
    assert _loose(wh) == []


def test_cli_run_with_umask_zero(tmp_path):
    landing, wh = _landing(tmp_path), tmp_path / "warehouse"
    result = subprocess.run(h.cli_command(landing, wh), capture_output=True, text=True, env=h.cli_env(), cwd=h.ROOT,
                            preexec_fn=lambda: os.umask(0))
    assert result.returncode == 0, result.stderr[-1500:]
    assert any((wh / "quarantine").rglob("*.parquet"))
    assert _loose(wh) == []
