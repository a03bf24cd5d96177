"""A fiche's financing plan: who pays what, each year — planned, granted, paid.

Its own module, beside models.py (which imports it), so that neither grows past one concern.
The database enforces every rule below (actions/migrations/0011_lignes_financement.py); the
model says each in French first, for the forms and imports."""

from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from contrat.formats import format_euros
from enjeux.models import YEAR_VALIDATORS
from structures.models import Structure

from .choices import NatureFinancement

NEGATIVE = "Le montant ne peut pas être négatif."
PAID_WITHOUT_GRANT = (
    "Un montant versé demande un montant accordé : indiquez d'abord ce qui a été accordé."
)
PAID_OVER_GRANT = "Le montant versé ne peut pas dépasser le montant accordé."
DUPLICATE = (
    "Ce financeur a déjà une ligne pour cette fiche, cette année et cette nature : "
    "modifiez-la plutôt que d'en ajouter une autre."
)
# The trigger's name: the constraint a cross-table rule would be if SQL had one.
PERIOD_TRIGGER = "ligne_financement_annee_dans_periode"


def amount_field(verbose_name: str, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0, NEGATIVE)],
        **kwargs,
    )


def outside_period_message(annee, contrat) -> str:
    return (
        f"L'année {annee} est hors de la période du contrat ({contrat.periode_annees}) : "
        "choisissez une année de cette période, ou élargissez d'abord celle du contrat."
    )


class LigneFinancement(models.Model):
    fiche = models.ForeignKey(
        "actions.FicheAction",
        on_delete=models.CASCADE,
        related_name="lignes_financement",
        verbose_name="fiche action",
    )
    financeur = models.ForeignKey(
        Structure,
        on_delete=models.PROTECT,
        related_name="lignes_financement",
        verbose_name="financeur",
    )
    annee = models.PositiveSmallIntegerField("année", validators=YEAR_VALIDATORS)
    nature = models.CharField(
        "nature",
        max_length=20,
        choices=NatureFinancement,
        default=NatureFinancement.FONCTIONNEMENT,
    )
    prevu = amount_field("prévu (€)", default=Decimal(0))
    accorde = amount_field(
        "accordé (€)",
        null=True,
        blank=True,
        help_text="Vide tant que le financeur n'a pas décidé.",
    )
    date_decision = models.DateField("date de la décision", null=True, blank=True)
    reference_decision = models.CharField(
        "référence de la décision",
        max_length=100,
        blank=True,
        help_text="Par exemple le numéro de la délibération.",
    )
    verse = amount_field("versé (€)", default=Decimal(0))
    note = models.CharField("note", max_length=300, blank=True)

    history = HistoricalRecords(
        verbose_name="version de ligne de financement",
        verbose_name_plural="versions de lignes de financement",
    )

    class Meta:
        verbose_name = "ligne de financement"
        verbose_name_plural = "lignes de financement"
        ordering = ["fiche", "annee", "nature", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(prevu__gte=0)
                & (models.Q(accorde__isnull=True) | models.Q(accorde__gte=0))
                & models.Q(verse__gte=0),
                name="ligne_financement_montants_positifs",
                violation_error_message=NEGATIVE,
            ),
            # NULL in a comparison is unknown, which a CHECK lets through: say "not null".
            models.CheckConstraint(
                condition=models.Q(verse=0)
                | models.Q(accorde__isnull=False, verse__lte=models.F("accorde")),
                name="ligne_financement_verse_dans_accorde",
                violation_error_message=PAID_OVER_GRANT,
            ),
            models.UniqueConstraint(
                fields=["fiche", "financeur", "annee", "nature"],
                name="ligne_financement_unique",
                violation_error_message=DUPLICATE,
            ),
        ]

    def __str__(self):
        return (
            f"{self.financeur_label} — {self.annee} — {self.get_nature_display().lower()} : "
            f"{format_euros(self.prevu)} prévus"
        )

    @property
    def financeur_label(self) -> str:
        """Its acronym, or its name; even in an old version whose financer is gone since."""
        try:
            financeur = self.financeur
        except ObjectDoesNotExist:
            return f"financeur n° {self.financeur_id}"
        return financeur.sigle or financeur.nom

    def clean(self):
        errors = {}
        accorde, verse = self.accorde, self.verse
        if isinstance(verse, Decimal) and verse > 0:
            if accorde is None:
                errors["verse"] = PAID_WITHOUT_GRANT
            elif isinstance(accorde, Decimal) and verse > accorde:
                errors["verse"] = (
                    f"Le montant versé ({format_euros(verse)}) dépasse le montant accordé "
                    f"({format_euros(accorde)})."
                )
        # The fiche may be missing (an import row naming an unknown fiche): said elsewhere.
        if self.fiche_id is not None and isinstance(self.annee, int):
            contrat = self.fiche.contrat
            if contrat.annees and self.annee not in contrat.annees:
                errors["annee"] = outside_period_message(self.annee, contrat)
        if errors:
            raise ValidationError(errors)


def refuse_period_leaving_lines(sender, contrat, **kwargs) -> str | None:
    """Contrat.clean()'s question (enjeux.models.period_checked): would this period leave
    financing lines of the contract's fiches outside it? The refusal says which years."""
    outside = LigneFinancement.objects.filter(fiche__contrat=contrat).exclude(
        annee__range=(contrat.annee_debut, contrat.annee_fin)
    )
    years = sorted(set(outside.values_list("annee", flat=True)))
    if not years:
        return None
    listed = ", ".join(str(year) for year in years)
    return (
        f"Des lignes de financement des fiches tombent hors de cette période (années {listed}) : "
        "modifiez ou supprimez-les d'abord, ou choisissez une période qui les contient."
    )
