"""Organisations (or groups of actors) named in the contract, and the people to contact there."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords


class Nature(models.TextChoices):
    ASSOCIATION = "association", "Association"
    COLLECTIVITE = "collectivite", "Collectivité"
    CHAMBRE_CONSULAIRE = "chambre_consulaire", "Chambre consulaire"
    SERVICE_ETAT = "service_etat", "Service de l'État"
    ETABLISSEMENT_PUBLIC = "etablissement_public", "Établissement public"
    RESEAU = "reseau", "Réseau"
    AGENCE = "agence", "Agence"
    SERVICE_EMPLOI = "service_emploi", "Service public de l'emploi"
    PROTECTION_SOCIALE = "protection_sociale", "Organisme de protection sociale"
    GROUPEMENT_EMPLOYEURS = "groupement_employeurs", "Groupement d'employeurs"
    ETABLISSEMENT_MEDICO_SOCIAL = "medico_social", "Établissement médico-social"
    ENTREPRISE = "entreprise", "Entreprise"
    GROUPE = "groupe", "Ensemble d'acteurs (pas une organisation)"
    AUTRE = "autre", "Autre"


class StructureQuerySet(models.QuerySet):
    def generic(self):
        return self.filter(nature=Nature.GROUPE)


class Structure(models.Model):
    nom = models.CharField("nom", max_length=300, unique=True)
    slug = models.SlugField("slug", max_length=120, unique=True)
    sigle = models.CharField("sigle", max_length=50, blank=True)
    nature = models.CharField("nature", max_length=30, choices=Nature, default=Nature.AUTRE)
    site_web = models.URLField("site web", blank=True)
    description = models.TextField("description", blank=True)
    autres_graphies = models.TextField(
        "autres graphies",
        blank=True,
        help_text="Les autres façons dont les documents écrivent ce nom, une par ligne.",
    )
    representants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="structures_representees",
        verbose_name="représentants",
        help_text="Les comptes du groupe « Contributeur structure » qui modifient les fiches "
        "que cette structure porte ou co-porte.",
    )

    objects = StructureQuerySet.as_manager()
    # The representatives are access rights, not content: left out of the versions.
    history = HistoricalRecords(
        verbose_name="version de structure", verbose_name_plural="versions de structures"
    )

    class Meta:
        verbose_name = "structure"
        verbose_name_plural = "structures"
        ordering = ["nom"]

    def __str__(self):
        return self.nom

    def get_absolute_url(self):
        return reverse("structures:detail", args=[self.slug])

    @property
    def graphies(self) -> list[str]:
        return [line.strip() for line in self.autres_graphies.splitlines() if line.strip()]


class Contact(models.Model):
    structure = models.ForeignKey(
        Structure, on_delete=models.CASCADE, related_name="contacts", verbose_name="structure"
    )
    nom = models.CharField("nom", max_length=200)
    fonction = models.CharField("fonction", max_length=200, blank=True)
    email = models.EmailField("courriel", blank=True)
    telephone = models.CharField("téléphone", max_length=30, blank=True)

    history = HistoricalRecords(
        verbose_name="version de contact", verbose_name_plural="versions de contacts"
    )

    class Meta:
        verbose_name = "contact"
        verbose_name_plural = "contacts"
        ordering = ["structure", "nom"]

    def __str__(self):
        return f"{self.nom} ({self.structure})"
