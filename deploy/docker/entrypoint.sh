#!/bin/sh
# The image's roles, chosen by the first argument (Kubernetes `args`, `docker run IMAGE ROLE`):
#   web       uvicorn: HTTP and WebSockets on $PORT (the flags scripts/cluster.py runs; a test pins them)
#   worker    Celery: push delivery; metrics on $WORKER_METRICS_PORT when set
#   sweep     the outbox sweep, every $SWEEP_EVERY seconds (one is enough)
#   challenges-sweep  freezes challenges past their grace window, queues timed pushes, every $CHALLENGE_SWEEP_EVERY s
#   migrate   manage.py migrate (the Helm chart runs it as a pre-upgrade hook)
#   healthcheck   the Dockerfile's HEALTHCHECK: GET /healthz for web, nothing to check otherwise
# Anything else runs as given (`manage.py shell`, `sh`).
set -eu

# Load balancer and kubelet probes name the pod's own address in the Host header
# (an ALB health check always does); Django answers 400 to a host not in ALLOWED_HOSTS.
if [ -n "${POD_IP:-}" ] && [ -n "${ALLOWED_HOSTS:-}" ]; then
  export ALLOWED_HOSTS="$ALLOWED_HOSTS,$POD_IP"
fi

# Where the role is noted for the healthcheck (/tmp: the one writable place in the pods).
role_file=${PEDOMETER_ROLE_FILE:-/tmp/pedometer-role}
case "${1:-web}" in
  web)
    shift || true
    echo web >"$role_file"
    # --timeout-graceful-shutdown 20: below Kubernetes' 30 s grace period, so a node always ends on its own.
    # --ws-per-message-deflate false: a compressor per socket was half of a socket's memory (84 -> 43 KiB,
    # bench/live.py at 10,000 sockets) and CPU on every message, to shrink frames of about 100 bytes.
    exec uvicorn pedometer_site.asgi:application --host 0.0.0.0 --port "${PORT:-8000}" \
      --lifespan off --no-access-log --ws-max-size 65536 --ws-per-message-deflate false \
      --timeout-graceful-shutdown 20 "$@"
    ;;
  worker)
    shift
    echo worker >"$role_file"
    # The pool's processes count into PROMETHEUS_MULTIPROC_DIR, which must start empty:
    # a restarted container finds the last run's files in its emptyDir.
    if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
      rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    fi
    exec celery -A pedometer_site worker --concurrency "${WORKER_CONCURRENCY:-4}" --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
  sweep)
    shift
    echo sweep >"$role_file"
    exec python manage.py sweep_notifications --every "${SWEEP_EVERY:-30}" "$@"
    ;;
  challenges-sweep)
    shift
    echo sweep >"$role_file"
    exec python manage.py challenges_sweep --every "${CHALLENGE_SWEEP_EVERY:-60}" "$@"
    ;;
  migrate)
    shift
    exec python manage.py migrate --no-input "$@"
    ;;
  healthcheck)
    if [ "$(cat "$role_file" 2>/dev/null)" != web ]; then
      exit 0
    fi
    # Host: the first allowed name (Django answers 400 to others; "*" and ".domain" allow these).
    exec python -c "import os, sys, urllib.request as r
host = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.').replace('*', 'localhost')
req = r.Request(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/healthz', headers={'Host': host})
sys.exit(0 if r.urlopen(req, timeout=2).status == 200 else 1)"
    ;;
  *)
    exec "$@"
    ;;
esac
