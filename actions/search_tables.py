"""The search index's two tables, one per engine (migration 0014 creates each on its own
engine only, hence unmanaged): written by actions/search.py alone, read by
`FicheActionQuerySet.search`. Neither is backed up (dumpdata skips unmanaged models): a
restore rebuilds the index from the fiches."""

import copy

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.sql.datastructures import Join


class Fts5Column(models.TextField):
    """A column of an FTS5 table: `column__match=expression` is `column MATCH expression`
    (the whole table for its hidden column, `document`)."""


@Fts5Column.register_lookup
class Match(models.Lookup):
    lookup_name = "match"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", [*lhs_params, *rhs_params]


class FtsDrivenJoin(Join):
    """The join of the fiches to their FTS5 rows, written `fiche.id = +fts.rowid`.

    With a plain `= fts.rowid`, SQLite may loop over the visible fiches and run the full-text
    query once per fiche, restricted to its rowid (2.9 s for a total at 10,000 fiches). The
    unary + hides the rowid from FTS5's planner, so the full-text query runs once, outside,
    and each of its rows finds its fiche by primary key (2 ms)."""

    @property
    def identity(self):
        # The same join as the plain one it replaces: Django reuses it, never adds a twin.
        return (Join, *super().identity[1:])

    def as_sql(self, compiler, connection):
        sql, params = super().as_sql(compiler, connection)
        alias = compiler.quote_name_unless_alias(self.table_alias)
        column = f"{alias}.{connection.ops.quote_name('rowid')}"
        return sql.replace(f"= {column}", f"= +{column}", 1), params


def drive_from_fts(query) -> None:
    """Make the FTS5 table's join in `query` (a sql.Query) an FtsDrivenJoin."""
    for alias, join in list(query.alias_map.items()):
        fts = isinstance(join, Join) and join.table_name == FicheRechercheFts._meta.db_table
        if fts and not isinstance(join, FtsDrivenJoin):
            driven = copy.copy(join)
            driven.__class__ = FtsDrivenJoin
            query.alias_map[alias] = driven


class FicheRecherche(models.Model):
    """PostgreSQL: a fiche's search document, weighted A title, B descriptif, C the rest
    (enjeu text, structures, sub-actions), under a GIN index. No foreign key in the
    database: a test flush TRUNCATEs the fiches without CASCADE; a deleted fiche's row is
    deleted by the index service and joins no fiche meanwhile."""

    fiche = models.OneToOneField(
        "actions.FicheAction",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="recherche",
    )
    document = SearchVectorField()

    class Meta:
        managed = False
        db_table = "actions_fiche_recherche"
        verbose_name = "document de recherche (PostgreSQL)"

    def __str__(self):
        return f"Recherche de la fiche {self.fiche_id}"


class FicheRechercheFts(models.Model):
    """SQLite: the FTS5 virtual table of the fiches' stemmed words (rowid = the fiche's id).
    `document` is FTS5's hidden column named after the table: `document MATCH …` searches
    every column, and bm25() takes it as its table argument."""

    fiche = models.OneToOneField(
        "actions.FicheAction",
        primary_key=True,
        db_column="rowid",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="recherche_fts",
    )
    document = Fts5Column(db_column="actions_fiche_fts")
    titre = Fts5Column()
    descriptif = Fts5Column()
    autres = Fts5Column()

    class Meta:
        managed = False
        db_table = "actions_fiche_fts"
        verbose_name = "index plein texte (SQLite)"

    def __str__(self):
        return f"Index de la fiche {self.fiche_id}"
