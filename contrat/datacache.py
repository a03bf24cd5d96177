"""What grows with the data (totals, bilans, counts, roll-ups, financing matrices), computed
once per data version and kept in Django's cache, shared by every worker and machine."""

import hashlib
import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.core.cache import cache

from .dataversion import data_version

# A version lives until the next write (contrat/dataversion.py), which makes a new key: the
# old entries are never read again and leave with this timeout (or the cache's culling).
TIMEOUT = 6 * 3600
# A computation's lock, and how long the others wait for its value (polling the cache).
LOCK_SECONDS = 30
WAIT = 10
POLL = 0.05
_MISSING = object()


def data_key(name: str, *, audience: str = "public", params=(), frozen: bool = False) -> str:
    """The key of `name`'s figures for `audience` (who sees the same fiches: "public", or
    `FicheActionQuerySet.unpublished_scope`'s name) and `params` (the (name, value) pairs that
    choose the fiches, in any order), at the current data version. Read before the data: a
    write after this point changes the key, never what is stored under it.

    `frozen`: figures of data that is never written again once made (a committee's snapshot,
    its row refused any UPDATE by a trigger), which `params` identify: no data version in the
    key, so that no write makes them computed again."""
    if not audience or ":" in audience:
        raise ValueError(f"Invalid audience: {audience!r}")
    query = hashlib.sha256(urlencode(sorted(params)).encode()).hexdigest()[:24] if params else "-"
    version = "frozen" if frozen else data_version()
    return f"data:{name}:{audience}:{version}:{query}"


def data_cached(
    name: str,
    build: Callable,
    *,
    audience: str = "public",
    params=(),
    single: bool = False,
    frozen: bool = False,
):
    """`build()`'s value, computed once per data version, audience and params: one cache read
    when it is there (a query with the database cache), `build()` and one write otherwise.

    `single`, for figures that take a second or more: right after a write, many visitors ask
    for them at once; one of them (the one whose `add` of the key's lock succeeds, in any worker
    or machine) computes them while the others wait for its value, up to WAIT seconds, rather
    than all computing the same sums at once (under load, /financements/ went from a second to
    13 s so). Cheap figures go without the lock's two writes. The background worker computes
    the slow pages' figures the same way after each write (contrat/precompute.py).

    `frozen`: see `data_key`."""
    key = data_key(name, audience=audience, params=params, frozen=frozen)
    value = cache.get(key, _MISSING)
    if value is not _MISSING:
        return value
    if not single:
        value = build()
        cache.set(key, value, TIMEOUT)
        return value
    lock = f"{key}:calcul"
    held = cache.add(lock, 1, LOCK_SECONDS)
    if not held:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            time.sleep(POLL)
            value = cache.get(key, _MISSING)
            if value is not _MISSING:
                return value
        # Its computer is slow or gone: compute (a lock older than LOCK_SECONDS is let go).
    try:
        value = build()
        cache.set(key, value, TIMEOUT)
    finally:
        if held:
            cache.delete(lock)
    return value
