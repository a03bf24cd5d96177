"""The data version: every kind of write changes it; other workers see it at the commit."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from actions.demo import demo_generate
from contrat.dataversion import KEY, data_version, data_version_bump
from structures.models import Structure
from tests.factories import (
    EnjeuFactory,
    FicheActionFactory,
    LigneBudgetFactory,
    OrientationFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db


def changes_version(write) -> bool:
    before = data_version()
    write()
    return data_version() != before


def test_saving_a_fiche_changes_the_version():
    fiche = FicheActionFactory()
    fiche.titre = "Nouveau titre"
    assert changes_version(fiche.save)


def test_saving_and_deleting_a_budget_line_change_the_version():
    fiche = FicheActionFactory()
    assert changes_version(lambda: LigneBudgetFactory(fiche=fiche))
    assert changes_version(fiche.lignes_budget.get().delete)


def test_a_many_to_many_change_changes_the_version():
    fiche = FicheActionFactory()
    orientation = OrientationFactory(enjeu=EnjeuFactory(contrat=fiche.contrat))
    assert changes_version(lambda: fiche.orientations.add(orientation))
    assert changes_version(fiche.orientations.clear)


def test_structures_and_the_referential_change_the_version():
    structure = StructureFactory()
    structure.nom = "Autre nom"
    assert changes_version(structure.save)
    assert changes_version(lambda: OrientationFactory())
    assert changes_version(lambda: Structure.objects.filter(pk=structure.pk).delete())


def test_generated_data_written_in_bulk_changes_the_version(recap):
    assert changes_version(lambda: demo_generate(fiches=3, seed=1))


def test_an_admin_import_changes_the_version_and_its_preview_does_not(admin_client):
    data = "slug,nom,sigle,nature,site_web,contacts\r\nadus,ADUS,ADUS,agence,,Jeanne Martin\r\n"
    before = data_version()
    preview = admin_client.post(
        reverse("admin:structures_structure_import"),
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("s.csv", data.encode()),
        },
    )
    assert preview.status_code == 200
    assert data_version() == before  # the dry run was rolled back: nothing changed
    admin_client.post(
        reverse("admin:structures_structure_process_import"),
        preview.context["confirm_form"].initial,
    )
    assert Structure.objects.filter(slug="adus").exists()
    assert data_version() != before


def test_other_workers_get_the_new_version_only_at_the_commit(django_capture_on_commit_callbacks):
    shared = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        FicheActionFactory()
        # This connection sees its new rows, hence a version of its own; the shared one, which
        # other workers read, waits for the commit: they still see the old rows.
        assert data_version() != shared
        assert cache.get(KEY) == shared
    assert cache.get(KEY) != shared


def test_a_rolled_back_write_leaves_the_version_as_it_was():
    before = data_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        data_version_bump()
        assert data_version() != before
        raise RuntimeError
    assert data_version() == before


def test_a_version_lost_from_the_cache_is_replaced_by_a_new_one():
    before = data_version()
    cache.delete(KEY)
    assert data_version() != before
