"""The full-text search index of the fiches, kept in sync from this one place.

`search_index_update(fiche_ids=…)` rewrites the index rows of these fiches from their texts:
title (weight A), descriptif (B), then enjeu text, structures (name, acronym, other spellings)
and sub-actions (C). Every write that changes such a text queues its fiches (signals connected
in ActionsConfig.ready, beside the data version's); the queue is written when the transaction
commits, or earlier, when a search runs inside the same transaction (`search_index_flush`), so
that it always reads what its own transaction wrote. Bulk writes that send no signal call
`search_index_update` themselves (generate_demo, the fiche import); `reindexer_recherche`
rebuilds everything (`search_index_rebuild`).

The index lives in actions/search_tables.py: an FTS5 table on SQLite, a tsvector document
under a GIN index on PostgreSQL (migration 0014). Both receive the same folded words
(contrat/search.py); see there how the two engines stem them alike.
"""

from django.core.cache import cache
from django.db import connections, transaction
from django.db.models.signals import post_delete, post_save

from contrat.dataversion import data_version
from contrat.search import SUGGEST_MIN_LENGTH, WORD, index_words, suggest, words
from contrat.text import fold
from structures.models import Structure

from .models import FicheAction, Participation, SousAction

CHUNK = 500

PG_INSERT = (
    "INSERT INTO actions_fiche_recherche (fiche_id, document) VALUES (%s, "
    "setweight(to_tsvector('french_unaccent', %s), 'A') || "
    "setweight(to_tsvector('french_unaccent', %s), 'B') || "
    "setweight(to_tsvector('french_unaccent', %s), 'C'))"
)
SQLITE_INSERT = (
    "INSERT INTO actions_fiche_fts (rowid, titre, descriptif, autres) VALUES (%s, %s, %s, %s)"
)


def fiche_texts(fiche_ids, *, models=None) -> dict[int, tuple[str, str, str]]:
    """{fiche id: (title, descriptif, the rest)} in three queries, whatever the number of
    fiches. `models` = (FicheAction, Participation, SousAction): a migration's own."""
    Fiche, Part, Sous = models or (FicheAction, Participation, SousAction)
    texts = {
        pk: [titre, descriptif, [enjeu]]
        for pk, titre, descriptif, enjeu in Fiche.objects.filter(pk__in=fiche_ids)
        .order_by()
        .values_list("pk", "titre", "descriptif", "enjeu_texte")
    }
    seen = set()
    for fiche, structure, nom, sigle, graphies in (
        Part.objects.filter(fiche__in=fiche_ids)
        .order_by("fiche", "ordre", "pk")
        .values_list(
            "fiche", "structure", "structure__nom", "structure__sigle", "structure__autres_graphies"
        )
    ):
        if fiche in texts and (fiche, structure) not in seen:  # two roles: said once
            seen.add((fiche, structure))
            texts[fiche][2] += [nom, sigle, graphies]
    for fiche, titre, description in (
        Sous.objects.filter(fiche__in=fiche_ids)
        .order_by("fiche", "ordre", "pk")
        .values_list("fiche", "titre", "description")
    ):
        if fiche in texts:
            texts[fiche][2] += [titre, description]
    return {
        pk: (titre or "", descriptif or "", "\n".join(filter(None, autres)))
        for pk, (titre, descriptif, autres) in texts.items()
    }


def _write(connection, ids: list[int], texts: dict) -> None:
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"DELETE FROM actions_fiche_recherche WHERE fiche_id IN ({placeholders})", ids
            )
            # The same folded words as SQLite's; french_unaccent stems them.
            rows = [(pk, *(" ".join(words(text)) for text in texts[pk])) for pk in texts]
            cursor.executemany(PG_INSERT, rows)
        else:
            cursor.execute(f"DELETE FROM actions_fiche_fts WHERE rowid IN ({placeholders})", ids)
            rows = [(pk, *(index_words(text) for text in texts[pk])) for pk in texts]
            cursor.executemany(SQLITE_INSERT, rows)


def search_index_update(*, fiche_ids, using: str = "default", models=None) -> int:
    """Rewrite the index rows of `fiche_ids` from their texts (a fiche that no longer exists
    loses its row). Returns how many fiches are indexed."""
    ids = sorted({int(pk) for pk in fiche_ids})
    connection = connections[using]
    written = 0
    with transaction.atomic(using=using):
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            texts = fiche_texts(chunk, models=models)
            _write(connection, chunk, texts)
            written += len(texts)
    return written


def search_index_rebuild(*, using: str = "default", models=None) -> int:
    """The whole index anew, from every fiche: `manage.py reindexer_recherche`."""
    Fiche = (models or (FicheAction,))[0]
    connection = connections[using]
    with transaction.atomic(using=using):
        table = (
            "actions_fiche_recherche" if connection.vendor == "postgresql" else "actions_fiche_fts"
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a constant)
        ids = list(Fiche.objects.order_by("pk").values_list("pk", flat=True))
        return search_index_update(fiche_ids=ids, using=using, models=models)


# --- "Vouliez-vous dire …" for a search that finds nothing ----------------------------------


def search_vocabulary() -> dict[str, str]:
    """{folded word: the word as first written} of the fiches' titles and the structures'
    names, acronyms and other spellings, words of SUGGEST_MIN_LENGTH letters or more: what a
    visitor most often types. Read once per data version (the cache's key changes with every
    write), in two queries; the descriptifs are left out, too long to read in a request."""
    key = f"recherche:vocabulaire:{data_version()}"
    vocabulary = cache.get(key)
    if vocabulary is None:
        texts = list(FicheAction.objects.order_by("pk").values_list("titre", flat=True))
        for row in Structure.objects.order_by("pk").values_list("nom", "sigle", "autres_graphies"):
            texts.extend(row)
        vocabulary = {}
        for text in texts:
            for written in WORD.findall(text or ""):
                folded = fold(written)
                if len(folded) >= SUGGEST_MIN_LENGTH:
                    vocabulary.setdefault(folded, written.lower())
        cache.set(key, vocabulary, 24 * 3600)
    return vocabulary


def search_suggestion(query: str) -> str:
    """The query with its typos corrected from the texts' own words, or ''."""
    return suggest(query, search_vocabulary())


# --- The queue: fiches written in this transaction, indexed at its commit ------------------


class _Reindex:
    """The on_commit callback of a transaction that wrote indexed text: its fiches' ids."""

    flushes_search_index = True  # found by contrat.search.search_index_flush

    def __init__(self, using: str):
        self.using = using
        self.ids: set[int] = set()

    def __call__(self):
        ids, self.ids = self.ids, set()
        if ids:
            search_index_update(fiche_ids=ids, using=self.using)


def _pending(connection) -> _Reindex | None:
    # Django drops the callbacks of a rolled back transaction or savepoint from this list.
    for entry in connection.run_on_commit:
        for part in entry:
            if isinstance(part, _Reindex):
                return part
    return None


def search_index_queue(*, fiche_ids, using: str = "default") -> None:
    """Index these fiches when the transaction commits (now, outside of one)."""
    ids = {pk for pk in fiche_ids if pk is not None}
    if not ids:
        return
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        search_index_update(fiche_ids=ids, using=using)
        return
    pending = _pending(connection)
    if pending is None:
        pending = _Reindex(using)
        transaction.on_commit(pending, using=using)
    pending.ids |= ids


def _on_fiche(sender, instance, using, **kwargs):
    search_index_queue(fiche_ids=[instance.pk], using=using)


def _on_row(sender, instance, using, **kwargs):
    search_index_queue(fiche_ids=[instance.fiche_id], using=using)


def _on_structure(sender, instance, using, update_fields=None, **kwargs):
    if update_fields is not None and not {"nom", "sigle", "autres_graphies"} & set(update_fields):
        return
    ids = (
        Participation.objects.using(using)
        .filter(structure=instance.pk)
        .values_list("fiche", flat=True)
    )
    search_index_queue(fiche_ids=set(ids), using=using)


def connect_search_receivers() -> None:
    """Queue the fiches whose indexed text a save or delete changes (called from
    ActionsConfig.ready). A deleted structure's participations are deleted one by one first,
    each queuing its fiche."""
    for model, receiver in (
        (FicheAction, _on_fiche),
        (Participation, _on_row),
        (SousAction, _on_row),
    ):
        uid = f"search-{model._meta.label_lower}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid)
        post_delete.connect(receiver, sender=model, dispatch_uid=uid)
    post_save.connect(_on_structure, sender=Structure, dispatch_uid="search-structure")
