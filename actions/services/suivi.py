"""A fiche's follow-up written: its statut follows its latest progress note."""

from django.db import transaction

from ..models import FicheAction, PointAvancement

STATUT_REASON = "État d'avancement repris du dernier point d'avancement"


@transaction.atomic
def fiche_statut_follow(*, fiche_ids, user=None) -> list[FicheAction]:
    """Give each of these fiches the statut of its latest progress note (the latest date, the
    last written of a day), after notes were added, changed or deleted: deleting the latest
    brings back the previous one's. A fiche without notes keeps its statut; one already right
    is not written. Returns the fiches changed.

    Callers that write the notes (the fiche's form, the notes' own admin page) have claimed a
    version of the fiche already: this only records the statut, with a version of its own in
    the fiche's history."""
    changed = []
    fiches = FicheAction.objects.select_for_update().filter(pk__in=set(fiche_ids) - {None})
    latest = {}
    # Newest first (the model's ordering): the first note seen of each fiche is its latest.
    for fiche_id, statut in PointAvancement.objects.filter(
        fiche__in=fiches.values("pk")
    ).values_list("fiche_id", "statut"):
        latest.setdefault(fiche_id, statut)
    for fiche in fiches.order_by("pk"):
        statut = latest.get(fiche.pk)
        if statut is None or statut == fiche.statut:
            continue
        fiche.statut = statut
        fiche._history_user = user if user is not None and user.is_authenticated else None
        fiche._change_reason = STATUT_REASON
        fiche.save(update_fields=["statut", "modifie_le"])
        changed.append(fiche)
    return changed
