"""App config for fiches actions."""

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ActionsConfig(AppConfig):
    name = "actions"
    verbose_name = "Fiches actions"

    def ready(self):
        from .querysets import register_sqlite_functions

        # SQLite has no CONTRAT_FOLD: give every new connection the Python one the search uses.
        connection_created.connect(register_sqlite_functions, dispatch_uid="actions_fold")
