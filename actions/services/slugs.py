"""A fiche's former addresses: kept when its slug changes, so that links to them still work."""

from django.db import transaction
from django.utils import timezone

from ..models import AncienSlug, FicheAction


@transaction.atomic
def fiche_slug_changed(*, fiche: FicheAction, former: str) -> AncienSlug | None:
    """`fiche` was saved with a new slug, `former` before (empty for a new fiche): the former
    address keeps answering, with a permanent redirect to the current one (actions/views.py).

    Called by what can change a slug: the fiche's admin form (a contributor's shows it read
    only). An import cannot: the slug is how it finds the fiche. The current slug stops being
    a former address, this fiche's or another's: a fiche's own address always wins."""
    AncienSlug.objects.filter(slug=fiche.slug).delete()
    if not former or former == fiche.slug:
        return None
    kept = AncienSlug.objects.filter(slug=former).first() or AncienSlug(slug=former)
    kept.fiche, kept.remplace_le = fiche, timezone.now()
    kept.full_clean()
    kept.save()
    return kept
