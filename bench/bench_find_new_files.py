"""Benchmark: a scheduled ingest's look for new files when nothing is new, on a 10 000-file landing zone.

    .venv/bin/python bench/bench_find_new_files.py [--files 10000] [--file-kb 32] [--files-per-part 1]

Writes ``--files`` delivery files (valid names over the five sources, ``--file-kb`` each, older
than the settle period) and a warehouse whose ``_meta/loads`` and ``_meta/seen_files`` record all
of them, as earlier runs would have: the loads manifest by default in one Parquet part per file, the
layout the ingest DAG leaves (one transaction per mapped task), the worst case for reading it.

Measured, each in a fresh subprocess (wall time, peak RSS):
- ``new_files``: ``pipeline.new_files(settings, settle_seconds=60)``, what the DAG's ``find_new_files`` runs;
- baseline: the same call without the seen-file index (every file hashed, as before the index).
Target (issue 11): ``new_files`` with nothing new at most 2 s for 10 000 files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("onderwijs", "werk", "uitkeringen", "deelnemers", "interventies")
SENDERS = {"onderwijs": "25PZ", "werk": "UWV", "uitkeringen": "GM0363", "deelnemers": "AMS", "interventies": "AMS"}

MEASURE = """
import json, sys, time
from soepel_etl import pipeline
from soepel_etl.identity.pseudonyms import PseudonymKey
from soepel_etl.settings import Settings
if sys.argv[3] == "baseline":      # as before the seen-file index: every ready file is hashed
    from soepel_etl.extracts import arrival
    arrival.read_seen = lambda warehouse: {}
s = Settings.resolve(landing=sys.argv[1], warehouse=sys.argv[2], key=PseudonymKey.from_text("bench-" + "k" * 40),
                     environ={})
t = time.perf_counter()
new = pipeline.new_files(s, settle_seconds=60)
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "new": len(new)}))
"""


def make_zone(root: Path, files: int, file_kb: int, files_per_part: int) -> tuple[Path, Path]:
    sys.path.insert(0, str(REPO))
    from soepel_etl.extracts.arrival import SEEN_FILES, scan, sha256_of, write_seen
    from soepel_etl.warehouse.loads import LOADS, LoadRecord, write_part

    landing, warehouse = root / "landing", root / "warehouse"
    body = (b"x;" * 512 + b"\n") * max(1, file_kb)
    start = dt.date(2000, 1, 1)
    for i in range(files):
        source = SOURCES[i % len(SOURCES)]
        day = start + dt.timedelta(days=i // len(SOURCES))
        path = landing / source / f"{source}_{SENDERS[source]}_{day:%Y%m%d}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"{i}\n".encode() + body)
    then = time.time() - 3600
    for f in scan(landing).ready:
        os.utime(f.path, (then, then))
    ready = scan(landing).ready
    (warehouse / LOADS).mkdir(parents=True)
    loaded_at = dt.datetime.now(dt.timezone.utc)
    index = []
    for n, first in enumerate(range(0, len(ready), files_per_part)):
        part = ready[first:first + files_per_part]
        hashes = [sha256_of(f.path) for f in part]
        write_part([LoadRecord(load_id=f"{Path(f.rel).stem}-{h[:12]}", file_name=Path(f.rel).name,
                               source=f.rel.split("/")[0], sender=None, delivery_date=None, sha256=h,
                               outcome="loaded", loaded_at=loaded_at, run_id=f"run{n:06d}")
                    for f, h in zip(part, hashes)], warehouse / LOADS / f"run{n:06d}.parquet")
        index += [(f.key, h) for f, h in zip(part, hashes)]
    write_seen(warehouse, index, warehouse / SEEN_FILES)
    return landing, warehouse


def measure(landing: Path, warehouse: Path, mode: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(landing), str(warehouse), mode], cwd=REPO,
                          capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"mode": mode, "seconds": round(out["seconds"], 3), "new": out["new"], "process_wall_s": round(wall, 2),
            "peak_rss_mb_max_so_far": round(max(peak, before) / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--file-kb", type=int, default=32)
    parser.add_argument("--files-per-part", type=int, default=1)
    parser.add_argument("--out", default=str(REPO / "bench/results/find_new_files.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="soepel-bench-arrival-") as tmp:
        t = time.perf_counter()
        landing, warehouse = make_zone(Path(tmp), args.files, args.file_kb, args.files_per_part)
        print(f"landing zone: {args.files} files of ~{args.file_kb} KB, manifests in "
              f"{-(-args.files // args.files_per_part)} part(s); made in {time.perf_counter() - t:.1f} s")
        runs = [measure(landing, warehouse, mode) for mode in ("new_files", "baseline", "new_files")]
    for r in runs:
        assert r["new"] == 0, r
    fast = min(r["seconds"] for r in runs if r["mode"] == "new_files")
    base = next(r["seconds"] for r in runs if r["mode"] == "baseline")
    result = {
        "benchmark": "find_new_files, nothing new", "files": args.files, "file_kb": args.file_kb,
        "files_per_part": args.files_per_part, "runs": runs, "new_files_s": fast, "baseline_hash_all_s": base,
        "speedup": round(base / fast, 1), "target_s": 2.0, "met": fast <= 2.0,
        "machine": {"platform": platform.platform(), "machine": platform.machine(), "cpus": os.cpu_count(),
                    "python": platform.python_version(), "load_avg": os.getloadavg()},
    }
    print(f"new_files with nothing new: {fast:.2f} s; baseline (hash every file): {base:.2f} s; "
          f"{result['speedup']}x; target <= 2 s: {'met' if result['met'] else 'MISSED'}")
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
