"""Regenerate fixtures/recap.json from the recap's source text."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from actions.seed.fixture import FIXTURE_PATH, build_recap_fixture
from actions.seed.source import SOURCE_PATH


class Command(BaseCommand):
    help = (
        "Relit fixtures/source/recap.txt et réécrit fixtures/recap.json (même texte, même fichier)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", type=Path, default=SOURCE_PATH, help="Texte de la recap.")
        parser.add_argument("--output", type=Path, default=FIXTURE_PATH, help="Fichier JSON écrit.")

    def handle(self, *args, source: Path, output: Path, **options):
        try:
            records = build_recap_fixture(source=source, output=output)
        except FileNotFoundError as error:
            raise CommandError(f"Fichier introuvable : {error.filename}") from error
        except ValueError as error:
            raise CommandError(f"La recap n'a pas pu être lue : {error}") from error
        fiches = sum(1 for record in records if record["model"] == "actions.ficheaction")
        self.stdout.write(f"{output} écrit : {fiches} fiches, {len(records)} enregistrements.")
