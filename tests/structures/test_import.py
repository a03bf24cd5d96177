"""Importing and exporting structures (with their contacts) as spreadsheets, in the admin too."""

import io

import openpyxl
import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_export.instance_loaders import CachedInstanceLoader

from contrat.spreadsheets import CSV, XLSX
from structures.models import Contact, Nature, Structure
from structures.resources import StructureResource
from tests.factories import ContactFactory, StructureFactory

pytestmark = pytest.mark.django_db

HEADERS = ["slug", "nom", "sigle", "nature", "site_web", "contacts"]


def csv_bytes(rows) -> bytes:
    return CSV().export_data(tablib.Dataset(*rows, headers=HEADERS)).encode("utf-8")


def import_csv(data: bytes, dry_run=False):
    return StructureResource().import_data(CSV().create_dataset(data), dry_run=dry_run)


def test_structures_and_contacts_survive_a_round_trip():
    adus = StructureFactory(nom="Agence de développement", slug="adus", sigle="ADUS")
    adus.nature = Nature.AGENCE
    adus.save()
    ContactFactory(structure=adus, nom="Jeanne Martin", fonction="Chargée", email="j@adus.fr")
    ContactFactory(structure=adus, nom="Paul Durand", telephone="03 27 00 00 00")
    StructureFactory(nom="=CRESS", slug="cress", description="-ligne 1\n-ligne 2")
    before = CSV().export_data(StructureResource().export())

    Structure.objects.all().delete()
    result = import_csv(before.encode("utf-8"))
    assert not result.has_errors() and not result.has_validation_errors()

    assert CSV().export_data(StructureResource().export()) == before
    assert Structure.objects.get(slug="adus").get_nature_display() == "Agence"
    assert Structure.objects.get(slug="cress").nom == "=CRESS"  # neutralised only in the file
    assert Contact.objects.filter(structure__slug="adus").count() == 2


def test_a_bad_row_is_reported_in_french_and_nothing_is_written():
    StructureFactory(slug="existante", nom="Existante")
    data = csv_bytes(
        [
            ["nouvelle", "Nouvelle structure", "", "Association", "", ""],
            ["autre", "Autre", "", "Club de foot", "pas une url", "Jean | | pas-un-courriel"],
        ]
    )
    result = import_csv(data)

    assert result.has_validation_errors()
    [invalid] = result.invalid_rows
    assert invalid.number == 3
    errors = invalid.field_specific_errors
    assert errors["nature"] == [
        "« Club de foot » : nature inconnu(e). Valeurs possibles : "
        + ", ".join(label for _code, label in Nature.choices)
        + "."
    ]
    assert errors["site_web"] == ["Saisissez une URL valide."]
    assert "Contact n° 1, email : Saisissez une adresse" in errors["contacts"][0]
    assert list(Structure.objects.values_list("slug", flat=True)) == ["existante"]


def test_updating_a_structure_replaces_its_contacts_only_when_the_column_is_there():
    adus = StructureFactory(slug="adus", nom="ADUS")
    ContactFactory(structure=adus, nom="Jeanne Martin")
    rows = tablib.Dataset(["adus", "ADUS, nouveau nom"], headers=["slug", "nom"])
    assert not StructureResource().import_data(rows).has_validation_errors()
    adus.refresh_from_db()
    assert adus.nom == "ADUS, nouveau nom"
    assert list(adus.contacts.values_list("nom", flat=True)) == ["Jeanne Martin"]

    rows = tablib.Dataset(
        ["adus", "ADUS", "Paul Durand | directeur"], headers=["slug", "nom", "contacts"]
    )
    assert not StructureResource().import_data(rows).has_validation_errors()
    assert list(adus.contacts.values_list("nom", "fonction")) == [("Paul Durand", "directeur")]


def test_the_admin_imports_structures_after_a_preview(admin_client):
    data = csv_bytes([["adus", "ADUS", "ADUS", "agence", "", "Jeanne Martin | chargée"]])
    preview = admin_client.post(
        reverse("admin:structures_structure_import"),
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("s.csv", data)},
    )
    assert preview.status_code == 200
    assert not Structure.objects.exists()
    admin_client.post(
        reverse("admin:structures_structure_process_import"),
        preview.context["confirm_form"].initial,
    )
    assert Structure.objects.get(slug="adus").contacts.get().fonction == "chargée"


def test_the_admin_refuses_a_structure_file_with_wrong_columns(admin_client):
    data = b"Nom;Adresse\r\nADUS;Maubeuge\r\n"
    response = admin_client.post(
        reverse("admin:structures_structure_import"),
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("s.csv", data)},
    )
    errors = " ".join(response.context["form"].errors["import_file"])
    assert "Colonnes obligatoires absentes : slug." in errors
    assert "Colonnes inconnues : adresse" in errors  # "Nom" is read as the column "nom"
    assert not Structure.objects.exists()


def test_the_admin_exports_structures_as_xlsx(admin_client):
    adus = StructureFactory(slug="adus", nom="@ADUS")
    ContactFactory(structure=adus, nom="Jeanne Martin", email="j@adus.fr")
    fields = {f"structureresource_{name}": "on" for name in StructureResource().get_export_order()}
    response = admin_client.post(
        reverse("admin:structures_structure_export"), {"resource": "0", "format": "1", **fields}
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.active.title == "Structures"
    assert response["Content-Disposition"].startswith('attachment; filename="structures-20')
    rows = list(book.active.values)
    assert rows[0][:3] == ("Identifiant (slug)", "Nom", "Sigle")
    assert rows[0] == tuple(StructureResource(admin_file=True).get_export_headers())
    # A text cell: as typed, no guard apostrophe (no spreadsheet evaluates a text cell).
    assert rows[1][:2] == ("adus", "@ADUS")
    assert book.active["B2"].data_type == "s"
    assert rows[1][-1] == "Jeanne Martin |  | j@adus.fr"
    dataset = XLSX().create_dataset(response.content)
    assert dataset[0][1] == "@ADUS"  # read back through our format


def test_an_update_writes_only_the_columns_of_the_file(monkeypatch):
    """The import's copy of a structure is read when it starts: a column the file does not
    have is not written back from it (someone may have saved the structure meanwhile)."""
    adus = StructureFactory(slug="adus", nom="ADUS", sigle="ADUS", description="D'origine.")
    adus.site_web, adus.nature, adus.autres_graphies = "https://adus.fr", Nature.AGENCE, "Adus"
    adus.save()
    stale = Structure.objects.get(pk=adus.pk)
    Structure.objects.filter(pk=adus.pk).update(description="Enregistrée pendant l'import.")
    original = CachedInstanceLoader.get_instance
    monkeypatch.setattr(
        CachedInstanceLoader,
        "get_instance",
        lambda loader, row: stale if row["slug"] == "adus" else original(loader, row),
    )

    rows = tablib.Dataset(["adus", "ADUS, nouveau nom"], headers=["slug", "nom"])
    assert not StructureResource().import_data(rows).has_validation_errors()

    adus.refresh_from_db()
    assert adus.nom == "ADUS, nouveau nom"
    assert (adus.sigle, adus.nature, adus.site_web, adus.autres_graphies) == (
        "ADUS",
        Nature.AGENCE,
        "https://adus.fr",
        "Adus",
    )
    assert adus.description == "Enregistrée pendant l'import."


def export_then_import(client, edit=None):
    """The admin's XLSX export of the structures, maybe edited, previewed then confirmed."""
    fields = {f"structureresource_{name}": "on" for name in StructureResource().get_export_order()}
    exported = client.post(
        reverse("admin:structures_structure_export"), {"resource": "0", "format": "1", **fields}
    )
    book = openpyxl.load_workbook(io.BytesIO(exported.content))
    if edit:
        edit(book.active)
    buffer = io.BytesIO()
    book.save(buffer)
    preview = client.post(
        reverse("admin:structures_structure_import"),
        {
            "resource": "0",
            "format": "1",
            "import_file": SimpleUploadedFile("structures.xlsx", buffer.getvalue()),
        },
    )
    confirm = preview.context["confirm_form"]
    assert confirm is not None
    client.post(reverse("admin:structures_structure_process_import"), confirm.initial)
    return preview


def structures_state() -> dict:
    return {
        structure.slug: (
            structure.history.count(),
            list(structure.contacts.values_list("pk", flat=True)),
        )
        for structure in Structure.objects.all()
    }


def test_structures_sent_back_unchanged_write_nothing(admin_client):
    adus = StructureFactory(slug="adus", nom="ADUS")
    ContactFactory(structure=adus, nom="Paul Durand", telephone="03 27 00 00 00")
    ContactFactory(structure=adus, nom="Jeanne Martin", email="j@adus.fr")
    StructureFactory(slug="cress", nom="CRESS")
    before = structures_state()

    preview = export_then_import(admin_client)

    assert "0 modifiée, 2 inchangées, 0 nouvelle, 0 erreur" in preview.content.decode()
    assert structures_state() == before  # no history row, contacts not rewritten


def test_one_structure_changed_in_the_file_is_the_only_one_written(admin_client):
    adus = StructureFactory(slug="adus", nom="ADUS")
    ContactFactory(structure=adus, nom="Jeanne Martin", email="j@adus.fr")
    StructureFactory(slug="cress", nom="CRESS")
    before = structures_state()

    def new_contact(sheet):
        contacts = [cell.value for cell in sheet[1]].index("Contacts") + 1
        for row in range(2, sheet.max_row + 1):
            if sheet.cell(row, 1).value == "adus":
                sheet.cell(row, contacts).value = "Jeanne Martin |  | j@adus.fr\nPaul Neuf"

    preview = export_then_import(admin_client, new_contact)

    assert "1 modifiée, 1 inchangée, 0 nouvelle, 0 erreur" in preview.content.decode()
    after = structures_state()
    assert after["cress"] == before["cress"]
    assert after["adus"][0] == before["adus"][0] + 1
    assert sorted(adus.contacts.values_list("nom", flat=True)) == ["Jeanne Martin", "Paul Neuf"]


def test_siret_and_rna_are_imported_checked_and_exported():
    headers = ["slug", "nom", "siret", "rna"]
    good = tablib.Dataset(
        ["maison", "Maison de quartier", "362 521 879 00035", "w595001234"], headers=headers
    )
    result = StructureResource().import_data(CSV().create_dataset(CSV().export_data(good)))
    assert not result.has_errors() and not result.has_validation_errors()
    maison = Structure.objects.get(slug="maison")
    assert (maison.siret, maison.rna) == ("36252187900035", "W595001234")
    exported = StructureResource().export()
    assert exported.dict[0]["siret"] == "36252187900035"

    bad = tablib.Dataset(["autre", "Autre maison", "36252187900034", "595001234"], headers=headers)
    result = StructureResource().import_data(CSV().create_dataset(CSV().export_data(bad)))

    [invalid] = result.invalid_rows
    assert "sa clé de contrôle ne correspond pas" in invalid.field_specific_errors["siret"][0]
    assert "W suivi de 9 chiffres" in invalid.field_specific_errors["rna"][0]
    assert not Structure.objects.filter(slug="autre").exists()
