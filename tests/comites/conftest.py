"""A small contract for the committees' tests: three published fiches (two financed by CG59)
and a draft, which no snapshot may hold."""

from decimal import Decimal

import pytest

from actions.models import Etat, Role, Statut
from tests.factories import (
    ContratFactory,
    EnjeuFactory,
    FicheActionFactory,
    LigneBudgetFactory,
    LigneFinancementFactory,
    OrientationFactory,
    ParticipationFactory,
    StructureFactory,
)


@pytest.fixture
def contrat(db):
    return ContratFactory()


@pytest.fixture
def world(contrat):
    enjeu = EnjeuFactory(contrat=contrat, numero=1, titre="Développer l'emploi")
    orientation = OrientationFactory(enjeu=enjeu, numero=2, titre="Soutenir l'ESS")
    cg59 = StructureFactory(nom="Département du Nord", sigle="CG59", slug="cg59")
    porteur = StructureFactory(nom="Pôle ESS", slug="pole-ess")

    def fiche(titre, montant, etat=Etat.PUBLIEE, **kwargs):
        made = FicheActionFactory(contrat=contrat, titre=titre, etat=etat, **kwargs)
        made.orientations.add(orientation)
        ParticipationFactory(fiche=made, structure=porteur, role=Role.PORTEUR)
        if montant is not None:
            LigneBudgetFactory(fiche=made, montant=Decimal(montant))
        return made

    padess = fiche("Le PADESS", "250550", statut=Statut.EN_COURS)
    LigneFinancementFactory(fiche=padess, financeur=cg59, annee=2026, prevu=Decimal("40000"))
    epicerie = fiche("Épicerie solidaire", "30000")
    LigneFinancementFactory(fiche=epicerie, financeur=cg59, annee=2027, prevu=Decimal("5000"))
    return {
        "contrat": contrat,
        "cg59": cg59,
        "padess": padess,
        "epicerie": epicerie,
        "observatoire": fiche("Observatoire de l'ESS", None),
        "brouillon": fiche("Brouillon confidentiel", "99999", etat=Etat.BROUILLON),
        "orientation": orientation,
    }
