"""PostgreSQL: CONTRAT_FOLD(text), an IMMUTABLE lower(unaccent(text)), and trigram (pg_trgm)
indexes on it for the search's `LIKE '%mot%'` over fiches and sub-actions.

UNACCENT is only STABLE (its dictionary could change), so no index may use it directly; the
function names the extension's schema and dictionary, which fixes its result. On SQLite there
is nothing to create: each connection gets the Python `fold` as CONTRAT_FOLD
(actions.querysets.register_sqlite_functions). The indexes are not in the models' state: they
exist on PostgreSQL only, and `tests/actions/test_search_index.py` checks that they serve.
"""

from django.db import migrations

# (index, table, column): the texts `FicheActionQuerySet.search` reads in these tables.
TRIGRAM_INDEXES = [
    ("actions_fiche_titre_trgm", "actions_ficheaction", "titre"),
    ("actions_fiche_descriptif_trgm", "actions_ficheaction", "descriptif"),
    ("actions_fiche_enjeu_trgm", "actions_ficheaction", "enjeu_texte"),
    ("actions_sousaction_titre_trgm", "actions_sousaction", "titre"),
    ("actions_sousaction_description_trgm", "actions_sousaction", "description"),
]


def create_fold_and_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Not django.contrib.postgres's TrigramExtension: its reverse queries pg_extension even on
    # SQLite. Unapplied, the extension stays: other objects of the database may use it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"
        )
        schema = cursor.fetchone()[0]
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION contrat_fold(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS "
        f"$$ SELECT lower({schema}.unaccent('{schema}.unaccent'::regdictionary, $1)) $$"
    )
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (contrat_fold({column}) gin_trgm_ops)"
        )


def drop_fold_and_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS contrat_fold(text)")


class Migration(migrations.Migration):
    dependencies = [("actions", "0007_version_fiche")]

    operations = [migrations.RunPython(create_fold_and_indexes, drop_fold_and_indexes)]
