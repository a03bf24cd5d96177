"""First steps on a new database: the recap table loaded, an administrator account."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Max

from enjeux.models import Contrat

from ..models import FicheAction
from .history import HISTORY_MODELS, history_snapshot, m2m_history_models

RECAP_FIXTURE = "recap"
ADMIN_USERNAME = "admin"


class AdminUsernameTaken(Exception):
    """The admin username belongs to an account that is not a superuser."""


@transaction.atomic
def recap_seed(*, force: bool = False) -> bool:
    """Load the recap fixture into an empty database, or over it with `force`.

    Returns whether it loaded: a database that already holds fiches keeps the staff's edits.
    The fixture's primary keys make a forced reload update rows in place, never duplicate them.
    """
    if not force and FicheAction.objects.exists():
        return False
    marks = {
        model: model.history.aggregate(last=Max("history_id"))["last"] or 0
        for model in HISTORY_MODELS
    }
    # The footer is the staff's to complete (the source's ends on its missing logos): a reload
    # puts the fiches back as written, not the contract's footer over the staff's words.
    footers = dict(Contrat.objects.values_list("pk", "pied_de_page"))
    call_command("loaddata", RECAP_FIXTURE, verbosity=0)
    for pk, footer in footers.items():
        Contrat.objects.filter(pk=pk).exclude(pied_de_page=footer).update(pied_de_page=footer)
    # loaddata saves raw, which django-simple-history skips, except for the fiches' orientations
    # and enjeux (many-to-many signals), which leave a half version without a first one. Those
    # are dropped, and every loaded row gets one whole version instead.
    for model, mark in marks.items():
        partial = model.history.filter(history_id__gt=mark)
        for m2m_model in m2m_history_models(model):
            m2m_model.objects.filter(history__in=partial).delete()
        partial.delete()
    history_snapshot(reason="Chargement de la récapitulation")
    return True


@transaction.atomic
def admin_ensure(*, username: str = ADMIN_USERNAME) -> str | None:
    """Create a superuser when there is none; return its one-time password, else None."""
    user_model = get_user_model()
    if user_model.objects.filter(is_superuser=True).exists():
        return None
    if user_model.objects.filter(username=username).exists():
        raise AdminUsernameTaken(username)
    password = secrets.token_urlsafe(16)
    user = user_model(username=username, is_staff=True, is_superuser=True, is_active=True)
    user.set_password(password)
    user.full_clean()
    user.save()
    return password
