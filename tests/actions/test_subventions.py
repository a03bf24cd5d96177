"""/financements/export/subventions.csv: the contract financer's grants in the SCDL
"subventions" 2.1.1 format, checked against every rule of the schema (as summarised in
../shared/reference/scdl-subventions-2.1.1.md, written out below as data)."""

import csv
import datetime
import html
import io
import re
from decimal import Decimal

import pytest

from actions.roles import REDACTEUR
from tests.actions.plan_samples import CG59_SIRET, PORTEUR_RNA, PORTEUR_SIRET, make_plan
from tests.conftest import download_bytes
from tests.factories import (
    FicheActionFactory,
    LigneFinancementFactory,
    ParticipationFactory,
    staff_user,
)

pytestmark = pytest.mark.django_db

DATE = r"^\d{4}-\d{2}-\d{2}$"
# column: (required, type, pattern or enum, max length): the schema, column by column.
SCHEMA = {
    "nomAttribuant": (True, "string", None, None),
    "idAttribuant": (True, "string", r"^\d{14}$", None),
    "dateConvention": (True, "date", DATE, None),
    "referenceDecision": (False, "string", None, None),
    "nomBeneficiaire": (True, "string", None, None),
    "idBeneficiaire": (False, "string", r"^\d{14}$", None),
    "rnaBeneficiaire": (False, "string", r"^W\d{9}$", None),
    "objet": (True, "string", None, 255),
    "montant": (True, "number", r"^\d+(\.\d+)?$", None),
    "nature": (
        True,
        "string",
        {
            "aide en numéraire",
            "aide en nature",
            "aide en numéraire;aide en nature",
            "aide en nature;aide en numéraire",
        },
        None,
    ),
    "conditionsVersement": (True, "string", {"unique", "échelonné", "autre"}, None),
    "datesPeriodeVersement": (
        True,
        "string",
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(/[0-9]{4}-[0-9]{2}-[0-9]{2})?$",
        None,
    ),
    "idRAE": (False, "string", None, 4),
    "notificationUE": (True, "boolean", {"oui", "non"}, None),
    "pourcentageSubvention": (True, "number", r"^\d+(\.\d+)?$", None),
    "dispositifAide": (False, "string", None, None),
}


def read_scdl(content: bytes) -> tuple[list[str], list[dict]]:
    """The file's header and rows, read as the schema says: UTF-8 (no BOM), comma-separated."""
    text = content.decode("utf-8")
    assert not text.startswith("\ufeff"), "a BOM would become part of the first column's name"
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


def schema_errors(header: list[str], rows: list[dict]) -> list[str]:
    """Every way the file breaks the schema (an empty list: valid)."""
    errors = []
    if header != list(SCHEMA):
        errors.append(f"colonnes : {header}")
    for number, row in enumerate(rows, 2):
        for column, (required, kind, rule, max_length) in SCHEMA.items():
            value = row.get(column, "")
            if value == "":
                if required:
                    errors.append(f"ligne {number}, {column} : obligatoire et vide")
                continue
            if value != value.strip() or "\n" in value:
                errors.append(f"ligne {number}, {column} : espaces ou retour à la ligne")
            if isinstance(rule, set) and value not in rule:
                errors.append(f"ligne {number}, {column} : {value!r} hors de la liste")
            if isinstance(rule, str) and not re.match(rule, value):
                errors.append(f"ligne {number}, {column} : {value!r} ne suit pas {rule}")
            if max_length and len(value) > max_length:
                errors.append(f"ligne {number}, {column} : plus de {max_length} caractères")
            if kind == "date":
                try:
                    datetime.date.fromisoformat(value)
                except ValueError:
                    errors.append(f"ligne {number}, {column} : {value!r} n'est pas une date")
            if column == "pourcentageSubvention" and not Decimal("0.01") <= Decimal(value) <= 1:
                errors.append(f"ligne {number}, {column} : hors de 0,01–1")
        period = row.get("datesPeriodeVersement", "")
        for date in filter(None, period.split("/")):
            try:
                datetime.date.fromisoformat(date)
            except ValueError:
                errors.append(f"ligne {number}, datesPeriodeVersement : {date!r} impossible")
    return errors


@pytest.fixture
def plan():
    return make_plan()


def subventions(client, query=""):
    response = client.get(f"/financements/export/subventions.csv{query}")
    assert response.status_code == 200, response.content[:500]
    return response


def test_the_file_holds_the_contract_financers_grants_and_follows_the_schema(client, plan):
    response = subventions(client)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.match(
        r'attachment; filename="subventions-\d{4}-\d\d-\d\d\.csv"',
        response["Content-Disposition"],
    )
    content = download_bytes(response)
    assert b"\r\n" in content
    header, rows = read_scdl(content)
    assert schema_errors(header, rows) == []
    # CG59's three grants to published fiches; not the State's (its own file), not the
    # region's undecided line, not the draft's.
    assert [(r["objet"], r["montant"], r["datesPeriodeVersement"]) for r in rows] == [
        ("Ludothèque itinérante", "10000.00", "2024-01-01/2024-12-31"),
        ("Ludothèque itinérante", "8000.00", "2025-01-01/2025-12-31"),
        ("Jardins partagés", "20000.00", "2025-01-01/2025-12-31"),
    ]
    first = rows[0]
    assert first == {
        "nomAttribuant": "Conseil départemental du Nord",
        "idAttribuant": CG59_SIRET,
        "dateConvention": "2023-12-15",
        "referenceDecision": "CP 2023-101",
        "nomBeneficiaire": "Association Ludo",
        "idBeneficiaire": PORTEUR_SIRET,
        "rnaBeneficiaire": PORTEUR_RNA,
        "objet": "Ludothèque itinérante",
        "montant": "10000.00",
        "nature": "aide en numéraire",
        "conditionsVersement": "unique",
        "datesPeriodeVersement": "2024-01-01/2024-12-31",
        "idRAE": "",
        "notificationUE": "non",
        "pourcentageSubvention": "1.00",
        "dispositifAide": "",
    }
    # Granted 8 000, paid 4 000 so far: paid in instalments.
    assert rows[1]["conditionsVersement"] == "échelonné"
    # A commune without SIRET known: the beneficiary's ids stay empty (allowed).
    assert (rows[2]["nomBeneficiaire"], rows[2]["idBeneficiaire"]) == ("Commune de Fourmies", "")


def test_the_checks_would_catch_a_broken_file():
    header = list(SCHEMA)
    row = dict.fromkeys(header, "")
    row.update(idAttribuant="123", montant="10 000,00", notificationUE="Non", objet="x" * 300)
    errors = schema_errors(header, [row])
    assert "ligne 2, nomAttribuant : obligatoire et vide" in errors
    assert any("idAttribuant" in e for e in errors)
    assert any("montant" in e for e in errors)
    assert any("notificationUE" in e for e in errors)
    assert any("objet : plus de 255" in e for e in errors)


def test_long_titles_and_hostile_texts_stay_within_the_rules(client, plan):
    fiche = FicheActionFactory(
        contrat=plan.contrat,
        titre="=CMD() " + "Très long titre " * 30,
        slug="tres-long-titre",
        ordre=5,
    )
    ParticipationFactory(fiche=fiche, structure=plan.association)
    LigneFinancementFactory(
        fiche=fiche,
        financeur=plan.cg59,
        annee=2026,
        prevu=Decimal("1234.5"),
        accorde=Decimal("1234.5"),
        date_decision=datetime.date(2025, 6, 30),
        reference_decision="Délibération n° 12,\n« commission »",
    )

    header, rows = read_scdl(download_bytes(subventions(client)))

    assert schema_errors(header, rows) == []
    row = rows[-1]
    assert len(row["objet"]) <= 255
    assert row["objet"].startswith("'=CMD() Très long titre")  # no formula in a spreadsheet
    assert row["objet"].endswith("…")
    assert row["montant"] == "1234.50"
    assert row["referenceDecision"] == "Délibération n° 12, « commission »"


def test_grants_without_decision_date_or_porteur_are_left_out_and_counted(client, plan):
    LigneFinancementFactory(
        fiche=plan.jardins, financeur=plan.cg59, annee=2026, accorde=Decimal(500)
    )
    sans_porteur = FicheActionFactory(contrat=plan.contrat, titre="Sans porteur", ordre=6)
    LigneFinancementFactory(
        fiche=sans_porteur,
        financeur=plan.cg59,
        annee=2026,
        accorde=Decimal(700),
        date_decision=datetime.date(2025, 1, 1),
    )

    header, rows = read_scdl(download_bytes(subventions(client)))

    assert schema_errors(header, rows) == []
    assert len(rows) == 3
    page = html.unescape(client.get("/financements/").content.decode())
    assert "2 subventions sans date de décision ou sans porteur n'y figurent pas" in page


def test_the_file_follows_the_lists_filters(client, plan):
    _header, rows = read_scdl(download_bytes(subventions(client, "?enjeu=2")))
    assert [row["objet"] for row in rows] == ["Jardins partagés"]
    _header, rows = read_scdl(download_bytes(subventions(client, "?q=ludotheque")))
    assert [row["objet"] for row in rows] == ["Ludothèque itinérante"] * 2


def test_an_editor_gets_the_published_grants_only(client, plan):
    client.force_login(staff_user(REDACTEUR))
    _header, rows = read_scdl(download_bytes(subventions(client, "?brouillons=1")))
    assert "Brouillon caché" not in [row["objet"] for row in rows]
    assert len(rows) == 3


def test_without_the_financers_siret_no_invalid_file_is_written(client, plan):
    plan.cg59.siret = ""
    plan.cg59.save()

    response = client.get("/financements/export/subventions.csv")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    text = html.unescape(response.content.decode())
    assert "Le numéro SIRET de Conseil départemental du Nord n'est pas renseigné" in text
    page = client.get("/financements/").content.decode()
    assert "indisponible" in page
    assert 'href="/financements/export/subventions.csv' not in page


def test_without_a_contract_financer_the_page_says_so(client, plan):
    plan.contrat.financeur = None
    plan.contrat.save()
    response = client.get("/financements/export/subventions.csv")
    assert response.status_code == 404
    assert "Le financeur du contrat n'est pas indiqué" in html.unescape(response.content.decode())
