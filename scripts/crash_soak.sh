#!/usr/bin/env bash
# The long reliability run (issue 7): many SIGKILLs of `soepel-etl run`, then fuzzed input through
# ingest (hypothesis with fresh random examples, and atheris when it is installed).
#
#   scripts/crash_soak.sh                    # 100 kills, 1000 hypothesis examples per fuzz test, 3000 atheris runs
#   KILLS=300 FUZZ_EXAMPLES=3000 ATHERIS_RUNS=20000 SEED=11 scripts/crash_soak.sh
#
# Prints the figures (kills survived, runs, inputs fuzzed, nothing lost) and writes them to
# artifacts/crash_soak.json. Exits non-zero when anything was lost or a check failed.
set -euo pipefail
cd "$(dirname "$0")/.."
KILLS=${KILLS:-100}
SEED=${SEED:-7}
FUZZ_EXAMPLES=${FUZZ_EXAMPLES:-1000}
ATHERIS_RUNS=${ATHERIS_RUNS:-3000}
PY=${PY:-.venv/bin/python}      # PY=/path/to/python when running from a snapshot of the tree
WORK=$(mktemp -d "${TMPDIR:-/tmp}/soepel-soak.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p artifacts
started=$(date +%s)

echo "== crash: $KILLS SIGKILLs at random moments (seed $SEED)"
$PY -m tests.reliability.crash --kills "$KILLS" --seed "$SEED" --complete-every 3 --workdir "$WORK/crash" \
    --json "$WORK/crash.json" | tee "$WORK/crash.log" | grep -v '^ \|^[{}]' || true
crash_status=${PIPESTATUS[0]}

echo "== fuzz (hypothesis): $FUZZ_EXAMPLES fresh examples per fuzz test"
set +e
SOEPEL_FUZZ_EXAMPLES=$FUZZ_EXAMPLES SOEPEL_FUZZ_RANDOM=1 $PY -m pytest -p no:cacheprovider -q -s \
    tests/reliability/test_fuzz.py -k "random or mutated or text or seeds" 2>&1 | tee "$WORK/fuzz.log" | grep -E "fuzz:|passed|failed"
fuzz_status=${PIPESTATUS[0]}
atheris_status=0
if $PY -c "import atheris" 2>/dev/null; then
  echo "== fuzz (atheris): $ATHERIS_RUNS runs"
  $PY tests/reliability/fuzz_atheris.py -atheris_runs="$ATHERIS_RUNS" -print_final_stats=1 > "$WORK/atheris.log" 2>&1
  atheris_status=$?
  grep -E "^atheris:|Done|ERROR|Uncaught" "$WORK/atheris.log" | tail -5
else
  echo "== fuzz (atheris): not installed, skipped"
fi
set -e

$PY - "$WORK" "$crash_status" "$fuzz_status" "$atheris_status" "$(( $(date +%s) - started ))" <<'PY'
import json, re, sys
from pathlib import Path
work, crash_status, fuzz_status, atheris_status, seconds = Path(sys.argv[1]), *map(int, sys.argv[2:])
crash = json.loads((work / "crash.json").read_text()) if (work / "crash.json").exists() else {}
fuzz_log = (work / "fuzz.log").read_text() if (work / "fuzz.log").exists() else ""
m = re.search(r"fuzz: (\d+) inputs, outcomes (\{.*\})", fuzz_log)
hyp = int(m.group(1)) if m else 0
at_log = (work / "atheris.log").read_text() if (work / "atheris.log").exists() else ""
a = re.search(r"atheris: (\d+) inputs checked", at_log)
ath = int(a.group(1)) if a else 0
lost = crash.get("lost", 1) + (fuzz_status != 0) + (atheris_status != 0) + (crash_status != 0)
figures = {
    "kills_survived": crash.get("kills", 0) - crash.get("kill_failures", crash.get("kills", 0)),
    "kills": crash.get("kills", 0),
    "kill_outcomes": {"before": crash.get("before"), "after": crash.get("after"), "mid_commit_rolled_forward": crash.get("mid_commit")},
    "kill_phases": crash.get("phases"),
    "cli_runs": crash.get("runs"),
    "completing_runs_checked": crash.get("completions"),
    "run_seconds": round(crash.get("run_seconds", 0), 1),
    "inputs_fuzzed": hyp + ath,
    "inputs_fuzzed_hypothesis": hyp,
    "inputs_fuzzed_atheris": ath,
    "fuzz_outcomes": m.group(2) if m else None,
    "nothing_lost": lost == 0,
    "seconds": seconds,
}
Path("artifacts/crash_soak.json").write_text(json.dumps(figures, indent=1))
print(f"kills survived: {figures['kills_survived']}/{figures['kills']} "
      f"(before {crash.get('before')}, after {crash.get('after')}, mid-commit rolled forward {crash.get('mid_commit')}; "
      f"phases {crash.get('phases')})")
print(f"runs: {figures['cli_runs']} CLI runs, {figures['completing_runs_checked']} completing runs checked equal to a run without crash")
print(f"inputs fuzzed: {figures['inputs_fuzzed']} ({hyp} hypothesis, {ath} atheris), none raised, loads invariant held")
print("nothing lost: " + ("yes" if lost == 0 else "NO — see the logs above"))
sys.exit(0 if lost == 0 else 1)
PY
