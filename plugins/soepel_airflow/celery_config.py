"""The Celery configuration of the CeleryExecutor: Airflow's default, plus the warm-up of
:mod:`.warm_up` in each worker before its pool forks.

Set with ``[celery] celery_config_options = soepel_airflow.celery_config.CELERY_CONFIG``
(``AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS`` in docker-compose.yml).
"""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import import_modules

from .warm_up import warm_up

# Airflow's own dictionary, unchanged (create_celery_app applies team settings only over other dictionaries)
CELERY_CONFIG = DEFAULT_CELERY_CONFIG


def _warm_up_before_the_pool_forks(*args, **kwargs) -> None:
    warm_up()


# fires once in a worker's main process, where Airflow preloads its own modules (celery_executor_utils)
import_modules.connect(_warm_up_before_the_pool_forks, weak=False)
