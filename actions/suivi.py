"""A fiche's follow-up: its progress notes (points d'avancement), indicators with their yearly
values, and milestones (étapes).

Its own module, beside models.py (which imports it), like financements.py. The database holds
every rule below (actions/migrations/0012_suivi.py); each is said in French first, for forms.
A fiche's `statut` follows its latest note: services.fiche_statut_follow writes it."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from enjeux.models import YEAR_VALIDATORS

from .choices import Statut

PERCENT_RANGE = "L'avancement se dit en pourcentage, de 0 à 100."
TARGET_BEFORE_BASELINE = "L'année de la cible ne peut pas précéder celle de la valeur de référence."
DUPLICATE_YEAR = (
    "Cet indicateur a déjà une valeur pour cette année : modifiez-la plutôt que d'en ajouter "
    "une autre."
)


def value_field(verbose_name: str, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


class PointAvancement(models.Model):
    """A dated progress note: where the fiche stands, and in what words."""

    fiche = models.ForeignKey(
        "actions.FicheAction",
        on_delete=models.CASCADE,
        related_name="points_avancement",
        verbose_name="fiche action",
    )
    date = models.DateField("date")
    statut = models.CharField("état d'avancement", max_length=20, choices=Statut)
    avancement = models.PositiveSmallIntegerField(
        "avancement (%)",
        null=True,
        blank=True,
        validators=[MinValueValidator(0, PERCENT_RANGE), MaxValueValidator(100, PERCENT_RANGE)],
        help_text="Facultatif : la part réalisée, de 0 à 100.",
    )
    commentaire = models.TextField("commentaire", blank=True)
    # Set from the request by the admin: whoever wrote the note, not chosen in a list.
    auteur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="points_avancement",
        verbose_name="auteur",
    )

    history = HistoricalRecords(
        verbose_name="version de point d'avancement",
        verbose_name_plural="versions de points d'avancement",
    )

    class Meta:
        verbose_name = "point d'avancement"
        verbose_name_plural = "points d'avancement"
        # Newest first: the timeline's order, and the latest note is the first one.
        ordering = ["fiche", "-date", "-pk"]
        indexes = [models.Index(fields=["fiche", "date"], name="point_avancement_fiche_date")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(avancement__isnull=True)
                | models.Q(avancement__gte=0, avancement__lte=100),
                name="point_avancement_pourcentage",
                violation_error_message=PERCENT_RANGE,
            ),
        ]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} — {self.get_statut_display()}"


class Indicateur(models.Model):
    """What the fiche measures, from a baseline to a target; its values come year by year."""

    fiche = models.ForeignKey(
        "actions.FicheAction",
        on_delete=models.CASCADE,
        related_name="indicateurs",
        verbose_name="fiche action",
    )
    nom = models.CharField("nom", max_length=300)
    unite = models.CharField(
        "unité", max_length=50, blank=True, help_text="Par exemple « personnes », « % », « ha »."
    )
    valeur_reference = value_field("valeur de référence")
    annee_reference = models.PositiveSmallIntegerField(
        "année de référence", validators=YEAR_VALIDATORS
    )
    valeur_cible = value_field(
        "valeur cible",
        help_text="Au-dessus de la référence, l'objectif est atteint en l'égalant ou en la "
        "dépassant ; au-dessous, en descendant jusqu'à elle.",
    )
    annee_cible = models.PositiveSmallIntegerField("année cible", validators=YEAR_VALIDATORS)
    ordre = models.PositiveSmallIntegerField("ordre", default=0)

    history = HistoricalRecords(
        verbose_name="version d'indicateur", verbose_name_plural="versions d'indicateurs"
    )

    class Meta:
        verbose_name = "indicateur"
        verbose_name_plural = "indicateurs"
        ordering = ["fiche", "ordre", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(annee_cible__gte=models.F("annee_reference")),
                name="indicateur_cible_apres_reference",
                violation_error_message=TARGET_BEFORE_BASELINE,
            ),
        ]

    def __str__(self):
        return self.nom

    @property
    def hausse(self) -> bool:
        """Is the target reached by going up (or staying level), rather than down?"""
        return self.valeur_cible >= self.valeur_reference

    def atteint(self, valeur: Decimal | None) -> bool:
        if valeur is None:
            return False
        return valeur >= self.valeur_cible if self.hausse else valeur <= self.valeur_cible

    def clean(self):
        reference, cible = self.annee_reference, self.annee_cible
        if isinstance(reference, int) and isinstance(cible, int) and cible < reference:
            raise ValidationError({"annee_cible": TARGET_BEFORE_BASELINE})


class ValeurIndicateur(models.Model):
    """An indicator's actual value for one year."""

    indicateur = models.ForeignKey(
        Indicateur, on_delete=models.CASCADE, related_name="valeurs", verbose_name="indicateur"
    )
    annee = models.PositiveSmallIntegerField("année", validators=YEAR_VALIDATORS)
    valeur = value_field("valeur mesurée")

    history = HistoricalRecords(
        verbose_name="version de valeur d'indicateur",
        verbose_name_plural="versions de valeurs d'indicateurs",
    )

    class Meta:
        verbose_name = "valeur d'indicateur"
        verbose_name_plural = "valeurs mesurées"
        ordering = ["indicateur", "annee"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicateur", "annee"],
                name="valeur_indicateur_unique_par_annee",
                violation_error_message=DUPLICATE_YEAR,
            ),
        ]

    def __str__(self):
        return f"{self.annee} : {self.valeur}"


class Etape(models.Model):
    """A milestone: planned for a date, done (or not yet) on another."""

    fiche = models.ForeignKey(
        "actions.FicheAction",
        on_delete=models.CASCADE,
        related_name="etapes",
        verbose_name="fiche action",
    )
    titre = models.CharField("titre", max_length=300)
    date_prevue = models.DateField("date prévue")
    date_realisation = models.DateField(
        "date de réalisation",
        null=True,
        blank=True,
        help_text="Vide tant que l'étape n'est pas franchie.",
    )

    history = HistoricalRecords(
        verbose_name="version d'étape", verbose_name_plural="versions d'étapes"
    )

    class Meta:
        verbose_name = "étape"
        verbose_name_plural = "étapes"
        ordering = ["fiche", "date_prevue", "pk"]

    def __str__(self):
        return self.titre

    def en_retard(self, today) -> bool:
        return self.date_realisation is None and self.date_prevue < today
