"""The contract the portal shows: it serves one contract, the first created."""

from enjeux.models import Contrat


def current_contrats():
    """A queryset of the current contract: usable as a subquery (`contrat__in=…`)."""
    return Contrat.objects.order_by("pk")[:1]


def current_contrat() -> Contrat | None:
    return current_contrats().first()
