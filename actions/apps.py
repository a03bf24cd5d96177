"""App config for fiches actions."""

from django.apps import AppConfig
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.management import call_command
from django.db import connections
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


def create_cache_tables(using="default", **kwargs):
    """The DatabaseCache tables of settings.CACHES, made by every `migrate` (deployments, CI,
    the test databases) rather than by a step to remember; nothing to do for Redis.

    On PostgreSQL they are UNLOGGED: a cache write is not journaled, so its commit does not
    wait for the disk (a set's 90th percentile 7.7 -> 1.7 ms at 10,000 fiches), and a crash
    empties the cache, which is all a cache may lose."""
    call_command("createcachetable", database=using, verbosity=0)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    tables = [
        caches[alias]._table
        for alias in settings.CACHES
        if isinstance(caches[alias], BaseDatabaseCache)
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT relpersistence FROM pg_class WHERE oid = to_regclass(%s)", [table]
            )
            row = cursor.fetchone()
            if row and row[0] == "p":  # a table made before: rewritten once, unjournaled
                cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} SET UNLOGGED")


class ActionsConfig(AppConfig):
    name = "actions"
    verbose_name = "Fiches actions"

    def ready(self):
        from contrat.dataversion import connect_receivers
        from contrat.precompute import register_pages
        from enjeux.models import period_checked

        from .financements import refuse_period_leaving_lines
        from .pydyf_cache import install_pydyf_page_references_cache
        from .querysets import register_sqlite_functions
        from .search import connect_search_receivers

        # WeasyPrint's tagging reads pydyf's page list once per element: built once instead.
        install_pydyf_page_references_cache()

        # SQLite has no CONTRAT_FOLD: give every new connection the Python one the search uses.
        connection_created.connect(register_sqlite_functions, dispatch_uid="actions_fold")
        # Every write to the fiches, structures and referential changes the data version, the
        # key of the cached downloads (contrat/dataversion.py).
        connect_receivers()
        # ... and makes the background worker compute the slow pages' figures again.
        register_pages("actions.views.precomputed_pages")
        # The same writes queue their fiches for the full-text index (actions/search.py).
        connect_search_receivers()
        # A contract's period must hold its fiches' financing lines: said in French by the
        # contract's form before the database's trigger refuses it.
        period_checked.connect(refuse_period_leaving_lines, dispatch_uid="actions_periode")
        post_migrate.connect(create_cache_tables, sender=self, dispatch_uid="actions_cache_tables")
