"""Heavy downloads: throttled per client, built once per data version, a few at a time."""

import fcntl
import hashlib
import threading
import time
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.template import loader
from django_ratelimit.core import get_usage

from .dataversion import data_version

EXPORT_CACHE = "exports"
BUSY_RETRY_AFTER = 10  # seconds: a few builds' time
# A render killed with its worker (gunicorn's --timeout 120) frees its download after this long.
RENDER_LOCK_SECONDS = 180
POLL_SECONDS = 0.25
BUSY_MESSAGE = (
    "Le portail fabrique déjà d'autres documents en ce moment : celui-ci n'a pas pu être "
    "préparé à temps. Réessayez dans quelques secondes ; les pages du portail, elles, restent "
    "accessibles."
)


class RenderBusy(Exception):
    """No render slot came free in time."""


def _standalone(template_name: str, status: int, context: dict, retry_after: int) -> HttpResponse:
    # The error pages' frame (templates/includes/erreur.html) reads no database.
    content = loader.get_template(template_name).render(context)
    response = HttpResponse(content, status=status, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def busy_response() -> HttpResponse:
    context = {"titre": "Document en cours de préparation", "message": BUSY_MESSAGE}
    return _standalone("503.html", 503, context, BUSY_RETRY_AFTER)


def _rate(group, request):
    return settings.EXPORT_RATE


def throttled(view):
    """A download view's guard, before any query: at most EXPORT_MAX_CONCURRENT_DOWNLOADS
    downloads in progress in this process, a 503 at once beyond (the other threads stay for the
    pages); then at most EXPORT_RATE downloads per client address (per account once logged in:
    the CG59's staff may share one address), all download views counted together, a French
    429 page with Retry-After beyond."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        downloads = _semaphore("downloads", settings.EXPORT_MAX_CONCURRENT_DOWNLOADS)
        if not downloads.acquire(blocking=False):
            return busy_response()
        try:
            usage = get_usage(
                request, group="downloads", key="user_or_ip", rate=_rate, increment=True
            )
            if usage is not None and usage["should_limit"]:
                # time_left is -1 when the cache could not count: django-ratelimit then refuses.
                wait = usage["time_left"] if usage["time_left"] > 0 else 60
                return _standalone("429.html", 429, {"secondes": wait}, wait)
            return view(request, *args, **kwargs)
        finally:
            downloads.release()

    return wrapper


def download_key(kind: str, params=(), *, audience: str) -> str:
    """The cache key of one download: its kind, its query (`params`, the (name, value) pairs
    that make the content, in any order, options included), who may be served it, and the data
    version. Read before the data: a write after this point changes the key, never what is
    stored under it.

    `audience` names everyone whose download has the same content: "public" for what anyone
    may get; for a content that depends on what the visitor may see (unpublished fiches), a
    name that only those who see the same share (one account, say). The caller, who knows the
    content, says which."""
    if not audience or ":" in audience:
        raise ValueError(f"Invalid download audience: {audience!r}")
    query = hashlib.sha256(urlencode(sorted(params)).encode()).hexdigest()[:32]
    return f"download:{kind}:{audience}:{data_version()}:{query}"


_semaphores_guard = threading.Lock()
_semaphores: dict[str, tuple[int, threading.BoundedSemaphore]] = {}


def _semaphore(name: str, size: int) -> threading.BoundedSemaphore:
    """This process's semaphore `name`, of `size` (made anew if a test changed the setting)."""
    with _semaphores_guard:
        if name not in _semaphores or _semaphores[name][0] != size:
            _semaphores[name] = (size, threading.BoundedSemaphore(size))
        return _semaphores[name][1]


@contextmanager
def _machine_slot(deadline: float):
    """One of the EXPORT_MAX_MACHINE_RENDERS slots of this machine, held while building: a lock
    on a file, shared by every process (sync workers serve one request each: only this keeps
    some of them, and a core, for the pages), freed by the system if the process dies."""
    while True:
        for number in range(settings.EXPORT_MAX_MACHINE_RENDERS):
            handle = open(Path(settings.EXPORT_SLOTS_DIR) / f"contrat-rendu-{number}.lock", "a")  # noqa: SIM115
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield
            finally:
                handle.close()  # releases the lock
            return
        if time.monotonic() >= deadline:
            raise RenderBusy
        time.sleep(POLL_SECONDS)


def cached_render(key: str, build) -> bytes:
    """The bytes stored under `key`, or `build()`'s, stored for the next visitor.

    One build per key at a time across workers (a lock in the shared cache: the others wait for
    its bytes), at most EXPORT_MAX_CONCURRENT_RENDERS builds at a time in this process and
    EXPORT_MAX_MACHINE_RENDERS on this machine. Raises RenderBusy when a turn does not come
    within EXPORT_RENDER_WAIT seconds."""
    store = caches[EXPORT_CACHE]
    content = store.get(key)
    if content is not None:
        return content
    deadline = time.monotonic() + settings.EXPORT_RENDER_WAIT
    lock = f"{key}:en-cours"
    while not store.add(lock, True, RENDER_LOCK_SECONDS):
        if time.monotonic() >= deadline:
            raise RenderBusy
        time.sleep(POLL_SECONDS)
        content = store.get(key)
        if content is not None:
            return content
    try:
        content = store.get(key)  # built by another worker between the first look and the lock
        if content is not None:
            return content
        slots = _semaphore("renders", settings.EXPORT_MAX_CONCURRENT_RENDERS)
        if not slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise RenderBusy
        try:
            with _machine_slot(deadline):
                content = build()
        finally:
            slots.release()
        if len(content) <= settings.EXPORT_CACHE_MAX_BYTES:
            store.set(key, content, settings.EXPORT_CACHE_SECONDS)
        return content
    finally:
        store.delete(lock)
