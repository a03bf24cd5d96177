"""Who may do what with which fiche: the object-level rules the admin and the services share.

Model permissions say what a role may do at all; these functions add the scope: a user who may
change fiches but lacks `change_any_ficheaction` (a contributor) only reaches the fiches one of
its structures carries as porteur or co-porteur."""

from django.db.models import QuerySet

from .models import Etat, FicheAction, Participation, Role


def is_scoped(user) -> bool:
    """A contributor: may change fiches, but only its structures' ones."""
    return user.has_perm("actions.change_ficheaction") and not user.has_perm(
        "actions.change_any_ficheaction"
    )


def can_publish(user) -> bool:
    """Publish, send back, archive: the CG59's editors (and administrators)."""
    return user.has_perm("actions.publish_ficheaction")


def own_fiches(user) -> QuerySet:
    """The fiches where one of the user's structures is porteur or co-porteur."""
    return FicheAction.objects.carried_by_user(user)


def scope_fiches(user, queryset: QuerySet) -> QuerySet:
    """The fiches of `queryset` the user may see in the admin."""
    if is_scoped(user):
        return queryset.filter(pk__in=own_fiches(user).values("pk"))
    return queryset


def scope_rows_of_fiches(user, queryset: QuerySet, fiche_field: str = "fiche") -> QuerySet:
    """Participations, budget lines, sub-actions: a contributor sees those of its own fiches."""
    if is_scoped(user):
        return queryset.filter(**{f"{fiche_field}__in": own_fiches(user).values("pk")})
    return queryset


def can_edit_fiche(user, fiche: FicheAction | None) -> bool:
    """Editors edit every fiche; a contributor its own fiches, unless archived: an archived
    fiche is out of the workflow until an editor brings it back."""
    if not user.has_perm("actions.change_ficheaction"):
        return False
    if not is_scoped(user) or fiche is None:
        return True
    if fiche.pk is None or fiche.etat == Etat.ARCHIVEE:
        return False
    return own_fiches(user).filter(pk=fiche.pk).exists()


def can_view_fiche(user, fiche: FicheAction | None) -> bool:
    """In the admin, a contributor sees its own fiches only (their history too)."""
    if not (
        user.has_perm("actions.view_ficheaction") or user.has_perm("actions.change_ficheaction")
    ):
        return False
    if not is_scoped(user) or fiche is None:
        return True
    return fiche.pk is not None and own_fiches(user).filter(pk=fiche.pk).exists()


def scope_deleted_fiches(user, records: QuerySet) -> QuerySet:
    """Versions of deleted fiches: a contributor sees only those its structures carried when
    they were deleted (their participations' deletion versions say so)."""
    if not is_scoped(user):
        return records
    carried = Participation.history.filter(
        history_type="-",
        role__in=(Role.PORTEUR, Role.CO_PORTEUR),
        structure_id__in=user.structures_representees.values("pk"),
    )
    return records.filter(id__in=carried.values("fiche_id"))
