#!/usr/bin/env bash
# The main job on the embedded defaults, through Airflow: set up, generate a synthetic landing zone,
# run the ingest, build and report DAGs (`airflow dags test`, SQLite metadata) and print the path of
# the intern report for all pilots. Everything lands inside the repo (landing/, warehouse/,
# artifacts/reports/, airflow_home/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -z "${SOEPEL_PSEUDONYM_KEY:-}" ]; then
  # a throw-away key for synthetic data only; real data needs a secret of your own
  export SOEPEL_PSEUDONYM_KEY="demo-key-for-synthetic-data-only-0123456789abcdef"
  echo "demo: using the throw-away demo key (set SOEPEL_PSEUDONYM_KEY for real data)" >&2
fi
exec bash scripts/airflow_run.sh
