"""Freeze today's published recap for a committee: `arreter_recap "Comité de pilotage 2026"`."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from comites.services import instantane_arreter
from contrat.formats import format_euros


def committee_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"Date illisible : « {text} ». Écrivez-la AAAA-MM-JJ, par exemple 2026-06-30."
        ) from None


class Command(BaseCommand):
    help = (
        "Arrête le récapitulatif tel qu'il est publié aujourd'hui (fiches, budgets, "
        "financements, états d'avancement) sous un nom, avec son PDF et son tableur."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "nom", help="Le nom de l'instantané, par exemple « Comité de pilotage 2026 »."
        )
        parser.add_argument(
            "--date",
            type=committee_date,
            help="La date du comité (AAAA-MM-JJ) ; aujourd'hui par défaut.",
        )

    def handle(self, *args, nom, date, **options):
        try:
            instantane = instantane_arreter(nom=nom, date=date)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        total = (
            format_euros(instantane.budget_total) if instantane.budget_total is not None else "—"
        )
        self.stdout.write(
            f"Instantané « {instantane.nom} » arrêté ({instantane.slug}) : "
            f"{instantane.nombre_fiches} fiches, {total}. "
            f"PDF : {len(instantane.recap_pdf):,} octets, "
            f"XLSX : {len(instantane.recap_xlsx):,} octets."
        )
