"""Two people editing the same fiche: the second save is refused with what changed meanwhile,
and nothing of it is written."""

import re
import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from actions import services
from actions.admin.fiches import FicheActionAdminForm
from actions.models import Etat, FicheAction, LigneBudget, Role
from actions.resources import FicheActionResource
from actions.roles import CONTRIBUTEUR, REDACTEUR
from contrat.formats import NBSP, format_euros
from contrat.spreadsheets import CSV
from tests.conftest import page_words
from tests.factories import (
    FicheActionFactory,
    ParticipationFactory,
    StructureFactory,
    admin_form_data,
    staff_user,
)

pytestmark = pytest.mark.django_db


def change_url(fiche):
    return reverse("admin:actions_ficheaction_change", args=[fiche.pk])


@pytest.fixture
def fiche():
    return FicheActionFactory(titre="Maison de l'alimentation", descriptif="Version d'origine.")


@pytest.fixture
def alice(client):
    return staff_user(REDACTEUR, username="alice", first_name="Alice", last_name="Martin")


@pytest.fixture
def bruno():
    return staff_user(REDACTEUR, username="bruno", first_name="Bruno", last_name="Petit")


def open_form(client, user, fiche) -> dict:
    client.force_login(user)
    return admin_form_data(client.get(change_url(fiche)))


def test_the_second_save_is_refused_with_what_changed_and_nothing_overwritten(
    client, fiche, alice, bruno
):
    form_alice = open_form(client, alice, fiche)
    form_bruno = open_form(client, bruno, fiche)
    client.force_login(alice)
    form_alice["descriptif"] = "Le texte d'Alice."
    assert client.post(change_url(fiche), form_alice).status_code == 302

    client.force_login(bruno)
    form_bruno["titre"] = "Le titre de Bruno"
    response = client.post(change_url(fiche), form_bruno)

    assert response.status_code == 200  # the form again, with Bruno's input
    page = page_words(response)
    assert "modifiée par quelqu'un d'autre depuis que vous l'avez ouverte" in page
    assert "Alice Martin (alice) a modifié Descriptif" in page
    assert "« Version d'origine. » → « Le texte d'Alice. »" in page
    assert 'value="Le titre de Bruno"' in page
    fiche.refresh_from_db()
    assert (fiche.titre, fiche.descriptif) == ("Maison de l'alimentation", "Le texte d'Alice.")
    assert fiche.version == 2


def test_a_save_after_reloading_goes_through(client, fiche, alice, bruno):
    form_alice = open_form(client, alice, fiche)
    client.force_login(alice)
    client.post(change_url(fiche), form_alice)

    form_bruno = open_form(client, bruno, fiche)
    form_bruno["titre"] = "Le titre de Bruno"
    assert client.post(change_url(fiche), form_bruno).status_code == 302

    fiche.refresh_from_db()
    assert (fiche.titre, fiche.version) == ("Le titre de Bruno", 3)


def test_a_race_past_the_form_check_is_caught_on_save_and_writes_nothing(
    client, fiche, alice, bruno
):
    """Both forms validated before either was saved: the conditional UPDATE still refuses."""
    form_bruno = open_form(client, bruno, fiche)
    form_bruno.update(
        {
            "titre": "Le titre de Bruno",
            "lignes_budget-TOTAL_FORMS": "1",
            "lignes_budget-0-montant": "5000",
            "lignes_budget-0-periodicite": "total",
            "lignes_budget-0-ordre": "0",
        }
    )
    form_alice = open_form(client, alice, fiche)
    form_alice["descriptif"] = "Le texte d'Alice."
    client.post(change_url(fiche), form_alice)

    client.force_login(bruno)
    with mock.patch.object(FicheActionAdminForm, "clean", lambda form: form.cleaned_data):
        response = client.post(change_url(fiche), form_bruno, follow=True)

    assert "modifiée par quelqu'un d'autre" in page_words(response)
    assert "Alice Martin (alice) a modifié Descriptif" in page_words(response)
    fiche.refresh_from_db()
    assert (fiche.titre, fiche.version) == ("Maison de l'alimentation", 2)
    assert not LigneBudget.objects.filter(fiche=fiche).exists()  # the inline neither


def test_a_publication_meanwhile_makes_a_contributors_form_stale(client):
    structure = StructureFactory()
    fiche = FicheActionFactory(etat=Etat.EN_RELECTURE)
    ParticipationFactory(fiche=fiche, structure=structure, role=Role.PORTEUR)
    contributeur = staff_user(CONTRIBUTEUR, structures=[structure])
    form = open_form(client, contributeur, fiche)
    redacteur = staff_user(REDACTEUR, username="remi")
    services.fiche_publish(fiche=fiche, user=redacteur)

    client.force_login(contributeur)
    form["descriptif"] = "Un ajout tardif."
    response = client.post(change_url(fiche), form)

    assert "(remi) a modifié État de publication (« En relecture » → « Publiée »)" in page_words(
        response
    )
    fiche.refresh_from_db()
    assert (fiche.etat, fiche.descriptif) == (Etat.PUBLIEE, "Un descriptif.\n- avec une puce")


def test_an_import_meanwhile_makes_an_open_form_stale(client, fiche, alice):
    form = open_form(client, alice, fiche)
    rows = f"slug;titre\r\n{fiche.slug};Titre importé\r\n"
    result = FicheActionResource().import_data(CSV().create_dataset(rows))
    assert not result.has_errors() and not result.has_validation_errors()

    client.force_login(alice)
    form["descriptif"] = "Trop tard."
    response = client.post(change_url(fiche), form)

    assert "Titre (« Maison de l'alimentation » → « Titre importé »)" in page_words(response)
    fiche.refresh_from_db()
    assert (fiche.titre, fiche.descriptif) == ("Titre importé", "Version d'origine.")


def test_a_form_without_its_version_is_refused(client, fiche, alice):
    form = open_form(client, alice, fiche)
    del form["version"]
    form["titre"] = "Sans version"

    response = client.post(change_url(fiche), form)

    assert "ne dit pas quelle version de la fiche il modifie" in page_words(response)
    assert FicheAction.objects.get(pk=fiche.pk).titre == "Maison de l'alimentation"


def test_claiming_a_stale_version_raises_and_changes_nothing(fiche):
    first, second = (FicheAction.objects.get(pk=fiche.pk) for _ in range(2))
    services.fiche_claim_version(fiche=first, expected=1)

    with pytest.raises(services.StaleFicheError):
        services.fiche_claim_version(fiche=second, expected=1)

    assert FicheAction.objects.get(pk=fiche.pk).version == 2


@pytest.mark.django_db(transaction=True)
def test_a_real_race_between_two_connections_lets_one_save_through():
    if connection.vendor != "postgresql":
        pytest.skip(
            "Needs PostgreSQL: the in-memory SQLite test database refuses a second writer "
            "at once instead of waiting (the test above covers the check on every engine)."
        )
    fiche = FicheActionFactory()
    both_read = threading.Barrier(2)
    outcome = {}

    def edit(name):
        try:
            with transaction.atomic():
                mine = FicheAction.objects.get(pk=fiche.pk)
                both_read.wait(timeout=10)  # both hold version 1
                services.fiche_claim_version(fiche=mine, expected=1)
                mine.titre = name
                mine.save()
            outcome[name] = "enregistrée"
        except services.StaleFicheError:
            outcome[name] = "refusée"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit, args=(name,)) for name in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcome.values()) == ["enregistrée", "refusée"]
    winner = next(name for name, result in outcome.items() if result == "enregistrée")
    fiche.refresh_from_db()
    assert (fiche.titre, fiche.version) == (winner, 2)


# --- A fiche's rows edited on their own admin pages -------------------------------------------


def row_change_url(row):
    meta = row._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk])


def test_a_budget_line_edited_on_its_own_page_makes_an_open_fiche_form_stale(
    client, fiche, alice, bruno
):
    ligne = LigneBudget.objects.create(fiche=fiche, montant=20000, ordre=1)
    form_alice = open_form(client, alice, fiche)  # Alice opens the fiche, its line at 20 000 €
    row_form = open_form_at(client, bruno, row_change_url(ligne))
    row_form["montant"] = "18000"
    assert client.post(row_change_url(ligne), row_form).status_code == 302

    client.force_login(alice)
    form_alice["titre"] = "Maison de l'alimentation durable"
    response = client.post(change_url(fiche), form_alice)

    page = page_words(response)
    assert "modifiée par quelqu'un d'autre depuis que vous l'avez ouverte" in page
    assert (
        "Bruno Petit (bruno) a modifié la ligne de budget « 20 000 € » : "
        "Montant (€) (« 20 000 € » → « 18 000 € »)"
    ) in page.replace(NBSP, " ")
    assert "a ajouté" not in page  # the line was there when Alice opened the form
    ligne.refresh_from_db()
    fiche.refresh_from_db()
    assert ligne.montant == 18000  # Bruno's amount stays: Alice's stale inline did not win
    assert fiche.titre == "Maison de l'alimentation"


@pytest.mark.parametrize("operation", ["suppression", "suppression groupée", "restauration"])
def test_every_write_to_a_row_outside_the_fiche_form_claims_the_fiches_version(
    client, fiche, bruno, operation
):
    ligne = LigneBudget.objects.create(fiche=fiche, montant=20000, ordre=1)
    ligne.montant = 30000
    ligne.save()
    before = FicheAction.objects.get(pk=fiche.pk).version
    client.force_login(bruno)

    if operation == "suppression":
        url = reverse("admin:actions_lignebudget_delete", args=[ligne.pk])
        client.post(url, {"post": "yes"})
    elif operation == "suppression groupée":
        client.post(
            reverse("admin:actions_lignebudget_changelist"),
            {"action": "delete_selected", "_selected_action": [ligne.pk], "post": "yes"},
        )
    else:
        old = ligne.history.last()
        url = reverse("admin:actions_lignebudget_simple_history", args=[ligne.pk, old.pk])
        client.post(url, admin_form_data(client.get(url)))

    assert FicheAction.objects.get(pk=fiche.pk).version == before + 1


def test_a_contributor_changing_a_published_fiches_line_on_its_own_page_withdraws_it(client):
    structure = StructureFactory()
    fiche = FicheActionFactory(etat=Etat.PUBLIEE)
    ParticipationFactory(fiche=fiche, structure=structure, role=Role.PORTEUR)
    ligne = LigneBudget.objects.create(fiche=fiche, montant=20000, ordre=1)
    contributeur = staff_user(CONTRIBUTEUR, structures=[structure])
    form = open_form_at(client, contributeur, row_change_url(ligne))
    form["montant"] = "90000"

    response = client.post(row_change_url(ligne), form, follow=True)

    assert "vos modifications la repassent en brouillon" in page_words(response)
    fiche.refresh_from_db()
    assert fiche.etat == Etat.BROUILLON
    assert fiche.transitions.get().auteur == contributeur


def open_form_at(client, user, url) -> dict:
    client.force_login(user)
    return admin_form_data(client.get(url))


# --- What the refusal lists ---------------------------------------------------------------------


def stale_items(response) -> list[str]:
    """The items of the refusal's list of what changed meanwhile."""
    page = page_words(response)
    listed = re.search(r'<ul class="stale-changes">(.*?)</ul>', page)
    assert listed, "no list of changes in the refusal"
    return [item.replace(NBSP, " ") for item in re.findall(r"<li>(.*?)</li>", listed.group(1))]


def test_a_seeded_fiches_refusal_lists_only_what_changed_after_the_form_was_opened(
    client, alice, bruno
):
    """The seed writes the fiche's first version, then its rows': their versions are a few
    milliseconds younger than the fiche's, yet there before any form was opened."""
    services.recap_seed()
    fiche = FicheAction.objects.get(titre="Maison de l’alimentation")
    ligne = fiche.lignes_budget.get()
    form_alice = open_form(client, alice, fiche)
    form_bruno = open_form(client, bruno, fiche)
    index = next(k.split("-")[1] for k, v in form_bruno.items() if v == str(ligne.pk))
    form_bruno[f"lignes_budget-{index}-montant"] = "348000"
    form_bruno["titre"] = "Maison de l’alimentation durable"
    assert client.post(change_url(fiche), form_bruno).status_code == 302

    client.force_login(alice)
    form_alice["descriptif"] = "Le texte d'Alice."
    response = client.post(change_url(fiche), form_alice)

    assert "chargement de données" not in page_words(response)
    old, new = (format_euros(Decimal(a)).replace(NBSP, " ") for a in ("350000", "348000"))
    items = stale_items(response)
    assert len(items) == 2, items
    assert items[0].endswith(
        "Bruno Petit (bruno) a modifié Titre "
        "(« Maison de l’alimentation » → « Maison de l’alimentation durable »)"
    )
    assert items[1].startswith("le ")
    assert items[1].endswith(
        f"Bruno Petit (bruno) a modifié la ligne de budget « {old} » : "
        f"Montant (€) (« {old} » → « {new} »)"
    )


def test_a_refusal_past_the_form_check_is_a_list_in_the_message_too(client, fiche, alice, bruno):
    form_bruno = open_form(client, bruno, fiche)
    form_bruno["titre"] = "Le <titre> de Bruno"
    form_alice = open_form(client, alice, fiche)
    form_alice["titre"] = "Le <titre> d'Alice"
    client.post(change_url(fiche), form_alice)

    client.force_login(bruno)
    with mock.patch.object(FicheActionAdminForm, "clean", lambda form: form.cleaned_data):
        response = client.post(change_url(fiche), form_bruno, follow=True)

    page = response.content.decode()
    assert '<ul class="stale-changes"><li>' in page  # a list, not one paragraph
    assert "&lt;titre&gt; d&#x27;Alice" in page  # what people typed is escaped
    assert "<titre>" not in page
    [item] = stale_items(response)
    assert item.endswith(
        "Alice Martin (alice) a modifié Titre (« Maison de l'alimentation » → "
        "« Le <titre> d'Alice »)"
    )
