"""Staff admin of fiches actions: pages, list, filters, query budget, validation, actions."""

import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

from actions.models import (
    FicheAction,
    LigneBudget,
    Participation,
    Periodicite,
    Role,
    SousAction,
    TransitionFiche,
)
from contrat.formats import NBSP
from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Contact, Structure
from tests.conftest import page_text
from tests.factories import (
    EnjeuFactory,
    FicheActionFactory,
    LigneBudgetFactory,
    OrientationFactory,
    ParticipationFactory,
    SousActionFactory,
    StructureFactory,
    admin_form_data,
    make_fiches,
)

pytestmark = pytest.mark.django_db

ACTIONS_MODELS = [FicheAction, Participation, LigneBudget, SousAction]
FICHE_CHANGELIST = reverse("admin:actions_ficheaction_changelist")


class _ResultTable(HTMLParser):
    """The rows of the admin list's table, each a list of its cells' texts."""

    def __init__(self):
        super().__init__()
        self.rows, self.in_body, self.cell = [], False, None

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag in ("td", "th"):
            self.cell = []
        elif self.cell is not None and tag == "img":  # the admin's yes/no icons
            self.cell.append(dict(attrs).get("alt", ""))

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_body = False
        elif self.in_body and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(re.sub(r"[ \t\r\n]+", " ", "".join(self.cell)).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(response) -> dict[str, list[str]]:
    """{title: [the row's cells after the checkbox]} as the list page shows them."""
    parser = _ResultTable()
    parser.feed(response.content.decode())
    return {row[1]: row[1:] for row in parser.rows}


def listed_titles(response) -> list[str]:
    return [fiche.titre for fiche in response.context["cl"].result_list]


def change_url(obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


# --- Registration and every page ---------------------------------------------------------------


def test_every_model_of_the_contract_is_in_the_admin():
    every_model = [Contrat, Enjeu, Orientation, Structure, Contact, *ACTIONS_MODELS]

    assert [model for model in every_model if not admin.site.is_registered(model)] == []


@pytest.mark.parametrize("model", ACTIONS_MODELS, ids=lambda m: m.__name__)
def test_list_add_and_change_pages_open(admin_client, model):
    make_fiches(2)
    obj = model.objects.first()
    meta = model._meta

    for url in [
        reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
        reverse(f"admin:{meta.app_label}_{meta.model_name}_add"),
        change_url(obj),
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("model", ACTIONS_MODELS, ids=lambda m: m.__name__)
def test_list_opens_with_each_filter_and_a_search(admin_client, model):
    make_fiches(2)
    FicheActionFactory(titre="Sans rien")
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")

    changelist = admin_client.get(url).context["cl"]
    query_strings = [
        choice["query_string"]
        for spec in changelist.filter_specs
        for choice in spec.choices(changelist)
    ]
    assert query_strings  # every list here has filters
    for query_string in [*query_strings, "?q=Structure", "?q=Fiche+action&_facets=1"]:
        response = admin_client.get(url + query_string)
        assert response.status_code == 200, query_string


# --- The fiche list ----------------------------------------------------------------------------


def test_list_shows_porteur_budget_the_french_way_and_orientation_codes(admin_client):
    enjeu = EnjeuFactory(numero=7)
    fiche = FicheActionFactory(titre="Le PADESS en Sambre-Avesnois")
    fiche.orientations.add(OrientationFactory(enjeu=enjeu, numero=7))
    fiche.enjeux.add(EnjeuFactory(numero=2))
    ParticipationFactory(fiche=fiche, structure=StructureFactory(nom="Pôle ESS"), role=Role.PORTEUR)
    ParticipationFactory(fiche=fiche, structure=StructureFactory(nom="ADUS"), role=Role.PARTENAIRE)
    LigneBudgetFactory(fiche=fiche, montant=Decimal("250550"))
    FicheActionFactory(titre="Fiche sans budget")
    sans_code = FicheActionFactory(titre="Orientation sans numéro")
    sans_code.orientations.add(
        OrientationFactory(
            enjeu=None, numero=None, titre="Adapter le développement culturel aux spécificités"
        )
    )

    response = admin_client.get(FICHE_CHANGELIST)

    rows = table_rows(response)
    assert rows["Orientation sans numéro"][-1] == "Adapter le développement culturel aux s…"
    assert rows["Le PADESS en Sambre-Avesnois"] == [
        "Le PADESS en Sambre-Avesnois",
        "Proposée",
        "Publiée",
        "Pôle ESS",
        f"250{NBSP}550{NBSP}€",
        "7.7, Enjeu 2",
    ]
    assert rows["Fiche sans budget"][3:] == ["—", "—", "—"]
    headers = page_text(response)
    assert "Porteur(s)" in headers and "Budget total" in headers and "Orientations" in headers


def test_list_sorts_by_total_budget_largest_first_without_budget_last(admin_client):
    petite, grande, annuelle = FicheActionFactory.create_batch(3)
    sans = FicheActionFactory()
    LigneBudgetFactory(fiche=petite, montant=Decimal("500"))
    LigneBudgetFactory(fiche=grande, montant=Decimal("250550"))
    LigneBudgetFactory(
        fiche=annuelle, montant=Decimal("2000"), periodicite="annuel", nombre_annees=6
    )
    column = admin.site.get_model_admin(FicheAction).list_display.index("budget_affiche") + 1

    descending = admin_client.get(f"{FICHE_CHANGELIST}?o=-{column}")
    ascending = admin_client.get(f"{FICHE_CHANGELIST}?o={column}")

    order = [grande.titre, annuelle.titre, petite.titre, sans.titre]
    assert listed_titles(descending) == order
    assert listed_titles(ascending) == order[::-1]


def test_enjeu_filter_matches_an_orientation_of_the_enjeu_or_the_enjeu_cited_directly(
    admin_client,
):
    enjeu, autre = EnjeuFactory(numero=7), EnjeuFactory(numero=2)
    par_orientation = FicheActionFactory(titre="Par orientation")
    par_orientation.orientations.add(OrientationFactory(enjeu=enjeu))
    directe = FicheActionFactory(titre="Enjeu cité")
    directe.enjeux.add(enjeu)
    deux_orientations = FicheActionFactory(titre="Deux orientations du même enjeu")
    deux_orientations.orientations.add(
        OrientationFactory(enjeu=enjeu), OrientationFactory(enjeu=enjeu)
    )
    ailleurs = FicheActionFactory(titre="Autre enjeu")
    ailleurs.orientations.add(OrientationFactory(enjeu=autre))

    response = admin_client.get(f"{FICHE_CHANGELIST}?enjeu={enjeu.pk}")

    assert sorted(listed_titles(response)) == sorted(
        ["Par orientation", "Enjeu cité", "Deux orientations du même enjeu"]
    )


def test_orientation_filter(admin_client):
    orientation = OrientationFactory()
    fiche = FicheActionFactory(titre="Dans l'orientation")
    fiche.orientations.add(orientation, OrientationFactory(enjeu=orientation.enjeu))
    FicheActionFactory(titre="Hors orientation")

    response = admin_client.get(f"{FICHE_CHANGELIST}?orientation={orientation.pk}")

    assert listed_titles(response) == ["Dans l'orientation"]


def test_structure_filter_matches_any_role(admin_client):
    structure = StructureFactory(nom="Conseil général du Nord", sigle="CG59")
    for role in [Role.PORTEUR, Role.PARTENAIRE, Role.FINANCEUR]:
        ParticipationFactory(structure=structure, role=role, fiche__titre=f"Comme {role.label}")
    ParticipationFactory(fiche__titre="Sans elle")

    response = admin_client.get(f"{FICHE_CHANGELIST}?structure={structure.pk}")

    assert sorted(listed_titles(response)) == [
        "Comme Financeur",
        "Comme Partenaire",
        "Comme Porteur",
    ]


def test_budget_filter(admin_client):
    LigneBudgetFactory(fiche__titre="Chiffrée")
    LigneBudgetFactory(fiche__titre="Chiffrée à zéro", montant=Decimal("0"))
    FicheActionFactory(titre="Sans ligne")

    avec = admin_client.get(f"{FICHE_CHANGELIST}?budget=avec")
    sans = admin_client.get(f"{FICHE_CHANGELIST}?budget=sans")

    assert sorted(listed_titles(avec)) == ["Chiffrée", "Chiffrée à zéro"]
    assert listed_titles(sans) == ["Sans ligne"]


@pytest.mark.parametrize(
    "term",
    [
        "laboratoire",
        "veille",
        "Développement et d'Urbanisme",
        "ADUS",
        "Avesnois",
        # The portal's search: without accents, in the sub-actions too.
        "developpement et d'urbanisme",
        "IDÉES",
        "cartographie",
    ],
)
def test_search_covers_title_descriptif_and_structure_names(admin_client, term):
    fiche = FicheActionFactory(
        titre="Un Laboratoire d’idées", descriptif="Une veille via Internet."
    )
    SousActionFactory(fiche=fiche, titre="Cartographie des acteurs")
    adus = StructureFactory(
        nom="Agence de Développement et d'Urbanisme de la Sambre",
        sigle="ADUS",
        autres_graphies="Agence d'urbanisme\nUrbanisme Sambre Avesnois",
    )
    ParticipationFactory(fiche=fiche, structure=adus, role=Role.PORTEUR)
    ParticipationFactory(fiche=fiche, role=Role.PARTENAIRE)  # a second row must not duplicate it
    FicheActionFactory(titre="Autre chose", descriptif="Rien à voir.")

    response = admin_client.get(FICHE_CHANGELIST, {"q": term})

    assert listed_titles(response) == ["Un Laboratoire d’idées"]


# --- Query budget ------------------------------------------------------------------------------

# Session, user, 3 filter choice lists, 2 counts, the page, 4 prefetches (porteurs,
# orientations and their enjeux, enjeux cited directly).
CHANGELIST_QUERIES = 12
# "Afficher les nombres": Django builds the six filters again for each filter's counts.
FACETS_QUERIES = 36


@pytest.mark.parametrize("size", [5, 60])
@pytest.mark.parametrize(
    "query_string, budget",
    [
        ("", CHANGELIST_QUERIES),
        ("?q=Fiche", CHANGELIST_QUERIES),
        ("?budget=avec&o=-5", CHANGELIST_QUERIES),
        ("?structure={structure}&statut=proposee", CHANGELIST_QUERIES),
        ("?enjeu={enjeu}&_facets=1", FACETS_QUERIES),
    ],
)
def test_fiche_list_runs_the_same_number_of_queries_whatever_its_length(
    admin_client,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
    size,
    query_string,
    budget,
):
    # Committed, as they would be before anyone searches: the search index is written then.
    with django_capture_on_commit_callbacks(execute=True):
        fiches = make_fiches(size)
    query_string = query_string.format(
        structure=fiches[0].participations.first().structure_id,
        enjeu=fiches[0].orientations.get().enjeu_id,
    )

    with django_assert_max_num_queries(budget):
        response = admin_client.get(FICHE_CHANGELIST + query_string)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 1


# --- The fiche form: layout, inlines, validation -----------------------------------------------


def test_change_form_groups_the_recaps_verbatim_texts_and_shows_the_total(admin_client):
    fiche = FicheActionFactory(
        enjeu_texte="Enjeu 7, orientation 7 : Soutenir l’économie sociale et solidaire",
        budget_texte="2 000 € par an sur 6 ans",
        structure_texte="Le Pôle ESS",
    )
    LigneBudgetFactory(fiche=fiche, montant=Decimal("2000"), periodicite="annuel", nombre_annees=6)

    response = admin_client.get(change_url(fiche))

    fieldsets = {fs.name: list(fs.fields) for fs in response.context["adminform"]}
    verbatim = next(name for name in fieldsets if name and "recap" in name)
    assert fieldsets[verbatim] == ["enjeu_texte", "budget_texte", "structure_texte"]
    text = page_text(response)
    assert "Total du budget" in text and "12 000 €" in text
    assert "2 000 € par an sur 6 ans" in text


def test_add_form_prefills_the_only_contract_and_the_slug_comes_from_the_title(admin_client):
    contrat = make_fiches(1)[0].contrat

    response = admin_client.get(reverse("admin:actions_ficheaction_add"))

    adminform = response.context["adminform"]
    assert adminform.form.initial["contrat"] == contrat.pk
    [prepopulated] = adminform.prepopulated_fields
    assert prepopulated["field"].name == "slug"
    assert [field.name for field in prepopulated["dependencies"]] == ["titre"]


def test_untouched_change_form_saves(admin_client):
    fiche = make_fiches(1)[0]
    url = change_url(fiche)

    response = admin_client.post(url, admin_form_data(admin_client.get(url)))

    assert response.status_code == 302
    assert fiche.lignes_budget.count() == 2


def test_new_fiche_with_a_budget_line_through_the_add_form(admin_client):
    contrat = make_fiches(1)[0].contrat
    url = reverse("admin:actions_ficheaction_add")
    data = admin_form_data(admin_client.get(url))
    data.update(
        {
            "contrat": str(contrat.pk),
            "titre": "Un club des entrepreneurs",
            "slug": "un-club-des-entrepreneurs",
            "lignes_budget-0-montant": "2000",
            "lignes_budget-0-periodicite": "annuel",
            "lignes_budget-0-nombre_annees": "6",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302
    fiche = FicheAction.objects.get(slug="un-club-des-entrepreneurs")
    assert fiche.budget_total == Decimal("12000")


def refused_change(admin_client, fiche, changes: dict):
    """Post the fiche's change form with `changes` and a new title; return the response."""
    url = change_url(fiche)
    data = admin_form_data(admin_client.get(url))
    data["titre"] = "Titre qui ne doit pas être enregistré"
    data.update(changes)
    return admin_client.post(url, data)


def budget_lines(fiche):
    return list(fiche.lignes_budget.values_list("montant", "periodicite", "nombre_annees"))


def test_negative_amount_is_refused_in_french_and_nothing_changes(admin_client):
    fiche = make_fiches(1)[0]
    before = budget_lines(fiche)

    response = refused_change(admin_client, fiche, {"lignes_budget-0-montant": "-10"})

    assert response.status_code == 200
    assert "Le montant ne peut pas être négatif." in page_text(response)
    fiche.refresh_from_db()
    assert fiche.titre != "Titre qui ne doit pas être enregistré"
    assert budget_lines(fiche) == before


def test_new_negative_line_is_refused_in_french_and_nothing_changes(admin_client):
    fiche = make_fiches(1)[0]
    before = budget_lines(fiche)
    data = admin_form_data(admin_client.get(change_url(fiche)))
    total = int(data["lignes_budget-TOTAL_FORMS"])

    response = refused_change(
        admin_client,
        fiche,
        {
            "lignes_budget-TOTAL_FORMS": str(total + 1),
            f"lignes_budget-{total}-montant": "-2000",
            f"lignes_budget-{total}-periodicite": "total",
            f"lignes_budget-{total}-ordre": "0",
        },
    )

    assert "Le montant ne peut pas être négatif." in page_text(response)
    assert budget_lines(fiche) == before


@pytest.mark.parametrize("annees", ["", "0"])
def test_per_year_line_without_years_is_refused_in_french_and_nothing_changes(admin_client, annees):
    fiche = make_fiches(1)[0]
    ligne = fiche.lignes_budget.get(periodicite=Periodicite.TOTAL)
    index = list(fiche.lignes_budget.all()).index(ligne)
    before = budget_lines(fiche)

    response = refused_change(
        admin_client,
        fiche,
        {
            f"lignes_budget-{index}-periodicite": "annuel",
            f"lignes_budget-{index}-nombre_annees": annees,
        },
    )

    assert response.status_code == 200
    assert "Un montant par an demande un nombre d'années." in page_text(response)
    fiche.refresh_from_db()
    assert fiche.titre != "Titre qui ne doit pas être enregistré"
    assert budget_lines(fiche) == before


def test_duplicate_slug_is_refused_in_french_and_nothing_changes(admin_client):
    first, second = make_fiches(2)

    response = refused_change(admin_client, second, {"slug": first.slug})

    assert response.status_code == 200
    assert "Une autre fiche utilise déjà ce slug : choisissez-en un autre." in page_text(response)
    second.refresh_from_db()
    assert second.slug != first.slug
    assert second.titre != "Titre qui ne doit pas être enregistré"


def test_same_structure_twice_in_the_same_role_is_refused(admin_client):
    fiche = make_fiches(1)[0]
    porteur = fiche.participations.get(role=Role.PORTEUR)

    response = refused_change(
        admin_client,
        fiche,
        {
            "participations-1-structure": str(porteur.structure_id),
            "participations-1-role": Role.PORTEUR,
        },
    )

    assert response.status_code == 200
    assert "Cette structure a déjà ce rôle dans cette fiche" in page_text(response)
    assert fiche.participations.filter(role=Role.PORTEUR).count() == 1
    assert fiche.participations.filter(role=Role.PARTENAIRE).count() == 1


def test_sub_action_parent_offers_only_the_same_fiches_sub_actions(admin_client):
    fiche, autre = make_fiches(2)
    orientation = SousActionFactory(fiche=fiche, nature="orientation", titre="Mieux connaître")
    etrangere = SousActionFactory(fiche=autre, titre="D'une autre fiche")

    response = admin_client.get(change_url(fiche))

    formset = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is SousAction
    )
    offered = {value for value, _label in formset.forms[0].fields["parent"].choices if value}
    assert offered == set(fiche.sous_actions.values_list("pk", flat=True))
    assert orientation.pk in offered and etrangere.pk not in offered


def test_sub_action_of_another_fiche_is_refused_as_parent(admin_client):
    fiche, autre = make_fiches(2)
    etrangere = SousActionFactory(fiche=autre)

    response = refused_change(admin_client, fiche, {"sous_actions-0-parent": str(etrangere.pk)})

    assert response.status_code == 200
    assert fiche.sous_actions.get().parent is None


def test_sub_action_cannot_be_its_own_parent(admin_client):
    fiche = make_fiches(1)[0]
    sous_action = fiche.sous_actions.get()

    response = refused_change(admin_client, fiche, {"sous_actions-0-parent": str(sous_action.pk)})

    assert "Une sous-action ne peut pas être rattachée à elle-même." in page_text(response)
    sous_action.refresh_from_db()
    assert sous_action.parent is None


def test_orientation_autocomplete_finds_an_orientation_by_its_code(admin_client):
    cible = OrientationFactory(enjeu=EnjeuFactory(numero=7), numero=7, titre="Soutenir l'ESS")
    OrientationFactory(enjeu=EnjeuFactory(numero=2), numero=7)
    OrientationFactory(enjeu=cible.enjeu, numero=1)

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "actions",
            "model_name": "ficheaction",
            "field_name": "orientations",
            "term": "7.7",
        },
    )

    assert response.json()["results"] == [{"id": str(cible.pk), "text": "7.7 Soutenir l'ESS"}]


# --- Publishing actions ------------------------------------------------------------------------


def run_action(admin_client, action, fiches):
    return admin_client.post(
        FICHE_CHANGELIST,
        {"action": action, "_selected_action": [str(f.pk) for f in fiches]},
        follow=True,
    )


def test_publish_and_archive_the_selection_with_a_french_message(admin_client):
    brouillons = FicheActionFactory.create_batch(2, etat="brouillon")
    deja = FicheActionFactory(etat="publiee")
    autre = FicheActionFactory(etat="brouillon")

    response = run_action(admin_client, "publier", [*brouillons, deja])

    text = page_text(response)
    assert "2 fiches publiées." in text
    assert "est à l'état « Publiée » : on ne peut pas la publier depuis cet état." in text
    assert FicheAction.objects.filter(etat="publiee").count() == 3
    change = admin_client.get(reverse("admin:actions_ficheaction_change", args=[brouillons[0].pk]))
    assert "Brouillon → Publiée" in page_text(change)  # who and when, on the fiche's page
    autre.refresh_from_db()
    assert autre.etat == "brouillon"

    response = run_action(admin_client, "archiver", [deja])

    assert "1 fiche archivée." in page_text(response)
    deja.refresh_from_db()
    assert deja.etat == "archivee"


def test_publishing_an_already_published_selection_says_so(admin_client):
    fiche = FicheActionFactory(etat="publiee")

    response = run_action(admin_client, "publier", [fiche])

    assert "Aucune fiche publiée." in page_text(response)


# --- On the real data --------------------------------------------------------------------------

RECAP_FIXTURE = Path(settings.FIXTURE_DIRS[0]) / "recap.json"


@pytest.mark.skipif(not RECAP_FIXTURE.exists(), reason="fixtures/recap.json pas encore produit")
def test_every_admin_page_opens_on_the_recap(admin_client, recap, django_assert_max_num_queries):
    # Every object of the pages staff open daily; a sample of the rows shown inline in a fiche.
    sampled = {Participation: 10, LigneBudget: 10, SousAction: 10}
    urls = []
    for model in admin.site._registry:
        meta = model._meta
        if meta.app_label not in {"actions", "structures", "enjeux"}:
            continue
        changelist_url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        changelist = admin_client.get(changelist_url).context["cl"]
        urls += [changelist_url + "?_facets=1", changelist_url + "?q=ESS"]
        urls += [
            changelist_url + choice["query_string"]
            for spec in changelist.filter_specs
            for choice in spec.choices(changelist)
        ]
        if model is not TransitionFiche:  # the workflow's log is read-only: no add page
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        urls += [change_url(obj) for obj in model.objects.all()[: sampled.get(model)]]

    assert FicheAction.objects.count() == 29
    failures = [url for url in urls if admin_client.get(url).status_code != 200]
    assert failures == []
    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        response = admin_client.get(FICHE_CHANGELIST)
    assert response.context["cl"].result_count == 29
