"""The CSV and JSON of the fiches, kept as files of this machine once per content and data
version: the first request writes the file piece by piece (flat memory) and sends it; the next
ones are sent the same file (no query, hardly any CPU). One build at a time per machine: a
request that finds another build running waits for it up to EXPORT_RENDER_WAIT seconds, then
gets the "réessayez" page (503) rather than taking a second core from the pages."""

import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings

POLL = 0.2


class StreamBusy(Exception):
    """Another request of this machine is building a file."""


def _folder() -> Path:
    folder = Path(settings.EXPORT_STREAMS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(path: Path):
    try:
        return open(path, "rb")  # noqa: SIM115 (the response closes it)
    except FileNotFoundError:
        return None


def write_pieces(path: Path, pieces: Iterator[bytes]) -> None:
    with open(path, "wb") as out:
        for piece in pieces:
            out.write(piece)


def built_file(key: str, write: Callable[[Path], None]):
    """The file of `key` (a `download_key`, which holds the data version), open for reading:
    the one built already, or built now by `write(path)`. Raises StreamBusy while another
    build of this machine runs past EXPORT_RENDER_WAIT seconds."""
    folder = _folder()
    path = folder / f"{hashlib.sha256(key.encode()).hexdigest()}.fichier"
    if (built := _open(path)) is not None:
        return built
    # A lock on a file: released by the system if its process dies mid-build.
    with open(folder / "construction.lock", "a") as lock:
        deadline = time.monotonic() + settings.EXPORT_RENDER_WAIT
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StreamBusy from None
                time.sleep(POLL)
        if (built := _open(path)) is not None:  # the build we waited for was this one
            return built
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partiel")
        try:
            write(partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    purge(folder)
    return open(path, "rb")  # noqa: SIM115


def purge(folder: Path | None = None) -> int:
    """Remove the files older than EXPORT_CACHE_SECONDS (made from an older data version, or
    soon to be); returns how many."""
    folder = folder or _folder()
    limit = time.time() - settings.EXPORT_CACHE_SECONDS
    removed = 0
    for path in folder.glob("*.fichier"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed
