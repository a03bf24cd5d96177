"""A version of the portal's content, changed by every write: the key of what is cached from it."""

import itertools
import secrets

from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal

KEY = "contrat:data-version"
# Sent once a new version is shared with every worker (at the commit of the writes that made
# it): what is computed from the content may be computed again (contrat/precompute.py).
version_published = Signal()
# The content: whatever a page or an export shows. Their history tables are left out (they are
# written with the rows they follow, and only the admin reads them).
CONTENT_APPS = ("enjeux", "structures", "actions")

# Inside a transaction, only this connection sees the new rows: it reads a version of its own
# (the shared one + a suffix unique to this process) until the commit, which publishes a new
# shared version. Other workers keep the old one meanwhile, rightly: they still see the old rows.
# Bumping the shared version before the commit would let another worker cache a render of the
# old rows under the new version, for good.
_PROCESS = secrets.token_hex(4)
_local_versions = itertools.count(1)


class _Publish:
    """The on_commit callback of a transaction that wrote content; `suffix` names its state."""

    def __init__(self):
        self.suffix = ""

    def __call__(self):
        cache.set(KEY, secrets.token_hex(8), None)
        version_published.send(sender=_Publish)


def _pending(connection) -> _Publish | None:
    # Django drops the callbacks of a rolled back transaction or savepoint from this list: a
    # suffix found here always belongs to writes that may still be committed.
    for entry in connection.run_on_commit:
        for part in entry:
            if isinstance(part, _Publish):
                return part
    return None


def data_version() -> str:
    """The current version: equal for two reads only if no content was written in between."""
    version = cache.get(KEY)
    if version is None:  # first read, or evicted from the cache: any new value is safe
        cache.add(KEY, secrets.token_hex(8), None)
        version = cache.get(KEY, "")
    connection = transaction.get_connection()
    pending = _pending(connection) if connection.in_atomic_block else None
    return f"{version}.{pending.suffix}" if pending else version


def data_version_bump() -> None:
    """A new version, for every write to the content, however it is made."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _Publish()()
        return
    pending = _pending(connection)
    if pending is None:
        pending = _Publish()
        transaction.on_commit(pending)
    pending.suffix = f"{_PROCESS}-{next(_local_versions)}"


def _on_write(sender, **kwargs):
    if kwargs.get("action", "post_").startswith("post_"):  # m2m_changed: after the change only
        data_version_bump()


def connect_receivers() -> None:
    """Bump on every save, delete and many-to-many change of a content model (called from an
    AppConfig.ready()). An import bumps inside its own transaction (contrat/imports.py,
    `AtomicImportMixin.after_import`): its rows may be written by bulk_create, which sends no
    signal, and its writes make one version at its commit."""
    from simple_history.models import HistoricalChanges

    for label in CONTENT_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            # Not content: history tables, and what is made from the content (exports' jobs).
            if issubclass(model, HistoricalChanges) or getattr(model, "not_content", False):
                continue
            uid = f"dataversion-{model._meta.label_lower}"
            post_save.connect(_on_write, sender=model, dispatch_uid=uid)
            post_delete.connect(_on_write, sender=model, dispatch_uid=uid)
            if model._meta.auto_created:
                m2m_changed.connect(_on_write, sender=model, dispatch_uid=uid)
