"""Django's DatabaseCache with an increment that two workers cannot interleave on one machine."""

import fcntl
import tempfile
from pathlib import Path

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache

LOCK_FILE = Path(tempfile.gettempdir()) / "contrat-cache-incr.lock"


class DatabaseCache(DjangoDatabaseCache):
    """incr() is a read then a write in Django's DatabaseCache: workers counting the downloads
    of one address at the same instant overwrite each other's counts (8 threads × 25
    increments: 25 counted instead of 200 on PostgreSQL, tests/contrat/test_caches.py). A lock
    on a file, held from the read to the committed write, makes the count exact for every
    process of this machine (the portal runs on one; for several, CACHE_URL=redis://…, whose
    INCRBY is atomic)."""

    def incr(self, key, delta=1, version=None):
        with open(LOCK_FILE, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
            return super().incr(key, delta, version)
