# syntax=docker/dockerfile:1
# The one image every role runs: `web` (uvicorn, HTTP and WebSockets), `worker`
# (Celery), `sweep` (the outbox sweep), `migrate`, or any command
# (deploy/docker/entrypoint.sh). Build from the repository root:
#   docker build -t registry.example.com/pedometer:1.0.0 .
# `make test` lints this file with hadolint; it is not built there (no Docker engine).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: wheels (mysqlclient compiles against MariaDB's C headers), static files, catalogues
FROM ${PYTHON_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# Unpinned Debian packages: bookworm's security updates replace exact versions, so a
# pin would break the build within weeks; the base image tag fixes the release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libmariadb-dev pkg-config gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements.txt .
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links /wheels -r requirements.txt
ENV PATH=/opt/venv/bin:$PATH
COPY . .
# The embedded default settings (no DATABASE_URL) are enough for both commands.
# STATIC_MANIFEST: the manifest storage, which writes staticfiles.json (hashed names).
# compilemessages: locale/ (README, "Languages"); the .mo files are built here, never committed.
RUN STATIC_MANIFEST=true python manage.py collectstatic --no-input -v0 \
    && python manage.py compilemessages -v0 --ignore=staticfiles --ignore=node_modules --ignore=.venv

# --- runtime: the venv and the app, MariaDB's client library, no compiler
FROM ${PYTHON_IMAGE} AS runtime
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmariadb3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 pedometer \
    && useradd --system --uid 10001 --gid pedometer --no-create-home --home-dir /nonexistent pedometer
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /src /app
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8000
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 8000
# Liveness only (no I/O); the role that serves HTTP answers it, the others report healthy.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/app/deploy/docker/entrypoint.sh", "healthcheck"]
ENTRYPOINT ["/app/deploy/docker/entrypoint.sh"]
CMD ["web"]
