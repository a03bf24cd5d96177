"""The full-text search index (issue #14), one per engine, filled from the fiches already there.

PostgreSQL: the `french_unaccent` text search configuration (unaccent, then the Snowball French
stemmer, as the `french` configuration but with no stop word: SQLite's index keeps every word,
so PostgreSQL's does too and both answer alike), and `actions_fiche_recherche`, a tsvector
document per fiche under a GIN index. SQLite: `actions_fiche_fts`, an FTS5 table of the stems
(contrat/search.py), with a prefix index for 3-letter prefixes. The pg_trgm indexes of
migration 0008 stay, for the partial words of the structures' search and the admin.
"""

import actions.search_tables
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

PG_CREATE = """
CREATE TEXT SEARCH DICTIONARY french_stem_complet (TEMPLATE = snowball, Language = french);
CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = french);
ALTER TEXT SEARCH CONFIGURATION french_unaccent
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part,
                      numword, numhword, hword_numpart
    WITH {schema}.unaccent, french_stem_complet;
CREATE TABLE actions_fiche_recherche (fiche_id bigint PRIMARY KEY, document tsvector NOT NULL);
CREATE INDEX actions_fiche_recherche_gin ON actions_fiche_recherche USING gin (document);
"""
PG_DROP = """
DROP TABLE IF EXISTS actions_fiche_recherche;
DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent;
DROP TEXT SEARCH DICTIONARY IF EXISTS french_stem_complet;
"""
SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE actions_fiche_fts USING fts5(titre, descriptif, autres, "
    "tokenize = 'unicode61 remove_diacritics 0', prefix = '3')"
)


def create_index(apps, schema_editor):
    from actions.search import search_index_rebuild

    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT extnamespace::regnamespace::text FROM pg_extension "
                "WHERE extname = 'unaccent'"
            )
            schema = cursor.fetchone()[0]
        schema_editor.execute(PG_CREATE.format(schema=schema))
    else:
        schema_editor.execute(SQLITE_CREATE)
    models_then = tuple(
        apps.get_model("actions", name) for name in ("FicheAction", "Participation", "SousAction")
    )
    search_index_rebuild(using=connection.alias, models=models_then)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    else:
        schema_editor.execute("DROP TABLE IF EXISTS actions_fiche_fts")


class Migration(migrations.Migration):
    dependencies = [("actions", "0013_export_jobs")]

    operations = [
        migrations.CreateModel(
            name="FicheRecherche",
            fields=[
                (
                    "fiche",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="recherche",
                        serialize=False,
                        to="actions.ficheaction",
                    ),
                ),
                ("document", django.contrib.postgres.search.SearchVectorField()),
            ],
            options={
                "verbose_name": "document de recherche (PostgreSQL)",
                "db_table": "actions_fiche_recherche",
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="FicheRechercheFts",
            fields=[
                (
                    "fiche",
                    models.OneToOneField(
                        db_column="rowid",
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="recherche_fts",
                        serialize=False,
                        to="actions.ficheaction",
                    ),
                ),
                ("document", actions.search_tables.Fts5Column(db_column="actions_fiche_fts")),
                ("titre", actions.search_tables.Fts5Column()),
                ("descriptif", actions.search_tables.Fts5Column()),
                ("autres", actions.search_tables.Fts5Column()),
            ],
            options={
                "verbose_name": "index plein texte (SQLite)",
                "db_table": "actions_fiche_fts",
                "managed": False,
            },
        ),
        migrations.RunPython(create_index, drop_index),
    ]
