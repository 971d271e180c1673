"""Benchmark (issue 13, point 2): our model runner against dbt-duckdb on the same staged warehouse.

    PYTHONPATH=. .venv/bin/python bench/bench_dbt.py --persons 200000 [--workdir DIR] \\
        [--dbt /tmp/dbt-venv/bin/dbt] [--modes whole,ranged] [--person-months-per-range N]

dbt-duckdb is never installed into the project's venv: give a throwaway venv's ``dbt`` with
``--dbt`` (see docs/architecture.md, "Why our own runner, not dbt-duckdb", for the two commands).

Steps:

1. generate + ingest a synthetic warehouse (skipped when ``--workdir`` already holds one);
2. our build: ``pipeline.build_only(s, force=True)`` in a fresh subprocess (wall time, max RSS);
3. a dbt project generated FROM the catalog (:mod:`soepel_etl.models.catalog`), so it stays in
   sync: one dbt model per catalog model, ``ref()`` for model inputs; what build.py prepares before
   the first model (the staging views ``stg_<source>``/``current_<source>``/``stg_werk_ranked``, the
   reference and national views, the coverage values, the rule and build macros of
   schema/macros.py) is recorded by running build.py's own functions on a recording connection and
   replayed as ``on-run-start`` statements (persistent instead of TEMP: dbt-duckdb's threads use
   their own cursors). Published tables are ``external`` (Parquet, zstd), internal ones ``table``.
   Two modes:

   * ``whole``: every model built whole (dbt's own materializations). A per-range model with a
     ``-- publish:`` query becomes ``<rel>__select`` (a table, what later models read) and ``<rel>``
     (external, the publish query as its final select);
   * ``ranged``: the per-range models use a custom materialization ``per_range`` (a Jinja loop in
     the generated project): it computes the ranges as build.person_ranges does, and for each range
     redefines ``in_person_range``, builds the range into a table, COPYs the publish query to
     ``part-<i>.parquet`` (and the SELECT form to a scratch part when it differs), then makes the
     model a view over its parts. dbt still builds one model at a time: each model's range loop
     runs over the WHOLE of its per-range inputs (views over their parts), where our runner runs
     all per-range models for one range before the next.

   ``dbt run`` runs in a fresh subprocess (wall time; peak RSS of the child tree sampled with
   psutil every 0.2 s, plus the dbt process's own max RSS from getrusage(RUSAGE_CHILDREN));
4. row counts of every table dbt wrote against ours (the Parquet files under core/ and marts/).

Prints a JSON result and writes it to bench/results/dbt_vs_runner.json (merged by persons/mode).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from bench_build import KEY, prepare  # noqa: E402  (the same ingest and key as the build benchmark)
from bench_ingest import run_measured  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "dbt_vs_runner.json"

BUILD = """
import sys, json
from soepel_etl import pipeline
from soepel_etl.settings import Settings
s = Settings.resolve(landing=sys.argv[1], warehouse=sys.argv[2])
summary = pipeline.build_only(s, force=True)
print("BUILDJSON " + json.dumps({"seconds": summary.build.seconds, "rows": summary.build.rows,
                                 "person_ranges": summary.build.person_ranges}), file=sys.stderr)
"""

# ---------------------------------------------------------------------------------------------
# what build.py prepares, recorded


class Recorder:
    """A DuckDB connection that records every CREATE/INSERT it runs (parameters inlined), so the
    statements build.py runs before the first model can be replayed in dbt's ``on-run-start``."""

    def __init__(self, con):
        self.con, self.statements = con, []

    @staticmethod
    def _literal(v) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, dt.date):
            return f"DATE '{v.isoformat()}'"
        if isinstance(v, (int, float)):
            return str(v)
        return "'" + str(v).replace("'", "''") + "'"

    def execute(self, sql: str, params=None):
        text = sql.strip()
        if re.match(r"(CREATE|INSERT)\b", text, re.I):
            if params:
                values = iter(params)
                text = re.sub(r"\?", lambda _: self._literal(next(values)), text)
            # persistent, not TEMP: dbt-duckdb runs each model on a cursor of its own
            text = re.sub(r"^CREATE (OR REPLACE )?TEMP ", "CREATE OR REPLACE ", text)
            self.statements.append(text)
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    def executemany(self, sql: str, rows):
        for row in rows:
            self.execute(sql, row)

    def __getattr__(self, name):
        return getattr(self.con, name)


def prepared_statements(landing: Path, warehouse: Path, scratch: Path) -> tuple[list[str], dict]:
    """build.build()'s preparation (everything before ``Runner``), on a recording connection."""
    from soepel_etl import pipeline
    from soepel_etl.models import build as b
    from soepel_etl.schema.macros import build_macros, person_range_macro, rule_macros
    from soepel_etl.schema.contracts import SOURCES
    from soepel_etl.schema.versions import current_sql
    from soepel_etl.settings import Settings

    s = Settings.resolve(landing=str(landing), warehouse=str(warehouse))
    reference_date = pipeline.resolve_reference_date(s)
    loads = [r for r in pipeline.read_loads(s.warehouse).to_pylist()
             if r["source"] == "onderwijs" and r["outcome"] == "loaded"]
    tx = SimpleNamespace(root=Path(s.warehouse), tmp=scratch / "no-tx")
    con = Recorder(b.connect(scratch / "record"))
    for source in SOURCES:
        b._staging_relation(con, tx, source)
        con.execute(f"CREATE OR REPLACE TEMP VIEW current_{source} AS {current_sql(source, f'stg_{source}')}")
    b._werk_ranked(con, tx)
    con.execute("CREATE TEMP TABLE loaded_onderwijs (delivery_date DATE)")
    con.executemany("INSERT INTO loaded_onderwijs VALUES (?)", [(r["delivery_date"],) for r in loads])
    b._reference_views(con, Path(s.reference))
    for statement in rule_macros():
        con.execute(statement)
    coverage = b.coverage_of(con, Path(s.reference), reference_date)
    for statement in build_macros(reference_date, coverage.last_month_index, coverage.observed_until_index,
                                  coverage.reference_month or "0000-01", *b._month_label_range(con, coverage)):
        con.execute(statement)
    # whole mode: one range holding every person (the per_range materialization redefines it)
    con.execute(person_range_macro(0, b.ID_SPACE - 1))
    con.con.close()
    info = {"reference_date": str(reference_date), "employment_month": coverage.employment_month,
            "education_month": coverage.education_month,
            "person_months_per_range": s.person_months_per_range}
    return con.statements, info


# ---------------------------------------------------------------------------------------------
# the dbt project, generated from the catalog

PER_RANGE = r"""
{% materialization per_range, adapter='duckdb' %}
  {#- build.person_ranges: equal ranges of the 60-bit person_id space, ~N person-months each -#}
  {%- set total = run_query("SELECT coalesce(sum(greatest(last_month_index() - first_month_index + 1, 0)), 0) FROM core_persons")[0][0] | int -%}
  {%- set per = config.get('person_months_per_range') | int -%}
  {%- set n = [1, (total + per - 1) // per] | max -%}
  {%- set space = 1152921504606846976 -%}
  {%- set out = config.get('out_dir') -%}
  {%- set scratch = config.get('scratch_dir') -%}
  {%- set publish = config.get('publish_sql') -%}
  {%- set target_relation = this.incorporate(type='view') -%}
  {%- set part = this.identifier ~ '__range' -%}
  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {% for i in range(n) %}
    {% call statement('range_macro_' ~ i) -%}
      CREATE OR REPLACE MACRO in_person_range(person_id) AS person_id BETWEEN {{ i * space // n }} AND {{ (i + 1) * space // n - 1 }}
    {%- endcall %}
    {% call statement('range_table_' ~ i) -%}
      CREATE OR REPLACE TABLE {{ part }} AS {{ sql }}
    {%- endcall %}
    {% call statement('range_publish_' ~ i) -%}
      COPY ({{ publish | replace('__SELF__', part) }}) TO '{{ out }}/part-{{ '%04d' % i }}.parquet' (FORMAT parquet, COMPRESSION zstd)
    {%- endcall %}
    {% if scratch %}
    {% call statement('range_scratch_' ~ i) -%}
      COPY {{ part }} TO '{{ scratch }}/part-{{ '%04d' % i }}.parquet' (FORMAT parquet, COMPRESSION zstd)
    {%- endcall %}
    {% endif %}
  {% endfor %}
  {% call statement('main') -%}
    DROP TABLE IF EXISTS {{ part }};
    CREATE OR REPLACE MACRO in_person_range(person_id) AS person_id BETWEEN 0 AND {{ space - 1 }};
    DROP VIEW IF EXISTS {{ target_relation }};
    CREATE VIEW {{ target_relation }} AS SELECT * FROM read_parquet('{{ scratch or out }}/*.parquet')
  {%- endcall %}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ adapter.commit() }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
"""


def _jinja_safe(text: str) -> str:
    return "{% raw %}" + text + "{% endraw %}" if re.search(r"\{[{%#]", text) else text


def _with_refs(sql: str, refs: dict[str, str]) -> str:
    """``sql`` with each relation of ``refs`` (SQL name → dbt model) as ``{{ ref('…') }}``."""
    if not refs:
        return _jinja_safe(sql)
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(refs, key=len, reverse=True))) + r")\b")
    out, last = [], 0
    for m in pattern.finditer(sql):
        out.append(_jinja_safe(sql[last:m.start()]))
        out.append("{{ ref('" + refs[m.group(1)] + "') }}")
        last = m.end()
    out.append(_jinja_safe(sql[last:]))
    return "".join(out)


def _config(**kw) -> str:
    return "{{ config(" + ", ".join(f"{k}={v!r}" for k, v in kw.items()) + ") }}\n"


def generate_project(project: Path, out: Path, statements: list[str], mode: str, threads: int,
                     memory_limit: str, person_months_per_range: int) -> dict[str, Path]:
    """Writes the dbt project; returns the folder each published model writes, by catalog name."""
    from soepel_etl.models import catalog

    found = catalog.models()
    first, ranged, last = catalog.stages(found)
    ranged_names = {m.name for m in ranged}
    (project / "models").mkdir(parents=True)
    (project / "macros").mkdir()
    (project / "macros" / "per_range.sql").write_text(PER_RANGE)
    written: dict[str, Path] = {}
    for model in catalog.build_order(found):
        rel = model.relation
        hooks = {}
        if model.settings:
            hooks = {"pre_hook": [f"SET {n} = {v}" for n, v in model.settings],
                     "post_hook": [f"RESET {n}" for n, _ in model.settings]}
        # a per-range model reads the SELECT form of the per-range models it reads
        refs = {}
        for name in model.inputs:
            if name in found:
                target = found[name]
                split = mode == "whole" and target.per_person_range and target.publish_sql
                reads_select = model.per_person_range
                refs[target.relation] = target.relation + ("__select" if split and reads_select else "")
        folder = out / model.layer / model.table
        if model.per_person_range and mode == "ranged":
            folder.mkdir(parents=True, exist_ok=True)
            scratch = None
            if model.publish_sql:
                scratch = out.parent / "dbt_scratch" / rel
                scratch.mkdir(parents=True, exist_ok=True)
            publish = (model.publish_sql or "SELECT * FROM __SELF__")
            publish = re.sub(rf"\b{rel}\b", "__SELF__", publish)
            body = (_config(materialized="per_range", out_dir=str(folder), scratch_dir=str(scratch or ""),
                            publish_sql=publish, person_months_per_range=person_months_per_range, **hooks)
                    + ("-- depends_on: {{ ref('core_persons') }}\n" if "core/persons" not in model.inputs else "")
                    + _with_refs(model.sql, refs))
            (project / "models" / f"{rel}.sql").write_text(body)
            written[model.name] = folder
            continue
        if model.per_person_range and model.publish_sql:
            (project / "models" / f"{rel}__select.sql").write_text(
                _config(materialized="table", **hooks) + _with_refs(model.sql, refs))
            publish_refs = {k: v.replace("__select", "") for k, v in refs.items()} | {rel: rel + "__select"}
            sql = _with_refs(model.publish_sql, publish_refs)
            hooks = {}
        else:
            sql = _with_refs(model.sql, refs)
        if model.published:
            folder.mkdir(parents=True, exist_ok=True)
            cfg = _config(materialized="external", location=str(folder / "data.parquet"), format="parquet",
                          options={"compression": "zstd"}, **hooks)
            written[model.name] = folder
        else:
            cfg = _config(materialized="table", **hooks)
        (project / "models" / f"{rel}.sql").write_text(cfg + sql)
    # one hook: dbt logs and times each hook as a node of its own (~0.05 s each, 280 of them)
    hook_sql = ["{% raw %}" + ";\n".join(statements) + "{% endraw %}"]
    (project / "dbt_project.yml").write_text(json.dumps({
        "name": "soepel_dbt", "version": "1.0.0", "config-version": 2, "profile": "soepel_dbt",
        "model-paths": ["models"], "macro-paths": ["macros"], "on-run-start": hook_sql}, indent=1))
    (project / "profiles.yml").write_text(json.dumps({"soepel_dbt": {"target": "bench", "outputs": {"bench": {
        "type": "duckdb", "path": str(project / "dbt.duckdb"), "threads": threads,
        # no temp_directory here: dbt-duckdb applies the settings to every cursor it opens, and DuckDB
        # refuses to switch the temp directory once a query spilled (national scale spills; DuckDB's
        # default, dbt.duckdb.tmp beside the database, is in the project folder anyway)
        "settings": {"threads": 2, "memory_limit": memory_limit, "preserve_insertion_order": False}}}}}, indent=1))
    return written


def run_dbt(dbt: str, project: Path) -> dict:
    """``dbt run`` in a fresh subprocess: wall time, peak RSS of the child tree (sampled), the
    child's own max RSS (getrusage)."""
    import psutil

    maxrss_file = project / "maxrss.txt"
    env = dict(os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
    started = time.perf_counter()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", str(maxrss_file), dbt, "run", "--project-dir", str(project), "--profiles-dir", str(project),
                             "--no-partial-parse", "--no-version-check"], cwd=project, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]

    def sample() -> None:
        try:
            parent = psutil.Process(proc.pid)
            while proc.poll() is None:
                try:
                    tree = [parent, *parent.children(recursive=True)]
                    peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree))
                except psutil.Error:
                    pass
                time.sleep(0.2)
        except psutil.Error:
            pass

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    wall = time.perf_counter() - started
    sampler.join()
    output = re.sub(r"\x1b\[[0-9;]*m", "", output)
    (project / "dbt_run.log").write_text(output)
    if proc.returncode != 0:
        raise SystemExit(f"dbt run failed (log: {project / 'dbt_run.log'}):\n" + output[-4000:])
    seconds = {m.group(1): float(m.group(2)) for m in
               re.finditer(r"OK created .* model main\.(\S+) \.+ \[OK in ([\d.]+)s\]", output)}
    hooks = [float(x) for x in re.findall(r"OK hook: \S+ \.+ \[OK in ([\d.]+)s\]", output)]
    stamps = re.findall(r"^(\d\d:\d\d:\d\d)  (Running with dbt|Found \d+ models)", output, re.M)
    parse_s = None
    if len(stamps) >= 2:
        t0, t1 = (dt.datetime.strptime(x[0], "%H:%M:%S") for x in stamps[:2])
        parse_s = (t1 - t0).seconds
    return {"wall_s": round(wall, 1), "peak_rss_mb": int(maxrss_file.read_text().split()[-1]) // 1024,
            "peak_rss_mb_tree_sampled": round(peak[0] / 2**20),
            "models_s": round(sum(seconds.values()), 1), "on_run_start_s": round(sum(hooks), 1),
            "start_to_parsed_s": parse_s, "seconds_per_model": seconds}


def row_counts(folders: dict[str, Path]) -> dict[str, int]:
    import duckdb

    con = duckdb.connect()
    return {name: con.execute(f"SELECT count(*) FROM read_parquet('{folder}/*.parquet')").fetchone()[0]
            for name, folder in folders.items() if list(folder.glob("*.parquet"))}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--workdir", help="reuse a folder: an existing landing/ and warehouse/ are kept")
    parser.add_argument("--dbt", default="/tmp/dbt-venv/bin/dbt")
    parser.add_argument("--modes", default="whole,ranged")
    parser.add_argument("--skip-runner", action="store_true", help="reuse the runner figures already in the results")
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB's, as build.connect sets it")
    parser.add_argument("--dbt-threads", type=int, default=1,
                        help="dbt's model threads (ranged mode needs 1: in_person_range is one macro)")
    parser.add_argument("--person-months-per-range", type=int, default=None,
                        help="both builds (SOEPEL_PERSON_MONTHS_PER_RANGE); default the project's")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    os.environ["SOEPEL_PSEUDONYM_KEY"] = KEY
    if args.person_months_per_range:
        os.environ["SOEPEL_PERSON_MONTHS_PER_RANGE"] = str(args.person_months_per_range)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_dbt_"))
    landing, warehouse = work / "landing", work / "warehouse"
    dbt_version = subprocess.run([args.dbt, "--version"], capture_output=True, text=True).stdout
    result: dict = {
        "benchmark": "build core + marts: our runner vs dbt-duckdb", "persons": args.persons,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "dbt": " ".join(re.findall(r"(?:installed|duckdb): +(\S+)", dbt_version)) or dbt_version.strip()[:200],
        "load_average_at_start": load_average(),
    }
    try:
        prepare(landing, warehouse, args.persons, result, run_measured)
        if not args.skip_runner:
            ours = run_measured(BUILD, str(landing), str(warehouse))
            detail = [json.loads(l[len("BUILDJSON "):]) for l in ours["log"].splitlines() if l.startswith("BUILDJSON ")][0]
            models_s = sum(v for k, v in detail["seconds"].items() if k != "quality")
            result["runner"] = {"wall_s": round(ours["wall_s"], 1), "peak_rss_mb": ours["peak_rss_mb"],
                                "models_s": round(models_s, 1), "quality_s": detail["seconds"].get("quality"),
                                "person_ranges": detail["person_ranges"], "seconds_per_table": detail["seconds"],
                                "load_average_after": load_average()}
            ours_rows = row_counts({n: warehouse / n for n in detail["rows"]})
            result["runner"]["rows"] = ours_rows
        else:
            ours_rows = _previous(args.persons).get("runner", {}).get("rows", {})
            result["runner"] = _previous(args.persons).get("runner")
        for mode in args.modes.split(","):
            run_dir = work / f"dbt_{mode}"
            shutil.rmtree(run_dir, ignore_errors=True)
            run_dir.mkdir()
            statements, info = prepared_statements(landing, warehouse, run_dir)
            result["build_values"] = info
            folders = generate_project(run_dir / "project", run_dir / "out", statements, mode, args.dbt_threads,
                                       args.memory_limit, info["person_months_per_range"])
            measured = run_dbt(args.dbt, run_dir / "project")
            measured["load_average_after"] = load_average()
            dbt_rows = row_counts(folders)
            measured["rows"] = dbt_rows
            measured["rows_differ"] = {n: {"runner": ours_rows.get(n), "dbt": dbt_rows.get(n)}
                                       for n in sorted(set(ours_rows) | set(dbt_rows))
                                       if ours_rows.get(n) != dbt_rows.get(n)}
            measured["rows_match"] = not measured["rows_differ"]
            result[f"dbt_{mode}"] = measured
        result["load_average_at_end"] = load_average()
        print(json.dumps(result, indent=1))
        _save(result)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


def _previous(persons: int) -> dict:
    if RESULTS.exists():
        return json.loads(RESULTS.read_text()).get(str(persons), {})
    return {}


def _save(result: dict) -> None:
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    key = str(result["persons"])
    if os.environ.get("SOEPEL_PERSON_MONTHS_PER_RANGE"):
        key += f"_range{os.environ['SOEPEL_PERSON_MONTHS_PER_RANGE']}"
    merged = saved.get(key, {}) | result
    saved[key] = merged
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(saved, indent=1) + "\n")


if __name__ == "__main__":
    main()
