"""Financing lines (who pays what, each year), their history, their roles' permissions, and
the one rule no CHECK can hold since it reads another table: a line's year lies within its
contract's period, once that period is set.

Triggers hold it, one set per engine, on the three tables the rule reads: a line written
(its year or fiche), a contract's period changed, a fiche moved to another contract. Each
refuses with an integrity error named `ligne_financement_annee_dans_periode`. The models say
the same in French before the database has to (LigneFinancement.clean, Contrat.clean).

On SQLite, a later migration that rebuilds one of these tables (Django does for many
alterations) drops its triggers: tests/actions/test_financements.py checks that they are all
still there after every migration, on both engines.
"""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models

from actions.roles import roles_migrate

RULE = "ligne_financement_annee_dans_periode"
REFUSAL = "L''année de la ligne de financement est hors de la période du contrat."

# (name, table): every trigger below, for the test that checks they are all in place.
TRIGGERS = [
    (f"{RULE}_insert", "actions_lignefinancement"),
    (f"{RULE}_update", "actions_lignefinancement"),
    (f"{RULE}_contrat", "enjeux_contrat"),
    (f"{RULE}_fiche", "actions_ficheaction"),
]

SQLITE = [
    # A line written: its fiche's contract, read by the line's fiche.
    f"""
    CREATE TRIGGER {RULE}_insert BEFORE INSERT ON actions_lignefinancement
    FOR EACH ROW WHEN EXISTS (
        SELECT 1 FROM actions_ficheaction f JOIN enjeux_contrat c ON c.id = f.contrat_id
        WHERE f.id = NEW.fiche_id AND c.annee_debut IS NOT NULL
          AND (NEW.annee < c.annee_debut OR NEW.annee > c.annee_fin)
    )
    BEGIN SELECT RAISE(ABORT, '{RULE} : {REFUSAL}'); END
    """,
    f"""
    CREATE TRIGGER {RULE}_update BEFORE UPDATE OF annee, fiche_id ON actions_lignefinancement
    FOR EACH ROW WHEN EXISTS (
        SELECT 1 FROM actions_ficheaction f JOIN enjeux_contrat c ON c.id = f.contrat_id
        WHERE f.id = NEW.fiche_id AND c.annee_debut IS NOT NULL
          AND (NEW.annee < c.annee_debut OR NEW.annee > c.annee_fin)
    )
    BEGIN SELECT RAISE(ABORT, '{RULE} : {REFUSAL}'); END
    """,
    # A contract's new period must hold the lines of its fiches.
    f"""
    CREATE TRIGGER {RULE}_contrat BEFORE UPDATE OF annee_debut, annee_fin ON enjeux_contrat
    FOR EACH ROW WHEN NEW.annee_debut IS NOT NULL AND EXISTS (
        SELECT 1 FROM actions_lignefinancement l
        JOIN actions_ficheaction f ON f.id = l.fiche_id
        WHERE f.contrat_id = NEW.id
          AND (l.annee < NEW.annee_debut OR l.annee > NEW.annee_fin)
    )
    BEGIN SELECT RAISE(ABORT, '{RULE} : {REFUSAL}'); END
    """,
    # A fiche moved to another contract takes its lines along: within the new period too.
    f"""
    CREATE TRIGGER {RULE}_fiche BEFORE UPDATE OF contrat_id ON actions_ficheaction
    FOR EACH ROW WHEN NEW.contrat_id IS NOT OLD.contrat_id AND EXISTS (
        SELECT 1 FROM actions_lignefinancement l JOIN enjeux_contrat c ON c.id = NEW.contrat_id
        WHERE l.fiche_id = NEW.id AND c.annee_debut IS NOT NULL
          AND (l.annee < c.annee_debut OR l.annee > c.annee_fin)
    )
    BEGIN SELECT RAISE(ABORT, '{RULE} : {REFUSAL}'); END
    """,
]

# PostgreSQL raises check_violation (an IntegrityError) naming the rule as its constraint. A
# line's check takes a share lock on its fiche and contract rows: a period being changed at the
# same time waits for the line's transaction, then sees the line (and the other way round).
_RAISE = (
    f"RAISE EXCEPTION '{RULE} : {REFUSAL}' "
    f"USING ERRCODE = 'check_violation', CONSTRAINT = '{RULE}';"
)
POSTGRESQL = [
    f"""
    CREATE FUNCTION {RULE}_ligne() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE debut integer; fin integer;
    BEGIN
        SELECT c.annee_debut, c.annee_fin INTO debut, fin
        FROM actions_ficheaction f JOIN enjeux_contrat c ON c.id = f.contrat_id
        WHERE f.id = NEW.fiche_id
        FOR SHARE OF f, c;
        IF debut IS NOT NULL AND (NEW.annee < debut OR NEW.annee > fin) THEN
            {_RAISE}
        END IF;
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER {RULE}_insert BEFORE INSERT ON actions_lignefinancement
    FOR EACH ROW EXECUTE FUNCTION {RULE}_ligne()
    """,
    f"""
    CREATE TRIGGER {RULE}_update BEFORE UPDATE OF annee, fiche_id ON actions_lignefinancement
    FOR EACH ROW EXECUTE FUNCTION {RULE}_ligne()
    """,
    f"""
    CREATE FUNCTION {RULE}_contrat() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.annee_debut IS NOT NULL AND EXISTS (
            SELECT 1 FROM actions_lignefinancement l
            JOIN actions_ficheaction f ON f.id = l.fiche_id
            WHERE f.contrat_id = NEW.id
              AND (l.annee < NEW.annee_debut OR l.annee > NEW.annee_fin)
        ) THEN
            {_RAISE}
        END IF;
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER {RULE}_contrat BEFORE UPDATE OF annee_debut, annee_fin ON enjeux_contrat
    FOR EACH ROW EXECUTE FUNCTION {RULE}_contrat()
    """,
    f"""
    CREATE FUNCTION {RULE}_fiche() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (
            SELECT 1 FROM actions_lignefinancement l
            JOIN enjeux_contrat c ON c.id = NEW.contrat_id
            WHERE l.fiche_id = NEW.id AND c.annee_debut IS NOT NULL
              AND (l.annee < c.annee_debut OR l.annee > c.annee_fin)
        ) THEN
            {_RAISE}
        END IF;
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER {RULE}_fiche BEFORE UPDATE OF contrat_id ON actions_ficheaction
    FOR EACH ROW WHEN (NEW.contrat_id IS DISTINCT FROM OLD.contrat_id)
    EXECUTE FUNCTION {RULE}_fiche()
    """,
]


def create_period_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"Pas de déclencheurs de période pour la base {vendor}.")
    for statement in statements:
        schema_editor.execute(statement)


def drop_period_triggers(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for name, table in TRIGGERS:
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else "")
        )
    if postgresql:
        for suffix in ("ligne", "contrat", "fiche"):
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {RULE}_{suffix}()")


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0010_anciens_slugs_motif_restauration"),
        ("enjeux", "0003_contrat_periode_financeur"),
        ("structures", "0004_siret_rna"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HistoricalLigneFinancement",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "annee",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(
                                2000, "Indiquez une année à partir de 2000."
                            ),
                            django.core.validators.MaxValueValidator(
                                2100, "Indiquez une année jusqu'à 2100."
                            ),
                        ],
                        verbose_name="année",
                    ),
                ),
                (
                    "nature",
                    models.CharField(
                        choices=[
                            ("fonctionnement", "Fonctionnement"),
                            ("investissement", "Investissement"),
                        ],
                        default="fonctionnement",
                        max_length=20,
                        verbose_name="nature",
                    ),
                ),
                (
                    "prevu",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=12,
                        validators=[
                            django.core.validators.MinValueValidator(
                                0, "Le montant ne peut pas être négatif."
                            )
                        ],
                        verbose_name="prévu (€)",
                    ),
                ),
                (
                    "accorde",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="Vide tant que le financeur n'a pas décidé.",
                        max_digits=12,
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(
                                0, "Le montant ne peut pas être négatif."
                            )
                        ],
                        verbose_name="accordé (€)",
                    ),
                ),
                (
                    "date_decision",
                    models.DateField(blank=True, null=True, verbose_name="date de la décision"),
                ),
                (
                    "reference_decision",
                    models.CharField(
                        blank=True,
                        help_text="Par exemple le numéro de la délibération.",
                        max_length=100,
                        verbose_name="référence de la décision",
                    ),
                ),
                (
                    "verse",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=12,
                        validators=[
                            django.core.validators.MinValueValidator(
                                0, "Le montant ne peut pas être négatif."
                            )
                        ],
                        verbose_name="versé (€)",
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=300, verbose_name="note")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "fiche",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="actions.ficheaction",
                        verbose_name="fiche action",
                    ),
                ),
                (
                    "financeur",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="structures.structure",
                        verbose_name="financeur",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "version de ligne de financement",
                "verbose_name_plural": "versions de lignes de financement",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="LigneFinancement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "annee",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(
                                2000, "Indiquez une année à partir de 2000."
                            ),
                            django.core.validators.MaxValueValidator(
                                2100, "Indiquez une année jusqu'à 2100."
                            ),
                        ],
                        verbose_name="année",
                    ),
                ),
                (
                    "nature",
                    models.CharField(
                        choices=[
                            ("fonctionnement", "Fonctionnement"),
                            ("investissement", "Investissement"),
                        ],
                        default="fonctionnement",
                        max_length=20,
                        verbose_name="nature",
                    ),
                ),
                (
                    "prevu",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=12,
                        validators=[
                            django.core.validators.MinValueValidator(
                                0, "Le montant ne peut pas être négatif."
                            )
                        ],
                        verbose_name="prévu (€)",
                    ),
                ),
                (
                    "accorde",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="Vide tant que le financeur n'a pas décidé.",
                        max_digits=12,
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(
                                0, "Le montant ne peut pas être négatif."
                            )
                        ],
                        verbose_name="accordé (€)",
                    ),
                ),
                (
                    "date_decision",
                    models.DateField(blank=True, null=True, verbose_name="date de la décision"),
                ),
                (
                    "reference_decision",
                    models.CharField(
                        blank=True,
                        help_text="Par exemple le numéro de la délibération.",
                        max_length=100,
                        verbose_name="référence de la décision",
                    ),
                ),
                (
                    "verse",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=12,
                        validators=[
                            django.core.validators.MinValueValidator(
                                0, "Le montant ne peut pas être négatif."
                            )
                        ],
                        verbose_name="versé (€)",
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=300, verbose_name="note")),
                (
                    "fiche",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lignes_financement",
                        to="actions.ficheaction",
                        verbose_name="fiche action",
                    ),
                ),
                (
                    "financeur",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="lignes_financement",
                        to="structures.structure",
                        verbose_name="financeur",
                    ),
                ),
            ],
            options={
                "verbose_name": "ligne de financement",
                "verbose_name_plural": "lignes de financement",
                "ordering": ["fiche", "annee", "nature", "pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("prevu__gte", 0),
                            models.Q(
                                ("accorde__isnull", True), ("accorde__gte", 0), _connector="OR"
                            ),
                            ("verse__gte", 0),
                        ),
                        name="ligne_financement_montants_positifs",
                        violation_error_message="Le montant ne peut pas être négatif.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("verse", 0),
                            models.Q(
                                ("accorde__isnull", False), ("verse__lte", models.F("accorde"))
                            ),
                            _connector="OR",
                        ),
                        name="ligne_financement_verse_dans_accorde",
                        violation_error_message="Le montant versé ne peut pas dépasser le montant accordé.",
                    ),
                    models.UniqueConstraint(
                        fields=("fiche", "financeur", "annee", "nature"),
                        name="ligne_financement_unique",
                        violation_error_message="Ce financeur a déjà une ligne pour cette fiche, cette année et cette nature : modifiez-la plutôt que d'en ajouter une autre.",
                    ),
                ],
            },
        ),
        migrations.RunPython(create_period_triggers, drop_period_triggers),
        migrations.RunPython(roles_migrate, migrations.RunPython.noop),
    ]
