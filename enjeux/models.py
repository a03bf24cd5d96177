"""The contract, its enjeux (stakes) and their numbered orientations."""

from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords


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

    history = HistoricalRecords(
        verbose_name="version de contrat", verbose_name_plural="versions de contrats"
    )

    class Meta:
        verbose_name = "contrat"
        verbose_name_plural = "contrats"
        ordering = ["nom"]

    def __str__(self):
        return self.nom


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
