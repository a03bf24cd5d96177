"""A fiche's follow-up (actions/suivi.py): its rules in French, the statut that follows the
latest progress note, the fiche page's timeline, indicators and milestones, the roll-ups of
the home and enjeu pages, and the admin's inlines."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from actions import services
from actions.avancement import (
    ENGAGES,
    Avancement,
    rollup_total,
    rollups_by_enjeu,
    rollups_by_orientation,
)
from actions.demo import demo_generate
from actions.models import Etat, FicheAction, Role, Statut
from actions.roles import CONTRIBUTEUR, REDACTEUR
from actions.suivi import (
    DUPLICATE_YEAR,
    PERCENT_RANGE,
    TARGET_BEFORE_BASELINE,
    Indicateur,
    PointAvancement,
    ValeurIndicateur,
)
from contrat.dataversion import data_version
from enjeux.models import Enjeu
from tests.conftest import page_html
from tests.factories import (
    EtapeFactory,
    FicheActionFactory,
    IndicateurFactory,
    ParticipationFactory,
    PointAvancementFactory,
    StructureFactory,
    ValeurIndicateurFactory,
    admin_form_data,
    staff_user,
)

pytestmark = pytest.mark.django_db


def read(response) -> str:
    """What a reader gets from the page: its words, cells apart, spaces plain."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", page_html(response)))
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


@pytest.fixture
def fiche():
    return FicheActionFactory(titre="Maison de l'alimentation", etat=Etat.PUBLIEE)


# --- the rules, in French, and below the forms --------------------------------------------


def test_a_percentage_outside_0_100_is_refused_in_french_and_by_the_database(fiche):
    note = PointAvancement(fiche=fiche, date=datetime.date(2026, 1, 5), statut="en_cours")
    note.avancement = 140
    with pytest.raises(ValidationError) as refusal:
        note.full_clean()
    assert PERCENT_RANGE in refusal.value.message_dict["avancement"]

    with pytest.raises(IntegrityError), transaction.atomic():
        PointAvancement.objects.create(
            fiche=fiche, date=datetime.date(2026, 1, 5), statut="en_cours", avancement=140
        )


def test_a_target_before_its_baseline_is_refused(fiche):
    indicateur = IndicateurFactory.build(fiche=fiche, annee_reference=2026, annee_cible=2024)
    with pytest.raises(ValidationError) as refusal:
        indicateur.full_clean()
    assert TARGET_BEFORE_BASELINE in refusal.value.messages

    with pytest.raises(IntegrityError), transaction.atomic():
        indicateur.save()


def test_one_value_per_indicator_and_year(fiche):
    indicateur = IndicateurFactory(fiche=fiche)
    ValeurIndicateurFactory(indicateur=indicateur, annee=2025)
    twin = ValeurIndicateur(indicateur=indicateur, annee=2025, valeur=Decimal(3))
    with pytest.raises(ValidationError) as refusal:
        twin.full_clean()
    assert DUPLICATE_YEAR in refusal.value.messages

    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_a_written_note_changes_the_data_version(fiche):
    before = data_version()
    PointAvancementFactory(fiche=fiche)
    assert data_version() != before


# --- the statut follows the latest note ----------------------------------------------------


def note(fiche, day, statut):
    created = PointAvancementFactory(fiche=fiche, date=datetime.date(2026, 1, day), statut=statut)
    services.fiche_statut_follow(fiche_ids=[fiche.pk])
    fiche.refresh_from_db()
    return created


def test_the_statut_follows_the_latest_note_added_edited_deleted(fiche):
    assert fiche.statut == Statut.PROPOSEE
    note(fiche, 1, Statut.EN_COURS)
    assert fiche.statut == Statut.EN_COURS
    latest = note(fiche, 20, Statut.REALISEE)
    assert fiche.statut == Statut.REALISEE
    # An older note written afterwards does not win: the date makes the latest.
    note(fiche, 10, Statut.ABANDONNEE)
    assert fiche.statut == Statut.REALISEE

    latest.statut = Statut.ABANDONNEE
    latest.save()
    services.fiche_statut_follow(fiche_ids=[fiche.pk])
    fiche.refresh_from_db()
    assert fiche.statut == Statut.ABANDONNEE

    latest.delete()
    services.fiche_statut_follow(fiche_ids=[fiche.pk])
    fiche.refresh_from_db()
    assert fiche.statut == Statut.ABANDONNEE  # the 10th's, now the latest
    PointAvancement.objects.filter(fiche=fiche, date__day=10).delete()
    services.fiche_statut_follow(fiche_ids=[fiche.pk])
    fiche.refresh_from_db()
    assert fiche.statut == Statut.EN_COURS


def test_the_statut_change_is_a_version_of_the_fiche_and_nothing_when_unchanged(fiche):
    note(fiche, 1, Statut.EN_COURS)
    versions = fiche.history.count()
    assert fiche.history.first().history_change_reason == services.STATUT_REASON

    assert services.fiche_statut_follow(fiche_ids=[fiche.pk]) == []
    assert fiche.history.count() == versions


# --- the fiche's page ------------------------------------------------------------------------


@pytest.fixture
def followed(fiche):
    for day, statut, avancement, commentaire in [
        (3, Statut.PROPOSEE, None, "Projet présenté au comité"),
        (28, Statut.REALISEE, 100, "Maison ouverte au public"),
        (14, Statut.EN_COURS, 40, "Travaux commencés"),
    ]:
        PointAvancementFactory(
            fiche=fiche,
            date=datetime.date(2025, 2, day),
            statut=statut,
            avancement=avancement,
            commentaire=commentaire,
        )
    indicateur = IndicateurFactory(
        fiche=fiche,
        nom="Repas servis",
        unite="repas",
        valeur_reference=Decimal(1200),
        annee_reference=2024,
        valeur_cible=Decimal(5000),
        annee_cible=2028,
    )
    ValeurIndicateurFactory(indicateur=indicateur, annee=2025, valeur=Decimal("2500.5"))
    ValeurIndicateurFactory(indicateur=indicateur, annee=2026, valeur=Decimal(5100))
    today = timezone.localdate()
    EtapeFactory(
        fiche=fiche, titre="Signature du bail", date_prevue=today - datetime.timedelta(days=30)
    )
    EtapeFactory(
        fiche=fiche,
        titre="Achat du mobilier",
        date_prevue=today - datetime.timedelta(days=60),
        date_realisation=today - datetime.timedelta(days=50),
    )
    EtapeFactory(fiche=fiche, titre="Inauguration", date_prevue=today + datetime.timedelta(days=9))
    return fiche


def test_the_fiche_page_shows_the_timeline_newest_first(client, followed):
    source = page_html(client.get(followed.get_absolute_url()))
    timeline = source[
        source.index('<ol class="timeline"') : source.index(
            "</ol>", source.index('<ol class="timeline"')
        )
    ]

    dates = re.findall(r'<time datetime="([\d-]+)">', timeline)
    assert dates == ["2025-02-28", "2025-02-14", "2025-02-03"]
    assert timeline.index("Maison ouverte au public") < timeline.index("Travaux commencés")
    assert "40 % réalisés" in timeline
    assert "28 février 2025" in timeline


def test_the_fiche_page_shows_the_indicator_table_and_chart(client, followed):
    response = client.get(followed.get_absolute_url())
    words = read(response)
    source = page_html(response)

    assert "Valeurs de l'indicateur « Repas servis »" in words
    assert "2024 Référence 1 200 repas" in words
    assert "2025 Mesurée 2 500,5 repas" in words
    assert "2028 Cible 5 000 repas" in words
    assert "Cible atteinte" in words  # 5 100 in 2026, above the 5 000 aimed at
    svg = source[source.index('<svg class="chart__svg"') : source.index("</svg>")]
    assert 'role="img"' in svg
    assert "<title" in svg and "Repas servis" in svg
    assert svg.count('<circle class="chart__point') == 3  # the baseline and two values
    assert "<script" not in svg  # drawn on the server: nothing to run


def test_late_milestones_are_marked_en_retard(client, followed):
    source = page_html(client.get(followed.get_absolute_url()))
    etapes = source[source.index('<ol class="etapes">') :]
    etapes = etapes[: etapes.index("</ol>")]
    items = {
        re.search(r'etape__titre">([^<]+)<', li).group(1): li for li in etapes.split("<li")[1:]
    }

    assert "en retard" in items["Signature du bail"]
    assert "en retard" not in items["Achat du mobilier"]
    assert "franchie le" in items["Achat du mobilier"]
    assert "en retard" not in items["Inauguration"]
    assert "(1 en retard)" in source


def test_a_fiche_without_follow_up_shows_no_empty_section(client, fiche):
    assert "Suivi de la fiche" not in page_html(client.get(fiche.get_absolute_url()))


# --- roll-ups --------------------------------------------------------------------------------


def python_rollup(fiches: list[FicheAction]) -> tuple:
    """The same figures as actions/avancement.py, counted in Python over the objects."""
    par_statut = dict.fromkeys(Statut.values, 0)
    budget = engage = Decimal(0)
    has_budget = False
    indicateurs = atteints = 0
    for fiche in fiches:
        par_statut[fiche.statut] += 1
        total = fiche.budget_total
        if total is not None:
            has_budget = True
            budget += total
            if fiche.statut in ENGAGES:
                engage += total
        for indicateur in fiche.indicateurs.all():
            indicateurs += 1
            valeurs = sorted(indicateur.valeurs.all(), key=lambda v: v.annee)
            if indicateur.atteint(valeurs[-1].valeur if valeurs else None):
                atteints += 1
    return par_statut, (budget if has_budget else None), indicateurs, atteints, engage


def as_tuple(avancement) -> tuple:
    engage = avancement.budget_engage or Decimal(0)
    return (
        avancement.par_statut,
        avancement.budget,
        avancement.indicateurs,
        avancement.indicateurs_atteints,
        engage,
    )


@pytest.fixture
def demo():
    demo_generate(fiches=60, seed=13)
    # Left out of every public figure: a draft with a note, an indicator and a budget.
    brouillon = FicheAction.objects.order_by("pk").first()
    FicheAction.objects.filter(pk=brouillon.pk).update(etat=Etat.BROUILLON)
    return brouillon


def test_rollups_add_up_to_a_python_count(demo):
    visible = FicheAction.objects.visible_to(AnonymousUser())
    fiches = list(
        visible.prefetch_related("lignes_budget", "indicateurs__valeurs", "orientations", "enjeux")
    )
    assert demo.pk not in {f.pk for f in fiches}
    enjeux = list(Enjeu.objects.all())
    orientations = {o for f in fiches for o in f.orientations.all()}

    total = rollup_total(visible)
    par_enjeu = rollups_by_enjeu(visible, [e.pk for e in enjeux])
    par_orientation = rollups_by_orientation(visible, [o.pk for o in orientations])

    assert as_tuple(total) == python_rollup(fiches)
    assert total.indicateurs_atteints > 0  # the demo's data reach some targets
    assert 0 < total.part_engagee < 100
    for enjeu in enjeux:
        mine = [
            f
            for f in fiches
            if enjeu in f.enjeux.all() or any(o.enjeu_id == enjeu.pk for o in f.orientations.all())
        ]
        assert as_tuple(par_enjeu.get(enjeu.pk, Avancement())) == python_rollup(mine), enjeu
    for orientation in orientations:
        mine = [f for f in fiches if orientation in f.orientations.all()]
        assert as_tuple(par_orientation[orientation.pk]) == python_rollup(mine), orientation


def test_a_target_below_the_baseline_is_reached_going_down(fiche):
    baisse = IndicateurFactory(
        fiche=fiche, valeur_reference=Decimal(80), valeur_cible=Decimal(50), annee_cible=2028
    )
    ValeurIndicateurFactory(indicateur=baisse, annee=2025, valeur=Decimal(40))
    ValeurIndicateurFactory(indicateur=baisse, annee=2026, valeur=Decimal(60))  # the latest
    hausse = IndicateurFactory(fiche=fiche, valeur_reference=Decimal(10), valeur_cible=Decimal(50))
    ValeurIndicateurFactory(indicateur=hausse, annee=2026, valeur=Decimal(50))

    found = rollup_total(FicheAction.objects.all())

    assert (found.indicateurs, found.indicateurs_atteints) == (2, 1)
    ValeurIndicateurFactory(indicateur=baisse, annee=2027, valeur=Decimal(50))
    found = rollup_total(FicheAction.objects.all())
    assert found.indicateurs_atteints == 2


def test_the_home_and_enjeu_pages_show_the_rollup(client, demo):
    home = client.get("/")
    rows = home.context["avancement_rows"]
    total = rows[0][2]
    words = read(home)

    assert "Avancement des fiches" in words
    assert total.nombre == FicheAction.objects.published().count()
    assert f"{total.indicateurs_atteints} sur {total.indicateurs}" in words
    assert f"{total.part_engagee} %" in words

    enjeu = Enjeu.objects.order_by("numero").first()
    page = client.get(enjeu.get_absolute_url())
    assert page.context["avancement_rows"][0][2].nombre == page.context["total"].nombre
    assert "Budget en cours ou réalisé" in read(page)


@pytest.mark.parametrize("url", ["/", "enjeu", "fiche"])
def test_pages_with_follow_up_run_the_same_queries_at_two_sizes(
    client, django_assert_max_num_queries, url
):
    counts = []
    for size in (5, 60):
        FicheAction.objects.all().delete()
        demo_generate(fiches=size, seed=size)
        if url == "enjeu":
            target = Enjeu.objects.order_by("numero").first().get_absolute_url()
        elif url == "fiche":
            fiche = FicheAction.objects.filter(
                indicateurs__valeurs__isnull=False,
                etapes__isnull=False,
                points_avancement__isnull=False,
            ).first()
            target = fiche.get_absolute_url()
        else:
            target = url
        with django_assert_max_num_queries(14) as queries:
            assert client.get(target).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- the admin -------------------------------------------------------------------------------


@pytest.fixture
def porteuse():
    return StructureFactory(nom="Les sens du goût")


def form_with_note(client, fiche, **values) -> dict:
    data = admin_form_data(client.get(reverse("admin:actions_ficheaction_change", args=[fiche.pk])))
    index = int(data["points_avancement-TOTAL_FORMS"])
    data["points_avancement-TOTAL_FORMS"] = str(index + 1)
    for name, value in values.items():
        data[f"points_avancement-{index}-{name}"] = value
    return data


def test_an_editor_adds_a_note_inline_and_the_statut_follows(client, fiche):
    editor = staff_user(REDACTEUR)
    client.force_login(editor)
    PointAvancementFactory(fiche=fiche, date=datetime.date(2025, 3, 1), statut=Statut.PROPOSEE)
    data = form_with_note(
        client, fiche, date="2026-02-10", statut="en_cours", avancement="30", commentaire="Lancé"
    )

    response = client.post(reverse("admin:actions_ficheaction_change", args=[fiche.pk]), data)

    assert response.status_code == 302, read(response)
    added = PointAvancement.objects.get(commentaire="Lancé")
    assert added.auteur == editor
    fiche.refresh_from_db()
    assert fiche.statut == Statut.EN_COURS
    assert fiche.etat == Etat.PUBLIEE  # an editor's change stays published


def test_an_out_of_range_percentage_in_the_inline_is_said_in_french(client, fiche):
    client.force_login(staff_user(REDACTEUR))
    data = form_with_note(client, fiche, date="2026-02-10", statut="en_cours", avancement="120")

    response = client.post(reverse("admin:actions_ficheaction_change", args=[fiche.pk]), data)

    assert response.status_code == 200
    assert PERCENT_RANGE in read(response)
    assert not PointAvancement.objects.exists()


def test_the_statut_is_read_only_on_the_form_once_the_fiche_has_notes(client, fiche):
    client.force_login(staff_user(REDACTEUR))
    url = reverse("admin:actions_ficheaction_change", args=[fiche.pk])
    assert 'name="statut"' in page_html(client.get(url))
    PointAvancementFactory(fiche=fiche)
    assert 'name="statut"' not in page_html(client.get(url))


def test_deleting_the_latest_note_in_its_admin_brings_back_the_previous_statut(client, fiche):
    client.force_login(staff_user(REDACTEUR))
    note(fiche, 1, Statut.EN_COURS)
    latest = note(fiche, 2, Statut.ABANDONNEE)

    url = reverse("admin:actions_pointavancement_delete", args=[latest.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302

    fiche.refresh_from_db()
    assert fiche.statut == Statut.EN_COURS


def test_another_structures_contributor_cannot_add_a_note(client, fiche, porteuse):
    ParticipationFactory(fiche=fiche, role=Role.PORTEUR)  # someone else's fiche
    client.force_login(staff_user(CONTRIBUTEUR, structures=[porteuse]))
    url = reverse("admin:actions_ficheaction_change", args=[fiche.pk])

    assert client.get(url).status_code == 302  # "n'existe pas", to the admin's index
    client.post(
        url, {"points_avancement-TOTAL_FORMS": "1", "points_avancement-0-date": "2026-01-01"}
    )
    assert client.get(reverse("admin:actions_pointavancement_add")).status_code == 403
    assert not PointAvancement.objects.exists()


def test_a_contributor_adds_a_note_to_its_own_fiche(client, fiche, porteuse):
    ParticipationFactory(fiche=fiche, structure=porteuse, role=Role.PORTEUR)
    contributor = staff_user(CONTRIBUTEUR, structures=[porteuse])
    client.force_login(contributor)
    data = form_with_note(client, fiche, date="2026-02-10", statut="realisee", commentaire="Fini")

    response = client.post(reverse("admin:actions_ficheaction_change", args=[fiche.pk]), data)

    assert response.status_code == 302, read(response)
    assert PointAvancement.objects.get().auteur == contributor
    fiche.refresh_from_db()
    assert fiche.statut == Statut.REALISEE
    # Published content changed by someone who may not publish: back to review first.
    assert fiche.etat == Etat.BROUILLON


def test_an_indicator_value_is_refused_twice_for_one_year_in_french(client, fiche):
    client.force_login(staff_user(REDACTEUR))
    indicateur = IndicateurFactory(fiche=fiche)
    ValeurIndicateurFactory(indicateur=indicateur, annee=2025)
    url = reverse("admin:actions_indicateur_change", args=[indicateur.pk])
    data = admin_form_data(client.get(url))
    data.update({"valeurs-1-annee": "2025", "valeurs-1-valeur": "9"})

    response = client.post(url, data)

    assert response.status_code == 200
    assert DUPLICATE_YEAR in read(response)
    assert Indicateur.objects.get().valeurs.count() == 1
