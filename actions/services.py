"""Writes that touch several rows or apps: loading the recap, ensuring an admin account."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from .models import FicheAction

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
    call_command("loaddata", RECAP_FIXTURE, verbosity=0)
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
