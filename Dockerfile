# Soepel ETL on the official Airflow image: the package (and its pinned dependencies) installed into it.
# Built by docker-compose.yml; not built or run on the development machine (no Docker there).
FROM apache/airflow:3.3.2-python3.11

USER airflow
WORKDIR /opt/soepel
COPY --chown=airflow:0 pyproject.toml constraints.txt README.md* /opt/soepel/
COPY --chown=airflow:0 soepel_etl /opt/soepel/soepel_etl
COPY --chown=airflow:0 expectations /opt/soepel/expectations
# constraints.txt pins apache-airflow==3.3.2 too, so pip keeps the image's Airflow as it is
RUN pip install --no-cache-dir -c /opt/soepel/constraints.txt /opt/soepel
WORKDIR /opt/airflow
