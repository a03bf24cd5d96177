"""Write the CSV, the JSON or the recap PDF of the fiches (or the CSV of their financing lines, or
of the contract financer's grants) to a file: called by the portal, in a process of its own
(actions/exports.py write_in_process)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from actions.exports import KINDS, write_actions_file


class Command(BaseCommand):
    help = (
        "Écrit le CSV ou le JSON des fiches choisies par les filtres de la liste (ou le CSV de "
        "leurs lignes de financement, de leurs subventions) dans un fichier."
    )
    # The portal that starts this process has run the checks; running them again here would
    # import the URLconf and every view (WeasyPrint among them): ~30 MB for nothing.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("type", choices=sorted(KINDS))
        parser.add_argument("fichier")
        parser.add_argument("--requete", default="", help="Les filtres de la liste (?q=…).")
        parser.add_argument(
            "--compte", type=int, default=None, help="Avec les fiches non publiées de ce compte."
        )

    def handle(self, *args, type, fichier, requete, compte, **options):
        user = get_user_model().objects.get(pk=compte) if compte else None
        write_actions_file(kind=type, query=requete, user=user, path=fichier)
