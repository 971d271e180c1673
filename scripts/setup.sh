#!/usr/bin/env bash
# Creates .venv and installs the project (editable) with Airflow and the test tools, every dependency
# pinned by the constraints file for the venv's Python (constraints/constraints-<X.Y>.txt, the way
# Airflow publishes its constraint files). Python: $PYTHON if set, else the first of python3.11,
# python3.12, python3.13 that runs (scripts/find_python.sh); an existing .venv keeps its Python.
set -euo pipefail
cd "$(dirname "$0")/.."
SUPPORTED="3.11 3.12 3.13"
if [ ! -x .venv/bin/python ]; then
  if [ -n "${PYTHON:-}" ]; then
    python="$PYTHON"
  else
    python=""
    for v in $SUPPORTED; do
      python="$(bash scripts/find_python.sh "$v" 2>/dev/null)" && break
    done
    [ -n "$python" ] || { echo "setup.sh: soepel-etl needs Python 3.11, 3.12 or 3.13; none found (set PYTHON)" >&2; exit 1; }
  fi
  "$python" -m venv .venv
fi
version="$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
constraints="constraints/constraints-$version.txt"
if [ ! -f "$constraints" ]; then
  echo "setup.sh: .venv has Python $version; soepel-etl supports $SUPPORTED (remove .venv and set PYTHON)" >&2
  exit 1
fi
echo "setup.sh: Python $version ($(readlink -f .venv/bin/python)), constraints $constraints" >&2
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c "$constraints" -e ".[airflow,test]"
