"""Load the recap's 29 fiches into a database that has none yet (or over it with --force)."""

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError
from django.db import IntegrityError

from actions.models import FicheAction
from actions.services import recap_seed


class Command(BaseCommand):
    help = (
        "Charge la recap (fixtures/recap.json) si la base ne contient encore aucune fiche ; "
        "--force la recharge par-dessus, sans doublon."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Recharge la recap même si des fiches existent (les fiches de la recap sont "
            "remises dans leur état d'origine).",
        )

    def handle(self, *args, force: bool = False, **options):
        try:
            loaded = recap_seed(force=force)
        except (IntegrityError, DeserializationError) as error:
            # e.g. a structure created by hand under a name the recap also uses
            raise CommandError(f"La recap n'a pas pu être chargée : {error}") from error
        if loaded:
            self.stdout.write(f"Recap chargée : {FicheAction.objects.count()} fiches")
        else:
            self.stdout.write("Des fiches existent déjà : rien n'est rechargé")
