"""The one FilterSet of the fiches: the public list and the exports read the same filters."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils.html import format_html, format_html_join
from django.utils.text import slugify

from contrat.formats import format_euros
from contrat.search import MAX_TERMS, parse_query, words
from enjeux.models import Orientation
from enjeux.querysets import current_enjeux
from structures.models import Structure

from .models import FicheAction, Role, Statut
from .querysets import Fold

SEARCH_MAX_LENGTH = 200
# A file name's words for the filters: each value this long at most, all of them this long.
FILE_NAME_WORD = 30
FILE_NAME_FILTERS = 80

SORT_CHOICES = [
    ("ordre", "Ordre du tableau récapitulatif"),
    ("titre", "Titre (A → Z)"),
    ("-budget", "Budget (du plus élevé au plus faible)"),
    ("budget", "Budget (du plus faible au plus élevé)"),
    ("pertinence", "Pertinence (avec une recherche)"),
]

BUDGET_FIELD = {
    "min_value": 0,
    "max_digits": 14,
    "decimal_places": 2,
    "error_messages": {
        "invalid": "Saisissez un montant en euros, en chiffres (par exemple 10000)."
    },
}


def short_slug(value) -> str:
    """'Économie sociale & solidaire' -> 'economie-sociale-solidaire', at most FILE_NAME_WORD
    ASCII characters."""
    slug = slugify(str(value).replace(".", "-").replace("_", "-"))
    return slug[:FILE_NAME_WORD].strip("-")


def validate_search(value: str) -> None:
    if len(words(value)) > MAX_TERMS:
        raise ValidationError(
            f"La recherche est limitée à {MAX_TERMS} mots : raccourcissez-la.",
            code="too_many_words",
        )


class PlainSelect(forms.Select):
    """A <select> whose options are joined in Python instead of rendered through one template
    each: Django's option template was a large share of every list page and grew with the
    structures (docs/benchmarks.md). Same HTML, attributes included (id, aria-describedby)."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = set(self.format_value(value))
        options = format_html_join(
            "\n",
            '<option value="{}"{}>{}</option>',
            (
                (key, " selected" if str(key) in selected else "", label)
                for key, label in self.choices
            ),
        )
        return format_html(
            '<select name="{}"{}>\n{}\n</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            options,
        )


def structure_choices(request):
    return Structure.objects.order_by(Fold("nom"), "nom")


def orientation_choices(request):
    return Orientation.objects.select_related("enjeu")


def enjeu_choices(request):
    return current_enjeux()


class FicheFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        minimum, maximum = cleaned.get("budget_min"), cleaned.get("budget_max")
        if minimum is not None and maximum is not None and minimum > maximum:
            raise ValidationError(
                "Le budget minimum dépasse le budget maximum : aucune fiche ne peut convenir."
            )
        return cleaned


class FicheFilter(django_filters.FilterSet):
    """Filters kept in the query string. Used as
    `FicheFilter(request.GET, queryset=FicheAction.objects.visible_to(user).for_listing(),
    request=request)`; `.qs` is filtered and sorted (recap order by default). A field with a
    bad value is left out of `.qs` (its error is in `.form.errors`), the others still apply."""

    q = django_filters.CharFilter(
        label="Rechercher",
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        validators=[validate_search],
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text="Titre, descriptif, enjeu, structures, sous-actions ; au singulier comme "
        "au pluriel, sans tenir compte des accents ni des majuscules. Tous les mots sont "
        "cherchés ; « entre guillemets », une expression exacte.",
    )
    enjeu = django_filters.ModelChoiceFilter(
        label="Enjeu",
        queryset=enjeu_choices,
        to_field_name="numero",
        method="filter_enjeu",
        empty_label="Tous les enjeux",
        error_messages={
            "invalid_choice": "Cet enjeu n'existe pas : ce filtre n'a pas été appliqué."
        },
    )
    orientation = django_filters.ModelChoiceFilter(
        label="Orientation",
        queryset=orientation_choices,
        method="filter_orientation",
        empty_label="Toutes les orientations",
        error_messages={
            "invalid_choice": "Cette orientation n'existe pas : ce filtre n'a pas été appliqué."
        },
    )
    structure = django_filters.ModelChoiceFilter(
        label="Structure",
        queryset=structure_choices,
        to_field_name="slug",
        method="filter_structure",
        widget=PlainSelect,
        empty_label="Toutes les structures",
        error_messages={
            "invalid_choice": "Cette structure n'existe pas : ce filtre n'a pas été appliqué."
        },
    )
    role = django_filters.ChoiceFilter(
        label="Rôle de la structure",
        choices=Role.choices,
        method="filter_role",
        empty_label="Tous les rôles",
        help_text="Avec une structure : son rôle dans la fiche. Sans : les fiches où une "
        "structure a ce rôle.",
        error_messages={"invalid_choice": "Ce rôle n'existe pas : ce filtre n'a pas été appliqué."},
    )
    statut = django_filters.ChoiceFilter(
        label="État d'avancement",
        choices=Statut.choices,
        empty_label="Tous les états",
        error_messages={
            "invalid_choice": "Cet état n'existe pas : ce filtre n'a pas été appliqué."
        },
    )
    budget_min = django_filters.NumberFilter(
        label="Budget minimum (€)", method="filter_budget_min", **BUDGET_FIELD
    )
    budget_max = django_filters.NumberFilter(
        label="Budget maximum (€)", method="filter_budget_max", **BUDGET_FIELD
    )
    sans_budget = django_filters.BooleanFilter(
        label="Seulement les fiches sans budget",
        method="filter_sans_budget",
        widget=forms.CheckboxInput,
    )
    sort = django_filters.ChoiceFilter(
        label="Trier par",
        choices=SORT_CHOICES,
        method="filter_nothing",
        empty_label=None,
        error_messages={
            "invalid_choice": "Ce tri n'existe pas : les fiches sont dans l'ordre du tableau."
        },
    )

    class Meta:
        model = FicheAction
        fields = []
        form = FicheFilterForm

    def __init__(self, data=None, *args, **kwargs):
        # Always bound (FilterView passes None for an empty query string), so `.qs` is sorted
        # and `describe()` works the same with or without parameters.
        super().__init__(QueryDict() if data is None else data, *args, **kwargs)

    def filter_queryset(self, queryset):
        # Sorting comes last and always, so a missing or bad `sort` still gives recap order;
        # a search without a chosen order lists the best matches first.
        queryset = super().filter_queryset(queryset)
        default = "pertinence" if self.search_query else "ordre"
        return queryset.sorted_by(self.form.cleaned_data.get("sort") or default)

    @property
    def search_query(self):
        """The search as read into terms (contrat.search.SearchQuery, false when there is
        none): the result cards highlight its words."""
        return parse_query(self.cleaned.get("q") or "")

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_enjeu(self, queryset, name, value):
        return queryset.for_enjeu(value)

    def filter_orientation(self, queryset, name, value):
        return queryset.for_orientation(value)

    def filter_structure(self, queryset, name, value):
        return queryset.for_structure(value, role=self.form.cleaned_data.get("role") or None)

    def filter_role(self, queryset, name, value):
        if self.form.cleaned_data.get("structure"):
            return queryset  # already applied, with the structure
        return queryset.with_role(value)

    def filter_budget_min(self, queryset, name, value):
        return queryset.budget_between(minimum=value)

    def filter_budget_max(self, queryset, name, value):
        return queryset.budget_between(maximum=value)

    def filter_sans_budget(self, queryset, name, value):
        return queryset.without_budget() if value else queryset

    @property
    def cleaned(self) -> dict:
        """The valid values only (validating the form first if needed)."""
        if not hasattr(self.form, "cleaned_data"):
            self.form.is_valid()
        return self.form.cleaned_data

    def describe(self) -> list[str]:
        """The active filters in French, for a title block: an empty list means every fiche."""
        data = self.cleaned
        parts = []
        if data.get("q"):
            parts.append(f"Recherche : « {data['q']} »")
        if data.get("enjeu"):
            parts.append(str(data["enjeu"]))
        if data.get("orientation"):
            parts.append(f"Orientation : {data['orientation']}")
        role = Role(data["role"]).label.lower() if data.get("role") else ""
        if data.get("structure"):
            parts.append(f"Structure : {data['structure']}" + (f" ({role})" if role else ""))
        elif role:
            parts.append(f"Rôle d'une structure : {role}")
        if data.get("statut"):
            parts.append(f"État d'avancement : {Statut(data['statut']).label}")
        if data.get("budget_min") is not None:
            parts.append(f"Budget minimum : {format_euros(data['budget_min'])}")
        if data.get("budget_max") is not None:
            parts.append(f"Budget maximum : {format_euros(data['budget_max'])}")
        if data.get("sans_budget"):
            parts.append("Sans budget renseigné")
        return parts

    def file_name_words(self) -> str:
        """The active filters as a file name says them, short and ASCII: 'enjeu-2',
        'recherche-cibs-adus-porteur'; '' for every fiche. The order is not part of it."""
        data = self.cleaned
        parts = []
        if data.get("q"):
            parts.append("-".join(filter(None, ["recherche", short_slug(data["q"])])))
        if data.get("enjeu"):
            parts.append(f"enjeu-{data['enjeu'].numero}")
        if data.get("orientation"):
            orientation = data["orientation"]
            parts.append(f"orientation-{short_slug(orientation.code or orientation.titre)}")
        if data.get("structure"):
            parts.append(short_slug(data["structure"].slug))
        if data.get("role"):
            parts.append(short_slug(data["role"]))
        if data.get("statut"):
            parts.append(short_slug(Statut(data["statut"]).label))
        for name in ("budget_min", "budget_max"):
            value = data.get(name)
            if value is not None:
                amount = int(value) if value == int(value) else value
                parts.append(short_slug(f"{name}-{amount}"))
        if data.get("sans_budget"):
            parts.append("sans-budget")
        words = "-".join(part for part in parts if part)
        return words[:FILE_NAME_FILTERS].strip("-")
