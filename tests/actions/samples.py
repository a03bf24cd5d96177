"""A small, realistic set of fiches for the export, PDF and import tests (until and besides
the 29 fiches of fixtures/recap.json)."""

from decimal import Decimal
from pathlib import Path

from django.conf import settings

from actions.models import Periodicite, Role
from tests.factories import (
    ContactFactory,
    ContratFactory,
    EnjeuFactory,
    FicheActionFactory,
    LigneBudgetFactory,
    OrientationFactory,
    ParticipationFactory,
    SousActionFactory,
    StructureFactory,
)

RECAP_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "recap.json"
FORMULA_TITLE = '=HYPERLINK("http://example.invalid","clic")'
FORMULA_DESCRIPTIF = "+cmd|' /C calc'!A0\n- une puce"


def sample_fiches():
    """Five fiches in recap order; returns a dict of what the tests look for."""
    contrat = ContratFactory()
    enjeu7 = EnjeuFactory(contrat=contrat, numero=7, titre="Développer l'économie")
    enjeu2 = EnjeuFactory(contrat=contrat, numero=2, titre="Vivre ensemble")
    orientation = OrientationFactory(
        enjeu=enjeu7, numero=7, titre="Soutenir l'économie sociale et solidaire"
    )
    adus = StructureFactory(nom="Agence de développement et d'urbanisme de la Sambre", sigle="ADUS")
    cress = StructureFactory(nom="CRESS", slug="cress")
    cibc = StructureFactory(nom="Emergence CIBC Sambre-Avesnois", slug="emergence-cibc")
    ContactFactory(structure=adus, nom="Jeanne Martin", fonction="Chargée de mission")

    padess = FicheActionFactory(
        contrat=contrat,
        ordre=1,
        titre="Le PADESS en Sambre-Avesnois",
        descriptif="Le plan se décline en 3 orientations.\n\nAxe : Innover\n· Action 1 : observer",
        enjeu_texte="Enjeu 7, orientation 7 : Soutenir l'économie sociale et solidaire",
    )
    padess.orientations.add(orientation)
    LigneBudgetFactory(fiche=padess, montant=Decimal("250550"))
    ParticipationFactory(fiche=padess, structure=adus, role=Role.PORTEUR)
    ParticipationFactory(
        fiche=padess, structure=cress, role=Role.PARTENAIRE, precision="volet emploi"
    )
    axe = SousActionFactory(fiche=padess, nature="axe", titre="Innover, créer dans l'ESS")
    SousActionFactory(fiche=padess, parent=axe, numero="1", titre="Animer un observatoire")

    generations = FicheActionFactory(
        contrat=contrat, ordre=2, titre="Rapprocher les générations", enjeu_texte=""
    )
    generations.enjeux.add(enjeu2)
    LigneBudgetFactory(
        fiche=generations,
        montant=Decimal("2000"),
        periodicite=Periodicite.ANNUEL,
        nombre_annees=6,
        financeur=cress,
    )
    LigneBudgetFactory(fiche=generations, montant=Decimal("15000"), nombre_annees=6)
    ParticipationFactory(fiche=generations, structure=cibc, role=Role.PORTEUR)

    ludotheque = FicheActionFactory(
        contrat=contrat,
        ordre=3,
        titre="Ludothèque itinérante",
        descriptif="<script>alert('x')</script> <b>gras</b>",
        budget_texte="",
        structure_texte="Assemblée territoriale des CSC avec le COTESS",
    )

    piege = FicheActionFactory(
        contrat=contrat,
        ordre=4,
        titre=FORMULA_TITLE,
        descriptif=FORMULA_DESCRIPTIF,
        enjeu_texte="@SUM(1+1)",
    )
    LigneBudgetFactory(fiche=piege, montant=Decimal("1000.50"))
    ParticipationFactory(fiche=piege, structure=cibc, role=Role.PARTENAIRE)

    brouillon = FicheActionFactory(
        contrat=contrat, ordre=5, titre="Fiche en brouillon", etat="brouillon"
    )
    LigneBudgetFactory(fiche=brouillon, montant=Decimal("99999"))

    return {
        "contrat": contrat,
        "enjeu7": enjeu7,
        "enjeu2": enjeu2,
        "orientation": orientation,
        "structures": [adus, cress, cibc],
        "fiches": [padess, generations, ludotheque, piege, brouillon],
        "published": [padess, generations, ludotheque, piege],
        # 250 550 + 2 000 × 6 + 15 000 + 1 000,50
        "published_total": Decimal("278550.50"),
    }
