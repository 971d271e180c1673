#!/usr/bin/env bash
# The whole test suite, on a fresh machine: sets up, then runs pytest. Exits non-zero when anything fails.
# The suite runs on the .venv's Python; tests/install builds the wheel and runs it on the other two
# supported Pythons (a missing interpreter fails the run: see scripts/find_python.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install_browser.sh     # Debian's chromium for the report's browser test (idempotent)
bash scripts/install_services.sh    # PostgreSQL, redis-server and the `stack` extra for tests/stack (idempotent)
mkdir -p artifacts
set +e
.venv/bin/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder -p no:cacheprovider --durations=30 "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "no tests were collected: failing on purpose" >&2
  exit 1
fi
exit "$status"
