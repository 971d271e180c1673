"""All-or-nothing runs over a folder of Parquet files.

A run writes everything it produces under ``<warehouse>/.tmp/<run_id>/``, mirroring the final
layout. :meth:`Transaction.commit` then writes a journal (the list of moves) with an atomic rename,
applies the moves, and deletes the journal. A run that dies before the journal exists leaves the
warehouse untouched (its temporary folder is swept by the next run); a run that dies after it is
rolled forward by the next run, because every move in the journal is idempotent. Readers therefore
see either the previous state or the new one, never a mix that lasts. A commit that fails part-way
(a full disk while moving) is not undone either: its journal stays, and the next run rolls it forward.
Partial writes of small files (``.<name>.<uuid>.tmp`` beside the journal or the catalog) are swept
by the next run.

Delivered content that still holds raw identifiers (transcoded copies, DuckDB spill files) never
goes under ``.tmp/``: it lives in the run's private scratch folder outside the warehouse
(:mod:`.scratch`), removed when the run ends and swept by the next run after a crash.

One run at a time: an exclusive ``flock`` on ``<warehouse>/.lock`` is held for the whole run; a
second run refuses at once with :class:`WarehouseBusy` rather than waiting in silence.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .marker import claim
from . import scratch as _scratch

TMP_DIR = ".tmp"
TRASH_DIR = ".trash"
JOURNAL = "_meta/commit-journal.json"
LOCK = ".lock"
# Owner-only: the warehouse holds pseudonymised personal data.
DIR_MODE = 0o700            # marker.DIR_MODE too
FILE_MODE = 0o600


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse lock."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    return path


def write_atomic(path: Path, data: bytes, tmp_dir: Path | None = None) -> None:
    """Write a small file so that readers see the old or the new content, never half.

    The temporary copy goes to ``tmp_dir`` (same file system) when given, else beside ``path``."""
    ensure_dir(path.parent)
    tmp = (tmp_dir or path.parent) / f".{path.name}.{uuid.uuid4().hex}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        view = memoryview(data)
        while view:                    # os.write may write less than asked
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)    # a full disk leaves no half-written file behind
        raise
    os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


@dataclass
class _Move:
    kind: str       # "add_file": put one file in place; "replace_dir": swap a whole table folder
    relpath: str

    def to_json(self) -> dict:
        return {"kind": self.kind, "relpath": self.relpath}


@dataclass
class Transaction:
    root: Path
    run_id: str
    _moves: list[_Move] = field(default_factory=list)
    _lock_fd: int | None = None
    recovered: bool = False      # this run rolled forward a commit that an earlier run did not finish
    _committing: bool = False    # the journal is written: from here on the run can only go forward
    scratch: Path | None = None  # private folder outside the warehouse for data with raw identifiers

    @property
    def committing(self) -> bool:
        """The journal is written: a failure from here on leaves the commit for the next run to finish."""
        return self._committing

    # -- lifecycle --------------------------------------------------------------------------
    @classmethod
    def begin(cls, root: Path, wait_seconds: float = 0) -> "Transaction":
        root = claim(root)     # refuses a folder that is not a warehouse, before anything changes there
        os.chmod(root, DIR_MODE)
        run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        tx = cls(root=root, run_id=run_id)
        tx._acquire_lock(wait_seconds)
        try:
            tx.recovered = recover(root)
            ensure_dir(tx.tmp)
            tx.scratch = _scratch.sweep(root) / run_id
            tx.scratch.mkdir(mode=_scratch.MODE)
        except BaseException:
            tx._release_lock()
            raise
        return tx

    def _acquire_lock(self, wait_seconds: float = 0) -> None:
        """Take the lock; wait up to ``wait_seconds`` for a running run to finish, then refuse."""
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, FILE_MODE)
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    os.close(fd)
                    raise
                if time.monotonic() < deadline:
                    time.sleep(0.5)
                    continue
                os.close(fd)
                raise WarehouseBusy(
                    f"another soepel-etl run is using the warehouse {self.root} "
                    "(it holds .lock); wait for it to finish and try again"
                ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} run {self.run_id}\n".encode())
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    @property
    def tmp(self) -> Path:
        return self.root / TMP_DIR / self.run_id

    # -- what the run produces ----------------------------------------------------------------
    def path_for(self, relpath: str) -> Path:
        """Where to write the new version of ``relpath`` (file or table folder) during the run."""
        target = self.tmp / relpath
        ensure_dir(target.parent)
        return target

    def add_file(self, relpath: str) -> Path:
        """A new file (a staged delivery, a quarantine part, a manifest part) to appear at commit."""
        self._moves.append(_Move("add_file", relpath))
        return self.path_for(relpath)

    def replace_table(self, relpath: str) -> Path:
        """A table folder that replaces the current one as a whole at commit."""
        self._moves.append(_Move("replace_dir", relpath))
        target = self.path_for(relpath)
        ensure_dir(target)
        return target

    def discard(self, relpath: str) -> None:
        """Forget a file added earlier in this run (its producer failed after all)."""
        self._moves = [m for m in self._moves if m.relpath != relpath]
        (self.tmp / relpath).unlink(missing_ok=True)

    def commit(self, on_applied: Callable[[], None] | None = None) -> None:
        """Publish everything the run produced. ``on_applied`` runs after the moves, with the lock
        still held and the journal still present (a crash in it is finished by the next run)."""
        journal = {"run_id": self.run_id, "moves": [m.to_json() for m in self._moves]}
        # the temporary copy lives in the run's folder: a crash while writing it leaves the
        # warehouse exactly as before (the next run sweeps .tmp/)
        write_atomic(self.root / JOURNAL, json.dumps(journal, indent=1).encode(), tmp_dir=ensure_dir(self.tmp))
        self._committing = True
        _apply(self.root, journal, on_applied)
        self._committing = False
        self._finish()

    def rollback(self) -> None:
        self._remove_scratch()
        if self._committing:
            # the journal is on disk and moves may have been applied: undoing is not possible, so
            # leave the journal and this run's files for the next run to roll forward
            self._release_lock()
            return
        self._finish()

    def _remove_scratch(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def _finish(self) -> None:
        self._remove_scratch()
        shutil.rmtree(self.tmp, ignore_errors=True)
        self._release_lock()

    def __enter__(self) -> "Transaction":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._lock_fd is None:
            return
        if exc_type is None:
            self.commit()
        else:
            self.rollback()


def _apply(root: Path, journal: dict, on_applied: Callable[[], None] | None = None) -> None:
    run_tmp = root / TMP_DIR / journal["run_id"]
    trash = root / TRASH_DIR / journal["run_id"]
    for move in journal["moves"]:
        src, dst = run_tmp / move["relpath"], root / move["relpath"]
        if not src.exists():       # applied before a crash: nothing left to do for this move
            continue
        ensure_dir(dst.parent)
        if move["kind"] == "replace_dir" and dst.exists():
            old = trash / move["relpath"]
            ensure_dir(old.parent)
            os.rename(dst, old)
        os.replace(src, dst)
        _fsync_dir(dst.parent)
    if on_applied is not None:
        on_applied()
    # the replaced tables go before the journal does: no journal means nothing left to clean up
    shutil.rmtree(trash, ignore_errors=True)
    try:
        trash.parent.rmdir()      # .trash itself, once no run's old tables are left in it
    except OSError:
        pass
    (root / JOURNAL).unlink(missing_ok=True)
    _fsync_dir((root / JOURNAL).parent)


def _partial_writes(root: Path) -> list[Path]:
    """Small files a crash interrupted while being written (``write_atomic``, the catalog)."""
    return [p for folder in (root, (root / JOURNAL).parent) if folder.is_dir()
            for p in folder.glob(".*.tmp*") if p.is_file()]


def recover(root: Path) -> bool:
    """Finish a commit that a crash interrupted, and sweep what crashed runs left behind.

    Returns True when a commit was rolled forward. Only call with the lock held.
    """
    journal_path = root / JOURNAL
    recovered = journal_path.exists()
    if recovered:
        _apply(root, json.loads(journal_path.read_text()))
    for leftover in (root / TMP_DIR, root / TRASH_DIR):
        if leftover.exists():
            shutil.rmtree(leftover, ignore_errors=True)
    for partial in _partial_writes(root):
        partial.unlink(missing_ok=True)
    return recovered
