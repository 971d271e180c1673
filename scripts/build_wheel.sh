#!/usr/bin/env bash
# Builds the soepel-etl wheel into dist/ (or the folder given) and prints its path. The wheel is
# built from the sdist, not from the working tree, so a stale build/ folder or a file that is not
# package data cannot slip in; the build backend is pinned by constraints/build.txt.
# The Dockerfile's builder stage and the installed-wheel tests build it the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mkdir -p "${1:-dist}" && cd "${1:-dist}" && pwd)"
UV="${UV:-$( [ -x .venv/bin/uv ] && echo .venv/bin/uv || command -v uv || true)}"
[ -n "$UV" ] || { echo "build_wheel.sh: needs uv (pip install uv==0.13.9, or bash scripts/setup.sh)" >&2; exit 1; }
version="$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)"
rm -f "$out"/soepel_etl-"$version"-*.whl "$out"/soepel_etl-"$version".tar.gz
"$UV" build -q --out-dir "$out" --build-constraint constraints/build.txt .
ls "$out"/soepel_etl-"$version"-*.whl
