#!/usr/bin/env bash
# Start the web app and a real Celery worker on the embedded default; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

# -B embeds the beat scheduler (periodic sweeps, expiry) in this single development worker.
.venv/bin/celery -A workflowos worker -B --schedule=var/celerybeat-schedule --loglevel=INFO --concurrency="${WORKER_CONCURRENCY:-2}" --hostname="worker@%h" &
WORKER=$!
stop() {
  trap - INT TERM EXIT
  kill -TERM "$WORKER" 2>/dev/null || true
  wait "$WORKER" 2>/dev/null || true
}
trap stop INT TERM EXIT

echo "WorkflowOS on http://$HOST:$PORT/ (worker pid $WORKER). Ctrl-C stops both."
.venv/bin/python manage.py runserver "$HOST:$PORT" --noreload
