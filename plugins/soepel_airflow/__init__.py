"""Airflow-only glue for Soepel ETL (the ``soepel_etl`` package never imports Airflow).

Airflow puts ``plugins/`` on ``sys.path``, so the DAG files import this package as
``soepel_airflow``. Nothing here runs pipeline logic: it turns Airflow params, Variables and
Connections into :class:`soepel_etl.settings.Settings`, classifies errors for retries, names the
assets the DAGs exchange, and reports failures. See ``docs/airflow.md``.

Every module keeps parse-time imports light (``airflow.sdk`` and the standard library); the package's
heavy modules (DuckDB, pyarrow) are imported inside the functions that tasks call.
"""
