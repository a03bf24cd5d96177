"""Importing and exporting financing lines: exactly the agreed columns, all or nothing, each
problem named by its line and column in French, the preview then the confirmation."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.urls import reverse

from actions.financements_resources import LigneFinancementResource
from actions.models import FicheAction, LigneFinancement, NatureFinancement
from contrat.spreadsheets import CSV, result_problems
from tests.conftest import page_text
from tests.factories import (
    ContratFactory,
    FicheActionFactory,
    LigneFinancementFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db

COLUMNS = [
    "fiche",
    "financeur",
    "annee",
    "prevu",
    "accorde",
    "verse",
    "date_decision",
    "reference_decision",
    "nature",
    "note",
]
IMPORT_URL = "admin:actions_lignefinancement_import"
CONFIRM_URL = "admin:actions_lignefinancement_process_import"
EXPORT_URL = "admin:actions_lignefinancement_export"


@pytest.fixture
def world():
    contrat = ContratFactory(annee_debut=2024, annee_fin=2029)
    return {
        "alimentation": FicheActionFactory(
            contrat=contrat, titre="Maison de l'alimentation", slug="maison-alimentation"
        ),
        "ressourcerie": FicheActionFactory(
            contrat=contrat, titre="Ressourcerie", slug="ressourcerie"
        ),
        "cg59": StructureFactory(
            nom="Département du Nord", slug="departement-du-nord", sigle="CG59"
        ),
        "caf": StructureFactory(nom="Caisse d'allocations familiales", slug="caf", sigle="CAF"),
    }


def csv_file(rows: list[list]) -> bytes:
    dataset = tablib.Dataset(*rows[1:], headers=rows[0])
    return CSV().export_data(dataset).encode("utf-8")


def good_rows() -> list[list]:
    return [
        ["fiche", "financeur", "annee", "prevu", "accorde", "verse", "date_decision",
         "reference_decision", "note"],
        ["maison-alimentation", "CG59", "2024", "12 000 €", "10000", "10000", "2023-11-20",
         "DCP 2023-118", "Premier versement"],
        ["maison-alimentation", "Caisse d'allocations familiales", "2025", "5000,50", "", "", "",
         "", ""],
        ["ressourcerie", "departement-du-nord", "2025", "30000", "30000", "15000", "2024-12-02",
         "DCP 2024-77", ""],
    ]  # fmt: skip


def import_rows(rows, dry_run=False, **kwargs):
    dataset = CSV().create_dataset(csv_file(rows))
    return LigneFinancementResource().import_data(dataset, dry_run=dry_run, **kwargs)


def test_a_valid_file_creates_the_lines(world):
    result = import_rows(good_rows())

    assert not result.has_errors() and not result.has_validation_errors(), result_problems(result)
    lines = {
        (line.fiche.slug, line.financeur.sigle, line.annee): line
        for line in LigneFinancement.objects.select_related("fiche", "financeur")
    }
    assert sorted(lines) == [
        ("maison-alimentation", "CAF", 2025),
        ("maison-alimentation", "CG59", 2024),
        ("ressourcerie", "CG59", 2025),
    ]
    first = lines["maison-alimentation", "CG59", 2024]
    assert (first.prevu, first.accorde, first.verse) == (12000, 10000, 10000)
    assert first.date_decision == datetime.date(2023, 11, 20)
    assert first.reference_decision == "DCP 2023-118"
    assert first.nature == NatureFinancement.FONCTIONNEMENT  # no nature column: running costs
    caf = lines["maison-alimentation", "CAF", 2025]
    assert (caf.prevu, caf.accorde, caf.verse) == (Decimal("5000.50"), None, 0)
    assert first.history.count() == 1


# (cell to spoil: row, column, value; the column named; what it says)
BAD_CELLS = {
    "montant_negatif": (2, "prevu", "-500", "prevu", "Le montant ne peut pas être négatif."),
    "verse_au_dela": (1, "verse", "17000", "verse", "dépasse le montant accordé"),
    "annee_hors_periode": (
        2,
        "annee",
        "2031",
        "annee",
        "L'année 2031 est hors de la période du contrat (2024–2029)",
    ),
    "fiche_inconnue": (2, "fiche", "fiche-disparue", "fiche", "Fiche « fiche-disparue » inconnue"),
    "financeur_inconnu": (
        2,
        "financeur",
        "Région Hauts-de-France",
        "financeur",
        "Structure « Région Hauts-de-France » inconnue",
    ),
    "date_illisible": (
        2,
        "date_decision",
        "20/11/2023",
        "date_decision",
        "« 20/11/2023 » n'est pas une date au format AAAA-MM-JJ",
    ),
    "annee_illisible": (2, "annee", "deux mille", "annee", "n'est pas une année"),
    "nature_inconnue": (2, "nature", "subvention", "nature", "« subvention » : nature inconnu"),
}


@pytest.mark.parametrize("case", BAD_CELLS)
def test_one_bad_row_and_nothing_is_imported_with_its_line_and_column_in_french(world, case):
    row, column, value, named, message = BAD_CELLS[case]
    rows = good_rows()
    if column not in rows[0]:
        rows[0].append(column)
        for other in rows[1:]:
            other.append("")
    rows[row][rows[0].index(column)] = value
    existing = LigneFinancementFactory(
        fiche=world["ressourcerie"], financeur=world["caf"], annee=2026, prevu=Decimal(800)
    )

    result = import_rows(rows)

    assert result.has_validation_errors()
    problems = result_problems(result)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"Ligne {row + 1}, colonne {named} : "), problems
    assert message in problems[0]
    assert list(LigneFinancement.objects.all()) == [existing]  # the good rows neither


def test_the_same_line_twice_in_a_file_is_refused_naming_both_lines(world):
    rows = good_rows()
    rows.append(["maison-alimentation", "Département du Nord", "2024", "1000", "", "", "", "", ""])

    result = import_rows(rows)

    assert result_problems(result) == [
        "Ligne 5 : Même fiche, financeur, année et nature qu'à la ligne 2 : une seule ligne par "
        "financeur, année et nature (additionnez les montants)."
    ]
    assert not LigneFinancement.objects.exists()


def test_a_row_naming_an_existing_line_updates_it_in_its_columns_only(world):
    line = LigneFinancementFactory(
        fiche=world["alimentation"], financeur=world["cg59"], annee=2024, note="À garder"
    )
    rows = [
        ["fiche", "financeur", "annee", "nature", "accorde", "verse"],
        ["maison-alimentation", "cg59", "2024", "Fonctionnement", "9000", "4500"],
        ["maison-alimentation", "cg59", "2024", "investissement", "2000", "0"],
    ]

    result = import_rows(rows)

    assert not result.has_validation_errors(), result_problems(result)
    line.refresh_from_db()
    assert (line.prevu, line.accorde, line.verse, line.note) == (10000, 9000, 4500, "À garder")
    assert LigneFinancement.objects.filter(nature=NatureFinancement.INVESTISSEMENT).count() == 1


def test_the_export_has_exactly_the_agreed_columns_and_reads_back(world):
    LigneFinancementFactory(
        fiche=world["alimentation"],
        financeur=world["cg59"],
        annee=2025,
        accorde=Decimal("7500.50"),
        verse=Decimal(7000),
        date_decision=datetime.date(2024, 12, 2),
        reference_decision="DCP 2024-77",
    )
    dataset = LigneFinancementResource().export()

    assert dataset.headers == COLUMNS
    assert list(dataset[0]) == [
        "maison-alimentation",
        "departement-du-nord",
        2025,
        "10000",
        "7500,5",
        "7000",
        "2024-12-02",
        "DCP 2024-77",
        "Fonctionnement",
        "",
    ]
    before = list(LigneFinancement.objects.values())
    result = LigneFinancementResource().import_data(
        CSV().create_dataset(CSV().export_data(dataset).encode("utf-8"))
    )
    assert not result.has_validation_errors(), result_problems(result)
    assert list(LigneFinancement.objects.values()) == before


# --- through the admin ------------------------------------------------------------------------


def post_import(client, content: bytes, name="financements.csv", file_format="0"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse(IMPORT_URL),
        {"resource": "0", "format": file_format, "import_file": SimpleUploadedFile(name, content)},
    )


def test_the_admin_previews_then_imports_an_xlsx_and_the_fiches_take_a_version(admin_client, world):
    workbook = openpyxl.Workbook()
    for row in good_rows():
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    version = world["alimentation"].version

    preview = post_import(admin_client, buffer.getvalue(), "financements.xlsx", "1")

    assert not LigneFinancement.objects.exists()  # a preview writes nothing
    confirm = preview.context["confirm_form"]
    assert confirm is not None, page_text(preview)[:2000]
    done = admin_client.post(reverse(CONFIRM_URL), confirm.initial)
    assert done.status_code == 302
    assert LigneFinancement.objects.count() == 3
    # Like an edit of the lines on their own page: a form opened before is refused.
    assert FicheAction.objects.get(pk=world["alimentation"].pk).version == version + 1


def test_the_admin_preview_of_a_bad_file_names_line_and_column_and_offers_no_confirmation(
    admin_client, world
):
    rows = good_rows()
    rows[3][rows[0].index("verse")] = "50000"

    response = post_import(admin_client, csv_file(rows))

    assert response.context.get("confirm_form") is None
    page = page_text(response)
    assert "dépasse le montant accordé" in page
    assert [row.number for row in response.context["result"].invalid_rows] == [4]
    assert not LigneFinancement.objects.exists()


def test_the_admin_exports_the_lines_as_csv(admin_client, world):
    LigneFinancementFactory(fiche=world["ressourcerie"], financeur=world["caf"], annee=2027)

    fields = {f"lignefinancementresource_{column}": "on" for column in COLUMNS}
    response = admin_client.post(reverse(EXPORT_URL), {"format": "0", "resource": "0", **fields})

    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == ";".join(COLUMNS)
    assert "ressourcerie;caf;2027;10000" in text
