"""App config for the committees: frozen recaps (instantanés) and the contract's amendments."""

from django.apps import AppConfig


class ComitesConfig(AppConfig):
    name = "comites"
    verbose_name = "Comités et avenants"

    def ready(self):
        from contrat.precompute import register_pages

        # The latest snapshots' comparison with today, computed by the background worker after
        # each write (contrat/precompute.py).
        register_pages("comites.views.precomputed_pages")
