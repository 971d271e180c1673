#!/usr/bin/env bash
# The main job through Airflow, on SQLite metadata: generate a synthetic landing zone when it is
# empty, then run the ingest, build and report DAGs in order with `airflow dags test`, and print
# the report's path. Re-running is safe (already loaded files are skipped).
#
#   SOEPEL_PSEUDONYM_KEY=<secret of >= 32 bytes> bash scripts/airflow_run.sh
#
# Folders (override with the environment): SOEPEL_LANDING_DIR=./landing, SOEPEL_WAREHOUSE_DIR=./warehouse,
# SOEPEL_REPORT_DIR=./artifacts/reports, AIRFLOW_HOME=./airflow_home; SOEPEL_PERSONS (default 5000) and
# SOEPEL_SEED for the generator; SOEPEL_AUDIENCE=intern|publiek for the report.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
[ -x .venv/bin/airflow ] || bash scripts/setup.sh
export PATH="$REPO/.venv/bin:$PATH"

if [ -z "${SOEPEL_PSEUDONYM_KEY:-}" ] && [ -z "${AIRFLOW_VAR_SOEPEL_PSEUDONYM_KEY:-}" ] && [ -z "${AIRFLOW_CONN_SOEPEL_PSEUDONYM_KEY:-}" ]; then
  echo "airflow_run.sh: set SOEPEL_PSEUDONYM_KEY (python -c 'import secrets; print(secrets.token_hex(32))')" >&2
  exit 2
fi

export SOEPEL_LANDING_DIR="$(realpath -m "${SOEPEL_LANDING_DIR:-landing}")"
export SOEPEL_WAREHOUSE_DIR="$(realpath -m "${SOEPEL_WAREHOUSE_DIR:-warehouse}")"
export SOEPEL_REPORT_DIR="$(realpath -m "${SOEPEL_REPORT_DIR:-artifacts/reports}")"
export AIRFLOW_HOME="$(realpath -m "${AIRFLOW_HOME:-airflow_home}")"
# a person starts this after the files are there: no settle period (the scheduled ingest waits 60 s)
export SOEPEL_SETTLE_SECONDS="${SOEPEL_SETTLE_SECONDS:-0}"
export AIRFLOW__CORE__DAGS_FOLDER="$REPO/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$REPO/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$AIRFLOW_HOME/airflow.db"
# lineage (docs/airflow.md, 'Lineage'): OpenLineage events as files in $SOEPEL_WAREHOUSE_DIR/_meta/lineage/,
# unless AIRFLOW__OPENLINEAGE__TRANSPORT is set already (e.g. to a Marquez server)
LINEAGE_FILES='{"type": "soepel_airflow.lineage_transport.WarehouseFileTransport"}'
export AIRFLOW__OPENLINEAGE__TRANSPORT="${AIRFLOW__OPENLINEAGE__TRANSPORT:-$LINEAGE_FILES}"
mkdir -p "$AIRFLOW_HOME" "$SOEPEL_LANDING_DIR" "$SOEPEL_REPORT_DIR"
LOG_DIR="$AIRFLOW_HOME/run-logs"
mkdir -p "$LOG_DIR"

if [ -z "$(find "$SOEPEL_LANDING_DIR" -type f -print -quit)" ]; then
  echo "== landing zone $SOEPEL_LANDING_DIR is empty: generating synthetic data"
  soepel-etl generate --out "$SOEPEL_LANDING_DIR" --persons "${SOEPEL_PERSONS:-5000}" --seed "${SOEPEL_SEED:-20240401}" >/dev/null
fi

echo "== airflow db migrate ($AIRFLOW_HOME, SQLite)"
airflow db migrate >"$LOG_DIR/db-migrate.log" 2>&1 || { tail -40 "$LOG_DIR/db-migrate.log" >&2; exit 1; }

run_dag() {
  local dag_id="$1"; shift
  local log="$LOG_DIR/$dag_id.log"
  echo "== airflow dags test $dag_id $*  (log: $log)"
  local started=$SECONDS
  if ! airflow dags test "$dag_id" "$@" >"$log" 2>&1; then
    grep -E "SOEPEL FAILURE|AirflowFailException|ERROR|error" "$log" | tail -20 >&2 || true
    echo "airflow_run.sh: DAG $dag_id failed; full log: $log" >&2
    exit 1
  fi
  if grep -q "state=failed" "$log"; then
    grep -E "SOEPEL FAILURE" "$log" | tail -5 >&2 || true
    echo "airflow_run.sh: DAG $dag_id failed; full log: $log" >&2
    exit 1
  fi
  # the summary: what ingest loaded (outcomes per file), what the build built, where the report is
  grep -oE "Returned value was: \{'outcomes'.*\]\}|(built|coverage|outflows|build): .* \[soepel_airflow\]|report (html|xlsx): [^ ]+" "$log" \
    | sed -E 's/ \[soepel_airflow\]$//; s/^Returned value was: /ingest: /; s/^/   /' || true
  echo "   done in $((SECONDS - started)) s"
}

run_dag soepel_ingest
run_dag soepel_build
conf=$(printf '{"audience": "%s"}' "${SOEPEL_AUDIENCE:-intern}")
run_dag soepel_report --conf "$conf"

report=$(grep -oE "report html: [^ ]+" "$LOG_DIR/soepel_report.log" | tail -1 | cut -d' ' -f3)
if [ -z "$report" ]; then
  report=$(ls -t "$SOEPEL_REPORT_DIR"/*.html 2>/dev/null | head -1 || true)
fi
echo "report: $report"
