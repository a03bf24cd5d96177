"""What a comité de pilotage holds on to: the recap frozen on a given day (Instantane), and the
contract's amendments (Avenant) with the fiches each adds or changes.

A snapshot is written once, by `services.instantane_arreter`, and never again: save() and
delete() refuse an existing one, so do its queryset's update() and delete(), and a database
trigger refuses any UPDATE of its row (migrations/0001_initial.py)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from actions.models import FicheAction
from enjeux.models import Contrat

FROZEN = (
    "Un instantané arrêté ne se modifie plus : c'est ce que le comité a eu sous les yeux. "
    "Arrêtez-en un nouveau sous un autre nom."
)
NOT_DELETED = (
    "Un instantané arrêté ne se supprime pas : les comparaisons et les comptes rendus "
    "qui le citent en dépendent."
)


class InstantaneQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(FROZEN)

    def delete(self):
        raise ValidationError(NOT_DELETED)

    def listed(self):
        """Without the frozen data and files: what a list or a timeline needs."""
        return self.defer("donnees", "recap_pdf", "recap_xlsx")

    def for_page(self):
        """With the frozen data, without the files (served by their own views)."""
        return self.defer("recap_pdf", "recap_xlsx")


class Instantane(models.Model):
    """The recap as it stood when a committee was held: its data as JSON (schema in
    `comites/snapshot.py`), its PDF and XLSX as bytes.

    The files live in the database, not in MEDIA_ROOT: several machines serve the portal from
    one PostgreSQL and share no disk, and a snapshot's files are small (the seed's recap:
    72 kB of PDF and 21 kB of XLSX, docs/comites.md)."""

    contrat = models.ForeignKey(
        Contrat, on_delete=models.PROTECT, related_name="instantanes", verbose_name="contrat"
    )
    nom = models.CharField(
        "nom", max_length=200, help_text="Par exemple « Comité de pilotage 2026 »."
    )
    slug = models.SlugField(
        "slug",
        max_length=200,
        unique=True,
        error_messages={
            "unique": "Un autre instantané porte déjà ce nom : choisissez-en un autre."
        },
    )
    date = models.DateField("date du comité")
    arrete_le = models.DateTimeField("arrêté le")
    # The author's name as text: a user deleted later would otherwise set a key to NULL, an
    # UPDATE of the frozen row, which the trigger refuses.
    arrete_par = models.CharField("arrêté par", max_length=300, blank=True)
    nombre_fiches = models.PositiveIntegerField("nombre de fiches")
    budget_total = models.DecimalField(
        "budget total (€)", max_digits=14, decimal_places=2, null=True, blank=True
    )
    donnees = models.JSONField("données figées")
    recap_pdf = models.BinaryField("récapitulatif PDF")
    recap_xlsx = models.BinaryField("récapitulatif XLSX")

    objects = InstantaneQuerySet.as_manager()

    class Meta:
        verbose_name = "instantané de comité"
        verbose_name_plural = "instantanés de comité"
        ordering = ["-date", "-arrete_le"]

    def __str__(self):
        return self.nom

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(FROZEN)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("comites:detail", args=[self.slug])

    def delete(self, *args, **kwargs):
        raise ValidationError(NOT_DELETED)


class RoleAvenant(models.TextChoices):
    AJOUTEE = "ajoutee", "Ajoutée"
    MODIFIEE = "modifiee", "Modifiée"


class Avenant(models.Model):
    """An amendment to the contract, adopted by a deliberation: the fiches it adds or changes."""

    contrat = models.ForeignKey(
        Contrat, on_delete=models.PROTECT, related_name="avenants", verbose_name="contrat"
    )
    numero = models.PositiveSmallIntegerField("numéro")
    date = models.DateField("date")
    deliberation = models.CharField(
        "référence de la délibération",
        max_length=100,
        blank=True,
        help_text="Par exemple « DCP 2026-04-12 ».",
    )
    resume = models.TextField("résumé")
    fiches = models.ManyToManyField(
        FicheAction,
        through="AvenantFiche",
        related_name="avenants",
        verbose_name="fiches ajoutées ou modifiées",
        blank=True,
    )

    history = HistoricalRecords(
        verbose_name="version d'avenant", verbose_name_plural="versions d'avenants"
    )

    class Meta:
        verbose_name = "avenant"
        verbose_name_plural = "avenants"
        ordering = ["-date", "-numero"]
        constraints = [
            models.UniqueConstraint(
                fields=["contrat", "numero"],
                name="avenant_numero_unique",
                violation_error_message="Un autre avenant de ce contrat porte déjà ce numéro.",
            )
        ]

    def __str__(self):
        return f"Avenant n° {self.numero}"


class AvenantFiche(models.Model):
    avenant = models.ForeignKey(
        Avenant, on_delete=models.CASCADE, related_name="lignes", verbose_name="avenant"
    )
    fiche = models.ForeignKey(
        FicheAction, on_delete=models.CASCADE, related_name="+", verbose_name="fiche action"
    )
    role = models.CharField("l'avenant", max_length=20, choices=RoleAvenant)

    history = HistoricalRecords(
        verbose_name="version de fiche d'avenant",
        verbose_name_plural="versions de fiches d'avenants",
    )

    class Meta:
        verbose_name = "fiche de l'avenant"
        verbose_name_plural = "fiches de l'avenant"
        ordering = ["avenant", "role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["avenant", "fiche"],
                name="avenant_fiche_unique",
                violation_error_message="Cette fiche est déjà citée par cet avenant.",
            )
        ]

    def __str__(self):
        return f"{self.fiche} ({self.get_role_display().lower()})"
