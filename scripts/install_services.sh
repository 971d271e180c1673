#!/usr/bin/env bash
# What the real-stack test (tests/stack/) needs beyond the test venv: Debian's PostgreSQL (server
# binaries under /usr/lib/postgresql/<version>/bin) and redis-server, plus the `stack` extra
# (PostgreSQL driver, Celery provider) in .venv, pinned by the venv's constraints file. Idempotent: installs only what is missing.
# Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
  # the packages start system services; the test starts its own throw-away instances
  $SUDO service redis-server stop >/dev/null 2>&1 || true
  $SUDO service postgresql stop >/dev/null 2>&1 || true
fi
echo "postgresql: $(ls -d /usr/lib/postgresql/*/bin | tail -1); $(redis-server --version | cut -d' ' -f1-3)"
version="$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c "constraints/constraints-$version.txt" -e ".[stack]"
