"""The many-kills campaign: SIGKILL ``soepel-etl run`` at random moments and check the warehouse.

Used by tests/reliability/test_crash.py (a few kills) and scripts/crash_soak.sh (many):

    .venv/bin/python -m tests.reliability.crash --kills 100 --seed 7 --workdir /tmp/soak

Setup: a generated landing zone is split into a *base* (the first deliveries) and a *delta* (the
next ones, plus the badly named files). A warehouse loaded from the base is the state **before**;
a copy of it after one complete run over base + delta is the state **after**, and that run's wall
time D is measured. Then, repeatedly, a run over base + delta is started on the warehouse and
killed (SIGKILL, the whole process group) after a delay drawn uniformly from [0, 1.05·D): during
ingest, build, quality, commit or catalog, wherever it falls. After each kill:

* no commit journal → the warehouse must equal **before** or **after** exactly (state() of
  helpers.py: every table as sorted rows, the files in staging/quarantine/rejected/_meta);
* a commit journal (killed mid-commit) → a copy on which recovery (the first step of any run) ran
  must equal **after**; the original is left for the next run to recover itself.

Killed runs are chained (the next run meets what the previous one left); every ``complete_every``
kills, and at the end, a run is allowed to finish: it must exit 0, leave exactly **after** and no
temporary files (.tmp/ content, .trash, *.tmp, the journal). Then the warehouse is reset to
**before**.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tests.reliability import helpers as h


@dataclass
class Campaign:
    kills: int = 0                       # SIGKILLs delivered while the run was alive
    finished_before_kill: int = 0        # the delay outlived the run
    before: int = 0                      # killed, warehouse as before the run
    after: int = 0                       # killed after commit: warehouse as after a complete run
    mid_commit: int = 0                  # killed with a journal on disk: rolled forward to "after"
    phases: dict = field(default_factory=dict)   # where the kills fell
    runs: int = 0                        # CLI runs started (setup, killed, completing)
    completions: int = 0                 # completing runs after kills, each checked equal to "after"
    files_per_run: int = 0
    run_seconds: float = 0.0
    lost: int = 0                        # checks that failed (0 = nothing lost, nothing half-written)
    kill_failures: int = 0               # kills after which the warehouse was neither before nor after
    failures: list = field(default_factory=list)


def _phase(wh: Path) -> str:
    if h.mid_commit(wh):
        return "commit"
    runs = [p for p in (wh / ".tmp").iterdir()] if (wh / ".tmp").is_dir() else []
    if not runs:
        return "start-or-end"
    if any((r / "build").exists() for r in runs):
        return "build"
    if any((r / "work").exists() for r in runs):
        return "ingest"
    return "start-or-end"


def prepare(workdir: Path, persons: int = 200, seed: int = 1, n_base: int = 20, n_delta: int = 10):
    """(delta landing, warehouse before, warehouse after, seconds of one run over the delta); idempotent,
    so several tests can share one prepared folder."""
    from soepel_etl.synthetic import generate

    full, base, delta = workdir / "full", workdir / "landing_base", workdir / "landing_delta"
    if not full.exists():
        generate(full, persons=persons, seed=seed)
        h.split_landing(full, base, delta, n_base, n_delta)
    wh_base, wh_after, seconds = workdir / "wh_base", workdir / "wh_after", workdir / "run_seconds"
    if not wh_base.exists():
        done = h.run_cli(base, wh_base)
        assert done.returncode == 0, done.stderr
    if not seconds.exists():
        h.copy_warehouse(wh_base, wh_after)
        done, took = h.timed(h.run_cli, delta, wh_after)
        assert done.returncode == 0, done.stderr
        seconds.write_text(f"{took:.3f}")
    return delta, wh_base, wh_after, float(seconds.read_text())


def campaign(workdir: Path, kills: int, seed: int = 0, complete_every: int = 4, log=print) -> Campaign:
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    c = Campaign()
    delta, wh_base, wh_after, c.run_seconds = prepare(workdir)
    c.runs += 2
    before = h.state(wh_base)
    after = h.state(wh_after)
    assert not h.diff(before, after) == [], "the delta changes nothing: the test would prove nothing"
    c.files_per_run = len(list((delta).rglob("*.*"))) - len(list((workdir / "landing_base").rglob("*.*")))
    log(f"setup: one run over the delta takes {c.run_seconds:.1f}s ({c.files_per_run} new files)")

    wh = h.copy_warehouse(wh_base, workdir / "wh")
    since_completion = 0

    def check(ok: bool, what: str, detail: list[str] | str = ""):
        if not ok:
            c.lost += 1
            c.failures.append(f"{what}: {detail}")
            log(f"  FAILED {what}: {detail}")

    def complete():
        nonlocal wh, since_completion
        result = h.run_cli(delta, wh)
        c.runs += 1
        c.completions += 1
        check(result.returncode == 0, "completing run exit code", result.stderr[-500:])
        check(h.state(wh) == after, "completing run state", h.diff(h.state(wh), after))
        check(h.orphans(wh) == [], "orphans after completing run", h.orphans(wh))
        wh = h.copy_warehouse(wh_base, workdir / "wh")
        since_completion = 0

    while c.kills < kills:
        delay = rng.uniform(0, c.run_seconds * 1.05)
        proc = h.start_cli(delta, wh)
        c.runs += 1
        killed = h.kill_after(proc, delay)
        if not killed:
            c.finished_before_kill += 1
            check(proc.returncode == 0, "unkilled run exit code", proc.returncode)
            check(h.state(wh) == after, "unkilled run state", h.diff(h.state(wh), after))
            wh = h.copy_warehouse(wh_base, workdir / "wh")
            since_completion = 0
            continue
        c.kills += 1
        since_completion += 1
        phase = _phase(wh)
        c.phases[phase] = c.phases.get(phase, 0) + 1
        if h.mid_commit(wh):
            c.mid_commit += 1
            recovered = h.state(h.recovered_copy(wh, workdir / "wh_recovered"))
            check(recovered == after, f"kill {c.kills} mid-commit, after recovery", h.diff(recovered, after))
            c.kill_failures += recovered != after
            outcome = "mid-commit → after"
        else:
            now = h.state(wh)
            if now == before:
                c.before += 1
                outcome = "before"
            elif now == after:
                c.after += 1
                outcome = "after"
            else:
                outcome = "MIXED"
                c.kill_failures += 1
                check(False, f"kill {c.kills} at {delay:.2f}s ({phase})",
                      f"neither before ({h.diff(now, before)}) nor after ({h.diff(now, after)})")
        log(f"kill {c.kills:4d} at {delay:5.2f}s in {phase:12s}: {outcome}")
        if outcome == "after":
            wh = h.copy_warehouse(wh_base, workdir / "wh")   # nothing left to interrupt
            since_completion = 0
        elif since_completion >= complete_every:
            complete()
    complete()
    return c


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--complete-every", type=int, default=3)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    c = campaign(args.workdir, args.kills, args.seed, args.complete_every)
    figures = asdict(c) | {"seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0 if c.lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
