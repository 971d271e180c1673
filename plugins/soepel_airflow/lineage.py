"""OpenLineage for the Soepel DAGs: each data task names the datasets it read and wrote.

Airflow's OpenLineage provider emits a START and a COMPLETE (or FAIL) event for every task and DAG
run. For a TaskFlow task it knows no datasets; the provider's ``DefaultExtractor`` asks the operator
for them through ``get_openlineage_facets_on_complete(task_instance)``. :func:`lineage_task` is
``@task`` with an operator that answers that call for its stage:

| stage | inputs | outputs |
|---|---|---|
| ``ingest`` | the batch's landing files (row count, the ``raw_<source>`` suite) | ``staging/<source>`` (schema, rows staged, ``staged_<source>``), ``quarantine/<source>`` |
| ``build`` | ``staging/*`` (schema, rows staged) | every ``core/*`` and ``marts/*`` table built (schema, rows, ``core_*``/``marts_*``/``regression_*``) |
| ``report`` | the marts and core tables the report reads (schema, rows of the build) | the HTML and xlsx files |

The facts come from ``soepel_etl.pipeline`` (``ingest_lineage``, ``build_lineage``,
``report_lineage``: the task's own return value, ``_meta/quality/runs`` and the Parquet footers); this
module only turns them into OpenLineage datasets with the standard facets ``schema``,
``outputStatistics`` / ``inputStatistics`` and ``dataQualityAssertions``. Datasets are named the
OpenLineage way for local files: namespace ``file``, name the absolute path (landing files with
identifiers in their names masked, as in ``_meta/loads``).

The facts are gathered only when lineage is on (the provider installed and a transport set), right
after the task succeeded, in the task's process; an error there is logged and never fails the task.

Transport: ``[openlineage] transport`` (``AIRFLOW__OPENLINEAGE__TRANSPORT``). The project's default
is :class:`~soepel_airflow.lineage_transport.WarehouseFileTransport`
(``{"type": "soepel_airflow.lineage_transport.WarehouseFileTransport"}``):
one JSON file per event in ``<warehouse>/_meta/lineage/``. An HTTP server such as Marquez is the
same one setting: ``{"type": "http", "url": "http://marquez:5000"}``. See docs/airflow.md, 'Lineage'.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

# the operator class @task builds on (the standard provider's; private by name, but the one way to
# keep every @task behaviour: XCom, mapping, map_index_template) plus the factory that makes @task
from airflow.providers.standard.decorators.python import _PythonDecoratedOperator
from airflow.sdk.bases.decorator import task_decorator_factory

from .config import resolve_paths

log = logging.getLogger(__name__)

NAMESPACE = "file"          # OpenLineage naming for a local file system: namespace file, name the path
STAGES = ("ingest", "build", "report")


class LineageTaskOperator(_PythonDecoratedOperator):
    """``@task`` that tells OpenLineage which datasets its stage read and wrote (``lineage_stage``)."""

    def __init__(self, *, lineage_stage: str, **kwargs) -> None:
        if lineage_stage not in STAGES:
            raise ValueError(f"lineage_stage must be one of {STAGES}, not {lineage_stage!r}")
        self.lineage_stage = lineage_stage
        self._lineage = None
        super().__init__(**kwargs)

    def execute(self, context):
        result = super().execute(context)
        # Gather the facts here, in the task's own process, right after the stage succeeded: the
        # provider calls get_openlineage_facets_on_complete in a forked child with a 10 s limit, and a
        # DuckDB used before a fork can hang in the child (its thread pool does not survive fork), as
        # can a Variable look-up over the parent's supervisor channel. So the child only converts.
        if lineage_on():
            try:
                self._lineage = stage_lineage(self.lineage_stage, dict(context.get("params") or {}), result)
            except Exception:   # lineage describes the run; it never fails it
                log.warning("lineage of %s not gathered; its OpenLineage events name no datasets", self.task_id,
                            exc_info=True)
        return result

    def get_openlineage_facets_on_complete(self, task_instance):
        from airflow.providers.openlineage.extractors import OperatorLineage

        if self._lineage is None:
            return OperatorLineage()
        return OperatorLineage(inputs=[input_dataset(d) for d in self._lineage.inputs],
                               outputs=[output_dataset(d) for d in self._lineage.outputs])


def lineage_on() -> bool:
    """Whether the OpenLineage provider is installed and will emit (a transport is configured)."""
    try:
        from airflow.providers.openlineage.conf import is_disabled
    except ImportError:
        return False
    return not is_disabled()


def lineage_task(stage: str, **kwargs):
    """``@task(...)`` whose OpenLineage events carry the datasets of ``stage`` (ingest, build, report)."""
    return task_decorator_factory(decorated_operator_class=LineageTaskOperator, lineage_stage=stage, **kwargs)


def stage_lineage(stage: str, params: Mapping[str, Any], result: Any):
    """The plain facts (``soepel_etl.lineage.StageLineage``) of one successful task of ``stage``."""
    from soepel_etl.pipeline import StageLineage, build_lineage, ingest_lineage, report_lineage

    paths = resolve_paths(params)
    warehouse = paths["warehouse"].resolve()
    if stage == "ingest":
        return ingest_lineage(paths["landing"].resolve(), warehouse, list(result or []))
    if stage == "build":
        if not result or not result.get("built"):
            return StageLineage()       # nothing changed: nothing was read for a build, nothing written
        return build_lineage(warehouse, result["run_id"], result["rows"])
    return report_lineage(warehouse, dict(result or {}))


def _dataset_facets(d) -> dict:
    from openlineage.client.facet_v2 import schema_dataset

    if not d.fields:
        return {}
    return {"schema": schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in d.fields])}


def _assertions(d):
    from openlineage.client.facet_v2 import data_quality_assertions_dataset as dq

    if not d.checks:
        return None
    return dq.DataQualityAssertionsDatasetFacet(assertions=[
        dq.Assertion(assertion=c.expectation or c.suite, success=c.success, column=c.column,
                     severity=c.severity, name=c.suite) for c in d.checks])


def input_dataset(d):
    from openlineage.client.event_v2 import InputDataset
    from openlineage.client.facet_v2 import input_statistics_input_dataset as stats

    input_facets: dict = {}
    if d.rows is not None:
        input_facets["inputStatistics"] = stats.InputStatisticsInputDatasetFacet(rowCount=d.rows)
    if (assertions := _assertions(d)) is not None:
        # the standard place: GX judged this input (a landing file's raw suite) when it was read
        input_facets["dataQualityAssertions"] = assertions
    return InputDataset(namespace=NAMESPACE, name=str(d.path), facets=_dataset_facets(d), inputFacets=input_facets)


def output_dataset(d):
    from openlineage.client.event_v2 import OutputDataset
    from openlineage.client.facet_v2 import output_statistics_output_dataset as stats

    facets = _dataset_facets(d)
    if (assertions := _assertions(d)) is not None:
        # the suites that judged what this task wrote, before its commit: a property of the dataset
        # as written, so a dataset facet (the spec types it for inputs; consumers read it by name)
        facets["dataQualityAssertions"] = assertions
    output_facets = {}
    if d.rows is not None:
        output_facets["outputStatistics"] = stats.OutputStatisticsOutputDatasetFacet(rowCount=d.rows)
    return OutputDataset(namespace=NAMESPACE, name=str(d.path), facets=facets, outputFacets=output_facets)
