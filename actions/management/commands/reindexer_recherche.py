"""Rebuild the full-text search index of the fiches from their texts (actions/search.py)."""

import time

from django.core.management.base import BaseCommand

from actions.search import search_index_rebuild


class Command(BaseCommand):
    help = (
        "Reconstruit l'index de recherche plein texte de toutes les fiches (après un "
        "chargement en masse fait hors du portail, ou pour vérifier l'index)."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        count = search_index_rebuild()
        self.stdout.write(
            f"Index de recherche reconstruit : {count} fiches en "
            f"{time.perf_counter() - started:.1f} s."
        )
