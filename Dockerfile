# WorkflowOS production image: gunicorn web or Celery worker (same image, different command).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV=production WORKFLOWOS_VAR_DIR=/var/lib/workflowos

# WeasyPrint needs Pango; npm installs the front-end packages from the lock file.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core npm curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN pip install --no-cache-dir . gunicorn \
 && make vendor \
 && SECRET_KEY=build-only-not-secret-$(date +%s)-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx REDIS_URL=redis://unused DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput -v 0 \
 && useradd --system --home /var/lib/workflowos workflowos && mkdir -p /var/lib/workflowos && chown workflowos /var/lib/workflowos

USER workflowos
EXPOSE 8000
CMD ["gunicorn", "workflowos.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
