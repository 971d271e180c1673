#!/usr/bin/env bash
# Writes constraints/constraints-<X.Y>.txt, one per supported Python (the way Airflow publishes its
# constraint files): for each interpreter, a fresh venv gets the project with every extra
# (`.[airflow,stack,test]`), then its installed set is frozen. The current pins are tried first (this
# Python's file, else the 3.11 one), so a re-lock changes nothing that still installs; only when
# they do not install is the set resolved again from pyproject.toml's direct pins.
#   bash scripts/lock_constraints.sh            # 3.11 3.12 3.13
#   bash scripts/lock_constraints.sh 3.13       # one version
set -euo pipefail
cd "$(dirname "$0")/.."
UV="${UV:-$( [ -x .venv/bin/uv ] && echo .venv/bin/uv || command -v uv || true)}"
[ -n "$UV" ] || { echo "lock_constraints.sh: needs uv (bash scripts/setup.sh installs it into .venv)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for v in "${@:-3.11 3.12 3.13}"; do
  for v in $v; do
    python="$(bash scripts/find_python.sh "$v")"
    out="constraints/constraints-$v.txt"
    seed="$out"; [ -f "$seed" ] || seed=constraints/constraints-3.11.txt
    "$UV" venv -q --python "$python" "$work/$v"
    if ! "$UV" pip install -q --python "$work/$v/bin/python" -c "$seed" ".[airflow,stack,test]"; then
      echo "lock_constraints.sh: the pins of $seed do not install on Python $v; resolving from pyproject.toml" >&2
      "$UV" pip install -q --python "$work/$v/bin/python" ".[airflow,stack,test]"
    fi
    {
      echo "# soepel-etl constraints for Python $v: every package of .[airflow,stack,test], pinned."
      echo "# Written by scripts/lock_constraints.sh; use with pip install -c this-file."
      "$UV" pip freeze --python "$work/$v/bin/python" | grep -v -i '^soepel-etl' | LC_ALL=C sort -f
    } > "$out"
    echo "$out: $(grep -vc '^#' "$out") pins (Python $("$work/$v/bin/python" -V 2>&1 | cut -d' ' -f2))" >&2
  done
done
