"""WorkflowOS settings: one module, driven by environment variables.

The embedded default (no variables set) runs on a SQLite file and a file-system Celery broker
under ``var/``, so a fresh checkout works with ``make run``. Production (``DJANGO_ENV=production``)
needs ``SECRET_KEY``, ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` and passes
``manage.py check --deploy``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# development | production | test (pytest selects test by itself)
DJANGO_ENV = env_str("DJANGO_ENV") or ("test" if "pytest" in sys.modules else "development")
PRODUCTION = DJANGO_ENV == "production"
TESTING = DJANGO_ENV == "test"

# Everything the instance writes at run time (SQLite file, broker folders, keys, uploads,
# exports) lives under VAR_DIR, which git ignores.
# Under pytest-xdist each test worker (and the Celery workers its tests start, which inherit
# PYTEST_XDIST_WORKER) gets a var dir and a Redis database of its own: no shared broker folder,
# cache or counters between parallel test processes.
XDIST_WORKER = env_str("PYTEST_XDIST_WORKER") if TESTING else ""
VAR_DIR = Path(
    env_str("WORKFLOWOS_VAR_DIR", str(BASE_DIR / "var" / (f"test{XDIST_WORKER}" if TESTING else "")))
)
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        if PRODUCTION and (len(key) < 50 or key.startswith("django-insecure") or len(set(key)) < 5):
            raise ImproperlyConfigured("SECRET_KEY is too weak for production: use 50+ random characters.")
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production (DJANGO_ENV=production).")
    # Development: generated once into a git-ignored file so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Off unless asked for (DEBUG=1), on the embedded default too: a visitor of a public record or badge
# never sees Django's technical pages; developers who want tracebacks in the browser opt in.
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")


# The absolute URL the instance is reached at; used in badges, credentials and emails.
# Outside production it follows the address `make run` listens on (HOST/PORT), so a dev server on
# another port signs its own address into credentials and links; production should set it.
def _listen_url() -> str:
    host = env_str("HOST", "127.0.0.1").strip() or "127.0.0.1"
    if host in {"0.0.0.0", "::", "[::]"}:  # noqa: S104 - a listen address, shown as loopback
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{env_int('PORT', 8000)}"


def _production_url() -> str:
    # Production without WORKFLOWOS_PUBLIC_URL: the first concrete allowed host, over HTTPS.
    hosts = [h.lstrip(".") for h in ALLOWED_HOSTS if h.strip(".") and h != "*"]
    if not hosts:
        raise ImproperlyConfigured(
            "Set WORKFLOWOS_PUBLIC_URL (or a concrete ALLOWED_HOSTS entry): it is signed into every credential."
        )
    return f"https://{hosts[0]}"


PUBLIC_URL = (
    env_str("WORKFLOWOS_PUBLIC_URL") or (_production_url() if PRODUCTION else _listen_url())
).rstrip("/")
ISSUER_NAME = env_str("WORKFLOWOS_ISSUER_NAME", "WorkflowOS (self-hosted)")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "core",
    "accounts",
    "psf",
    "studio",
    "simulations",
    "assessments",
    "trustmarks",
    "evidence",
    "msp",
    "governance",
    "notify",
    "credentials",
    "results",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy on every response (see CONTENT_SECURITY_POLICY)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionActivityMiddleware",
    "accounts.middleware.EmailVerificationMiddleware",  # unverified sign-ups may only verify
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Innermost, so it sees a view's exception first: database out of reach → 503, not 500.
    "core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "workflowos.urls"
WSGI_APPLICATION = "workflowos.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.organisation",
                "accounts.context_processors.signup",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'workflowos.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60 if PRODUCTION else 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a real Celery worker in integration tests sees the test database.
    # One file per test process, so concurrent runs never share (or delete) each other's database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
    # WAL lets the web process and the Celery worker use the file at the same time.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # Single sign-on through an organisation's OpenID Connect provider (accounts/oidc).
    "accounts.oidc.backend.OrganisationOidcBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:landing"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production whitenoise serves straight from the app's static folders (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads and generated files live outside the web root and are served only through
# access-checked views.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "files")))
MEDIA_URL = "/files-not-served/"

# --- Artefact storage (uploads, journals, export PDFs and bundles; see lib/artefacts.py) --------
# The embedded default keeps files under MEDIA_ROOT (written to a temporary name, then linked into
# place). Several hosts share one S3-compatible bucket instead: set AWS_STORAGE_BUCKET_NAME (plus
# AWS_S3_ENDPOINT_URL for MinIO and the like, and keys unless the host has a role). Downloads are
# proxied through access-checked views, so objects stay private and URLs are never signed.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "location": env_str("AWS_LOCATION"),  # an optional key prefix inside the bucket
            "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE", "path"),  # MinIO and moto need path
            "default_acl": None,  # private: the bucket's policy applies
            "querystring_auth": False,
            "file_overwrite": False,
            "max_memory_size": 4 * 1024 * 1024,  # bigger downloads spill to a local temporary file
        },
    }
else:
    STORAGES["default"] = {
        "BACKEND": "lib.artefacts.AtomicFileSystemStorage",
        # Only the owner may read them; the location follows MEDIA_ROOT (tests change it).
        "OPTIONS": {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    }
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024  # JSON bodies: 5 MB workflow documents plus slack
MAX_UPLOAD_BYTES = 25 * 1024 * 1024

SIGNING_KEYS_DIR = Path(env_str("WORKFLOWOS_KEYS_DIR", str(VAR_DIR / "keys")))
# Copies of the latest transparency-log checkpoint and audit-chain seals kept beside the keys,
# outside the database, to notice a database rolled back to an older signed state. Off in tests,
# whose databases are rolled back and flushed on purpose (the tests that need them turn them on).
WITNESS_FILES = env_bool("WORKFLOWOS_WITNESS_FILES", not TESTING)

# --- Redis, Celery, cache -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if XDIST_WORKER.startswith("gw") and XDIST_WORKER[2:].isdigit() and REDIS_URL:
    _base, _, _db = REDIS_URL.rpartition("/")
    if _db.isdigit():
        REDIS_URL = f"{_base}/{(int(_db) + int(XDIST_WORKER[2:])) % 16}"
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL must be set in production (Celery broker and shared cache).")

CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
# Redis timeouts: a broker that is down answers at once and a hung one within about ten seconds
# (two attempts, see CELERY_TASK_PUBLISH_RETRY_POLICY); a web request never hangs on it.
REDIS_SOCKET_CONNECT_TIMEOUT = env_int("REDIS_SOCKET_CONNECT_TIMEOUT", 3)
REDIS_SOCKET_TIMEOUT = env_int("REDIS_SOCKET_TIMEOUT", 3)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        # Longer than the longest hard time limit below, so a running task is never handed to a
        # second worker while the first still holds it.
        "visibility_timeout": 3600,
        "socket_connect_timeout": REDIS_SOCKET_CONNECT_TIMEOUT,
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
        "socket_keepalive": True,
        "retry_on_timeout": False,
        "health_check_interval": 25,
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A hung Redis must not hang sign-in or verify: fail within seconds (they fail open).
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    _broker = VAR_DIR / "broker"
    for sub in ("queue", "processed", "control"):
        (_broker / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker / "queue"),
        "data_folder_out": str(_broker / "queue"),
        "processed_folder": str(_broker / "processed"),
        "control_folder": str(_broker / "control"),
        "store_processed": False,
    }
    CACHES = {
        "default": (
            {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
            if TESTING
            else {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(VAR_DIR / "cache"),
            }
        )
    }
# Job state lives in our own models (visible progress, kept as evidence), not a result backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A worker never gives up on the broker: after a Redis outage of any length it reconnects and
# carries on (a retry cap would end the process for good).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES: int | None = None
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 4)
# A running task keeps going through a broker outage; the row holds its result, and a late ack
# only means a harmless redelivery (the task sees the job is finished).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Publishing (starting a job from a web request) retries once, on a fresh connection (the pooled
# one may have died with a Redis restart), then fails: the user gets a clear 503 within seconds
# instead of a hung page.
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": env_int("CELERY_PUBLISH_MAX_RETRIES", 1),
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
# Time limits per task kind (seconds). At the soft limit the task stops and its job ends failed
# with a message saying so; the hard limit kills a task wedged beyond that (prefork pool).
JOB_TIME_LIMITS: dict[str, dict[str, int]] = {
    "simulations.run": {
        "soft": env_int("SIMULATION_SOFT_TIME_LIMIT", 20 * 60),
        "hard": env_int("SIMULATION_HARD_TIME_LIMIT", 21 * 60),
    },
    "evidence.export": {
        "soft": env_int("EXPORT_SOFT_TIME_LIMIT", 10 * 60),
        "hard": env_int("EXPORT_HARD_TIME_LIMIT", 11 * 60),
    },
    # An MSP launch pack or governance report PDF (msp.tasks): seconds, a few minutes at worst.
    "msp.render_pdf": {
        "soft": env_int("LAUNCH_PACK_SOFT_TIME_LIMIT", 5 * 60),
        "hard": env_int("LAUNCH_PACK_HARD_TIME_LIMIT", 6 * 60),
    },
}
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 5 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 6 * 60)
CELERY_TASK_ANNOTATIONS = {
    name: {"soft_time_limit": limits["soft"], "time_limit": limits["hard"]}
    for name, limits in JOB_TIME_LIMITS.items()
}
# Jobs are watched by a periodic sweep (beat): a running job with no heartbeat for
# JOB_STALE_SECONDS is settled as "the worker stopped"; a queued job not picked up within
# JOB_REQUEUE_SECONDS is published again (a broker restart may have lost its message).
JOB_STALE_SECONDS = env_int("WORKFLOWOS_JOB_STALE_SECONDS", 60)
JOB_REQUEUE_SECONDS = env_int("WORKFLOWOS_JOB_REQUEUE_SECONDS", 10 * 60)
JOB_SWEEP_SECONDS = env_int("WORKFLOWOS_JOB_SWEEP_SECONDS", 30)
# A task that cannot reach the database is retried with backoff (1, 2, 4 … 60 s) up to this many
# times, which rides out about seven minutes of outage; after that the sweep picks the job up.
JOB_DATABASE_RETRIES = env_int("WORKFLOWOS_JOB_DATABASE_RETRIES", 12)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Daily reminders of review SLAs due soon or overdue (also: manage.py assessment_sla_reminders).
    "assessments-sla-reminders": {"task": "assessments.sla_reminders", "schedule": 24 * 3600},
    # Settle dead jobs and publish lost ones again; a sweep not run within its period is dropped.
    "simulations-sweep": {
        "task": "simulations.sweep_stale",
        "schedule": JOB_SWEEP_SECONDS,
        "options": {"expires": JOB_SWEEP_SECONDS},
    },
    "evidence-sweep": {
        "task": "evidence.sweep_stale",
        "schedule": JOB_SWEEP_SECONDS,
        "options": {"expires": JOB_SWEEP_SECONDS},
    },
    # Daily: e-mail last month's governance report to each client's admins. Each (client, month,
    # admin) is recorded, so only the first run after a month ends sends anything (msp.models).
    "msp-monthly-reports": {"task": "msp.monthly_reports", "schedule": 24 * 3600},
}
# Trust-mark notifications (notify/): the sweep catches deliveries a lost task left behind; the
# expiry reminders (90, 30, 7 days) go out daily and never twice.
CELERY_BEAT_SCHEDULE["notify-sweep"] = {
    "task": "notify.sweep",
    "schedule": env_int("WORKFLOWOS_NOTIFY_SWEEP_SECONDS", 60),
    "options": {"expires": env_int("WORKFLOWOS_NOTIFY_SWEEP_SECONDS", 60)},
}
CELERY_BEAT_SCHEDULE["notify-expiry-reminders"] = {"task": "notify.expiry_reminders", "schedule": 24 * 3600}
# PAI-8 improvement plan: admins hear of actions due within 7 days or overdue, once a week per action.
CELERY_BEAT_SCHEDULE["governance-action-reminders"] = {
    "task": "governance.action_reminders",
    "schedule": 24 * 3600,
}
# Webhooks (Standard Webhooks) to subscribers' URLs. Targets must resolve to public addresses
# (SSRF guard, checked at subscription and before every request) unless ALLOW_PRIVATE (tests with a
# local receiver, or a closed network); https only in production unless REQUIRE_HTTPS says otherwise.
WORKFLOWOS_WEBHOOK_ALLOW_PRIVATE = env_bool("WORKFLOWOS_WEBHOOK_ALLOW_PRIVATE", False)
WORKFLOWOS_WEBHOOK_REQUIRE_HTTPS = env_bool("WORKFLOWOS_WEBHOOK_REQUIRE_HTTPS", PRODUCTION)
WORKFLOWOS_WEBHOOK_TIMEOUT = env_int("WORKFLOWOS_WEBHOOK_TIMEOUT", 10)  # seconds, connect and read
WORKFLOWOS_WEBHOOK_RETRY_HOURS = env_int("WORKFLOWOS_WEBHOOK_RETRY_HOURS", 24)
# The first retry after this many seconds, then ×4 each time (at most 4 h apart).
WORKFLOWOS_WEBHOOK_RETRY_BASE_SECONDS = float(env_str("WORKFLOWOS_WEBHOOK_RETRY_BASE_SECONDS", "5"))
# /healthz: how many workers should be alive (0: at least one).
EXPECTED_WORKERS = env_int("WORKFLOWOS_EXPECTED_WORKERS", 0)

# --- Django REST framework and OpenAPI ------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # JSON with a nesting and a size limit (core/parsers.py): deep or huge bodies are a 400.
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pagination",  # limit/offset checked: bad → 400
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
    # `?format=` belongs to our export endpoints (json|mermaid|bpmn), not to DRF's renderer choice.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "WorkflowOS API",
    "DESCRIPTION": "Map AI workflows, analyse them against PSF v1.1, simulate faults, assess and verify trust marks.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # One name for the status a verifier reads (trust marks and personal credentials alike).
    "ENUM_NAME_OVERRIDES": {"VerificationStatusEnum": ["active", "suspended", "revoked", "expired"]},
}

# --- Email ------------------------------------------------------------------------------------
# Production names its backend (SMTP); the embedded default writes each e-mail to a file under
# var/outbox/ instead of flooding the terminal of `make run`.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "outbox"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "WorkflowOS <noreply@workflowos.example>")
if TESTING:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Business days skip weekends and these dates (ISO, comma-separated).
PUBLIC_HOLIDAYS = env_list("PUBLIC_HOLIDAYS", "2026-12-25,2026-12-28,2027-01-01")

DEMO_PASSWORD = env_str("DEMO_PASSWORD", "production-safe-demo")

# Sign-in throttle (accounts/throttle.py; the main and the admin sign-in): LOGIN_FAILURE_LIMIT
# failures for one account from one client in LOGIN_FAILURE_WINDOW_SECONDS lock that client out of
# that account only, so a stranger's guesses never lock the owner out; LOGIN_ACCOUNT_FAILURE_LIMIT
# failures for one account from all clients together in LOGIN_ACCOUNT_WINDOW_SECONDS lock the
# account for everyone, which caps a guessing campaign spread over many addresses.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 300)
LOGIN_ACCOUNT_FAILURE_LIMIT = env_int("LOGIN_ACCOUNT_FAILURE_LIMIT", 50)
LOGIN_ACCOUNT_WINDOW_SECONDS = env_int("LOGIN_ACCOUNT_WINDOW_SECONDS", 3600)
# Reverse proxies whose X-Forwarded-For is believed (lib/http.py client_ip): comma-separated IPs
# or CIDRs, e.g. "127.0.0.1,10.0.0.0/8". Empty: trust none, the client is the connecting address.
TRUSTED_PROXIES = env_list("WORKFLOWOS_TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"WORKFLOWOS_TRUSTED_PROXIES: {_proxy!r} is not an IP or CIDR.") from None
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
# --- Single sign-on (OpenID Connect, accounts/oidc on mozilla-django-oidc) ---------------------
# Providers are configured per organisation in the admin (accounts.OidcProvider); these are the
# library's settings that hold for all of them.
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
# Seconds to wait for a provider (discovery, token, JWKS, userinfo) before saying it is unreachable.
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 10)
# Leeway for the ID token's exp/iat against this server's clock.
OIDC_CLOCK_SKEW_SECONDS = env_int("OIDC_CLOCK_SKEW_SECONDS", 60)
# --- Sessions and passwords (accounts: members, sessions, tokens) --------------------------------
# A session ends after this long without a request (refreshed at most once a minute on
# activity). Assessors and admins (platform or organisation) get the shorter one.
SESSION_IDLE_TIMEOUT_PRIVILEGED_SECONDS = env_int("SESSION_IDLE_TIMEOUT_PRIVILEGED_SECONDS", 12 * 3600)
SESSION_IDLE_TIMEOUT_SECONDS = env_int("SESSION_IDLE_TIMEOUT_SECONDS", 14 * 24 * 3600)
# A password-reset link works once, for this long.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)
# Reset requests per e-mail address and per client address ("N/s|m|h|d").
PASSWORD_RESET_RATE_EMAIL = env_str("PASSWORD_RESET_RATE_EMAIL", "3/h")
PASSWORD_RESET_RATE_IP = env_str("PASSWORD_RESET_RATE_IP", "20/h")
VERIFY_RATE = env_str("VERIFY_RATE", "120/m")
# --- Sign-up (accounts/signup_views.py) ---------------------------------------------------------
# open: anyone may create an account (e-mail verified before it can do anything);
# invite-only: accounts come only from an organisation's invitation link (the sign-up page says
# so); closed: no sign-up page at all. Open on the embedded default, invite-only in production
# unless the operator chooses otherwise.
WORKFLOWOS_SIGNUP = env_str("WORKFLOWOS_SIGNUP", "invite-only" if PRODUCTION else "open").strip().lower()
if WORKFLOWOS_SIGNUP not in {"open", "invite-only", "closed"}:
    raise ImproperlyConfigured("WORKFLOWOS_SIGNUP must be open, invite-only or closed.")
# The operator's terms of service and privacy notice, linked from the sign-up form when set.
WORKFLOWOS_TERMS_URL = env_str("WORKFLOWOS_TERMS_URL")
WORKFLOWOS_PRIVACY_URL = env_str("WORKFLOWOS_PRIVACY_URL")
# Sign-up attempts per client address and per e-mail address (verification e-mails re-sent count
# against the address too), "N/s|m|h|d".
SIGNUP_RATE_IP = env_str("SIGNUP_RATE_IP", "10/h")
SIGNUP_RATE_EMAIL = env_str("SIGNUP_RATE_EMAIL", "3/h")
# A verification link works until the address is verified, for this long.
EMAIL_VERIFICATION_TIMEOUT = env_int("EMAIL_VERIFICATION_TIMEOUT", 3 * 24 * 3600)
# Per-organisation limits on simulations and exports together (core/quotas.py), counted from the
# job rows: starts in the last hour, and jobs queued or running at once. 0 turns a limit off.
WORKFLOWOS_JOB_QUOTAS = {
    "starts_per_hour": env_int("WORKFLOWOS_JOB_STARTS_PER_HOUR", 60),
    "concurrent": env_int("WORKFLOWOS_JOB_CONCURRENT", 4),
}

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# A strict Content-Security-Policy (django-csp 4; Django 5.2 has none built in): scripts and styles
# only from our own static files, no inline script, no style="…" attribute, no eval, no plugins,
# no framing. Templates keep to that (static/css, static/js/app.js for small behaviour); the API
# docs use drf-spectacular's split Swagger view, whose start-up script is a separate URL.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Logging ----------------------------------------------------------------------------------
# Production writes one JSON object per line (time, level, logger, message, request_id) to stderr,
# for a log collector; development keeps plain text. LOG_FORMAT=json|text overrides either.
LOG_FORMAT = env_str("LOG_FORMAT", "json" if PRODUCTION else "text")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
MIDDLEWARE.insert(1, "workflowos.logs.RequestIdMiddleware")  # right after SecurityMiddleware
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "workflowos.logs.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "{levelname}{name}{message}{request_id}",
            "style": "{",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING" if TESTING else "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # Celery gives task loggers a handler of its own (plain text, not propagating) unless
        # they already have one: give them ours.
        "celery.task": {"handlers": ["console"], "propagate": False},
    },
}
# The worker and beat keep this configuration instead of replacing the root logger's handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Python warnings (deprecations, Celery's) become log records too, so JSON logs stay JSON.
logging.captureWarnings(LOG_FORMAT == "json")

CSRF_FAILURE_VIEW = "core.views.csrf_failure"
