"""Settings shared by every environment; what differs between machines comes from it."""

import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int | None) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"La variable d'environnement {name} doit être un nombre entier (reçu : {value!r})."
        ) from None


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# A refused form answered in French, in the admin's frame under /admin/.
CSRF_FAILURE_VIEW = "contrat.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "import_export",
    "simple_history",
    "csp",
    "axes",
    # For its system checks only: the views call django_ratelimit.core (contrat/downloads.py).
    "django_ratelimit",
    # Background jobs (long exports): Django 6's tasks API backported, its queue in the database.
    "django_tasks",
    "django_tasks_db",
    "enjeux",
    "structures",
    "actions",
    "comites",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so that static files get the same protective headers as pages.
    # django-csp; the few exceptions are declared on their views (csp_exempt, csp_update).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A lost database gives a French 503 page rather than a 500 (see contrat/middleware.py).
    "contrat.middleware.DatabaseErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: records the logged-in user as the author of each saved version.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, as django-axes requires: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "contrat.urls"
WSGI_APPLICATION = "contrat.wsgi.application"

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
            ],
            "builtins": [
                "contrat.templatetags.contrat_tags",
                "django.contrib.humanize.templatetags.humanize",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

LOGIN_URL = "admin:login"

# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Headers sent with every response, in every environment (Django's defaults, made explicit).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Permissions-Policy (django-permissions-policy): the portal uses no device or sensor, so no
# page, nor anything injected into one, may ask the browser for them.
PERMISSIONS_POLICY = {
    "camera": [],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
}

# Content-Security-Policy (django-csp 4): our pages use no inline script or style, and load
# nothing from another site (no CDN). PDFs are left out: see actions/views/fiches.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Admin login throttling (django-axes): after AXES_FAILURE_LIMIT failures for one user name
# from one address, that pair is locked out for AXES_COOLOFF_MINUTES. The pair rather than
# the address alone: the CG59's staff may share one public address, and one person's typos
# must not lock out the others. Unlock: manage.py axes_reset_username / axes_reset_ip.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "contrat.security.lockout_response"
# The client's address (contrat.security.client_ip): REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT
# reverse proxies that append to X-Forwarded-For, the address the first of them saw.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if env_bool("BEHIND_PROXY") else 0)
AXES_CLIENT_IP_CALLABLE = "contrat.security.client_ip"

# Beyond this many fiches, no recap PDF at all (the portal offers to filter, or the XLSX): the
# background worker builds 10,000 in minutes (docs/benchmarks.md), far more would hold it for
# an hour.
RECAP_PDF_MAX_FICHES = env_int("RECAP_PDF_MAX_FICHES", 20_000)

# Background jobs (actions/tasks.py, actions/jobs.py): the queue is a table of the database, so
# the embedded default needs no other server and every machine sharing one PostgreSQL shares it;
# `manage.py db_worker` runs them (README: production). A recap PDF of more than
# EXPORT_JOB_PDF_FICHES fiches, or a workbook of more than EXPORT_JOB_XLSX_FICHES, is built by
# the worker while the visitor watches its progress at /exports/<id>/; the file, kept in the
# database (every machine reaches it), is served again for the same export until
# EXPORT_JOB_HOURS have passed. A job whose worker has said nothing for EXPORT_JOB_STALE_SECONDS
# is taken for dead (failed, may be retried). CSV and JSON never wait: they stream.
# Two queues: "default" for the exports, "chiffres" for the pages' figures recomputed after a
# write (contrat/precompute.py), which visitors may be waiting for: in production each has its
# worker, the exports' on the CPU the pages leave (README: systemd units).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "chiffres"],
    }
}
EXPORT_JOB_PDF_FICHES = env_int("EXPORT_JOB_PDF_FICHES", 200)
EXPORT_JOB_XLSX_FICHES = env_int("EXPORT_JOB_XLSX_FICHES", 5000)
EXPORT_JOB_HOURS = env_int("EXPORT_JOB_HOURS", 24)
EXPORT_JOB_STALE_SECONDS = env_int("EXPORT_JOB_STALE_SECONDS", 900)

# Caches shared by every gunicorn worker and machine: the data version (contrat/dataversion.py),
# the download throttle's counters ("default") and the built downloads ("exports"). Tables of
# the database by default, created by every `migrate` (actions/apps.py); CACHE_URL=redis://…
# puts both in Redis instead (Django's own backend, `pip install ".[redis]"`).
CACHE_URL = os.environ.get("CACHE_URL", "").strip()
if CACHE_URL:
    CACHES = {
        alias: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": f"contrat-{alias}",
        }
        for alias in ("default", "exports")
    }
else:
    CACHES = {
        "default": {
            # Django's, with an increment made exact for the throttle (contrat/caches.py).
            "BACKEND": "contrat.caches.DatabaseCache",
            "LOCATION": "contrat_cache",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        },
        # Few rows but large ones (a PDF of 1,000 fiches: 1.5 MiB): 200 × EXPORT_CACHE_MAX_BYTES
        # bounds the table, the oldest third going when it is full.
        "exports": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "contrat_cache_exports",
            "OPTIONS": {"MAX_ENTRIES": 200},
        },
    }

# Downloads (/actions/export/…, /actions/<slug>/fiche.pdf), contrat/downloads.py. Each is built
# once per query, audience and data version, then served from the "exports" cache for
# EXPORT_CACHE_SECONDS (unless larger than EXPORT_CACHE_MAX_BYTES). A gunicorn process serves at
# most EXPORT_MAX_CONCURRENT_DOWNLOADS at once, a 503 at once beyond, so that its other threads
# stay for the pages (docs/benchmarks.md, the burst); it builds at most
# EXPORT_MAX_CONCURRENT_RENDERS at once (1 also keeps WeasyPrint to one thread at a time), and
# the machine EXPORT_MAX_MACHINE_RENDERS (a core stays for the pages), a download waiting up to
# EXPORT_RENDER_WAIT seconds for its turn before a 503. EXPORT_RATE downloads per client address
# (per account once logged in), then a 429.
EXPORT_CACHE_SECONDS = env_int("EXPORT_CACHE_SECONDS", 3600)
EXPORT_CACHE_MAX_BYTES = env_int("EXPORT_CACHE_MAX_MB", 4) * 1024 * 1024
EXPORT_MAX_CONCURRENT_DOWNLOADS = env_int("EXPORT_MAX_CONCURRENT_DOWNLOADS", 2)
EXPORT_MAX_CONCURRENT_RENDERS = env_int("EXPORT_MAX_CONCURRENT_RENDERS", 1)
EXPORT_MAX_MACHINE_RENDERS = env_int("EXPORT_MAX_MACHINE_RENDERS", 1)
EXPORT_RENDER_WAIT = env_int("EXPORT_RENDER_WAIT", 5)
# Where the machine's render slots are (lock files): every process of one machine must share it.
EXPORT_SLOTS_DIR = os.environ.get("EXPORT_SLOTS_DIR", "").strip() or tempfile.gettempdir()
# The streamed CSV and JSON, kept as files of each machine once per content and data version
# (contrat/streamfiles.py), removed after EXPORT_CACHE_SECONDS.
EXPORT_STREAMS_DIR = os.environ.get("EXPORT_STREAMS_DIR", "").strip() or os.path.join(
    tempfile.gettempdir(), "contrat-flux"
)
# Beyond this many fiches, the file is written by a process of its own (`ecrire_donnees`), at
# a lower CPU priority, so that the web worker's other threads keep serving pages at speed.
EXPORT_STREAM_INLINE_FICHES = env_int("EXPORT_STREAM_INLINE_FICHES", 1000)
EXPORT_STREAM_NICE = env_int("EXPORT_STREAM_NICE", 10)
EXPORT_STREAM_SECONDS = env_int("EXPORT_STREAM_SECONDS", 110)  # under gunicorn's --timeout
# The recap PDFs built while the visitor waits (up to EXPORT_JOB_PDF_FICHES fiches) are
# rendered by such a process too: WeasyPrint in a gunicorn thread held its worker's other
# threads (the pages) for the whole render.
EXPORT_RENDER_IN_PROCESS = env_bool("EXPORT_RENDER_IN_PROCESS", True)

# The public pages kept whole for anonymous visitors, per address and data version
# (contrat/pagecache.py). Off in the tests, which read each view's template context, and in the
# page benchmarks, which measure the views themselves; tests/contrat/test_pagecache.py turns it
# on.
PAGE_CACHE = env_bool("PAGE_CACHE", True)
EXPORT_RATE = os.environ.get("EXPORT_RATE", "").strip() or "20/m"
if EXPORT_RATE and not re.fullmatch(r"[1-9][0-9]*/[0-9]*[smhd]", EXPORT_RATE):
    raise ImproperlyConfigured(
        f"EXPORT_RATE doit s'écrire nombre/unité, par exemple 20/m (reçu : {EXPORT_RATE!r})."
    )
# django-ratelimit counts per address as contrat.security.client_ip gives it (behind
# TRUSTED_PROXY_COUNT proxies), an IPv6 client per /64 (its own default).
RATELIMIT_IP_META_KEY = "contrat.security.client_ip"
# django-ratelimit's checks know memcached and django-redis only: W001 ("not officially
# supported") for our DatabaseCache, whose increment is made exact (contrat/caches.py; Django's
# own would get E003, "does not support atomic increment", rightly), and for Django's own
# RedisCache, whose increment is atomic (INCRBY).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

# Imports through the admin: refuse anything larger before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}


def require_secret_key() -> None:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY doit être défini dans l'environnement.")
