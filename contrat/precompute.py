"""The slow pages' figures computed again by the background worker as soon as a write changes
the data version, so that the first visitor after a write finds them in the cache.

A write's commit publishes a new data version (contrat/dataversion.py), which queues one task
(`precompute_figures`, run by `manage.py db_worker`) unless one is queued and not started yet:
a burst of writes makes one task, which computes the version current when it starts. The task
renders each page an app registered (`register_pages`) as an anonymous visitor gets it: the
view itself computes its figures and its cached fragments, under the very keys a visitor's
request reads (contrat/datacache.py). A write meanwhile stops it: that write queued the next
task, which starts over on the newer data. Without a worker (tests, `runserver` alone) the
pages compute their figures themselves, as before; a visitor who comes while the worker
computes a figure waits for its value (datacache's lock), or the other way round."""

import logging

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.urls import resolve
from django.utils.module_loading import import_string
from django_tasks import task

from .dataversion import data_version, version_published

logger = logging.getLogger(__name__)

# Present while a task is queued and not started: the writes meanwhile queue no other. Its
# lifetime bounds how long a task that never runs (no worker, or one busy with a long export)
# holds the next ones back; a duplicate finds its figures cached and costs little.
PENDING = "contrat:precompute:pending"
PENDING_SECONDS = 600
# Its own queue and worker (settings.TASKS): a visitor may wait for a figure this task is
# computing (datacache's lock), so it runs at the pages' priority, where the exports' worker
# runs on the CPU they leave. Its priority, before other tasks of a worker taking both queues
# (`make run`): a page's figures take seconds, an export minutes.
QUEUE = "chiffres"
PRIORITY = 10
# A task that stopped because a write overtook it says so (its result in django-tasks' table).
OVERTAKEN = "dépassé par une écriture"

_providers: list[str] = []


def register_pages(provider: str) -> None:
    """Called from an AppConfig.ready(): `provider`, the dotted path of a function that gives
    the paths of the public pages whose cached figures are slow to compute; it is called by
    each task, so the paths follow the data (each enjeu, the latest snapshots). A path, not the
    function: importing the views from ready() would load them, WeasyPrint among them (~30 MB),
    into every process, the one writing the CSV of 10,000 fiches included."""
    if provider not in _providers:
        _providers.append(provider)
    version_published.connect(schedule, dispatch_uid="precompute-schedule")


def schedule(**kwargs) -> None:
    """A new data version is published: one task queued, unless one is waiting already."""
    if not cache.add(PENDING, 1, PENDING_SECONDS):
        return
    try:
        precompute_figures.enqueue()
    except Exception:
        # The write is committed: its pages' first visitor will compute their figures.
        cache.delete(PENDING)
        logger.exception("Le précalcul des chiffres n'a pas pu être mis en file")


def render_page(path: str) -> int:
    """Renders the page at `path` for an anonymous visitor (no middleware: the public pages
    need none to compute their figures) and returns its status."""
    # django.test's RequestFactory: a well-formed GET request, with no server nor client.
    # Imported here: django.test weighs ~5 MB, and this module is loaded by every process.
    from django.test import RequestFactory

    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    match = resolve(request.path_info)
    response = match.func(request, *match.args, **match.kwargs)
    if hasattr(response, "render"):  # a TemplateResponse renders lazily
        response.render()
    return response.status_code


def precompute() -> str:
    """Renders every registered page at the current data version; stops as soon as a write
    overtakes it (the next task computes the newer version). Returns what it did."""
    cache.delete(PENDING)  # before reading the version: a write from now on queues the next
    version = data_version()
    done = 0
    for provider in _providers:
        for path in import_string(provider)():
            if data_version() != version:
                logger.info("Précalcul arrêté, pages rendues : %d ; %s", done, OVERTAKEN)
                return f"pages rendues : {done} ; {OVERTAKEN}"
            status = render_page(path)
            if status != 200:
                logger.warning("Précalcul : %s a répondu %d", path, status)
            done += 1
    return f"pages rendues : {done}"


@task(priority=PRIORITY, queue_name=QUEUE)
def precompute_figures() -> str:
    """The task the worker runs after writes: the slow pages' figures of the current data."""
    return precompute()
