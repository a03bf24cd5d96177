"""Drops the background exports' expired files and the jobs of dead workers (cron, or by hand:
each finished job of the worker does the same)."""

from django.core.management.base import BaseCommand

from actions.jobs import ExportJob


class Command(BaseCommand):
    help = (
        "Supprime les fichiers des exports expirés (EXPORT_JOB_HOURS), marque en échec les "
        "exports d'un processus de fond arrêté, efface les exports finis depuis plus de 7 jours."
    )

    def handle(self, *args, **options):
        counts = ExportJob.objects.purge()
        self.stdout.write(
            f"Exports : {counts['expirés']} expiré(s), {counts['interrompus']} interrompu(s), "
            f"{counts['supprimés']} supprimé(s)."
        )
