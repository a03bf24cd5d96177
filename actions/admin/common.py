"""What the fiche admin's parts share: its refusals and warnings, as messages."""

from django.core.exceptions import ValidationError

NO_BUDGET = "—"
MAX_REFUSALS_SHOWN = 5
WITHDRAWN_MESSAGE = (
    "La fiche était publiée : vos modifications la repassent en brouillon, retirée du portail "
    "jusqu'à ce qu'un rédacteur la publie de nouveau. Envoyez-la en relecture quand elle est "
    "prête."
)


def refusal_text(error) -> str:
    """A refusal as a message. A stale save's says what changed meanwhile as a list: its HTML,
    escaped part by part (actions/services/versions.py), goes through as it is."""
    if getattr(error, "html", None):
        return error.html
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "Vous n'avez pas le droit de faire cela."
