"""Crash safety: a run killed at any moment leaves the warehouse as before or as after a complete run;
the next run completes it and leaves no temporary files.

* test_random_kills: real SIGKILLs of the CLI at random moments (tests/reliability/crash.py); the
  count is SOEPEL_CRASH_KILLS (default 6); scripts/crash_soak.sh runs the long count.
* test_crash_at_each_commit_step: a kill exactly between the journal and the first move, between two
  moves, after the last move and while the catalog is written — moments a random delay rarely hits.
"""

from __future__ import annotations

import os
import random

import pytest

from soepel_etl.warehouse import transaction
from soepel_etl.warehouse.transaction import JOURNAL, Transaction
from tests.conftest import ONDERWIJS_HEADER, onderwijs_row, run_pipeline, write_delivery
from tests.reliability import crash
from tests.reliability import helpers as h


def test_random_kills(prepared_dir):
    kills = int(os.environ.get("SOEPEL_CRASH_KILLS", "6"))
    seed = int(os.environ.get("SOEPEL_CRASH_SEED", str(random.randrange(1 << 16))))
    lines = []
    # CI: one completing run at the end (each kill's successor is usually the next killed run);
    # scripts/crash_soak.sh lets every third chain complete
    c = crash.campaign(prepared_dir, kills=kills, seed=seed, complete_every=kills, log=lines.append)
    report = "\n".join(lines)
    assert c.lost == 0, f"seed {seed}:\n{report}\n" + "\n".join(c.failures)
    assert c.kills == kills and c.completions >= 1
    assert c.before + c.after + c.mid_commit == c.kills


class Crash(BaseException):
    """Stands in for SIGKILL in-process: not an Exception, so nothing on the way catches it."""


def _landing(tmp_path):
    landing = tmp_path / "landing"
    write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20210315.csv", ONDERWIJS_HEADER, [onderwijs_row()])
    write_delivery(landing / "werk" / "werk_GM0363_20210331.csv", ["bsn", "periode", "werkgever", "uren"],
                   [dict(bsn="123456782", periode="2021-02", werkgever="LH1", uren="12")])
    return landing


def _second_delivery(landing):
    write_delivery(landing / "onderwijs" / "onderwijs_25PZ_20210615.csv", ONDERWIJS_HEADER,
                   [onderwijs_row(inschrijving_id="E2", datum_uitschrijving="31-05-2021", diploma="J",
                                  datum_diploma="31-05-2021")])


@pytest.fixture(scope="module")
def commit_case(tmp_path_factory):
    """(landing, warehouse before, state before, state after) for a small second run."""
    root = tmp_path_factory.mktemp("commit")
    landing = _landing(root)
    base = root / "base"
    run_pipeline(landing, base)
    before = h.state(base)
    _second_delivery(landing)
    after_wh = h.copy_warehouse(base, root / "after")
    run_pipeline(landing, after_wh)
    after = h.state(after_wh)
    moves = len(list((after_wh).rglob("*")))   # an upper bound, only to pick steps
    return landing, base, before, after, moves


@pytest.mark.parametrize("step", ["journal", "first-move", "middle", "last-move", "catalog"])
def test_crash_at_each_commit_step(commit_case, tmp_path, monkeypatch, step):
    landing, base, before, after, _ = commit_case
    wh = h.copy_warehouse(base, tmp_path / "wh")
    calls = {"fsync": 0}
    real_apply = transaction._apply

    def counting_apply(root, journal, on_applied=None):
        n_moves = len(journal["moves"])
        target = {"journal": 0, "first-move": 1, "middle": n_moves // 2, "last-move": n_moves}.get(step)
        real_fsync = transaction._fsync_dir

        def fsync(path):
            real_fsync(path)
            calls["fsync"] += 1
            if target is not None and calls["fsync"] == target:
                raise Crash(step)

        def catalog():
            # die half-way: the temporary catalog exists, the real one is not replaced yet
            (root / ".catalog.duckdb.deadbeef.tmp").write_bytes(b"half a catalog")
            raise Crash(step)

        monkeypatch.setattr(transaction, "_fsync_dir", fsync)
        if target == 0:
            raise Crash(step)       # the journal is on disk, no move applied yet
        return real_apply(root, journal, catalog if step == "catalog" else on_applied)

    monkeypatch.setattr(transaction, "_apply", counting_apply)
    with pytest.raises(Crash):
        run_pipeline(landing, wh)
    monkeypatch.undo()
    assert (wh / JOURNAL).exists(), "the crash fell after the journal: it must still be there"
    # readers may see a mix until the next run; the next run's first step rolls it forward
    assert h.state(h.recovered_copy(wh, tmp_path / "recovered")) == after
    summary = run_pipeline(landing, wh)           # the next run: recovers, finds nothing new
    assert summary.records == [] and summary.build is None
    assert h.state(wh) == after
    assert h.orphans(wh) == []
    assert (wh / "catalog.duckdb").exists()
    assert before != after


def test_kill_before_journal_leaves_before(commit_case, tmp_path, monkeypatch):
    """A crash while staging or building (no journal yet) changes nothing; the next run does it all."""
    landing, base, before, after, _ = commit_case
    wh = h.copy_warehouse(base, tmp_path / "wh")

    def die(*args, **kwargs):
        raise Crash("in build")

    monkeypatch.setattr("soepel_etl.pipeline.build", die)
    with pytest.raises(Crash):
        run_pipeline(landing, wh)
    monkeypatch.undo()
    assert not (wh / JOURNAL).exists()
    assert h.state(wh) == before
    run_pipeline(landing, wh)
    assert h.state(wh) == after and h.orphans(wh) == []


def test_recover_sweeps_partial_small_files(tmp_path):
    root = tmp_path / "wh"
    Transaction.begin(root).rollback()
    (root / "_meta").mkdir(exist_ok=True)
    partials = [root / ".catalog.duckdb.0123.tmp", root / ".catalog.duckdb.0123.tmp.wal",
                root / "_meta" / ".commit-journal.json.abcd.tmp"]
    for p in partials:
        p.write_bytes(b"x")
    (root / ".trash" / "old-run").mkdir(parents=True)
    Transaction.begin(root).rollback()
    assert not any(p.exists() for p in partials)
    assert h.orphans(root) == []
