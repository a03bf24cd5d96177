"""Fiches actions and what hangs from them: participations, budget lines, sub-actions; the
financing lines live in financements.py, the follow-up (notes, indicators, milestones) in
suivi.py."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from contrat.formats import format_euros
from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Structure

from .budget import fiche_total, ligne_total
from .choices import Etat, NatureFinancement, NatureSousAction, Periodicite, Role, Statut
from .financements import LigneFinancement
from .jobs import ExportJob
from .querysets import FicheActionQuerySet
from .search_tables import FicheRecherche, FicheRechercheFts
from .suivi import Etape, Indicateur, PointAvancement, ValeurIndicateur

__all__ = [
    "AncienSlug",
    "Etape",
    "Etat",
    "ExportJob",
    "FicheAction",
    "Indicateur",
    "FicheRecherche",
    "FicheRechercheFts",
    "LigneBudget",
    "LigneFinancement",
    "NatureFinancement",
    "NatureSousAction",
    "Participation",
    "Periodicite",
    "PointAvancement",
    "Role",
    "SousAction",
    "Statut",
    "TransitionFiche",
    "ValeurIndicateur",
]


class FicheAction(models.Model):
    contrat = models.ForeignKey(
        Contrat, on_delete=models.PROTECT, related_name="fiches", verbose_name="contrat"
    )
    ordre = models.PositiveIntegerField(
        "ordre dans la recap", default=0, help_text="Position de la fiche dans le tableau."
    )
    titre = models.CharField("titre", max_length=500)
    slug = models.SlugField(
        "slug",
        max_length=200,
        unique=True,
        error_messages={"unique": "Une autre fiche utilise déjà ce slug : choisissez-en un autre."},
    )
    descriptif = models.TextField("descriptif", blank=True)
    enjeu_texte = models.TextField(
        "enjeu (texte de la fiche)",
        blank=True,
        help_text="La colonne Enjeu telle qu'écrite dans la fiche, gardée pour l'affichage "
        "et l'audit ; les liens ci-dessous en sont la lecture structurée.",
    )
    orientations = models.ManyToManyField(
        Orientation, blank=True, related_name="fiches", verbose_name="orientations"
    )
    enjeux = models.ManyToManyField(
        Enjeu,
        blank=True,
        related_name="fiches_sans_orientation",
        verbose_name="enjeux cités sans orientation",
        help_text="Quand la fiche cite un enjeu sans préciser d'orientation (« Enjeu 2 »).",
    )
    budget_texte = models.TextField(
        "budget (texte de la fiche)",
        blank=True,
        help_text="La colonne Budget telle qu'écrite ; le calcul se fait sur les lignes de budget.",
    )
    structure_texte = models.TextField(
        "structure (texte de la fiche)",
        blank=True,
        help_text="La colonne Structure telle qu'écrite ; les participations en sont la lecture.",
    )
    statut = models.CharField(
        "état d'avancement", max_length=20, choices=Statut, default=Statut.PROPOSEE
    )
    etat = models.CharField(
        "état de publication",
        max_length=20,
        choices=Etat,
        default=Etat.BROUILLON,
        help_text="Se change par les boutons de publication, qui gardent la trace de qui et quand.",
    )
    cree_le = models.DateTimeField("créée le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifiée le", auto_now=True)
    version = models.PositiveIntegerField(
        "version",
        default=1,
        help_text="Augmente à chaque enregistrement : deux personnes qui modifient la fiche en "
        "même temps ne peuvent pas écraser les changements l'une de l'autre.",
    )

    objects = FicheActionQuerySet.as_manager()
    # Every version, with who saved it; the orientations and enjeux cited are part of it.
    history = HistoricalRecords(
        m2m_fields=[orientations, enjeux],
        # A restore's reason lists what came back: longer than the default 100 characters.
        history_change_reason_field=models.TextField(null=True),
        verbose_name="version de fiche action",
        verbose_name_plural="versions de fiches actions",
    )

    class Meta:
        verbose_name = "fiche action"
        verbose_name_plural = "fiches actions"
        ordering = ["ordre", "titre"]
        indexes = [
            # The list's order (ordre, then id): a page's ids read from the index alone, even
            # far into the list (OFFSET 7,500: 2 ms instead of 27 ms reading the table).
            models.Index(fields=["etat", "ordre", "id"], name="fiche_etat_ordre_id_idx"),
            # The ids of the visible fiches, for every total and bilan, read from this narrow
            # index alone (PostgreSQL's index-only scan) instead of the table and its long
            # descriptifs (docs/benchmarks.md).
            models.Index(fields=["etat", "contrat", "id"], name="fiche_etat_contrat_idx"),
        ]
        permissions = [
            ("publish_ficheaction", "Peut publier une fiche"),
            (
                "change_any_ficheaction",
                "Peut modifier toutes les fiches, pas seulement celles de ses structures",
            ),
        ]

    def __str__(self):
        return self.titre

    def get_absolute_url(self):
        return reverse("actions:detail", args=[self.slug])

    @property
    def budget_total(self) -> Decimal | None:
        """Sum of the budget lines; None when the fiche has no budget (which is not 0 €)."""
        if hasattr(self, "budget_total_sql"):
            return self.budget_total_sql
        return fiche_total(self.lignes_budget.all())

    @property
    def porteurs(self) -> list[Structure]:
        return [
            p.structure
            for p in self.participations.all()
            if p.role in (Role.PORTEUR, Role.CO_PORTEUR)
        ]


class AncienSlug(models.Model):
    """An address a fiche had before its slug changed: it still answers, with a permanent
    redirect to the current one. Written by `services.fiche_slug_changed` only."""

    fiche = models.ForeignKey(
        FicheAction,
        on_delete=models.CASCADE,
        related_name="anciens_slugs",
        verbose_name="fiche action",
    )
    slug = models.SlugField("ancien slug", max_length=200, unique=True)
    remplace_le = models.DateTimeField("remplacé le", default=timezone.now)

    class Meta:
        verbose_name = "ancienne adresse de fiche"
        verbose_name_plural = "anciennes adresses de fiches"
        ordering = ["fiche", "-remplace_le"]

    def __str__(self):
        return self.slug


class TransitionFiche(models.Model):
    """One step of a fiche through the workflow: who moved it, from where to where, when, why.

    Written only by the services of actions/services.py."""

    fiche = models.ForeignKey(
        FicheAction,
        on_delete=models.CASCADE,
        related_name="transitions",
        verbose_name="fiche action",
    )
    etat_avant = models.CharField("état avant", max_length=20, choices=Etat)
    etat_apres = models.CharField("état après", max_length=20, choices=Etat)
    auteur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transitions_fiches",
        verbose_name="auteur",
    )
    date = models.DateTimeField("date", default=timezone.now)
    commentaire = models.TextField("commentaire", blank=True)

    class Meta:
        verbose_name = "changement d'état de publication"
        verbose_name_plural = "changements d'état de publication"
        ordering = ["fiche", "date", "pk"]

    def __str__(self):
        return f"{self.fiche} : {self.get_etat_avant_display()} → {self.get_etat_apres_display()}"


class Participation(models.Model):
    fiche = models.ForeignKey(
        FicheAction,
        on_delete=models.CASCADE,
        related_name="participations",
        verbose_name="fiche action",
    )
    structure = models.ForeignKey(
        Structure,
        on_delete=models.PROTECT,
        related_name="participations",
        verbose_name="structure",
    )
    role = models.CharField("rôle", max_length=20, choices=Role, default=Role.PARTENAIRE)
    precision = models.CharField(
        "précision",
        max_length=300,
        blank=True,
        help_text="Ce que la fiche dit de plus sur cette participation.",
    )
    ordre = models.PositiveSmallIntegerField("ordre", default=0)

    history = HistoricalRecords(
        verbose_name="version de participation", verbose_name_plural="versions de participations"
    )

    class Meta:
        verbose_name = "participation"
        verbose_name_plural = "participations"
        ordering = ["fiche", "ordre", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiche", "structure", "role"],
                name="participation_unique",
                violation_error_message="Cette structure a déjà ce rôle dans cette fiche.",
            )
        ]

    def __str__(self):
        return f"{self.structure} — {self.get_role_display()}"


class LigneBudget(models.Model):
    fiche = models.ForeignKey(
        FicheAction,
        on_delete=models.CASCADE,
        related_name="lignes_budget",
        verbose_name="fiche action",
    )
    montant = models.DecimalField(
        "montant (€)",
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0, "Le montant ne peut pas être négatif.")],
    )
    periodicite = models.CharField(
        "périodicité", max_length=10, choices=Periodicite, default=Periodicite.TOTAL
    )
    nombre_annees = models.PositiveSmallIntegerField(
        "nombre d'années",
        null=True,
        blank=True,
        validators=[MinValueValidator(1, "Le nombre d'années doit être au moins 1.")],
        help_text="Obligatoire pour un montant par an ; pour un montant total, sur combien "
        "d'années il s'étale.",
    )
    nature = models.CharField("nature", max_length=100, blank=True)
    financeur = models.ForeignKey(
        Structure,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="financements",
        verbose_name="financeur",
    )
    note = models.CharField("note", max_length=300, blank=True)
    ordre = models.PositiveSmallIntegerField("ordre", default=0)

    history = HistoricalRecords(
        verbose_name="version de ligne de budget",
        verbose_name_plural="versions de lignes de budget",
    )

    class Meta:
        verbose_name = "ligne de budget"
        verbose_name_plural = "lignes de budget"
        ordering = ["fiche", "ordre", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(montant__gte=0),
                name="ligne_budget_montant_positif",
                violation_error_message="Le montant ne peut pas être négatif.",
            ),
            models.CheckConstraint(
                # NULL >= 1 is unknown, which a CHECK lets through: say "not null" too.
                condition=~models.Q(periodicite="annuel")
                | models.Q(nombre_annees__isnull=False, nombre_annees__gte=1),
                name="ligne_budget_annuel_a_une_duree",
                violation_error_message="Un montant par an demande un nombre d'années.",
            ),
        ]

    def __str__(self):
        return self.libelle

    @property
    def total(self) -> Decimal:
        return ligne_total(self)

    @property
    def libelle(self) -> str:
        """'2 000 € par an sur 6 ans, soit 12 000 €', '15 000 € sur 6 ans', '250 550 €'."""
        text = format_euros(self.montant)
        if self.periodicite == Periodicite.ANNUEL:
            return f"{text} par an sur {self.nombre_annees} ans, soit {format_euros(self.total)}"
        if self.nombre_annees:
            return f"{text} sur {self.nombre_annees} ans"
        return text

    def clean(self):
        if self.periodicite == Periodicite.ANNUEL and not self.nombre_annees:
            raise ValidationError(
                {"nombre_annees": "Un montant par an demande un nombre d'années."}
            )


class SousAction(models.Model):
    fiche = models.ForeignKey(
        FicheAction,
        on_delete=models.CASCADE,
        related_name="sous_actions",
        verbose_name="fiche action",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="enfants",
        verbose_name="rattachée à",
    )
    nature = models.CharField(
        "nature", max_length=20, choices=NatureSousAction, default=NatureSousAction.ACTION
    )
    numero = models.CharField("numéro", max_length=20, blank=True)
    titre = models.CharField("titre", max_length=500)
    description = models.TextField("description", blank=True)
    ordre = models.PositiveSmallIntegerField(
        "ordre", default=0, help_text="Position dans la fiche, en lisant de haut en bas."
    )

    history = HistoricalRecords(
        verbose_name="version de sous-action", verbose_name_plural="versions de sous-actions"
    )

    class Meta:
        verbose_name = "sous-action"
        verbose_name_plural = "sous-actions"
        ordering = ["fiche", "ordre", "pk"]

    def __str__(self):
        label = self.get_nature_display()
        if self.numero:
            label = f"{label} {self.numero}"
        return f"{label} : {self.titre}"

    def clean(self):
        if self.parent_id and self.fiche_id and self.parent.fiche_id != self.fiche_id:
            raise ValidationError(
                {"parent": "La sous-action parente doit appartenir à la même fiche."}
            )
