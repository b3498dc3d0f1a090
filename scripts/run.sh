#!/usr/bin/env bash
# Start the web app and a real Celery worker on the embedded default; Ctrl-C stops both.
#
# The worker is stopped warm first (it finishes the current chunk and hands unfinished jobs back
# to the queue, since tasks are acknowledged late); if it has not gone within STOP_GRACE seconds it
# is stopped cold, so Ctrl-C always returns within about ten seconds. A job cut short is picked up
# again by the next worker, or settled by the stale-job sweep.
set -uo pipefail
cd "$(dirname "$0")/.."
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
STOP_GRACE="${STOP_GRACE:-6}"
export HOST PORT
if [ -z "${WORKFLOWOS_PUBLIC_URL:-}" ]; then
  case "$HOST" in 0.0.0.0|::) shown=127.0.0.1 ;; *) shown="$HOST" ;; esac
  export WORKFLOWOS_PUBLIC_URL="http://$shown:$PORT"
fi
VAR="${WORKFLOWOS_VAR_DIR:-var}"
mkdir -p "$VAR/log"

# -B embeds the beat scheduler (periodic sweeps, expiry) in this single development worker.
.venv/bin/celery -A workflowos worker -B --schedule="$VAR/celerybeat-schedule" --loglevel=INFO \
  --concurrency="${WORKER_CONCURRENCY:-2}" --hostname="worker@%h" >>"$VAR/log/worker.log" 2>&1 &
WORKER=$!
WEB=""

stop_pid() {  # stop_pid PID GRACE: TERM, then KILL after GRACE seconds
  local pid=$1 grace=$2 waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((grace * 10)) ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    pkill -KILL -P "$pid" 2>/dev/null || true # the worker's pool processes
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping web and worker..."
  [ -n "$WEB" ] && stop_pid "$WEB" 3
  stop_pid "$WORKER" "$STOP_GRACE"
  echo "Stopped."
  exit 0
}
trap stop INT TERM EXIT

cat <<BANNER

  WorkflowOS is running at $WORKFLOWOS_PUBLIC_URL/
  Sign in as alice@acme.example (organisation admin), pat@acme.example (practitioner),
  ada@workflowos.example (assessor) or mia@msp.example (MSP adviser)
  with the password: ${DEMO_PASSWORD:-production-safe-demo}
  E-mails go to $VAR/outbox/, worker log to $VAR/log/worker.log.  Ctrl-C stops both.

BANNER
.venv/bin/python manage.py runserver "$HOST:$PORT" --noreload &
WEB=$!
wait "$WEB"
