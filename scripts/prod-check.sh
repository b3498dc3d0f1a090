#!/usr/bin/env bash
# `make prod-check`: the production configuration, end to end, on this machine's PostgreSQL and
# Redis (no Docker). The test run creates its database; tests/production_stack.py then runs
# `scripts/prod.sh setup` and `start` (collectstatic, migrate, gunicorn + Celery worker + beat with
# DJANGO_ENV=production) against it, and the HTTP smoke set and the browser journeys drive it.
#
#   PG_URL     server to create the throwaway database on (default postgres://postgres@127.0.0.1:5432)
#   REDIS_BASE Redis server (default redis://127.0.0.1:6379); a spare db index is used and flushed
set -euo pipefail
cd "$(dirname "$0")/.."
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
REDIS_BASE="${REDIS_BASE:-redis://127.0.0.1:6379}"
DB="wfos_prod_$$"
REDIS_DB=$(( ($$ % 13) + 2 ))

cleanup() {
  psql "$PG_URL/postgres" -q -c "DROP DATABASE IF EXISTS test_${DB}" -c "DROP DATABASE IF EXISTS ${DB}" >/dev/null 2>&1 || true
  .venv/bin/python -c "import redis,sys; redis.Redis.from_url(sys.argv[1]).flushdb()" "$REDIS_BASE/$REDIS_DB" 2>/dev/null || true
}
trap cleanup EXIT
psql "$PG_URL/postgres" -q -c "CREATE DATABASE ${DB}"

DATABASE_URL="$PG_URL/${DB}" REDIS_URL="$REDIS_BASE/${REDIS_DB}" WORKFLOWOS_TEST_PRODUCTION=1 DJANGO_ENV=test \
  .venv/bin/pytest tests/production tests/e2e -p no:cacheprovider "$@"
