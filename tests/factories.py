"""factory_boy factories for every model, so tests build only what they assert on."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.text import slugify

from actions.models import (
    Etat,
    FicheAction,
    LigneBudget,
    Participation,
    Periodicite,
    Role,
    SousAction,
)
from enjeux.models import Contrat, Enjeu, Orientation
from structures.models import Contact, Structure


class ContratFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contrat
        django_get_or_create = ("slug",)

    nom = "Contrat de territoire CG59 — Sambre-Avesnois"
    slug = "cg59-sambre-avesnois"
    territoire = "Sambre-Avesnois"
    periode = "6 ans"
    pied_de_page = "Le Pôle de développement de l’ESS est soutenu par"


class EnjeuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enjeu

    contrat = factory.SubFactory(ContratFactory)
    numero = factory.Sequence(lambda n: n + 1)
    titre = factory.Sequence(lambda n: f"Enjeu de test {n + 1}")


class OrientationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Orientation

    enjeu = factory.SubFactory(EnjeuFactory)
    numero = factory.Sequence(lambda n: n + 1)
    titre = factory.Sequence(lambda n: f"Orientation de test {n + 1}")


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    nom = factory.Sequence(lambda n: f"Structure {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.nom))


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    structure = factory.SubFactory(StructureFactory)
    nom = factory.Sequence(lambda n: f"Personne {n}")


class FicheActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FicheAction

    contrat = factory.SubFactory(ContratFactory)
    titre = factory.Sequence(lambda n: f"Fiche action {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.titre))
    descriptif = "Un descriptif.\n- avec une puce"
    ordre = factory.Sequence(lambda n: n + 1)
    etat = Etat.PUBLIEE


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    fiche = factory.SubFactory(FicheActionFactory)
    structure = factory.SubFactory(StructureFactory)
    role = Role.PORTEUR


class LigneBudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LigneBudget

    fiche = factory.SubFactory(FicheActionFactory)
    montant = Decimal("10000")
    periodicite = Periodicite.TOTAL


class SousActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SousAction

    fiche = factory.SubFactory(FicheActionFactory)
    titre = factory.Sequence(lambda n: f"Sous-action {n}")
    ordre = factory.Sequence(lambda n: n)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"personne{n}")
    first_name = factory.Sequence(lambda n: f"Prénom{n}")
    last_name = "Nom"
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("mot-de-passe-de-test")
    is_staff = True


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
