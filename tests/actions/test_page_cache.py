"""The pages' figures are cached per data version (contrat/datacache.py): each kind of write
shows on the page right after it, though the page was read (and cached) just before."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actions.choices import Statut
from actions.models import Etat
from actions.services.suivi import fiche_statut_follow
from tests.conftest import page_text
from tests.factories import (
    ContratFactory,
    EnjeuFactory,
    FicheActionFactory,
    LigneBudgetFactory,
    LigneFinancementFactory,
    OrientationFactory,
    ParticipationFactory,
    PointAvancementFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    contrat = ContratFactory()
    enjeu = EnjeuFactory(contrat=contrat, titre="Emploi des jeunes")
    orientation = OrientationFactory(enjeu=enjeu, titre="Former sur place")
    porteur = StructureFactory(nom="Maison de quartier de Fourmies")
    fiches = []
    for number in range(2):
        fiche = FicheActionFactory(contrat=contrat, titre=f"Chantier école {number}")
        fiche.orientations.add(orientation)
        ParticipationFactory(fiche=fiche, structure=porteur)
        LigneBudgetFactory(fiche=fiche, montant=Decimal("10000"))
        fiches.append(fiche)
    return {"enjeu": enjeu, "orientation": orientation, "porteur": porteur, "fiches": fiches}


def words(response) -> str:
    """The page's text as read, without tags, each run of white space as one space."""
    return re.sub(r"\s+", " ", page_text(response, tags=False))


def cached_then(client, url: str, write) -> str:
    """The page's text after `write`, the page having been read twice before (so that its
    figures are in the cache and served from it)."""
    before = [words(client.get(url)) for _ in range(2)]
    assert before[0] == before[1]
    write()
    return words(client.get(url))


def test_a_fiche_published_counts_on_the_home_page(world, client):
    brouillon = FicheActionFactory(contrat=world["fiches"][0].contrat, etat=Etat.BROUILLON)
    brouillon.orientations.add(world["orientation"])
    assert "2 fiches actions" in words(client.get("/"))

    def publish():
        brouillon.etat = Etat.PUBLIEE
        brouillon.save()

    assert "3 fiches actions" in cached_then(client, "/", publish)


def test_a_budget_line_counts_in_the_list_s_total(world, client):
    assert "20 000 €" in words(client.get("/actions/"))
    text = cached_then(
        client,
        "/actions/",
        lambda: LigneBudgetFactory(fiche=world["fiches"][0], montant=Decimal("5000")),
    )
    assert "25 000 €" in text


def test_a_financing_line_counts_in_the_financing_plan(world, client):
    financeur = StructureFactory(nom="Région Hauts-de-France")
    LigneFinancementFactory(fiche=world["fiches"][0], financeur=financeur, prevu=Decimal("4000"))
    assert "4 000 €" in words(client.get("/financements/"))
    text = cached_then(
        client,
        "/financements/",
        lambda: LigneFinancementFactory(
            fiche=world["fiches"][1], financeur=financeur, annee=2025, prevu=Decimal("3000")
        ),
    )
    assert "7 000 €" in text


def test_a_structure_renamed_shows_in_the_structures_list(world, client):
    porteur = world["porteur"]

    def rename():
        porteur.nom = "Centre social de Fourmies"
        porteur.save()

    text = cached_then(client, "/structures/", rename)
    assert "Centre social de Fourmies" in text
    assert "Maison de quartier de Fourmies" not in text


def test_a_participation_counts_in_the_structures_list(world, client):
    partenaire = StructureFactory(nom="Ressourcerie de Bavay")
    ParticipationFactory(fiche=world["fiches"][0], structure=partenaire, role="partenaire")
    response = client.get("/structures/")
    counts = {s.nom: s.compteurs["partenaire"] for s in response.context["structures"]}
    assert counts["Ressourcerie de Bavay"] == 1
    cached_then(
        client,
        "/structures/",
        lambda: ParticipationFactory(
            fiche=world["fiches"][1], structure=partenaire, role="partenaire"
        ),
    )
    response = client.get("/structures/")
    counts = {s.nom: s.compteurs["partenaire"] for s in response.context["structures"]}
    assert counts["Ressourcerie de Bavay"] == 2


@pytest.mark.parametrize("what", ["enjeu", "orientation", "contrat"])
def test_the_referential_renamed_shows_on_the_enjeu_pages(world, client, what):
    enjeu = world["enjeu"]
    url = enjeu.get_absolute_url()
    target = {
        "enjeu": enjeu,
        "orientation": world["orientation"],
        "contrat": enjeu.contrat,
    }[what]
    field = "nom" if what == "contrat" else "titre"

    def rename():
        setattr(target, field, "Nouvel intitulé du référentiel")
        target.save()

    assert "Nouvel intitulé du référentiel" in cached_then(client, url, rename)
    if what != "contrat":
        # The list of enjeux (cached too) as well.
        page = "/" if what == "enjeu" else "/enjeux/"
        assert "Nouvel intitulé du référentiel" in words(client.get(page))


def test_an_orientation_moved_to_another_enjeu_moves_its_fiches_count(world, client):
    other = EnjeuFactory(contrat=world["enjeu"].contrat, titre="Mobilité")

    def move():
        world["orientation"].enjeu = other
        world["orientation"].save()

    cached_then(client, "/enjeux/", move)
    enjeux = {e.titre: e.bilan.nombre for e in client.get("/enjeux/").context["enjeux"]}
    assert enjeux == {"Emploi des jeunes": 0, "Mobilité": 2}


def test_an_import_shows_on_the_structures_list(world, admin_client, client):
    data = "slug,nom,sigle,nature,site_web,contacts\r\nadus,ADUS,ADUS,agence,,Jeanne Martin\r\n"

    def import_structures():
        preview = admin_client.post(
            reverse("admin:structures_structure_import"),
            {
                "resource": "0",
                "format": "0",
                "import_file": SimpleUploadedFile("s.csv", data.encode()),
            },
        )
        admin_client.post(
            reverse("admin:structures_structure_process_import"),
            preview.context["confirm_form"].initial,
        )

    assert "ADUS" in cached_then(client, "/structures/", import_structures)


def test_a_progress_note_counts_in_the_home_page_s_follow_up(world, client):
    def rows():
        avancement = client.get("/").context["avancement_rows"][0][2]
        return avancement.par_statut[Statut.REALISEE]

    assert rows() == 0

    def note():
        fiche = world["fiches"][0]
        PointAvancementFactory(fiche=fiche, statut=Statut.REALISEE)
        fiche_statut_follow(fiche_ids=[fiche.pk])

    cached_then(client, "/", note)
    assert rows() == 1


def test_a_snapshot_s_comparison_follows_today_s_fiches(world, client):
    from comites.services import instantane_arreter

    instantane = instantane_arreter(nom="Comité de printemps")
    url = reverse("comites:ecarts", args=[instantane.slug])

    def retitle():
        fiche = world["fiches"][0]
        fiche.titre = "Chantier école renommé"
        fiche.save()

    assert "Chantier école renommé" in cached_then(client, url, retitle)


def test_editors_and_the_public_get_their_own_figures(world, client, admin_client):
    FicheActionFactory(contrat=world["fiches"][0].contrat, etat=Etat.BROUILLON)
    assert "2 fiches" in words(client.get("/actions/"))
    assert "3 fiches" in words(admin_client.get("/actions/"))
    assert "2 fiches" in words(client.get("/actions/"))
