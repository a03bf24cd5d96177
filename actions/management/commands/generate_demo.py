"""Fill a development or benchmark database with generated fiches (never production's)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from actions.demo import demo_generate


def is_production() -> bool:
    """Whether these are the production settings (contrat.settings.production)."""
    module = getattr(settings, "SETTINGS_MODULE", "") or ""
    return module.rsplit(".", 1)[-1] == "production"


class Command(BaseCommand):
    help = (
        "Ajoute N fiches actions publiées de démonstration (structures, rôles, orientations, "
        "lignes de budget, sous-actions, plans de financement), toujours les mêmes pour une "
        "même graine. "
        "Refuse de tourner avec les réglages de production, sauf --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fiches", type=int, default=1000, help="Nombre de fiches à créer.")
        parser.add_argument("--seed", type=int, default=59, help="Graine du tirage (défaut 59).")
        parser.add_argument(
            "--structures",
            type=int,
            default=None,
            help="Nombre de structures (défaut : une pour 20 fiches, 30 au moins).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Tourner même avec les réglages de production (base de test de charge).",
        )

    def handle(self, *args, fiches, seed, structures, force, **options):
        if is_production() and not force:
            raise CommandError(
                "Réglages de production : generate_demo ajouterait des fiches fictives publiées "
                "au site public. Ajoutez --force si cette base est bien une base de test."
            )
        if fiches < 0 or (structures is not None and structures < 1):
            raise CommandError("Le nombre de fiches doit être positif, celui des structures aussi.")
        started = time.perf_counter()
        summary = demo_generate(fiches=fiches, seed=seed, structures=structures)
        self.stdout.write(
            f"{summary.fiches} fiches de démonstration créées en "
            f"{time.perf_counter() - started:.1f} s (graine {seed}) : "
            f"{summary.structures} structures, {summary.participations} participations, "
            f"{summary.lignes_budget} lignes de budget, {summary.sous_actions} sous-actions, "
            f"{summary.lignes_financement} lignes de financement, "
            f"{summary.points_avancement} points d'avancement, {summary.indicateurs} indicateurs "
            f"({summary.valeurs_indicateurs} valeurs), {summary.etapes} étapes."
        )
