"""The run's private scratch folder: where data that still holds raw identifiers may touch disk.

Reading a delivery can write its content to disk before it is pseudonymised: a Windows-1252 file is
transcoded to a UTF-8 copy for DuckDB, and DuckDB spills to its ``temp_directory`` when a file does not
fit in memory. None of that may land inside the warehouse (which is backed up, shared with analysts
and scanned for identifiers), so it goes here instead:

    $SOEPEL_SCRATCH_DIR (default: the system's temporary folder)
      soepel-etl-<uid>/            owner-only (0700), checked to be ours
        <hash of the warehouse path>/<run_id>/

A run removes its folder when it ends (commit or rollback); a run killed with SIGKILL cannot, so the
next run on the same warehouse (holding the warehouse lock, so no other run is using it) removes
everything under its warehouse's folder before it starts.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

SCRATCH_ENV = "SOEPEL_SCRATCH_DIR"
MODE = 0o700


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=MODE, exist_ok=True)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PermissionError(f"scratch folder {path} is not a folder of this user; remove it or set {SCRATCH_ENV}")
    if stat.S_IMODE(info.st_mode) != MODE:
        os.chmod(path, MODE)
    return path


def warehouse_scratch(warehouse: Path, environ=None) -> Path:
    """The scratch folder of every run on ``warehouse`` (created owner-only)."""
    environ = os.environ if environ is None else environ
    base = Path(environ.get(SCRATCH_ENV) or tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    tag = hashlib.sha256(str(Path(warehouse).resolve()).encode()).hexdigest()[:16]
    return _private_dir(_private_dir(base / f"soepel-etl-{os.getuid()}") / tag)


def sweep(warehouse: Path) -> Path:
    """Remove what crashed runs left; call only with the warehouse lock held."""
    folder = warehouse_scratch(warehouse)
    for leftover in folder.iterdir():
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    return folder
