"""The committees' tables, and the trigger that keeps a snapshot frozen below the ORM: any
UPDATE of an existing row of comites_instantane is refused, whoever sends it (the model and
its queryset say so in French first, comites/models.py). DELETE is refused by the model and
its queryset, not by a trigger: the test runner empties tables with DELETE on SQLite.

On SQLite, a later migration that rebuilds the table (Django does for many alterations) drops
its trigger: tests/comites/test_instantanes.py checks that it is still there, on both engines.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from actions.roles import roles_migrate

RULE = "instantane_fige"
REFUSAL = "Un instantané arrêté ne se modifie plus."
TRIGGERS = [(RULE, "comites_instantane")]

SQLITE = [
    f"""
    CREATE TRIGGER {RULE} BEFORE UPDATE ON comites_instantane
    BEGIN SELECT RAISE(ABORT, '{RULE} : {REFUSAL}'); END
    """,
]
POSTGRESQL = [
    f"""
    CREATE FUNCTION {RULE}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{RULE} : {REFUSAL}'
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = '{RULE}';
    END $$
    """,
    f"""
    CREATE TRIGGER {RULE} BEFORE UPDATE ON comites_instantane
    FOR EACH ROW EXECUTE FUNCTION {RULE}()
    """,
]


def create_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"Pas de déclencheur d'instantané pour la base {vendor}.")
    for statement in statements:
        schema_editor.execute(statement)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {RULE} ON comites_instantane")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {RULE}()")
    else:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {RULE}")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('actions', '0011_lignes_financement'),
        ('enjeux', '0003_contrat_periode_financeur'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Avenant',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('numero', models.PositiveSmallIntegerField(verbose_name='numéro')),
                ('date', models.DateField(verbose_name='date')),
                ('deliberation', models.CharField(blank=True, help_text='Par exemple « DCP 2026-04-12 ».', max_length=100, verbose_name='référence de la délibération')),
                ('resume', models.TextField(verbose_name='résumé')),
                ('contrat', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='avenants', to='enjeux.contrat', verbose_name='contrat')),
            ],
            options={
                'verbose_name': 'avenant',
                'verbose_name_plural': 'avenants',
                'ordering': ['-date', '-numero'],
            },
        ),
        migrations.CreateModel(
            name='AvenantFiche',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('ajoutee', 'Ajoutée'), ('modifiee', 'Modifiée')], max_length=20, verbose_name="l'avenant")),
                ('avenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lignes', to='comites.avenant', verbose_name='avenant')),
                ('fiche', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='actions.ficheaction', verbose_name='fiche action')),
            ],
            options={
                'verbose_name': "fiche de l'avenant",
                'verbose_name_plural': "fiches de l'avenant",
                'ordering': ['avenant', 'role', 'pk'],
            },
        ),
        migrations.AddField(
            model_name='avenant',
            name='fiches',
            field=models.ManyToManyField(blank=True, related_name='avenants', through='comites.AvenantFiche', to='actions.ficheaction', verbose_name='fiches ajoutées ou modifiées'),
        ),
        migrations.CreateModel(
            name='HistoricalAvenant',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('numero', models.PositiveSmallIntegerField(verbose_name='numéro')),
                ('date', models.DateField(verbose_name='date')),
                ('deliberation', models.CharField(blank=True, help_text='Par exemple « DCP 2026-04-12 ».', max_length=100, verbose_name='référence de la délibération')),
                ('resume', models.TextField(verbose_name='résumé')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('contrat', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='enjeux.contrat', verbose_name='contrat')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': "version d'avenant",
                'verbose_name_plural': "versions d'avenants",
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalAvenantFiche',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('role', models.CharField(choices=[('ajoutee', 'Ajoutée'), ('modifiee', 'Modifiée')], max_length=20, verbose_name="l'avenant")),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('avenant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='comites.avenant', verbose_name='avenant')),
                ('fiche', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='actions.ficheaction', verbose_name='fiche action')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': "version de fiche d'avenant",
                'verbose_name_plural': "versions de fiches d'avenants",
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Instantane',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('nom', models.CharField(help_text='Par exemple « Comité de pilotage 2026 ».', max_length=200, verbose_name='nom')),
                ('slug', models.SlugField(error_messages={'unique': 'Un autre instantané porte déjà ce nom : choisissez-en un autre.'}, max_length=200, unique=True, verbose_name='slug')),
                ('date', models.DateField(verbose_name='date du comité')),
                ('arrete_le', models.DateTimeField(verbose_name='arrêté le')),
                ('arrete_par', models.CharField(blank=True, max_length=300, verbose_name='arrêté par')),
                ('nombre_fiches', models.PositiveIntegerField(verbose_name='nombre de fiches')),
                ('budget_total', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='budget total (€)')),
                ('donnees', models.JSONField(verbose_name='données figées')),
                ('recap_pdf', models.BinaryField(verbose_name='récapitulatif PDF')),
                ('recap_xlsx', models.BinaryField(verbose_name='récapitulatif XLSX')),
                ('contrat', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='instantanes', to='enjeux.contrat', verbose_name='contrat')),
            ],
            options={
                'verbose_name': 'instantané de comité',
                'verbose_name_plural': 'instantanés de comité',
                'ordering': ['-date', '-arrete_le'],
            },
        ),
        migrations.AddConstraint(
            model_name='avenantfiche',
            constraint=models.UniqueConstraint(fields=('avenant', 'fiche'), name='avenant_fiche_unique', violation_error_message='Cette fiche est déjà citée par cet avenant.'),
        ),
        migrations.AddConstraint(
            model_name='avenant',
            constraint=models.UniqueConstraint(fields=('contrat', 'numero'), name='avenant_numero_unique', violation_error_message='Un autre avenant de ce contrat porte déjà ce numéro.'),
        ),
        migrations.RunPython(create_trigger, drop_trigger),
        migrations.RunPython(roles_migrate, migrations.RunPython.noop),
    ]
