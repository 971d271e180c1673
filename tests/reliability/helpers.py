"""Shared pieces of the reliability tests (and of scripts/crash_soak.py): a small landing zone split
into a base and a delta, the CLI as a subprocess, and a comparable *state* of a warehouse.

The state of a warehouse is what an analyst or the next run can tell apart: the content of every
table (staging, quarantine, core, marts, _meta/loads, _meta/builds, _meta/changes) as sorted rows,
the set of files in staging/, quarantine/, rejected/ and _meta/, with run ids and timestamps taken
out where two equal runs legitimately differ (a run id in a file name, ``loaded_at``, ``built_at``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from soepel_etl.warehouse.transaction import JOURNAL, TMP_DIR, TRASH_DIR

ROOT = Path(__file__).resolve().parents[2]
TEST_KEY_TEXT = "test-key-" + "0123456789abcdef" * 3        # the same key as tests/conftest.py
RUN_ID = re.compile(r"\d{8}T\d{6}-[0-9a-f]{8}")
VOLATILE = {"run_id", "loaded_at", "built_at", "seconds"}
TABLE_ROOTS = ("staging", "quarantine", "core", "marts")
META_TABLES = ("_meta/loads", "_meta/builds", "_meta/changes")


# -- landing zones --------------------------------------------------------------------------------
def split_landing(full: Path, base: Path, delta: Path, n_base: int, n_delta: int) -> tuple[list[str], list[str]]:
    """Copy the first ``n_base`` deliveries (load order) of ``full`` to ``base``, and those plus the
    next ``n_delta`` (plus every badly named file) to ``delta``: a landing zone before and after."""
    from soepel_etl.extracts.ingest import discover

    deliveries = discover(full)
    good = [d for d in deliveries if d.name]
    bad = [d for d in deliveries if not d.name]
    first = good[:n_base]
    second = good[n_base:n_base + n_delta] + bad
    for target, chosen in ((base, first), (delta, first + second)):
        for d in chosen:
            dst = target / d.path.relative_to(full)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(d.path, dst)
    return [d.file_name for d in first], [d.file_name for d in second]


# -- the command line as a subprocess --------------------------------------------------------------
def cli_env(**extra) -> dict:
    env = dict(os.environ)
    env["SOEPEL_PSEUDONYM_KEY"] = TEST_KEY_TEXT
    env.pop("SOEPEL_REFERENCE_DIR", None)
    env.update(extra)
    return env


def cli_command(landing: Path, warehouse: Path) -> list[str]:
    return [sys.executable, "-m", "soepel_etl.cli", "run", "--landing", str(landing), "--warehouse", str(warehouse)]


def run_cli(landing: Path, warehouse: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cli_command(landing, warehouse), capture_output=True, text=True, env=cli_env(),
                          cwd=ROOT, **kwargs)


def start_cli(landing: Path, warehouse: Path, **kwargs) -> subprocess.Popen:
    """Start a run in its own process group. Output goes to temporary files, not pipes: a run that
    fills a pipe nobody reads would block on a write and never reach its later phases."""
    out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(cli_command(landing, warehouse), stdout=out, stderr=err, text=True, env=cli_env(),
                            cwd=ROOT, start_new_session=True, **kwargs)
    proc.out_file, proc.err_file = out, err
    return proc


def output(proc: subprocess.Popen, timeout: float = 600) -> tuple[str, str, int]:
    """Wait for a run started by start_cli: (stdout, stderr, exit code)."""
    proc.wait(timeout=timeout)
    texts = []
    for f in (proc.out_file, proc.err_file):
        f.seek(0)
        texts.append(f.read())
        f.close()
    return texts[0], texts[1], proc.returncode


def kill_after(proc: subprocess.Popen, delay: float) -> bool:
    """SIGKILL the run (its whole process group) after ``delay`` seconds; False when it ended first."""
    try:
        proc.wait(timeout=delay)
        output(proc)
        return False
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    output(proc)
    return proc.returncode == -signal.SIGKILL


# -- the state of a warehouse --------------------------------------------------------------------
def _normal(relpath: str) -> str:
    return RUN_ID.sub("<run>", relpath)


def _table_rows(folder: Path) -> list[tuple]:
    files = sorted(str(p) for p in folder.rglob("*.parquet"))
    if not files:
        return []
    rel = duckdb.sql(f"SELECT * FROM read_parquet({files!r}, union_by_name=true)")
    keep = [c for c in rel.columns if c not in VOLATILE]
    rows = rel.select(*[duckdb.ColumnExpression(c) for c in keep]).fetchall()
    return sorted(tuple("" if v is None else str(v) for v in row) for row in rows)


def tables(root: Path) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for layer in TABLE_ROOTS:
        base = root / layer
        if base.is_dir():
            for table in sorted(p for p in base.iterdir() if p.is_dir()):
                out[f"{layer}/{table.name}"] = _table_rows(table)
    for meta in META_TABLES:
        if (root / meta).is_dir():
            out[meta] = _table_rows(root / meta)
    return out


def files(root: Path) -> list[str]:
    """Relative paths (run ids normalised) of what a run leaves: data, rejections, manifest parts, logs."""
    out = []
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        if p.is_dir() or rel.startswith(("_meta/quality/", TMP_DIR + "/")) or rel == ".lock":
            continue
        out.append(_normal(rel))
    return sorted(out)


def rejected_texts(root: Path) -> dict[str, str]:
    folder = root / "rejected"
    if not folder.is_dir():
        return {}
    return {p.name: "\n".join(line for line in p.read_text().splitlines() if not line.startswith("run:"))
            for p in sorted(folder.glob("*.txt"))}


def state(root: Path) -> dict:
    return {"tables": tables(root), "files": files(root), "rejected": rejected_texts(root)}


def diff(a: dict, b: dict) -> list[str]:
    """What differs between two states, for an assertion message."""
    out = []
    for name in sorted(set(a["tables"]) | set(b["tables"])):
        x, y = a["tables"].get(name), b["tables"].get(name)
        if x != y:
            out.append(f"table {name}: {len(x or [])} vs {len(y or [])} rows")
    if a["files"] != b["files"]:
        out.append(f"files: only first {sorted(set(a['files']) - set(b['files']))[:5]}, "
                   f"only second {sorted(set(b['files']) - set(a['files']))[:5]}")
    if a["rejected"] != b["rejected"]:
        out.append("rejected/ texts differ")
    return out


def orphans(root: Path) -> list[str]:
    """Temporary files a finished run must not leave: run folders, trash, partial writes, the journal."""
    found = []
    tmp = root / TMP_DIR
    if tmp.is_dir():
        found += [p.relative_to(root).as_posix() for p in tmp.iterdir()]
    if (root / TRASH_DIR).exists():
        found.append(TRASH_DIR)
    if (root / JOURNAL).exists():
        found.append(JOURNAL)
    found += [p.relative_to(root).as_posix() for p in root.rglob("*")
              if p.is_file() and (".tmp" in p.name or p.name.endswith(".wal"))]
    return sorted(found)


def copy_warehouse(src: Path, dst: Path) -> Path:
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, symlinks=True)
    return dst


def mid_commit(root: Path) -> bool:
    return (root / JOURNAL).exists()


def recovered_copy(root: Path, scratch: Path) -> Path:
    """A copy of ``root`` on which the next run's first step (recovery) has run: what readers see
    once any run has touched the warehouse again."""
    from soepel_etl.warehouse.transaction import Transaction

    copy_warehouse(root, scratch)
    Transaction.begin(scratch).rollback()
    return scratch


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started
