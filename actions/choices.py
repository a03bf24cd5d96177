"""The fixed lists a fiche's fields choose from (states, roles, periodicities): their own
module, so that querysets and budget code read them without importing the models."""

from django.db import models


class Statut(models.TextChoices):
    PROPOSEE = "proposee", "Proposée"
    EN_COURS = "en_cours", "En cours"
    REALISEE = "realisee", "Réalisée"
    ABANDONNEE = "abandonnee", "Abandonnée"


class Etat(models.TextChoices):
    """Where a fiche stands in the editorial workflow; only `PUBLIEE` is shown to the public."""

    BROUILLON = "brouillon", "Brouillon"
    EN_RELECTURE = "en_relecture", "En relecture"
    PUBLIEE = "publiee", "Publiée"
    ARCHIVEE = "archivee", "Archivée"


class Role(models.TextChoices):
    PORTEUR = "porteur", "Porteur"
    CO_PORTEUR = "co_porteur", "Co-porteur"
    PARTENAIRE = "partenaire", "Partenaire"
    FINANCEUR = "financeur", "Financeur"


class Periodicite(models.TextChoices):
    TOTAL = "total", "Montant total"
    ANNUEL = "annuel", "Par an"


class NatureSousAction(models.TextChoices):
    ORIENTATION = "orientation", "Orientation"
    AXE = "axe", "Axe"
    ACTION = "action", "Action"


class NatureFinancement(models.TextChoices):
    """What a financing line pays for: running costs or investment (each has its budget)."""

    FONCTIONNEMENT = "fonctionnement", "Fonctionnement"
    INVESTISSEMENT = "investissement", "Investissement"
