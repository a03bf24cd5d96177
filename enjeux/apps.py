"""App config for the contract's referential."""

from django.apps import AppConfig


class EnjeuxConfig(AppConfig):
    name = "enjeux"
    verbose_name = "Référentiel du contrat"
