#!/usr/bin/env bash
# Production without Docker: gunicorn + a Celery worker + Celery beat, DJANGO_ENV=production,
# against PostgreSQL and Redis. This is the sequence the README documents and CI runs.
#
#   scripts/prod.sh setup    install, collect static files, migrate, load the rubric, check --deploy
#   scripts/prod.sh start    start web, worker and beat in the background; wait until /healthz is 200
#   scripts/prod.sh stop     stop them (warm, then cold after a grace period)
#   scripts/prod.sh status   which of them run
#
# Configuration comes from the environment (see README, "Production"): SECRET_KEY, DATABASE_URL,
# REDIS_URL, ALLOWED_HOSTS and WORKFLOWOS_PUBLIC_URL are required; optional: HOST/PORT (gunicorn's
# bind, default 127.0.0.1:8000), WEB_WORKERS, WEB_THREADS, WORKER_CONCURRENCY, START_WORKER=0 /
# START_BEAT=0 (run them on other hosts), WORKFLOWOS_VAR_DIR (pid and log files), STATIC_ROOT,
# WORKFLOWOS_SIGNING_KEYS, AWS_* (object storage).
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_ENV=production
VAR="${WORKFLOWOS_VAR_DIR:-var/prod}"
RUN="$VAR/run"
LOGS="$VAR/log"
PY=.venv/bin/python
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
mkdir -p "$RUN" "$LOGS"

need() {
  local missing=()
  for name in SECRET_KEY DATABASE_URL REDIS_URL ALLOWED_HOSTS WORKFLOWOS_PUBLIC_URL; do
    [ -n "${!name:-}" ] || missing+=("$name")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "scripts/prod.sh: set ${missing[*]} (see README, Production)" >&2
    exit 2
  fi
}

is_running() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

launch() {  # launch NAME COMMAND...: in the background, with a pid file and a log
  local name=$1
  shift
  if is_running "$name"; then
    echo "$name already running (pid $(cat "$RUN/$name.pid"))"
    return
  fi
  nohup "$@" >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
  echo "started $name (pid $!), log $LOGS/$name.log"
}

stop_one() {
  local name=$1 grace=$2 pid waited=0
  is_running "$name" || { rm -f "$RUN/$name.pid"; return 0; }
  pid=$(cat "$RUN/$name.pid")
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((grace * 10)) ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$name.pid"
  echo "stopped $name"
}

case "${1:-}" in
  setup)
    need
    [ "${SKIP_INSTALL:-0}" = "1" ] || make --no-print-directory install vendor
    $PY manage.py collectstatic --noinput -v 0
    $PY manage.py migrate --noinput -v 0
    $PY manage.py load_rubric
    $PY manage.py check --deploy --fail-level WARNING
    ;;
  start)
    need
    launch web .venv/bin/gunicorn -c python:workflowos.gunicorn_conf workflowos.wsgi:application --bind "$HOST:$PORT" \
      --workers "${WEB_WORKERS:-2}" --threads "${WEB_THREADS:-4}" --timeout 60 --graceful-timeout 10 \
      --access-logfile -
    if [ "${START_WORKER:-1}" = "1" ]; then
      launch worker .venv/bin/celery -A workflowos worker --loglevel=INFO \
        --concurrency="${WORKER_CONCURRENCY:-2}" --hostname="worker-$$@%h"
    fi
    if [ "${START_BEAT:-1}" = "1" ]; then
      launch beat .venv/bin/celery -A workflowos beat --loglevel=INFO --schedule="$VAR/celerybeat-schedule"
    fi
    # Ready when /healthz answers 200 (database, broker and the worker started here are up); with
    # the worker on another host, when the web answers at all.
    for _ in $(seq 1 120); do
      if $PY - "$HOST" "$PORT" "${START_WORKER:-1}" <<'PYCHECK' 2>/dev/null; then
import sys, urllib.error, urllib.request
host = sys.argv[1] if sys.argv[1] not in ("0.0.0.0", "::") else "127.0.0.1"
req = urllib.request.Request(f"http://{host}:{sys.argv[2]}/healthz", headers={"X-Forwarded-Proto": "https"})
try:
    with urllib.request.urlopen(req, timeout=3) as r:
        sys.exit(0 if r.status == 200 else 1)
except urllib.error.HTTPError as e:
    sys.exit(0 if sys.argv[3] != "1" and e.code == 503 else 1)
PYCHECK
        echo "WorkflowOS (production) is up at $WORKFLOWOS_PUBLIC_URL/ (bound to $HOST:$PORT)"
        exit 0
      fi
      for name in web worker beat; do
        if [ -f "$RUN/$name.pid" ] && ! is_running "$name"; then
          echo "$name exited; last lines of $LOGS/$name.log:" >&2
          tail -20 "$LOGS/$name.log" >&2
          exit 1
        fi
      done
      sleep 0.5
    done
    echo "WorkflowOS did not become healthy within 60 s; see $LOGS/" >&2
    exit 1
    ;;
  stop)
    stop_one beat 5
    stop_one worker 10
    stop_one web 10
    ;;
  status)
    for name in web worker beat; do
      if is_running "$name"; then echo "$name: running (pid $(cat "$RUN/$name.pid"))"; else echo "$name: stopped"; fi
    done
    ;;
  *)
    sed -n '2,14p' "$0"
    exit 2
    ;;
esac
