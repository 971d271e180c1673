"""Safe file arrival: which landing-zone files are ready to read, and which an earlier run already hashed.

Senders copy files into the landing zone while a run may be looking (spec: extracts.md, "Files
still being written"). A file is *not ready* when its name says it is still being copied (ends in
``.part``, ``.tmp`` or ``.filepart``, or starts with ``.``; folders starting with ``.`` likewise)
or when it was modified within the *settle period* (60 s in the scheduled ingest, 0 for
``soepel-etl run``, which a person starts after the files are there). A file that is not ready is
left alone and picked up by a later run, once it is complete and quiet.

Hashing every file on every scheduled run would re-read the whole landing zone each half hour.
So each ingest records, inside its own transaction, every file it looked at as ``(path, size,
mtime_ns, sha256)`` in ``_meta/seen_files.parquet``: one file, replaced as a whole at commit, so a
scan reads one small file rather than a part per run. A file in that index was loaded, rejected or
skipped as seen by that run, so a scan that finds every ready file there knows, without reading
any file or the loads manifest, that nothing is new; it hashes only files that are new or changed.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..privacy import mask_identifiers

PARTIAL_SUFFIXES = (".part", ".tmp", ".filepart")
SEEN_FILES = "_meta/seen_files.parquet"
SEEN_SCHEMA = pa.schema([("path", pa.string()), ("size", pa.int64()), ("mtime_ns", pa.int64()),
                         ("sha256", pa.string())])

StatKey = tuple[str, int, int]   # landing-relative POSIX path, size in bytes, mtime in ns


def still_being_written(name: str) -> bool:
    """True for a name that says its file is still being copied (or is a hidden helper file)."""
    return name.startswith(".") or name.lower().endswith(PARTIAL_SUFFIXES)


@dataclass(frozen=True)
class Arrived:
    """A landing-zone file as the scan found it (before reading any of its bytes)."""
    path: Path
    rel: str
    size: int
    mtime_ns: int

    @property
    def key(self) -> StatKey:
        # the index is written into the warehouse: a name can carry an identifier, so it is kept masked
        return (mask_identifiers(self.rel), self.size, self.mtime_ns)


@dataclass
class Scan:
    ready: list[Arrived]
    waiting: list[str]     # landing-relative paths left for a later run (being written, or not settled)


def scan(landing: Path, settle_seconds: float = 0, now: float | None = None) -> Scan:
    """Every file under ``landing`` by path, split into ready and waiting; reads only directory entries."""
    landing = Path(landing)
    now = time.time() if now is None else now
    settle_ns = int(settle_seconds * 1e9)
    now_ns = int(now * 1e9)
    ready, waiting = [], []
    stack = [landing]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=True):
                    if not entry.name.startswith("."):
                        stack.append(Path(entry.path))
                    continue
                if not entry.is_file(follow_symlinks=True):
                    continue
                rel = Path(entry.path).relative_to(landing).as_posix()
                st = entry.stat(follow_symlinks=True)
                # with a settle period, a modification time in the future (clock skew of a share)
                # also counts as "just written"; without one (a person started the run) nothing waits
                if still_being_written(entry.name) or (settle_ns and now_ns - st.st_mtime_ns < settle_ns):
                    waiting.append(rel)
                    continue
                ready.append(Arrived(Path(entry.path), rel, st.st_size, st.st_mtime_ns))
    ready.sort(key=lambda a: a.rel)
    waiting.sort()
    return Scan(ready, waiting)


def read_seen(warehouse: Path) -> dict[StatKey, str]:
    """The hashes earlier runs recorded, by (path, size, mtime_ns)."""
    path = Path(warehouse) / SEEN_FILES
    if not path.is_file():
        return {}
    cols = pq.read_table(path).to_pydict()
    return {(p, s, m): h for p, s, m, h in zip(cols["path"], cols["size"], cols["mtime_ns"], cols["sha256"])}


def unseen(landing: Path, warehouse: Path, settle_seconds: float = 0) -> list[str]:
    """Landing-relative paths of ready files that no earlier run looked at as they are now."""
    seen = read_seen(warehouse)
    return [f.rel for f in scan(landing, settle_seconds).ready if f.key not in seen]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def hash_of(file: Arrived, seen: dict[StatKey, str]) -> tuple[str, bool]:
    """The file's SHA-256 (from ``seen`` when path, size and mtime match) and whether it may be recorded.

    A file whose size or mtime changed while it was hashed is not recorded: its hash may mix old
    and new bytes, and the next scan hashes it again.
    """
    known = seen.get(file.key)
    if known is not None:
        return known, False
    sha = sha256_of(file.path)
    st = file.path.stat()
    return sha, (st.st_size, st.st_mtime_ns) == (file.size, file.mtime_ns)


def write_seen(warehouse: Path, entries: Iterable[tuple[StatKey, str]], path: Path) -> None:
    """Write the index as it was in ``warehouse`` plus ``entries`` to ``path`` (the transaction's copy)."""
    merged = read_seen(warehouse) | dict(entries)
    rows = [{"path": p, "size": s, "mtime_ns": m, "sha256": h} for (p, s, m), h in sorted(merged.items())]
    pq.write_table(pa.Table.from_pylist(rows, schema=SEEN_SCHEMA), path)
