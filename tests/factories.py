"""The factories tests build with, and what only tests build: staff accounts, `make_fiches`,
an admin form's data. The factories live in actions/factories.py, where generate_demo and the
benchmarks build from them too; tests import them from here."""

from decimal import Decimal

from django.contrib.auth.models import Group

from actions.factories import (
    ContactFactory,
    ContratFactory,
    DemoFicheActionFactory,
    DemoStructureFactory,
    EnjeuFactory,
    FicheActionFactory,
    LigneBudgetFactory,
    LigneFinancementFactory,
    OrientationFactory,
    ParticipationFactory,
    SousActionFactory,
    StructureFactory,
    UserFactory,
)
from actions.models import FicheAction, Periodicite, Role
from actions.suivi_factories import (
    EtapeFactory,
    IndicateurFactory,
    PointAvancementFactory,
    ValeurIndicateurFactory,
)

__all__ = [
    "ContactFactory",
    "ContratFactory",
    "DemoFicheActionFactory",
    "DemoStructureFactory",
    "EnjeuFactory",
    "EtapeFactory",
    "FicheActionFactory",
    "IndicateurFactory",
    "LigneBudgetFactory",
    "LigneFinancementFactory",
    "OrientationFactory",
    "ParticipationFactory",
    "PointAvancementFactory",
    "SousActionFactory",
    "StructureFactory",
    "UserFactory",
    "ValeurIndicateurFactory",
    "admin_form_data",
    "make_fiches",
    "staff_user",
]


def staff_user(role: str, *, structures=(), **kwargs):
    """A staff account in the group `role` (see actions/roles.py), representing `structures`."""
    from actions.roles import roles_ensure

    # Transactional tests (the browser's) flush the groups the migration created.
    if not Group.objects.filter(name=role).exists():
        roles_ensure()
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=role))
    for structure in structures:
        structure.representants.add(user)
    return user


def make_fiches(count: int, *, contrat=None, **kwargs) -> list[FicheAction]:
    """`count` published fiches, each with a porteur, a partner, an orientation and a budget:
    what a query-count test needs to show that a page does not grow with the data."""
    contrat = contrat or ContratFactory()
    orientation = OrientationFactory(enjeu=EnjeuFactory(contrat=contrat))
    fiches = []
    for _ in range(count):
        fiche = FicheActionFactory(contrat=contrat, **kwargs)
        fiche.orientations.add(orientation)
        ParticipationFactory(fiche=fiche, role=Role.PORTEUR)
        ParticipationFactory(fiche=fiche, role=Role.PARTENAIRE)
        LigneBudgetFactory(fiche=fiche)
        LigneBudgetFactory(
            fiche=fiche, montant=Decimal("2000"), periodicite=Periodicite.ANNUEL, nombre_annees=6
        )
        SousActionFactory(fiche=fiche)
        fiches.append(fiche)
    return fiches


def admin_form_data(response) -> dict:
    """What the admin's add/change form in `response` would post back untouched: the main form's
    and every inline's current values, with their management forms (a fiche's version page:
    its one form). Tests change one key."""
    from django import forms

    data = {}

    def add(form):
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if isinstance(field, forms.BooleanField):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
                data[bound.html_name] = [str(item) for item in value or []]
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(item) for item in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)

    # A fiche's version page has one small form (the version it replaces), no adminform.
    admin_form = response.context.get("adminform")
    add(admin_form.form if admin_form is not None else response.context["form"])
    # A version's page (django-simple-history's revert form) has no inlines.
    for inline in response.context.get("inline_admin_formsets") or []:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data
