# Soepel ETL on the official Airflow image: the project's wheel with the Airflow extra, installed with
# the constraints file of the image's Python. Built by docker-compose.yml; not built or run on the
# development machine (no Docker there). Another Python: docker build --build-arg PYTHON_VERSION=3.13 .
ARG PYTHON_VERSION=3.11

# The wheel, built the way scripts/build_wheel.sh builds it for the tests (from the sdist, pinned backend).
FROM python:${PYTHON_VERSION}-slim AS wheel
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /src
COPY pyproject.toml README.md /src/
COPY constraints /src/constraints
COPY scripts/build_wheel.sh /src/scripts/build_wheel.sh
COPY soepel_etl /src/soepel_etl
RUN bash scripts/build_wheel.sh /dist

FROM apache/airflow:3.3.2-python${PYTHON_VERSION}
ARG PYTHON_VERSION
USER airflow
COPY --chown=airflow:0 constraints /opt/soepel/constraints
COPY --from=wheel --chown=airflow:0 /dist /opt/soepel/dist
# the constraints pin apache-airflow==3.3.2 too, so pip keeps the image's Airflow as it is
RUN cp /opt/soepel/constraints/constraints-${PYTHON_VERSION}.txt /opt/soepel/constraints.txt \
 && pip install --no-cache-dir -c /opt/soepel/constraints.txt "$(ls /opt/soepel/dist/soepel_etl-*.whl)[airflow]"
WORKDIR /opt/airflow
