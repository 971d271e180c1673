"""Soepel ETL: follows young people from mbo entree and level 2 into work.

The package never imports Airflow: the scheduler is a guest, the DAGs in ``dags/`` are its door.
"""

from importlib.metadata import version

__version__ = version("soepel-etl")   # one source: pyproject.toml
