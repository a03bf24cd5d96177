"""After a write, the background worker computes the slow pages' figures (contrat/precompute.py):
one task per burst of writes; the pages then answer from the cache at once; without the worker
they compute their figures themselves; a task overtaken by a write leaves it to the next."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from actions.demo import demo_generate
from actions.models import Etat, FicheAction
from comites.models import Instantane
from comites.services import instantane_arreter
from contrat import precompute
from contrat.dataversion import version_published
from enjeux.models import Enjeu
from tests.conftest import page_text, run_worker
from tests.factories import ContratFactory, FicheActionFactory

# Real commits: a write publishes its data version, and queues the task, at its commit only.
pytestmark = pytest.mark.django_db(transaction=True)

TASK = "contrat.precompute.precompute_figures"


def queued() -> int:
    return DBTaskResult.objects.filter(task_path=TASK, status="READY").count()


def results() -> list[str]:
    """What each task run so far returned, in order."""
    finished = DBTaskResult.objects.filter(task_path=TASK, status="SUCCESSFUL")
    return list(finished.order_by("finished_at").values_list("return_value", flat=True))


def write() -> None:
    """An editor's save of a published fiche."""
    fiche = FicheAction.objects.published().order_by("ordre").first()
    fiche.titre += " (modifiée)"
    fiche.save()


def precomputed() -> int:
    """How many pages a task renders: five of the fiches, one per enjeu, two per snapshot."""
    return 5 + Enjeu.objects.count() + 2 * min(2, Instantane.objects.count())


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.fixture
def pages(recap):
    """The slow pages' URLs: the recap's 29 fiches and a snapshot of them; the setup's writes
    computed by the worker, each page then visited once."""
    instantane = instantane_arreter(nom="Comité de pilotage 2026")
    enjeu = Enjeu.objects.order_by("numero").first()
    run_worker()
    return {
        "accueil": "/",
        "liste": reverse("actions:list"),
        "financements": reverse("financements:plan"),
        "structures": reverse("structures:list"),
        "enjeux": reverse("enjeux:list"),
        "enjeu": enjeu.get_absolute_url(),
        "instantane": instantane.get_absolute_url(),
        "ecarts": reverse("comites:ecarts", args=[instantane.slug]),
    }


@pytest.fixture
def warm(pages, client):
    """Each page's number of queries with its figures in the cache."""
    for url in pages.values():
        client.get(url)
    return {name: queries(client, url) for name, url in pages.items()}


def test_a_burst_of_writes_queues_one_task_at_the_first_commit(pages):
    assert queued() == 0
    with transaction.atomic():
        write()
        assert queued() == 0  # other processes do not see the write yet
    assert queued() == 1
    write()
    write()
    assert queued() == 1


def test_after_the_worker_the_first_visit_after_a_write_is_served_from_the_cache(
    pages, warm, client
):
    # No worker: the first visitor after a write computes the figures, as before.
    write()
    cold = {name: queries(client, url) for name, url in pages.items()}
    assert all(cold[name] > warm[name] for name in pages if name != "instantane"), (cold, warm)
    # A snapshot's figures are frozen: no write makes them computed again.
    assert cold["instantane"] == warm["instantane"]

    write()
    run_worker()  # one task, queued by the first write, computes the data of both

    assert results()[-1] == f"pages rendues : {precomputed()}"
    assert {name: queries(client, url) for name, url in pages.items()} == warm
    assert "(modifiée) (modifiée)" in client.get(pages["liste"]).content.decode()


def test_a_task_overtaken_by_a_write_stops_and_the_next_one_computes(
    pages, warm, client, monkeypatch
):
    rendered = []
    render_page = precompute.render_page

    def render_then_write_once(path):
        status = render_page(path)
        rendered.append(path)
        if len(rendered) == 1:
            write()  # committed while the task works: it queues the next task
        return status

    monkeypatch.setattr(precompute, "render_page", render_then_write_once)
    write()
    run_worker()

    assert results()[-2:] == [
        f"pages rendues : 1 ; {precompute.OVERTAKEN}",
        f"pages rendues : {precomputed()}",
    ]
    assert len(rendered) == 1 + precomputed()
    assert {name: queries(client, url) for name, url in pages.items()} == warm


@pytest.fixture
def published_versions():
    sent = []

    def receiver(**kwargs):
        sent.append(1)

    version_published.connect(receiver)
    yield sent
    version_published.disconnect(receiver)


IMPORTED = (
    "slug,nom,sigle,nature,site_web,contacts\r\n"
    "adus,ADUS,ADUS,agence,,Jeanne Martin\r\n"
    "cdc,Centre de ressources,CDR,association,,\r\n"
)


def admin_import(client, data: str, published: list) -> int:
    """Previews then imports `data` as structures; returns how many versions the import made."""
    preview = client.post(
        reverse("admin:structures_structure_import"),
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("s.csv", data.encode())},
    )
    assert published == []  # the preview was rolled back
    client.post(
        reverse("admin:structures_structure_process_import"),
        preview.context["confirm_form"].initial,
    )
    return len(published)


def test_an_import_publishes_one_version_and_queues_one_task(admin_client, published_versions):
    assert admin_import(admin_client, IMPORTED, published_versions) == 1
    assert queued() == 1
    run_worker()
    published_versions.clear()
    # The same file again: every row unchanged, nothing written, nothing to compute again.
    assert admin_import(admin_client, IMPORTED, published_versions) == 0
    assert queued() == 0


def test_generated_data_written_in_bulk_publishes_one_version(recap, published_versions):
    run_worker()  # the recap's loading
    published_versions.clear()
    demo_generate(fiches=5, seed=1)
    assert len(published_versions) == 1
    assert queued() == 1


def test_a_bulk_publication_publishes_one_version(admin_client, published_versions):
    contrat = ContratFactory()
    fiches = [FicheActionFactory(contrat=contrat, etat=Etat.EN_RELECTURE) for _ in range(3)]
    run_worker()
    published_versions.clear()
    response = admin_client.post(
        reverse("admin:actions_ficheaction_changelist"),
        {"action": "publier", "_selected_action": [str(f.pk) for f in fiches]},
        follow=True,
    )
    assert "3 fiches publiées." in page_text(response)
    assert len(published_versions) == 1
    assert queued() == 1
