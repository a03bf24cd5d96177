"""App config for the committees: frozen recaps (instantanés) and the contract's amendments."""

from django.apps import AppConfig


class ComitesConfig(AppConfig):
    name = "comites"
    verbose_name = "Comités et avenants"
