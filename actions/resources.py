"""Import/export of fiches actions: one column list for the admin, the CSV and the JSON."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import formats, timezone
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader

from contrat.history import author
from contrat.imports import AtomicImportMixin
from structures.resources import ChoiceWidget, RelatedRowsMixin, remember_related

from .cells import (
    ContratWidget,
    EnjeuxWidget,
    LignesBudgetWidget,
    NumberWidget,
    OrientationsWidget,
    ParticipationsWidget,
    parse_amount,
    plain_amount,
)
from .models import Etat, FicheAction, LigneBudget, Participation, Statut
from .recap import FIGURES
from .search import search_index_queue
from .services import StaleFicheError, fiche_claim_version, history_record_import

__all__ = ["FicheActionResource", "parse_amount", "plain_amount", "with_export_relations"]

EXPORT_CHUNK_SIZE = 1000


class ComputedField(fields.Field):
    """An export-only column computed from the fiche: a value edited in a file is ignored,
    with a warning in the preview (ImportChangesMixin.computed_warnings)."""

    computed = True

    def __init__(self, compute, **kwargs):
        super().__init__(readonly=True, widget=NumberWidget(), **kwargs)
        self.compute = compute

    def get_value(self, instance):
        if instance.pk is None:  # a new row of an import preview: nothing to compute yet
            return None
        return self.compute(instance)


def figure_field(key: str) -> ComputedField:
    """The recap's figure `key` (its column spec, actions/recap.py) as the export-only column of
    that name, computed from the fiche's budget lines as the recap computes it."""
    of_lignes = FIGURES[key].of_lignes
    return ComputedField(lambda fiche: of_lignes(fiche.lignes_budget.all()), column_name=key)


def text_field(name):
    return fields.Field(attribute=name, column_name=name, widget=widgets.CharWidget())


class FicheActionResource(AtomicImportMixin, RelatedRowsMixin, resources.ModelResource):
    slug = text_field("slug")
    titre = text_field("titre")
    ordre = fields.Field(
        attribute="ordre", column_name="ordre", widget=widgets.IntegerWidget(), default=0
    )
    statut = fields.Field(
        attribute="statut",
        column_name="statut",
        widget=ChoiceWidget(Statut, "état d'avancement", default=Statut.PROPOSEE),
    )
    etat = fields.Field(
        attribute="etat",
        column_name="etat",
        widget=ChoiceWidget(Etat, "état de publication", default=Etat.BROUILLON),
    )
    contrat = fields.Field(attribute="contrat", column_name="contrat", widget=ContratWidget())
    descriptif = text_field("descriptif")
    enjeu_texte = text_field("enjeu_texte")
    orientations = fields.Field(
        attribute="orientations", column_name="orientations", widget=OrientationsWidget()
    )
    enjeux = fields.Field(attribute="enjeux", column_name="enjeux", widget=EnjeuxWidget())
    budget_texte = text_field("budget_texte")
    lignes_budget = fields.Field(
        attribute="lignes_budget", column_name="lignes_budget", widget=LignesBudgetWidget()
    )
    budget_total = figure_field("budget_total")
    montant_annuel = figure_field("montant_annuel")
    nombre_annees = figure_field("nombre_annees")
    structure_texte = text_field("structure_texte")
    structures = fields.Field(
        attribute="participations", column_name="structures", widget=ParticipationsWidget()
    )

    version = fields.Field(
        attribute="version", column_name="version", widget=widgets.IntegerWidget(), readonly=True
    )

    required_columns = ("slug", "titre")
    related_columns = ("orientations", "enjeux", "lignes_budget", "participations")
    fields_saved_on_update = ("version", "modifie_le")
    # The version each fiche had when the file was exported: a fiche saved since is refused.
    admin_columns = ("version",)
    column_labels = {
        "slug": "Identifiant (slug)",
        "titre": "Titre",
        "ordre": "Ordre dans le récapitulatif",
        "statut": "État d'avancement",
        "etat": "État de publication",
        "contrat": "Contrat",
        "descriptif": "Descriptif",
        "enjeu_texte": "Enjeu (texte de la fiche)",
        "orientations": "Orientations",
        "enjeux": "Enjeux cités sans orientation",
        "budget_texte": "Budget (texte de la fiche)",
        "lignes_budget": "Lignes de budget",
        "budget_total": "Budget total",
        "montant_annuel": "Montant annuel",
        "nombre_annees": "Nombre d'années",
        "structure_texte": "Structure (texte de la fiche)",
        "structures": "Structures",
        "version": "Version",
    }

    class Meta:
        model = FicheAction
        name = "Fiches actions (avec structures, orientations et budget)"
        fields = (
            "slug",
            "titre",
            "ordre",
            "statut",
            "etat",
            "contrat",
            "descriptif",
            "enjeu_texte",
            "orientations",
            "enjeux",
            "budget_texte",
            "lignes_budget",
            "budget_total",
            "montant_annuel",
            "nombre_annees",
            "structure_texte",
            "structures",
            "version",
        )
        export_order = fields
        import_id_fields = ("slug",)
        instance_loader_class = CachedInstanceLoader
        clean_model_instances = True

    def get_queryset(self):
        return with_export_relations(FicheAction.objects.all())

    def export(self, queryset=None, **kwargs):
        # The admin passes its changelist's queryset: read the relations in bulk there too.
        if isinstance(queryset, QuerySet):
            queryset = with_export_relations(queryset)
        return super().export(queryset, **kwargs)

    def iter_queryset(self, queryset):
        # The library pages with OFFSET (slower and slower on 10,000 rows); a chunked iterator
        # keeps the prefetches (Django ≥ 4.1) and reads each row once.
        if isinstance(queryset, QuerySet):
            return queryset.iterator(chunk_size=EXPORT_CHUNK_SIZE)
        return super().iter_queryset(queryset)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.references = self.fields["contrat"].widget.references

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # A partner's file may have no `contrat` column: the portal's only contract, then.
        if instance.contrat_id is None and "contrat" not in errors:
            try:
                instance.contrat = self.references.contrat(None)
            except ValueError as error:
                errors["contrat"] = [str(error)]
        if instance.pk is not None and (stale := self.stale_since_export(instance, row)):
            errors["version"] = [stale]
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def stale_since_export(fiche, row) -> str | None:
        """Why the row is refused, when the fiche is no longer at the version of the file
        (saved since the export): who saved it last, and when. None when it still is, or
        when the file has no version (a partner's file: claim_version guards its writes)."""
        exported = str(row.get("version") or "").strip()
        if not exported:
            return None
        try:
            exported = int(float(exported))
        except ValueError:
            return (
                f"« {exported} » n'est pas un numéro de version : laissez la colonne telle "
                "que l'export l'a écrite."
            )
        if exported == fiche.version:
            return None
        since = FicheAction.history.filter(id=fiche.pk, version__gt=exported)
        last = since.select_related("history_user").order_by("-history_date", "-history_id")
        last = last.first()
        who = f" par {author(last)} le {_date(last.history_date)}" if last else ""
        others = since.count() - 1 if last else 0
        more = f" (et {others} autre{'s' if others > 1 else ''} fois)" if others > 0 else ""
        return (
            f"« {fiche.titre} » a été modifiée{who}{more} depuis votre export (version "
            f"{exported} dans le fichier, {fiche.version} aujourd'hui). Rien n'a été importé : "
            "exportez de nouveau les fiches et reportez-y vos changements."
        )

    # --- History: one version per imported fiche, written in bulk after the import ------------

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.imported_fiches = []

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        if instance.pk is not None:
            self.claim_version(instance)
        # django-simple-history would write up to three versions per fiche (the row, then its
        # orientations, then its enjeux), in the preview too: after_import writes one instead.
        instance.skip_history_when_saving = True

    @staticmethod
    def claim_version(fiche) -> None:
        """The next version of `fiche`, if it is still the one this import read when it started.

        Otherwise someone saved the fiche meanwhile: the row is refused (StaleFicheError, a
        ValidationError), so the whole import is, and the other save stands. An admin form
        opened before the import is made stale the same way."""
        try:
            fiche_claim_version(fiche=fiche, expected=fiche.version)
        except StaleFicheError as refusal:
            stale = refusal.message
            raise StaleFicheError(
                f"La fiche « {fiche.titre} » ({fiche.slug}) : {stale[:1].lower()}{stale[1:]} "
                "Rien n'a été importé : relancez l'import, il partira de la version actuelle."
            ) from None

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        instance.__dict__.pop("skip_history_when_saving", None)
        if not kwargs.get("dry_run"):
            self.imported_fiches.append(instance)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not (kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors()):
            history_record_import(fiches=self.imported_fiches, user=kwargs.get("user"))
            # Their rows were written by bulk_create, which sends no signal.
            search_index_queue(fiche_ids=[fiche.pk for fiche in self.imported_fiches])

    def check_orientations(self, fiche, orientations):
        """Resolved while cleaning: nothing more to check."""

    def check_enjeux(self, fiche, enjeux):
        """Resolved while cleaning: nothing more to check."""

    def check_lignes_budget(self, fiche, lignes):
        self.full_clean_all(
            [LigneBudget(**data) for data in lignes],
            "Ligne de budget",
            exclude=["fiche", "financeur"],
        )

    def check_participations(self, fiche, participations):
        seen = set()
        for number, data in enumerate(participations, 1):
            key = (data["structure"].pk, data["role"])
            if key in seen:
                raise ValueError(
                    f"Participation n° {number} : {data['structure']} a déjà ce rôle "
                    "dans cette fiche."
                )
            seen.add(key)
        self.full_clean_all(
            [Participation(**data) for data in participations],
            "Participation",
            exclude=["fiche", "structure"],
        )

    def save_orientations(self, fiche, orientations, new):
        if new:
            fiche.orientations.add(*orientations)
        else:
            fiche.orientations.set(orientations)
        remember_related(fiche.orientations, orientations)

    def save_enjeux(self, fiche, enjeux, new):
        if new:
            fiche.enjeux.add(*enjeux)
        else:
            fiche.enjeux.set(enjeux)
        remember_related(fiche.enjeux, enjeux)

    def save_lignes_budget(self, fiche, lignes, new):
        objects = [
            LigneBudget(fiche=fiche, ordre=ordre, **data) for ordre, data in enumerate(lignes, 1)
        ]
        self.replace_related(fiche.lignes_budget, LigneBudget, objects, new)

    def save_participations(self, fiche, participations, new):
        objects = [
            Participation(fiche=fiche, ordre=ordre, **data)
            for ordre, data in enumerate(participations, 1)
        ]
        self.replace_related(fiche.participations, Participation, objects, new)


def with_export_relations(queryset):
    """Everything the exports read, in a constant number of queries whatever the row count.

    Only the lookups the queryset lacks are added: `for_listing()` already prefetches some, and
    Django refuses the same lookup twice with different querysets."""
    wanted = [
        Prefetch("participations", queryset=Participation.objects.select_related("structure")),
        Prefetch("lignes_budget", queryset=LigneBudget.objects.select_related("financeur")),
        "orientations__enjeu",
        "enjeux",
    ]
    present = {
        getattr(lookup, "prefetch_to", lookup) for lookup in queryset._prefetch_related_lookups
    }
    missing = [lookup for lookup in wanted if getattr(lookup, "prefetch_to", lookup) not in present]
    return queryset.select_related("contrat").prefetch_related(*missing)


def _date(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "j F Y à H:i")
