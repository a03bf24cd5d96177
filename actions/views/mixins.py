"""What every public page shares: the current contract (header, footer) and the fiches the
visitor may see."""

from django.conf import settings

from contrat.current import current_contrat

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

    def get_context_data(self, **kwargs):
        kwargs.setdefault("contrat", self.get_contrat())
        kwargs.setdefault("recap_pdf_max", settings.RECAP_PDF_MAX_FICHES)
        return super().get_context_data(**kwargs)
