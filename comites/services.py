"""Writes of the committees' app: a snapshot arrested (the command and the admin's form both
call `instantane_arreter`)."""

import datetime

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from actions.models import FicheAction
from contrat.current import current_contrat
from contrat.dataversion import data_version

from .models import Instantane
from .snapshot import decimal_or_none, snapshot_data

# The data, the PDF and the XLSX must show the same fiches: a write landing meanwhile (the
# content's version moved) starts them over, this many times at most.
ATTEMPTS = 3
NO_CONTRACT = "Aucun contrat n'est enregistré : il n'y a pas de récapitulatif à arrêter."
NO_NAME = "Donnez un nom à l'instantané, par exemple « Comité de pilotage 2026 »."
BUSY = (
    "Les fiches ont changé pendant que le récapitulatif était arrêté, plusieurs fois de "
    "suite : réessayez dans un moment."
)


def name_problem(nom: str) -> str | None:
    """What is wrong with this name for a new snapshot (French), or None."""
    slug = slugify(nom or "")
    if not slug:
        return NO_NAME
    if Instantane.objects.filter(slug=slug).exists():
        return f"Un instantané s'appelle déjà ainsi (adresse « {slug} ») : choisissez un autre nom."
    return None


def author_label(user) -> str:
    if user is None or not user.is_authenticated:
        return ""
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


def published_fiches(contrat):
    """The recap the public sees, in its order: what a committee is shown."""
    return FicheAction.objects.filter(contrat=contrat).visible_to(AnonymousUser())


@transaction.atomic
def instantane_arreter(
    *, nom: str, date: datetime.date | None = None, auteur=None, now=None
) -> Instantane:
    """Freeze today's published recap under `nom`: its data as JSON, its PDF and XLSX rendered
    once by the recap's own builders. Raises ValidationError (French) for a missing or taken
    name, or no contract."""
    # Imported here: WeasyPrint and XlsxWriter weigh ~40 MB, and this module is loaded by the
    # admin in every process, the one writing the CSV of 10,000 fiches included.
    from actions.pdf import build_recap_pdf
    from actions.workbook import build_recap_xlsx

    nom = (nom or "").strip()
    if problem := name_problem(nom):
        raise ValidationError(problem)
    contrat = current_contrat()
    if contrat is None:
        raise ValidationError(NO_CONTRACT)
    now = now or timezone.now()
    fiches = published_fiches(contrat)
    for _attempt in range(ATTEMPTS):
        version = data_version()
        donnees = snapshot_data(fiches)
        pdf = build_recap_pdf(fiches, contrat=contrat, now=now)
        xlsx = build_recap_xlsx(fiches, contrat=contrat, now=now)
        if data_version() == version:
            break
    else:
        raise ValidationError(BUSY)
    instantane = Instantane(
        contrat=contrat,
        nom=nom,
        slug=slugify(nom),
        date=date or timezone.localdate(now),
        arrete_le=now,
        arrete_par=author_label(auteur),
        nombre_fiches=donnees["totaux"]["nombre"],
        budget_total=decimal_or_none(donnees["totaux"]["budget"]),
        donnees=donnees,
        recap_pdf=pdf,
        recap_xlsx=xlsx,
    )
    instantane.full_clean()
    instantane.save()
    return instantane
