"""The fiches' FilterSet: accent-blind search, filters, sorting, bad values, describe()."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import QueryDict

from actions.filters import FicheFilter
from actions.models import FicheAction, Periodicite, Role, Statut
from contrat.text import fold
from tests.factories import (
    EnjeuFactory,
    FicheActionFactory,
    LigneBudgetFactory,
    OrientationFactory,
    ParticipationFactory,
    SousActionFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db


def filtered(query: str = "", user=None) -> FicheFilter:
    queryset = FicheAction.objects.visible_to(user or AnonymousUser()).for_listing()
    return FicheFilter(QueryDict(query), queryset=queryset)


def titles(query: str = "") -> list[str]:
    return [fiche.titre for fiche in filtered(query).qs]


# --- folding -----------------------------------------------------------------------------


def test_fold_strips_accents_ligatures_and_case():
    assert fold("Ludothèque ÉLAN Œuvre cœur Æ ß") == "ludotheque elan oeuvre coeur ae ss"
    assert fold("l’ESS « solidaire » — oui") == "l'ess << solidaire >> - oui"
    assert fold(None) is None


def test_sqlite_and_postgresql_fold_french_text_like_python():
    """CONTRAT_FOLD in the database gives what `fold` gives in Python, on either engine."""
    sample = "Ludothèque ÉTÉ Œuvre cœur l’ESS « Réussir » Générations naïve Ça — ÀÂÄÇÈÉÊËÎÏÔÖÙÛÜŸ"
    with connection.cursor() as cursor:
        cursor.execute("SELECT CONTRAT_FOLD(%s)", [sample])
        assert cursor.fetchone()[0] == fold(sample)


# --- search --------------------------------------------------------------------------------


def test_search_ignores_accents_and_case_both_ways():
    FicheActionFactory(titre="Rapprocher les générations")
    FicheActionFactory(titre="Ludothèque itinérante")
    FicheActionFactory(titre="Autre chose")

    assert titles("q=generations") == ["Rapprocher les générations"]
    assert titles("q=GÉNÉRATIONS") == ["Rapprocher les générations"]
    assert titles("q=ludotheque") == ["Ludothèque itinérante"]
    assert titles("q=LUDOTHÈQUE") == ["Ludothèque itinérante"]


def test_search_matches_ligatures_and_typographic_apostrophes():
    FicheActionFactory(titre="Mettre en œuvre le plan de l’ESS")
    FicheActionFactory(titre="Autre chose")

    assert titles("q=oeuvre") == ["Mettre en œuvre le plan de l’ESS"]
    assert titles("q=l'ess") == ["Mettre en œuvre le plan de l’ESS"]


def test_search_requires_every_word():
    FicheActionFactory(titre="Emploi des femmes", descriptif="Accompagnement vers l'emploi")
    FicheActionFactory(titre="Emploi des seniors", descriptif="")

    assert titles("q=emploi") == ["Emploi des femmes", "Emploi des seniors"]
    assert titles("q=emploi accompagnement") == ["Emploi des femmes"]
    assert titles("q=emploi introuvable") == []


def test_search_looks_into_descriptif_enjeu_text_and_sub_actions():
    FicheActionFactory(titre="A", descriptif="Une ludothèque mobile")
    FicheActionFactory(titre="B", enjeu_texte="Enjeu 7 : Soutenir l’économie solidaire")
    sous = SousActionFactory(fiche=FicheActionFactory(titre="C"), titre="Observatoire")
    SousActionFactory(fiche=sous.fiche, titre="Autre", description="Un annuaire électronique")
    FicheActionFactory(titre="D")

    assert titles("q=ludotheque") == ["A"]
    assert titles("q=economie") == ["B"]
    assert titles("q=observatoire") == ["C"]
    assert titles("q=electronique") == ["C"]


def test_search_finds_a_structure_by_name_acronym_or_other_spelling_without_duplicates():
    emergence = StructureFactory(
        nom="Emergence CIBC Sambre-Avesnois",
        sigle="CIBC",
        autres_graphies="Emergence CIBC\nEmergence CIBS",
    )
    fiche = FicheActionFactory(titre="Séniors actifs")
    ParticipationFactory(fiche=fiche, structure=emergence, role=Role.PORTEUR)
    ParticipationFactory(fiche=fiche, structure=emergence, role=Role.FINANCEUR)
    SousActionFactory(fiche=fiche, titre="Bilan avec Emergence")
    FicheActionFactory(titre="Sans Emergence ici", descriptif="")
    FicheActionFactory(titre="Rien")

    assert titles("q=CIBS") == ["Séniors actifs"]
    assert titles("q=cibc") == ["Séniors actifs"]
    # Found in its title, "Sans Emergence ici" comes first (tests/actions/test_search.py).
    assert titles("q=émergence") == ["Sans Emergence ici", "Séniors actifs"]


def test_search_reads_percent_and_underscore_as_separators_not_wildcards():
    FicheActionFactory(titre="Réduire de 50% les déchets")
    FicheActionFactory(titre="Un_identifiant")
    FicheActionFactory(titre="Autre chose")

    # Not words: no term, every fiche (nothing is a LIKE wildcard any more).
    assert titles("q=%25") == titles("q=_") == titles("q=%5C") == titles("")
    assert titles("q=50%25") == ["Réduire de 50% les déchets"]
    assert titles("q=identifiant") == ["Un_identifiant"]


def test_search_with_only_spaces_or_punctuation_keeps_every_fiche():
    FicheActionFactory(titre="A")
    FicheActionFactory(titre="B")

    assert titles("q=+++") == ["A", "B"]
    assert titles("q=%C2%AB+%C2%BB") == ["A", "B"]  # « »


def test_search_ignores_control_characters():
    FicheActionFactory(titre="Ludothèque itinérante")

    FicheActionFactory(titre="Autre chose")

    assert titles("q=%01ludoth%C3%A8que%1F%7F") == ["Ludothèque itinérante"]
    assert titles("q=%07%08%1B") == ["Ludothèque itinérante", "Autre chose"]


def test_search_too_long_or_too_wordy_is_refused_in_french_and_ignored():
    FicheActionFactory(titre="A")
    long = filtered("q=" + "a" * 10_000)
    assert list(long.qs) == list(FicheAction.objects.all())
    assert "au plus 200 caractères" in " ".join(long.form.errors["q"])

    wordy = filtered("q=" + "+".join(f"mot{n}" for n in range(11)))
    assert "limitée à 10 mots" in " ".join(wordy.form.errors["q"])

    nul = filtered("q=ludo%00")
    assert "caractère nul" in " ".join(nul.form.errors["q"])
    assert [f.titre for f in nul.qs] == ["A"]


# --- filters -------------------------------------------------------------------------------


def test_structure_filter_with_and_without_role():
    structure = StructureFactory(nom="CRESS", slug="cress")
    portee = FicheActionFactory(titre="Portée")
    ParticipationFactory(fiche=portee, structure=structure, role=Role.PORTEUR)
    ParticipationFactory(fiche=portee, structure=StructureFactory(), role=Role.PARTENAIRE)
    partenaire = FicheActionFactory(titre="En partenariat")
    ParticipationFactory(fiche=partenaire, structure=structure, role=Role.PARTENAIRE)
    FicheActionFactory(titre="Sans la CRESS")

    assert titles("structure=cress") == ["Portée", "En partenariat"]
    assert titles("structure=cress&role=porteur") == ["Portée"]
    assert titles("structure=cress&role=partenaire") == ["En partenariat"]
    assert titles("role=partenaire") == ["Portée", "En partenariat"]


def test_enjeu_filter_takes_fiches_through_orientations_or_cited_directly():
    enjeu = EnjeuFactory(numero=7)
    orientation = OrientationFactory(enjeu=enjeu, numero=7)
    par_orientation = FicheActionFactory(titre="Par orientation")
    par_orientation.orientations.add(orientation)
    directe = FicheActionFactory(titre="Citée directement")
    directe.enjeux.add(enjeu)
    autre = FicheActionFactory(titre="Autre enjeu")
    autre.orientations.add(OrientationFactory(enjeu=EnjeuFactory(numero=2)))

    assert titles("enjeu=7") == ["Par orientation", "Citée directement"]
    assert titles(f"orientation={orientation.pk}") == ["Par orientation"]


def test_statut_and_budget_filters():
    grosse = FicheActionFactory(titre="Grosse", statut=Statut.EN_COURS)
    LigneBudgetFactory(fiche=grosse, montant=Decimal("50000"))
    annuelle = FicheActionFactory(titre="Annuelle")
    LigneBudgetFactory(
        fiche=annuelle,
        montant=Decimal("2000"),
        periodicite=Periodicite.ANNUEL,
        nombre_annees=6,
    )
    FicheActionFactory(titre="Sans budget")

    assert titles("statut=en_cours") == ["Grosse"]
    assert titles("budget_min=12000") == ["Grosse", "Annuelle"]  # 2 000 € × 6 ans
    assert titles("budget_min=12001") == ["Grosse"]
    assert titles("budget_max=12000") == ["Annuelle"]
    assert titles("sans_budget=on") == ["Sans budget"]
    assert titles("sans_budget=") == ["Grosse", "Annuelle", "Sans budget"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {"nombre": 4, "budget": Decimal("13500")}),
        ("budget_min=1&budget_max=600&sort=-budget", {"nombre": 2, "budget": Decimal("1000")}),
        ("q=deux+lignes", {"nombre": 1, "budget": Decimal("12500")}),
        ("sans_budget=on", {"nombre": 1, "budget": None}),
        ("q=introuvable", {"nombre": 0, "budget": None}),
    ],
)
def test_totals_count_each_fiche_once_and_each_budget_line_once(query, expected):
    """A fiche with several lines (one per year) is one fiche and the sum of its lines."""
    deux = FicheActionFactory(titre="Deux lignes")
    LigneBudgetFactory(fiche=deux, montant=Decimal("500"))
    LigneBudgetFactory(
        fiche=deux, montant=Decimal("2000"), periodicite=Periodicite.ANNUEL, nombre_annees=6
    )
    LigneBudgetFactory(fiche=FicheActionFactory(titre="Une ligne"), montant=Decimal("500"))
    LigneBudgetFactory(fiche=FicheActionFactory(titre="Petite"), montant=Decimal("500"))
    LigneBudgetFactory(fiche=FicheActionFactory(titre="Petite aussi"), montant=Decimal("0"))
    FicheActionFactory(titre="Sans budget", etat="brouillon")
    if query == "sans_budget=on":
        FicheActionFactory(titre="Sans budget publiée")

    bilan = filtered(query).qs.bilan()

    assert {"nombre": bilan.nombre, "budget": bilan.budget} == expected


def test_sorting_by_recap_order_title_and_budget():
    b = FicheActionFactory(titre="Bâtir", ordre=3)
    FicheActionFactory(titre="énergie", ordre=1)
    a = FicheActionFactory(titre="Agir", ordre=2)
    FicheActionFactory(titre="Zéro", ordre=4)
    LigneBudgetFactory(fiche=a, montant=Decimal("100"))
    LigneBudgetFactory(fiche=b, montant=Decimal("900"))

    assert titles() == ["énergie", "Agir", "Bâtir", "Zéro"]
    assert titles("sort=titre") == ["Agir", "Bâtir", "énergie", "Zéro"]
    assert titles("sort=-budget") == ["Bâtir", "Agir", "énergie", "Zéro"]
    assert titles("sort=budget") == ["Agir", "Bâtir", "énergie", "Zéro"]


def test_structure_menu_lists_every_structure_escaped_and_keeps_the_choice(client):
    StructureFactory(nom="Zèbre & <Cie>", slug="zebre")
    chosen = StructureFactory(nom="Ateliers « Été »", slug="ateliers")

    html = client.get("/actions/", {"structure": "ateliers"}).content.decode()

    menu = html[html.index('<select name="structure"') :]
    menu = menu[: menu.index("</select>")]
    assert 'id="id_structure"' in menu
    assert '<option value="">Toutes les structures</option>' in menu
    assert f'<option value="ateliers" selected>{chosen.nom}</option>' in menu
    assert '<option value="zebre">Zèbre &amp; &lt;Cie&gt;</option>' in menu
    assert menu.count(" selected") == 1


def test_bad_values_are_reported_in_french_and_left_out():
    FicheActionFactory(titre="A", statut=Statut.EN_COURS)
    FicheActionFactory(titre="B")

    bad = filtered("budget_min=abc&structure=inconnue&sort=whatever&statut=en_cours&enjeu=99")
    assert [f.titre for f in bad.qs] == ["A"]  # the valid statut still applies
    errors = bad.form.errors
    assert "Saisissez un montant" in " ".join(errors["budget_min"])
    assert "Cette structure n'existe pas" in " ".join(errors["structure"])
    assert "Ce tri n'existe pas" in " ".join(errors["sort"])
    assert "Cet enjeu n'existe pas" in " ".join(errors["enjeu"])
    assert bad.describe() == ["État d'avancement : En cours"]


def test_huge_or_negative_budget_is_refused_not_sent_to_the_database():
    FicheActionFactory(titre="A")
    huge = filtered("budget_min=1e999999")
    assert list(huge.qs)
    assert "budget_min" in huge.form.errors
    negative = filtered("budget_max=-5")
    assert "supérieure ou égale à 0" in " ".join(negative.form.errors["budget_max"])


def test_minimum_above_maximum_is_explained():
    FicheActionFactory(titre="A")
    crossed = filtered("budget_min=500&budget_max=100")
    assert "dépasse le budget maximum" in str(crossed.form.non_field_errors())
    assert list(crossed.qs) == []


# --- describe ------------------------------------------------------------------------------


def test_describe_lists_active_filters_in_french():
    structure = StructureFactory(nom="Emergence CIBC Sambre-Avesnois", slug="emergence")
    orientation = OrientationFactory(enjeu=EnjeuFactory(numero=7, titre="ESS"), numero=7)
    ParticipationFactory(structure=structure)

    description = filtered(
        f"q=cibs&structure=emergence&role=porteur&budget_min=10000&orientation={orientation.pk}"
        "&statut=en_cours&enjeu=7&budget_max=20000&sans_budget=on&sort=titre"
    ).describe()

    assert description == [
        "Recherche : « cibs »",
        "Enjeu 7 — ESS",
        f"Orientation : 7.7 {orientation.titre}",
        "Structure : Emergence CIBC Sambre-Avesnois (porteur)",
        "État d'avancement : En cours",
        "Budget minimum : 10\u00a0000\u00a0€",
        "Budget maximum : 20\u00a0000\u00a0€",
        "Sans budget renseigné",
    ]
    assert filtered("role=financeur").describe() == ["Rôle d'une structure : financeur"]


def test_describe_is_empty_without_filters_and_works_unbound():
    FicheActionFactory()
    assert filtered("").describe() == []
    assert filtered("sort=titre&page=2").describe() == []
    unbound = FicheFilter(None, queryset=FicheAction.objects.for_listing())
    assert unbound.describe() == []
    assert unbound.qs.count() == 1


# --- with the real recap -------------------------------------------------------------------


def test_recap_search_examples(recap):
    assert titles("q=ludotheque")[0] == "Ludothèque itinérante"
    assert "Rapprocher les générations" in titles("q=generations")
    emergence_fiches = {
        "L’emploi des femmes allocataires du RSA",
        "Guidance socioprofessionnelle",
        "Séniors actifs",
        "PROMOUVOIR LA VAE AUPRES DES ASSOCIATIONS CULTURELLES OU SPORTIVES",
        "VALORISER LES EXPERIENCES EN CHANTIER D’INSERTION",
    }
    assert emergence_fiches <= set(titles("q=CIBS"))
    assert emergence_fiches <= set(titles("q=emergence"))
    assert titles("q=CIBS") == titles("q=cibs")


def test_recap_default_order_is_the_tables(recap):
    fiches = list(filtered("").qs)
    assert len(fiches) == 29
    assert [f.ordre for f in fiches] == sorted(f.ordre for f in fiches)
    assert fiches[0].titre == "Le PADESS en Sambre-Avesnois"
