"""The contract, its enjeux (stakes) and their numbered orientations."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.dispatch import Signal
from django.urls import reverse
from simple_history.models import HistoricalRecords

from structures.models import Structure

PREMIERE_ANNEE, DERNIERE_ANNEE = 2000, 2100
YEAR_VALIDATORS = [
    MinValueValidator(PREMIERE_ANNEE, f"Indiquez une année à partir de {PREMIERE_ANNEE}."),
    MaxValueValidator(DERNIERE_ANNEE, f"Indiquez une année jusqu'à {DERNIERE_ANNEE}."),
]

# Sent by Contrat.clean() with a period about to be saved (contrat=…): a receiver returns a
# refusal in French, or None. The actions app checks its financing lines this way, so that this
# app says why a period is refused without importing what hangs from a contract.
period_checked = Signal()


class Contrat(models.Model):
    nom = models.CharField("nom", max_length=200, unique=True)
    slug = models.SlugField("slug", max_length=100, unique=True)
    territoire = models.CharField("territoire", max_length=200)
    periode = models.CharField("période", max_length=100, blank=True)
    description = models.TextField("description", blank=True)
    pied_de_page = models.TextField(
        "texte de pied de page",
        blank=True,
        help_text="Repris en bas des pages et des exports (partenaires, soutiens…).",
    )
    annee_debut = models.PositiveSmallIntegerField(
        "première année",
        null=True,
        blank=True,
        validators=YEAR_VALIDATORS,
        help_text="Avec la dernière année, la période des plans de financement des fiches.",
    )
    annee_fin = models.PositiveSmallIntegerField(
        "dernière année", null=True, blank=True, validators=YEAR_VALIDATORS
    )
    financeur = models.ForeignKey(
        Structure,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contrats_finances",
        verbose_name="financeur du contrat",
        help_text="La collectivité qui passe le contrat et en finance les fiches.",
    )

    history = HistoricalRecords(
        verbose_name="version de contrat", verbose_name_plural="versions de contrats"
    )

    class Meta:
        verbose_name = "contrat"
        verbose_name_plural = "contrats"
        ordering = ["nom"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(annee_debut__isnull=True, annee_fin__isnull=True)
                | models.Q(annee_debut__isnull=False, annee_fin__isnull=False),
                name="contrat_periode_complete",
                violation_error_message="Indiquez la première et la dernière année du contrat, "
                "ou aucune des deux.",
            ),
            models.CheckConstraint(
                condition=models.Q(annee_fin__gte=models.F("annee_debut")),
                name="contrat_periode_ordonnee",
                violation_error_message="La dernière année du contrat ne peut pas précéder "
                "la première.",
            ),
        ]

    def __str__(self):
        return self.nom

    @property
    def annees(self) -> range:
        """The contract's years, first and last included; none while its period is not set."""
        if self.annee_debut is None or self.annee_fin is None:
            return range(0)
        return range(self.annee_debut, self.annee_fin + 1)

    @property
    def periode_annees(self) -> str:
        """'2024–2029', '' while the period is not set."""
        if not self.annees:
            return ""
        return f"{self.annee_debut}–{self.annee_fin}"

    def clean(self):
        debut, fin = self.annee_debut, self.annee_fin
        if debut is None and fin is not None:
            raise ValidationError({"annee_debut": "Indiquez aussi la première année."})
        if fin is None and debut is not None:
            raise ValidationError({"annee_fin": "Indiquez aussi la dernière année."})
        if debut is not None and fin < debut:
            raise ValidationError(
                {"annee_fin": "La dernière année du contrat ne peut pas précéder la première."}
            )
        if debut is not None and self.pk is not None:
            refusals = [
                refusal
                for _receiver, refusal in period_checked.send(sender=Contrat, contrat=self)
                if refusal
            ]
            if refusals:
                raise ValidationError({"annee_debut": refusals})


class EnjeuQuerySet(models.QuerySet):
    def with_orientations(self):
        return self.prefetch_related("orientations")


class Enjeu(models.Model):
    contrat = models.ForeignKey(
        Contrat, on_delete=models.PROTECT, related_name="enjeux", verbose_name="contrat"
    )
    numero = models.PositiveSmallIntegerField("numéro")
    titre = models.CharField(
        "titre",
        max_length=300,
        blank=True,
        help_text="Vide quand le document ne cite l'enjeu que par son numéro.",
    )
    description = models.TextField("description", blank=True)

    objects = EnjeuQuerySet.as_manager()
    history = HistoricalRecords(
        verbose_name="version d'enjeu", verbose_name_plural="versions d'enjeux"
    )

    class Meta:
        verbose_name = "enjeu"
        verbose_name_plural = "enjeux"
        ordering = ["contrat", "numero"]
        constraints = [
            models.UniqueConstraint(
                fields=["contrat", "numero"],
                name="enjeu_numero_unique_par_contrat",
                violation_error_message="Ce contrat a déjà un enjeu portant ce numéro.",
            )
        ]

    def __str__(self):
        return f"Enjeu {self.numero} — {self.titre}" if self.titre else f"Enjeu {self.numero}"

    def get_absolute_url(self):
        return reverse("enjeux:detail", args=[self.numero])


class Orientation(models.Model):
    enjeu = models.ForeignKey(
        Enjeu,
        on_delete=models.PROTECT,
        related_name="orientations",
        verbose_name="enjeu",
        null=True,
        blank=True,
        help_text="Vide quand le document cite l'orientation sans dire de quel enjeu.",
    )
    numero = models.PositiveSmallIntegerField("numéro", null=True, blank=True)
    titre = models.CharField("titre", max_length=300)
    libelles_cites = models.TextField(
        "autres libellés cités",
        blank=True,
        help_text="Les autres formulations rencontrées dans les fiches, une par ligne.",
    )

    history = HistoricalRecords(
        verbose_name="version d'orientation", verbose_name_plural="versions d'orientations"
    )

    class Meta:
        verbose_name = "orientation"
        verbose_name_plural = "orientations"
        ordering = ["enjeu__numero", "numero", "titre"]
        constraints = [
            models.UniqueConstraint(
                fields=["enjeu", "numero"],
                name="orientation_numero_unique_par_enjeu",
                violation_error_message="Cet enjeu a déjà une orientation portant ce numéro.",
            ),
            models.CheckConstraint(
                condition=models.Q(numero__isnull=True) | models.Q(enjeu__isnull=False),
                name="orientation_numerotee_a_un_enjeu",
                violation_error_message="Une orientation numérotée doit appartenir à un enjeu.",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.titre}" if self.code else self.titre

    @property
    def code(self) -> str:
        """'7.7' for orientation 7 of enjeu 7; '' when the document gives no number."""
        if self.enjeu_id is None or self.numero is None:
            return ""
        return f"{self.enjeu.numero}.{self.numero}"
