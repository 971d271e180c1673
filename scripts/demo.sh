#!/usr/bin/env bash
# The main job on the embedded defaults: set up, generate a synthetic landing zone, load it into the
# warehouse and build core tables and marts. Run from anywhere; everything lands inside the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -z "${SOEPEL_PSEUDONYM_KEY:-}" ]; then
  # a throw-away key for synthetic data only; real data needs a secret of your own
  export SOEPEL_PSEUDONYM_KEY="demo-key-for-synthetic-data-only-0123456789abcdef"
  echo "soepel-etl demo: using the throw-away demo key (set SOEPEL_PSEUDONYM_KEY for real data)" >&2
fi
LANDING="${SOEPEL_LANDING_DIR:-landing}"
WAREHOUSE="${SOEPEL_WAREHOUSE_DIR:-warehouse}"
if [ -z "$(ls -A "$LANDING" 2>/dev/null)" ]; then
  .venv/bin/soepel-etl generate --out "$LANDING" --persons "${SOEPEL_DEMO_PERSONS:-5000}" > /dev/null
  echo "soepel-etl demo: synthetic landing zone written to $LANDING" >&2
fi
.venv/bin/soepel-etl run --landing "$LANDING" --warehouse "$WAREHOUSE"
