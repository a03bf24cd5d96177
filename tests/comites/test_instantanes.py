"""A committee's snapshot: what it freezes, and that nothing changes it afterwards — not the
ORM, not the admin, not raw SQL (the trigger, on SQLite and PostgreSQL alike)."""

import io
from decimal import Decimal

import openpyxl
import pypdf
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from actions.models import LigneBudget
from actions.roles import REDACTEUR
from comites.models import Instantane
from comites.services import instantane_arreter
from tests.conftest import page_text
from tests.factories import IndicateurFactory, ValeurIndicateurFactory, staff_user

pytestmark = pytest.mark.django_db
MIGRATION = __import__("comites.migrations.0001_initial", fromlist=["TRIGGERS"])


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(bytes(content)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture
def instantane(world):
    return instantane_arreter(nom="Comité de pilotage 2026", date=None)


def test_the_command_freezes_the_published_recap_under_its_name(world, capsys):
    call_command("arreter_recap", "Comité de pilotage 2026", "--date", "2026-06-30")

    snapshot = Instantane.objects.get()
    assert snapshot.slug == "comite-de-pilotage-2026"
    assert str(snapshot.date) == "2026-06-30"
    assert snapshot.nombre_fiches == 3  # the draft is not in it
    assert snapshot.budget_total == Decimal("280550")
    titres = [fiche["titre"] for fiche in snapshot.donnees["fiches"]]
    assert "Brouillon confidentiel" not in titres
    padess = next(f for f in snapshot.donnees["fiches"] if f["titre"] == "Le PADESS")
    assert padess["statut_libelle"] == "En cours"
    assert padess["porteurs"] == ["Pôle ESS"]
    assert padess["financements"][0]["prevu"] == "40000.00"
    assert snapshot.donnees["financeurs"]["annees"] == [2026, 2027]
    assert "280 550 €" in pdf_text(snapshot.recap_pdf)
    workbook = openpyxl.load_workbook(io.BytesIO(bytes(snapshot.recap_xlsx)))
    assert workbook["Fiches actions"].max_row == 3 + 2  # header, 3 fiches, total
    assert "3 fiches" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Comité", "--date", "30/06/2026"], "Date illisible"),
        (["   "], "Donnez un nom"),
    ],
)
def test_the_command_refuses_bad_input_in_french(world, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("arreter_recap", *args)
    assert not Instantane.objects.exists()


def test_a_name_is_taken_once(instantane):
    with pytest.raises(CommandError, match="s'appelle déjà ainsi"):
        call_command("arreter_recap", "Comité de pilotage 2026 ")


def test_the_admin_form_and_the_command_make_the_same_snapshot(world, client, settings):
    client.force_login(staff_user(REDACTEUR))
    response = client.post(
        reverse("admin:comites_instantane_add"), {"nom": "Comité A", "date": "2026-06-30"}
    )
    call_command("arreter_recap", "Comité B", "--date", "2026-06-30")

    by_admin, by_command = Instantane.objects.order_by("nom")
    assert response.status_code == 302
    assert by_admin.donnees == by_command.donnees
    assert by_admin.date == by_command.date
    assert by_admin.arrete_par.endswith(")")  # who, by name
    assert (
        pdf_text(by_admin.recap_pdf).split("Généré")[0]
        == (pdf_text(by_command.recap_pdf).split("Généré")[0])
    )


def test_the_admin_form_says_a_taken_name_in_french(instantane, client):
    client.force_login(staff_user(REDACTEUR))

    response = client.post(
        reverse("admin:comites_instantane_add"), {"nom": instantane.nom, "date": "2026-06-30"}
    )

    assert response.status_code == 200
    assert "s'appelle déjà ainsi" in page_text(response)
    assert Instantane.objects.count() == 1


# --- immutability -------------------------------------------------------------------------------


def test_save_and_delete_refuse_an_existing_snapshot(instantane):
    instantane.nom = "Autre nom"
    with pytest.raises(ValidationError, match="ne se modifie plus"):
        instantane.save()
    with pytest.raises(ValidationError, match="ne se supprime pas"):
        instantane.delete()
    fresh = Instantane.objects.get()
    assert fresh.nom == "Comité de pilotage 2026"


def test_the_queryset_refuses_update_and_delete(instantane):
    with pytest.raises(ValidationError, match="ne se modifie plus"):
        Instantane.objects.filter(pk=instantane.pk).update(nom="Autre")
    with pytest.raises(ValidationError, match="ne se supprime pas"):
        Instantane.objects.all().delete()
    assert Instantane.objects.get().nom == "Comité de pilotage 2026"


def test_raw_sql_update_is_refused_by_the_trigger(instantane):
    refused = pytest.raises(IntegrityError, match="instantane_fige")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE comites_instantane SET budget_total = 1, nom = 'x' WHERE id = %s",
            [instantane.pk],
        )
    assert Instantane.objects.get().budget_total == Decimal("280550")


def test_the_trigger_is_still_there_after_all_the_migrations():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute(
                "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal"
            )
        found = set(cursor.fetchall())
    assert set(MIGRATION.TRIGGERS) <= found


def test_the_admin_shows_a_snapshot_read_only_and_refuses_a_post(instantane, client):
    client.force_login(staff_user(REDACTEUR))
    url = reverse("admin:comites_instantane_change", args=[instantane.pk])

    page = client.get(url)
    posted = client.post(url, {"nom": "Autre nom"})
    deleted = client.post(
        reverse("admin:comites_instantane_delete", args=[instantane.pk]), {"post": "yes"}
    )

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert "Comité de pilotage 2026" in page_text(page)
    assert posted.status_code == 403
    assert deleted.status_code == 403
    assert Instantane.objects.get().nom == "Comité de pilotage 2026"


# --- frozen figures -------------------------------------------------------------------------------


def test_later_edits_leave_the_snapshot_pages_and_files_as_they_were(instantane, world, client):
    ligne = LigneBudget.objects.get(fiche=world["padess"])
    ligne.montant = Decimal("300000")
    ligne.save()
    world["epicerie"].titre = "Épicerie renommée"
    world["epicerie"].save()

    page = page_text(client.get(instantane.get_absolute_url()))
    pdf = client.get(reverse("comites:recap-pdf", args=[instantane.slug]))
    xlsx = client.get(reverse("comites:recap-xlsx", args=[instantane.slug]))

    assert "280 550 €" in page and "330 000 €" not in page
    assert "Épicerie solidaire" in page and "Épicerie renommée" not in page
    assert "280 550 €" in pdf_text(pdf.content)
    assert "recap-comite-de-pilotage-2026-" in pdf["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["Fiches actions"]
    assert "Épicerie solidaire" in [row[0] for row in sheet.iter_rows(values_only=True)]
    assert xlsx["Content-Disposition"].startswith('attachment; filename="recap-comite')


def test_the_snapshot_page_shows_its_frozen_indicators(world, client):
    indicateur = IndicateurFactory(
        fiche=world["padess"], nom="Structures accompagnées", unite="structures"
    )
    ValeurIndicateurFactory(indicateur=indicateur, annee=2025, valeur=Decimal(55))
    instantane = instantane_arreter(nom="Comité de pilotage 2026", date=None)
    ValeurIndicateurFactory(indicateur=indicateur, annee=2026, valeur=Decimal(12))

    page = page_text(client.get(instantane.get_absolute_url()))

    assert "1 indicateur, dont 1 à sa cible ce jour-là" in page
    assert "Structures accompagnées (structures)" in page
    assert "55 structures en 2025 (cible atteinte)" in page  # not today's 12
