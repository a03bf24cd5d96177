"""The publication workflow: `etat` (brouillon, en relecture, publiée, archivée) replaces the
`publie` flag, whose values it keeps both ways; the transitions log; publishing permissions."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def publie_to_etat(apps, schema_editor):
    FicheAction = apps.get_model("actions", "FicheAction")
    FicheAction.objects.filter(publie=True).update(etat="publiee")
    FicheAction.objects.filter(publie=False).update(etat="brouillon")


def etat_to_publie(apps, schema_editor):
    # Going back, only a published fiche stays published: a fiche in review or archived is
    # hidden from the public, as it was when this migration was applied.
    FicheAction = apps.get_model("actions", "FicheAction")
    FicheAction.objects.filter(etat="publiee").update(publie=True)
    FicheAction.objects.exclude(etat="publiee").update(publie=False)


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0002_unaccent_extension"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="ficheaction",
            name="etat",
            field=models.CharField(
                choices=[
                    ("brouillon", "Brouillon"),
                    ("en_relecture", "En relecture"),
                    ("publiee", "Publiée"),
                    ("archivee", "Archivée"),
                ],
                default="brouillon",
                help_text=(
                    "Se change par les boutons de publication, qui gardent la trace de qui et "
                    "quand."
                ),
                max_length=20,
                verbose_name="état de publication",
            ),
        ),
        migrations.RunPython(publie_to_etat, etat_to_publie),
        migrations.RemoveIndex(model_name="ficheaction", name="fiche_publie_ordre_idx"),
        migrations.RemoveField(model_name="ficheaction", name="publie"),
        migrations.AddIndex(
            model_name="ficheaction",
            index=models.Index(fields=["etat", "ordre"], name="fiche_etat_ordre_idx"),
        ),
        migrations.AlterModelOptions(
            name="ficheaction",
            options={
                "ordering": ["ordre", "titre"],
                "permissions": [
                    ("publish_ficheaction", "Peut publier une fiche"),
                    (
                        "change_any_ficheaction",
                        "Peut modifier toutes les fiches, pas seulement celles de ses structures",
                    ),
                ],
                "verbose_name": "fiche action",
                "verbose_name_plural": "fiches actions",
            },
        ),
        migrations.CreateModel(
            name="TransitionFiche",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "etat_avant",
                    models.CharField(
                        choices=[
                            ("brouillon", "Brouillon"),
                            ("en_relecture", "En relecture"),
                            ("publiee", "Publiée"),
                            ("archivee", "Archivée"),
                        ],
                        max_length=20,
                        verbose_name="état avant",
                    ),
                ),
                (
                    "etat_apres",
                    models.CharField(
                        choices=[
                            ("brouillon", "Brouillon"),
                            ("en_relecture", "En relecture"),
                            ("publiee", "Publiée"),
                            ("archivee", "Archivée"),
                        ],
                        max_length=20,
                        verbose_name="état après",
                    ),
                ),
                (
                    "date",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="date"),
                ),
                ("commentaire", models.TextField(blank=True, verbose_name="commentaire")),
                (
                    "auteur",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="transitions_fiches",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="auteur",
                    ),
                ),
                (
                    "fiche",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="transitions",
                        to="actions.ficheaction",
                        verbose_name="fiche action",
                    ),
                ),
            ],
            options={
                "verbose_name": "changement d'état de publication",
                "verbose_name_plural": "changements d'état de publication",
                "ordering": ["fiche", "date", "pk"],
            },
        ),
    ]
