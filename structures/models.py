"""Organisations (or groups of actors) named in the contract, and the people to contact there."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
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


# La Poste's establishments share the SIREN 356 000 000: their SIRETs follow another key (the
# sum of the 14 digits is a multiple of 5), as INSEE documents it.
LA_POSTE_SIREN = "356000000"


def luhn_valid(digits: str) -> bool:
    """The Luhn key of SIREN and SIRET numbers: every second digit from the right doubled."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def validate_siret_key(value: str) -> None:
    if not value.isdigit() or len(value) != 14:
        return  # the format's own message says it
    if value.startswith(LA_POSTE_SIREN):
        valid = sum(int(char) for char in value) % 5 == 0
    else:
        valid = luhn_valid(value)
    if not valid:
        raise ValidationError(
            "Ce numéro SIRET n'existe pas : sa clé de contrôle ne correspond pas. "
            "Vérifiez les 14 chiffres (avis de situation au répertoire Sirene).",
            code="siret_key",
        )


class IdentifierField(models.CharField):
    """An official identifier: the spaces typed or pasted with it ('362 521 879 00035') are
    dropped and its letters upper-cased before it is checked and stored."""

    def to_python(self, value):
        value = super().to_python(value)
        return "".join(value.split()).upper() if value else value


class StructureQuerySet(models.QuerySet):
    def generic(self):
        return self.filter(nature=Nature.GROUPE)


class Structure(models.Model):
    nom = models.CharField("nom", max_length=300, unique=True)
    slug = models.SlugField("slug", max_length=120, unique=True)
    sigle = models.CharField("sigle", max_length=50, blank=True)
    nature = models.CharField("nature", max_length=30, choices=Nature, default=Nature.AUTRE)
    site_web = models.URLField("site web", blank=True)
    siret = IdentifierField(
        "SIRET",
        max_length=14,
        blank=True,
        validators=[
            RegexValidator(r"^\d{14}$", "Un numéro SIRET compte 14 chiffres.", code="siret"),
            validate_siret_key,
        ],
        help_text="14 chiffres : le SIREN de l'organisme puis le numéro de l'établissement. "
        "Demandé pour publier les subventions (identifiant de l'attribuant).",
    )
    rna = IdentifierField(
        "numéro RNA",
        max_length=10,
        blank=True,
        validators=[
            RegexValidator(
                r"^W\d{9}$",
                "Un numéro RNA s'écrit W suivi de 9 chiffres, par exemple W595001234.",
                code="rna",
            )
        ],
        help_text="Répertoire national des associations : W suivi de 9 chiffres.",
    )
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
        constraints = [
            models.UniqueConstraint(
                fields=["siret"],
                condition=~models.Q(siret=""),
                name="structure_siret_unique",
                violation_error_message="Une autre structure porte déjà ce numéro SIRET.",
            ),
            models.UniqueConstraint(
                fields=["rna"],
                condition=~models.Q(rna=""),
                name="structure_rna_unique",
                violation_error_message="Une autre structure porte déjà ce numéro RNA.",
            ),
        ]

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
