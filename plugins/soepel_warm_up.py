"""Airflow plugin: the scheduler imports Great Expectations before it forks the LocalExecutor's
workers, so task processes inherit it (soepel_airflow/warm_up.py explains why and how)."""

from airflow.plugins_manager import AirflowPlugin

from soepel_airflow import warm_up


class SoepelWarmUp(AirflowPlugin):
    name = "soepel_warm_up"
    listeners = [warm_up]
