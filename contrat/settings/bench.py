"""Benchmarks (scripts/bench_pages.py): the test settings, but the caches of production (tables
of the database, contrat/settings/base.py), so that a cached figure costs what it costs there."""

from .base import CACHES as PRODUCTION_CACHES
from .test import *  # noqa: F403

CACHES = PRODUCTION_CACHES
SILENCED_SYSTEM_CHECKS = [c for c in SILENCED_SYSTEM_CHECKS if c != "django_ratelimit.E003"]  # noqa: F405
