"""Test runs: fast password hasher, in-memory cache and e-mail, a fixed secret key."""

import tempfile

from .base import *  # noqa: F403

SECRET_KEY = "test-only-insecure-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {
    alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": alias}
    for alias in ("default", "exports")
}
# The throttle test sets its own rate (tests/actions/test_downloads.py); the others download freely.
EXPORT_RATE = None
# django-ratelimit's E003: a LocMemCache is not shared between processes; a test runs in one.
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "django_ratelimit.E003"]  # noqa: F405
# Render slots of this test run's own: another run on the machine (or a served portal) never
# holds them.
EXPORT_SLOTS_DIR = tempfile.mkdtemp(prefix="contrat-tests-")
EXPORT_STREAMS_DIR = tempfile.mkdtemp(prefix="contrat-tests-flux-")
# The test database is this process's (in memory for SQLite): renders stay in it; the
# separate process is tested with its command run here (tests/actions/test_stream_files.py).
EXPORT_RENDER_IN_PROCESS = False
PAGE_CACHE = False  # tests/contrat/test_pagecache.py turns it on
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
# Django's test Client.login() calls authenticate() without a request, which django-axes
# refuses; the lockout tests switch it back on with override_settings(AXES_ENABLED=True).
AXES_ENABLED = False
