#!/usr/bin/env bash
# Creates .venv with Python 3.11 and installs the project with every dependency pinned
# (constraints.txt is the project's equivalent of Airflow's constraint files).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
"$PYTHON" - <<'PY'
import sys
if sys.version_info[:2] != (3, 11):
    sys.exit(f"soepel-etl needs Python 3.11, found {sys.version.split()[0]}")
PY
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
