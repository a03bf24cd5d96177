"""What every public page shares: the current contract (header, footer), the fiches the
visitor may see, and for an editor the banner saying unpublished fiches are among them."""

from django.conf import settings

from contrat.current import current_contrat
from contrat.datacache import data_cached

from ..models import FicheAction


class VisibleFichesMixin:
    """Gives every page the contract it belongs to and the fiches the visitor may see."""

    def get_contrat(self):
        if not hasattr(self, "_contrat"):
            self._contrat = current_contrat()
        return self._contrat

    def visible_fiches(self):
        """The FicheActionQuerySet of this contract's fiches shown to the visitor, or None."""
        contrat = self.get_contrat()
        if contrat is None:
            return None
        return FicheAction.objects.filter(contrat=contrat).visible_to(self.request.user)

    def audience(self) -> str:
        """Who sees the same fiches as this visitor (the key of what is cached for them)."""
        return FicheAction.objects.unpublished_scope(self.request.user) or "public"

    def cached(self, name: str, build, params=(), *, single: bool = False):
        """`build()`'s figures for this visitor's fiches, computed once per data version
        (contrat/datacache.py): what grows with the data, never the page's own rows. `single`:
        slow figures, computed by one visitor while the others wait for them."""
        return data_cached(name, build, audience=self.audience(), params=params, single=single)

    def unpublished_shown(self) -> int:
        """How many drafts and fiches in review of this contract the pages show the visitor
        (counted for those who may see some only: the public's pages pay no query)."""
        if not FicheAction.objects.unpublished_scope(self.request.user):
            return 0
        fiches = self.visible_fiches()
        return fiches.unpublished().count() if fiches is not None else 0

    def get_context_data(self, **kwargs):
        kwargs.setdefault("contrat", self.get_contrat())
        kwargs.setdefault("recap_pdf_max", settings.RECAP_PDF_MAX_FICHES)
        # The banner of templates/base.html, and the downloads' "include them" checkbox.
        kwargs.setdefault("non_publiees", self.unpublished_shown())
        return super().get_context_data(**kwargs)
