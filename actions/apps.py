"""App config for fiches actions."""

from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "actions"
    verbose_name = "Fiches actions"
