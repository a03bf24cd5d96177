"""Reads of the referential: the current contract's enjeux."""

from contrat.current import current_contrats

from .models import Enjeu


def current_enjeux():
    """The current contract's enjeux, in one query (the contract is a subquery)."""
    return Enjeu.objects.filter(contrat__in=current_contrats().values("pk"))
