# WorkflowOS production image: the same image runs web (gunicorn), worker and beat (Celery);
# docker-compose.yml picks the command. Build: docker build -t workflowos .

# --- 1. Front-end packages, from the lock file, copied by the one list in scripts/vendor.sh ---
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error
COPY scripts/vendor.sh scripts/vendor.sh
RUN ./scripts/vendor.sh /src/vendor

# --- 2. The application ------------------------------------------------------------------------
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_ENV=production \
    PYTHONPATH=/app \
    WORKFLOWOS_VAR_DIR=/var/lib/workflowos \
    STATIC_ROOT=/app/staticfiles

# WeasyPrint (PDF packs and badges) needs Pango and HarfBuzz's subsetter, and a font.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 workflowos \
 && useradd --system --uid 10001 --gid workflowos --home-dir /var/lib/workflowos --no-create-home \
      --shell /usr/sbin/nologin workflowos \
 && mkdir -p /var/lib/workflowos \
 && chown workflowos:workflowos /var/lib/workflowos \
 && chmod 0700 /var/lib/workflowos

# The app runs from /app (BASE_DIR, first on PYTHONPATH for gunicorn, Celery and manage.py alike):
# the project templates/ and static/ live there, beside the packages, and are not in the wheel.
# `pip install .` (not editable) brings the dependencies, gunicorn among them, and the
# `workflowos` command-line tools (which need only the packages and their data files).
WORKDIR /app
COPY pyproject.toml README.md LICENSE manage.py ./
COPY workflowos/ workflowos/
COPY lib/ lib/
COPY core/ core/
COPY accounts/ accounts/
COPY psf/ psf/
COPY studio/ studio/
COPY analysis/ analysis/
COPY simulator/ simulator/
COPY simulations/ simulations/
COPY assessments/ assessments/
COPY trustmarks/ trustmarks/
COPY evidence/ evidence/
COPY msp/ msp/
COPY governance/ governance/
COPY notify/ notify/
COPY credentials/ credentials/
COPY results/ results/
COPY scripts/healthcheck.py scripts/healthcheck.py
RUN pip install --no-cache-dir .

COPY templates/ templates/
COPY static/ static/
COPY --from=assets /src/vendor/ static/vendor/

# Hashed, compressed static files for whitenoise. The key only satisfies the settings' checks
# for this one command: it is random, never stored, and unrelated to the running instance's.
RUN SECRET_KEY="build-only-$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
    REDIS_URL=redis://build.invalid:6379/0 \
    ALLOWED_HOSTS=localhost \
    WORKFLOWOS_VAR_DIR=/tmp/build-var \
    python manage.py collectstatic --noinput -v 0 \
 && rm -rf /tmp/build-var

# Everything the instance writes at run time (development SQLite, a key-ring directory if used).
# Artefacts go to S3 (AWS_* variables); web and workers share no disk.
VOLUME ["/var/lib/workflowos"]
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "/app/scripts/healthcheck.py"]
CMD ["gunicorn", "-c", "python:workflowos.gunicorn_conf", "workflowos.wsgi:application"]
