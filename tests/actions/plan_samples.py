"""A small financing plan whose totals are worked out by hand below, for the plan's page, a
fiche's and a financer's pages, the exports and the SCDL file.

| fiche (enjeu)        | financer | year | nature  | planned | granted | paid   |
|----------------------|----------|------|---------|---------|---------|--------|
| Ludothèque (1)       | CG59     | 2024 | fonct.  | 10 000  | 10 000  | 10 000 |
| Ludothèque (1)       | CG59     | 2025 | fonct.  | 10 000  |  8 000  |  4 000 |
| Ludothèque (1)       | Région   | 2024 | fonct.  |  5 000  |    —    |      0 |
| Jardins (2)          | CG59     | 2025 | invest. | 20 000  | 20 000  |      0 |
| Jardins (2)          | État     | 2026 | invest. | 15 000  | 15 000  | 15 000 |
| Brouillon (1)        | CG59     | 2024 | fonct.  | 99 999  | 99 999  |      0 |

The last is a draft's: the public never sees it.

Planned: CG59 40 000 (66.7 %), État 15 000 (25.0 %), Région 5 000 (8.3 %): 60 000; per year
2024 15 000, 2025 30 000, 2026 15 000. Granted: CG59 38 000, État 15 000: 53 000. Paid:
CG59 14 000, État 15 000: 29 000. The Ludothèque's budget is 50 000 €: 32 000 € left to
finance (50 000 − 18 000 granted)."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

from actions.choices import NatureFinancement
from actions.models import Role
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

CG59_SIRET = "22590001700016"  # a valid key (Luhn)
PORTEUR_SIRET = "33456789000010"
PORTEUR_RNA = "W595001234"


def make_plan(contrat=None) -> SimpleNamespace:
    contrat = contrat or ContratFactory()
    cg59 = StructureFactory(
        nom="Conseil départemental du Nord", sigle="CG59", siret=CG59_SIRET, slug="cg59"
    )
    contrat.annee_debut, contrat.annee_fin, contrat.financeur = 2024, 2029, cg59
    contrat.save()
    region = StructureFactory(nom="Région Hauts-de-France", slug="region")
    etat = StructureFactory(nom="État", slug="etat")
    enjeu1 = EnjeuFactory(contrat=contrat, numero=1, titre="Économie sociale")
    enjeu2 = EnjeuFactory(contrat=contrat, numero=2, titre="Cadre de vie")
    ludotheque = FicheActionFactory(contrat=contrat, titre="Ludothèque itinérante", ordre=1)
    ludotheque.orientations.add(OrientationFactory(enjeu=enjeu1, numero=1))
    LigneBudgetFactory(fiche=ludotheque, montant=Decimal("50000"))
    association = StructureFactory(
        nom="Association Ludo", slug="ludo", siret=PORTEUR_SIRET, rna=PORTEUR_RNA
    )
    ParticipationFactory(fiche=ludotheque, structure=association, role=Role.PORTEUR)
    jardins = FicheActionFactory(contrat=contrat, titre="Jardins partagés", ordre=2)
    jardins.enjeux.add(enjeu2)
    commune = StructureFactory(nom="Commune de Fourmies", slug="fourmies")
    ParticipationFactory(fiche=jardins, structure=commune, role=Role.PORTEUR)
    brouillon = FicheActionFactory(
        contrat=contrat, titre="Brouillon caché", ordre=3, etat="brouillon"
    )
    brouillon.orientations.add(ludotheque.orientations.first())
    ParticipationFactory(fiche=brouillon, structure=commune, role=Role.PORTEUR)

    def line(fiche, financeur, annee, prevu, accorde=None, verse=0, **kwargs):
        return LigneFinancementFactory(
            fiche=fiche,
            financeur=financeur,
            annee=annee,
            prevu=Decimal(prevu),
            accorde=None if accorde is None else Decimal(accorde),
            verse=Decimal(verse),
            **kwargs,
        )

    decided = {"date_decision": datetime.date(2023, 12, 15)}
    invest = {"nature": NatureFinancement.INVESTISSEMENT}
    line(ludotheque, cg59, 2024, 10000, 10000, 10000, reference_decision="CP 2023-101", **decided)
    line(ludotheque, cg59, 2025, 10000, 8000, 4000, reference_decision="CP 2024-17", **decided)
    line(ludotheque, region, 2024, 5000)
    line(jardins, cg59, 2025, 20000, 20000, 0, **invest, **decided)
    line(jardins, etat, 2026, 15000, 15000, 15000, **invest, **decided)
    line(brouillon, cg59, 2024, 99999, 99999, 0, **decided)
    return SimpleNamespace(
        contrat=contrat,
        cg59=cg59,
        region=region,
        etat=etat,
        enjeu1=enjeu1,
        enjeu2=enjeu2,
        ludotheque=ludotheque,
        jardins=jardins,
        brouillon=brouillon,
        association=association,
        commune=commune,
    )
