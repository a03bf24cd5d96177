"""A fiche's former addresses keep answering with a permanent redirect; only editors change a
fiche's slug and its place in the recap."""

import pytest
from django.test import Client
from django.urls import reverse

from actions.models import AncienSlug, Etat, FicheAction, Role
from actions.roles import CONTRIBUTEUR, REDACTEUR
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


def rename(fiche, slug: str, user=None) -> None:
    """Change the fiche's slug through its admin form, as an editor does."""
    editor = Client()
    editor.force_login(user or staff_user(REDACTEUR))
    data = admin_form_data(editor.get(change_url(fiche)))
    data["slug"] = slug
    response = editor.post(change_url(fiche), data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_every_former_slug_redirects_permanently_to_the_page_and_its_pdf(client):
    fiche = FicheActionFactory(titre="Maison de l'alimentation", slug="maison", etat=Etat.PUBLIEE)
    rename(fiche, "maison-de-l-alimentation")
    rename(fiche, "maison-de-l-alimentation-durable")

    for former in ("maison", "maison-de-l-alimentation"):
        page = client.get(reverse("actions:detail", args=[former]), {"depuis": "un lien"})
        pdf = client.get(reverse("actions:fiche-pdf", args=[former]))
        assert page.status_code == 301
        assert page["Location"] == (
            reverse("actions:detail", args=["maison-de-l-alimentation-durable"]) + "?depuis=un+lien"
        )
        assert pdf.status_code == 301
        assert pdf["Location"] == reverse(
            "actions:fiche-pdf", args=["maison-de-l-alimentation-durable"]
        )
    current = client.get(reverse("actions:detail", args=["maison-de-l-alimentation-durable"]))
    assert current.status_code == 200
    assert client.get(reverse("actions:detail", args=["jamais-vu"])).status_code == 404


def test_a_slug_taken_back_is_the_fiches_address_again(client):
    fiche = FicheActionFactory(slug="maison", etat=Etat.PUBLIEE)
    rename(fiche, "maison-durable")
    rename(fiche, "maison")

    assert client.get(reverse("actions:detail", args=["maison"])).status_code == 200
    moved = client.get(reverse("actions:detail", args=["maison-durable"]))
    assert (moved.status_code, moved["Location"]) == (301, "/actions/maison/")
    assert list(AncienSlug.objects.values_list("slug", flat=True)) == ["maison-durable"]


def test_a_drafts_former_slug_redirects_only_those_who_may_see_it(client):
    fiche = FicheActionFactory(slug="brouillon", etat=Etat.BROUILLON)
    redacteur = staff_user(REDACTEUR)
    rename(fiche, "brouillon-renomme", user=redacteur)

    assert client.get(reverse("actions:detail", args=["brouillon"])).status_code == 404
    client.force_login(redacteur)
    assert client.get(reverse("actions:detail", args=["brouillon"])).status_code == 301


def test_a_contributor_changes_neither_the_slug_nor_the_order_of_its_fiche(client):
    structure = StructureFactory()
    fiche = FicheActionFactory(slug="maison", ordre=7, etat=Etat.BROUILLON)
    ParticipationFactory(fiche=fiche, structure=structure, role=Role.PORTEUR)
    client.force_login(staff_user(CONTRIBUTEUR, structures=[structure]))
    page = client.get(change_url(fiche))
    data = admin_form_data(page)
    assert "slug" not in data and "ordre" not in data  # shown, read only
    assert 'name="slug"' not in page.content.decode()

    data.update(slug="adresse-pirate", ordre="1", titre="Un titre revu")
    response = client.post(change_url(fiche), data)

    assert response.status_code == 302
    fiche = FicheAction.objects.get(pk=fiche.pk)
    assert (fiche.slug, fiche.ordre, fiche.titre) == ("maison", 7, "Un titre revu")
    assert not AncienSlug.objects.exists()
