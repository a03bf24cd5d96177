"""Importing fiches from a spreadsheet: round trip, atomic refusal of a bad file, the admin."""

import io

import openpyxl
import pytest
import tablib
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from actions.models import FicheAction, LigneBudget, Participation, Periodicite, Role
from actions.resources import FicheActionResource
from contrat import spreadsheets
from contrat.spreadsheets import (
    CSV,
    FORMULA_TRIGGERS,
    XLSX,
    neutralise_formula,
    restore_formula,
)
from enjeux.models import Contrat
from structures.models import Contact, Structure
from structures.resources import StructureResource
from tests.actions.samples import FORMULA_DESCRIPTIF, FORMULA_TITLE, sample_fiches

pytestmark = pytest.mark.django_db

FICHES_IMPORT_URL = "admin:actions_ficheaction_import"
FICHES_CONFIRM_URL = "admin:actions_ficheaction_process_import"
CSV_INDEX, XLSX_INDEX = "0", "1"  # the admin's formats, in the order of IMPORT_FORMATS


def as_rows(dataset) -> list[list]:
    return [list(dataset.headers)] + [list(row) for row in dataset]


def csv_file(rows: list[list[str]]) -> bytes:
    """A CSV as a French Excel user saves it: UTF-8 with BOM, ';' separators."""
    dataset = tablib.Dataset(*rows[1:], headers=rows[0])
    return CSV().export_data(dataset).encode("utf-8")


def everything_as(file_format):
    """(structures file, fiches file) exported in this format, as the admin would."""
    structures = file_format.export_data(StructureResource().export())
    fiches = file_format.export_data(FicheActionResource().export())
    return structures, fiches


def import_file(resource, file_format, data, dry_run=False):
    if not file_format.is_binary():
        data = data.removeprefix("\ufeff")
    dataset = file_format.create_dataset(data)
    return resource.import_data(dataset, dry_run=dry_run)


def problems(result) -> list:
    """Everything that went wrong in an import result, readable in a failed assertion."""
    found = [str(error.error) for error in result.base_errors]
    found += [str(error.error) for _line, errors in result.row_errors() for error in errors]
    found += [(row.number, row.error_dict) for row in result.invalid_rows]
    return found


def wipe():
    FicheAction.objects.all().delete()
    Contrat.objects.update(financeur=None)  # the contract's financer is a protected structure
    Structure.objects.all().delete()


@pytest.mark.parametrize("file_format", [CSV(), XLSX()], ids=["csv", "xlsx"])
def test_round_trip_of_the_recap_gives_the_same_files(recap, file_format):
    structures_before, fiches_before = everything_as(file_format)
    counts_before = (
        FicheAction.objects.count(),
        Participation.objects.count(),
        LigneBudget.objects.count(),
        Structure.objects.count(),
        Contact.objects.count(),
    )

    wipe()
    assert FicheAction.objects.count() == 0
    result = import_file(StructureResource(), file_format, structures_before)
    assert not problems(result)
    result = import_file(FicheActionResource(), file_format, fiches_before)
    assert not problems(result)

    structures_after, fiches_after = everything_as(file_format)
    read = file_format.create_dataset
    if file_format.is_binary():
        assert as_rows(read(fiches_after)) == as_rows(read(fiches_before))
        assert as_rows(read(structures_after)) == as_rows(read(structures_before))
    else:
        assert fiches_after == fiches_before
        assert structures_after == structures_before
    assert counts_before == (
        FicheAction.objects.count(),
        Participation.objects.count(),
        LigneBudget.objects.count(),
        Structure.objects.count(),
        Contact.objects.count(),
    )
    assert FicheAction.objects.count() == 29


def test_round_trip_keeps_formulas_as_plain_text():
    sample_fiches()
    _structures, fiches = everything_as(CSV())
    assert "'=HYPERLINK" in fiches  # neutralised in the file…
    FicheAction.objects.all().delete()
    result = import_file(FicheActionResource(), CSV(), fiches)
    assert not problems(result)
    piege = FicheAction.objects.get(titre=FORMULA_TITLE)  # …and restored in the database
    assert piege.descriptif == FORMULA_DESCRIPTIF
    assert piege.enjeu_texte == "@SUM(1+1)"


def partner_rows():
    return [
        ["slug", "titre", "descriptif", "orientations", "lignes_budget", "structures", "etat"],
        [
            "jardins-partages",
            "Jardins partagés",
            "Des jardins\n- dans chaque quartier",
            "7.7",
            "2 000 € par an sur 3 ans | financeur : cress\n5000",
            "Porteur : ADUS\nPartenaire : cress : pour la formation",
            "Publiée",
        ],
        [
            "repair-cafe",
            "Repair café",
            "Réparer ensemble",
            "",
            "",
            "Porteur : emergence-cibc",
            "brouillon",
        ],
    ]


def test_a_partner_file_creates_fiches_with_their_relations():
    sample = sample_fiches()
    result = FicheActionResource().import_data(CSV().create_dataset(csv_file(partner_rows())))
    assert not problems(result)

    jardins = FicheAction.objects.get(slug="jardins-partages")
    assert jardins.contrat == sample["contrat"]
    assert list(jardins.orientations.all()) == [sample["orientation"]]
    assert jardins.budget_total == 2000 * 3 + 5000
    annuel = jardins.lignes_budget.get(periodicite=Periodicite.ANNUEL)
    assert (annuel.nombre_annees, annuel.financeur.slug) == (3, "cress")
    participations = jardins.participations.all()
    assert [(p.role, p.structure.sigle or p.structure.slug) for p in participations] == [
        (Role.PORTEUR, "ADUS"),
        (Role.PARTENAIRE, "cress"),
    ]
    assert jardins.participations.get(role=Role.PARTENAIRE).precision == "pour la formation"
    assert jardins.etat == "publiee"
    assert FicheAction.objects.get(slug="repair-cafe").etat == "brouillon"


def test_an_import_updates_the_fiche_with_the_same_slug_and_only_its_columns():
    sample = sample_fiches()
    padess = sample["fiches"][0]
    rows = [["slug", "titre"], [padess.slug, "Le PADESS, nouveau titre"]]
    result = FicheActionResource().import_data(CSV().create_dataset(csv_file(rows)))
    assert not result.has_validation_errors()
    padess.refresh_from_db()
    assert padess.titre == "Le PADESS, nouveau titre"
    assert padess.budget_total == 250550  # budget lines untouched: no such column in the file
    assert padess.participations.count() == 2
    assert FicheAction.objects.count() == len(sample["fiches"])


def bad_rows():
    rows = partner_rows()
    rows[2] = [
        "repair-cafe",
        "",  # a title is required
        "Réparer ensemble",
        "9.9",  # no such orientation
        "deux mille euros",  # not an amount
        "Porteur : association-inconnue",
        "peut-être",
    ]
    return rows


def test_one_invalid_row_and_nothing_is_written_with_errors_in_french_per_line_and_field():
    sample_fiches()
    before = FicheAction.objects.count()
    result = FicheActionResource().import_data(
        CSV().create_dataset(csv_file(bad_rows())), dry_run=False
    )

    assert result.has_validation_errors()
    assert FicheAction.objects.count() == before
    assert not FicheAction.objects.filter(slug="jardins-partages").exists()  # the good row too
    [invalid] = result.invalid_rows
    assert invalid.number == 3  # the spreadsheet's line: the header is line 1
    errors = invalid.field_specific_errors
    assert "Ce champ ne peut pas être vide." in errors["titre"]
    assert "Orientation 9.9 inconnue" in errors["orientations"][0]
    assert (
        "n'est pas un montant" in errors["lignes_budget"][0]
        or "écrivez un montant" in (errors["lignes_budget"][0])
    )
    assert "Structure « association-inconnue » inconnue" in errors["structures"][0]
    assert "« peut-être » : état de publication inconnu" in errors["etat"][0]
    assert "Brouillon, En relecture, Publiée, Archivée" in errors["etat"][0]


def test_an_annual_amount_without_years_is_refused():
    sample_fiches()
    rows = [["slug", "titre", "lignes_budget"], ["x", "X", "2 000 € par an"]]
    result = FicheActionResource().import_data(CSV().create_dataset(csv_file(rows)))
    [invalid] = result.invalid_rows
    assert "nombre d'années" in invalid.field_specific_errors["lignes_budget"][0]
    assert not FicheAction.objects.filter(slug="x").exists()


def test_a_file_with_wrong_columns_is_refused_by_the_resource_too():
    sample_fiches()
    dataset = tablib.Dataset(["a", "b"], headers=["nom", "prix"])
    result = FicheActionResource().import_data(dataset)
    assert result.has_errors()
    message = str(result.base_errors[0].error)
    assert "Colonnes obligatoires absentes : slug, titre" in message
    assert "Colonnes inconnues : nom, prix" in message


def test_semicolon_comma_and_tab_separated_files_are_all_read():
    for delimiter in (";", ",", "\t"):
        text = delimiter.join(["slug", "titre"]) + "\r\n" + delimiter.join(["a-b", "A, B"]) + "\r\n"
        if delimiter == ",":
            text = 'slug,titre\r\na-b,"A, B"\r\n'
        dataset = CSV().create_dataset(text.encode("utf-8-sig"))
        assert dataset.headers == ["slug", "titre"]
        assert list(dataset[0]) == ["a-b", "A, B"]


# --- through the admin: preview (dry run), then confirm -----------------------------------------


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def post_import(client, content: bytes, name="fiches.csv", file_format=CSV_INDEX):
    return client.post(
        reverse(FICHES_IMPORT_URL),
        {"resource": "0", "format": file_format, "import_file": upload(name, content)},
    )


def test_the_admin_previews_then_imports_a_good_file(admin_client):
    sample_fiches()
    before = FicheAction.objects.count()

    preview = post_import(admin_client, csv_file(partner_rows()))
    assert preview.status_code == 200
    assert FicheAction.objects.count() == before  # a preview writes nothing
    confirm = preview.context["confirm_form"]
    assert confirm is not None
    page = preview.content.decode()
    assert "Jardins partagés" in page and "Repair café" in page

    done = admin_client.post(reverse(FICHES_CONFIRM_URL), confirm.initial)
    assert done.status_code == 302
    assert FicheAction.objects.count() == before + 2
    assert FicheAction.objects.get(slug="jardins-partages").budget_total == 11000


def test_the_admin_preview_of_a_bad_file_lists_its_errors_and_changes_nothing(admin_client):
    sample_fiches()
    before = list(FicheAction.objects.values_list("slug", "titre"))

    response = post_import(admin_client, csv_file(bad_rows()))
    assert response.status_code == 200
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    page = response.content.decode()
    assert "Certaines lignes ont échoué à la validation" in page
    assert "Structure « association-inconnue » inconnue" in page
    assert "Orientation 9.9 inconnue" in page
    result = response.context["result"]
    assert [row.number for row in result.invalid_rows] == [3]
    assert list(FicheAction.objects.values_list("slug", "titre")) == before


def test_the_admin_imports_an_xlsx_workbook(admin_client):
    sample_fiches()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    rows = partner_rows()
    rows[0] = [f" {name.replace('_', ' ').capitalize()} " for name in rows[0]]  # " Lignes budget "
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)

    preview = post_import(admin_client, buffer.getvalue(), "fiches.xlsx", XLSX_INDEX)
    assert preview.context["confirm_form"] is not None, preview.content.decode()[:3000]
    admin_client.post(reverse(FICHES_CONFIRM_URL), preview.context["confirm_form"].initial)
    assert FicheAction.objects.filter(slug__in=["jardins-partages", "repair-cafe"]).count() == 2


@pytest.mark.parametrize(
    ("name", "content", "file_format", "message"),
    [
        ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, XLSX_INDEX, "n'est pas un classeur"),
        ("fiches.csv", b"", CSV_INDEX, "vide"),
        ("fiches.csv", b"nom;prix\r\nA;3\r\n", CSV_INDEX, "Colonnes obligatoires"),
        ("fiches.csv", b"slug;titre\r\n", CSV_INDEX, "aucune ligne de données"),
        ("fiches.csv", "slug;titre\r\nx;\xe9t\xe9\r\n".encode("latin-1"), CSV_INDEX, "UTF-8"),
    ],
    ids=["not-a-spreadsheet", "empty", "wrong-columns", "headers-only", "not-utf8"],
)
def test_a_bad_upload_is_refused_with_a_clear_message(
    admin_client, name, content, file_format, message
):
    sample_fiches()
    before = FicheAction.objects.count()
    response = post_import(admin_client, content, name, file_format)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors.get("import_file", []))
    assert "result" not in response.context or response.context["result"] is None
    assert FicheAction.objects.count() == before


def test_a_too_large_upload_is_refused(admin_client, monkeypatch):
    sample_fiches()
    monkeypatch.setattr(spreadsheets, "IMPORT_MAX_BYTES", 100)
    response = post_import(admin_client, csv_file(partner_rows()))
    errors = " ".join(response.context["form"].errors["import_file"])
    assert "la limite est de 100" in errors
    assert not FicheAction.objects.filter(slug="jardins-partages").exists()


def test_the_admin_exports_fiches_as_csv_and_xlsx(admin_client):
    sample_fiches()
    fields = {
        f"ficheactionresource_{name}": "on" for name in FicheActionResource().get_export_order()
    }
    response = admin_client.post(
        reverse("admin:actions_ficheaction_export"), {"resource": "0", "format": "0", **fields}
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffIdentifiant (slug);Titre;Ordre dans le récapitulatif;")
    assert "'=HYPERLINK" in text

    response = admin_client.post(
        reverse("admin:actions_ficheaction_export"), {"resource": "0", "format": "1", **fields}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    titles = [row[1] for row in rows[1:]]
    assert FORMULA_TITLE in titles  # as written, in a text cell: no apostrophe to see
    assert not [v for row in rows for v in row if isinstance(v, str) and v.startswith("'")]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    totals = {row[1]: row[12] for row in rows[1:]}
    assert totals["Le PADESS en Sambre-Avesnois"] == 250550  # a number, not text


@given(st.text())
def test_the_formula_guard_is_undone_exactly_on_import(text):
    guarded = neutralise_formula(text)
    assert not guarded.startswith(FORMULA_TRIGGERS)
    assert restore_formula(guarded) == text
