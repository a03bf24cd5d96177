"""The publication workflow's moves (declared in actions/workflow.py): the only writer of a
fiche's transitions."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from ..models import Etat, FicheAction, TransitionFiche
from ..permissions import can_publish
from ..workflow import BY_NAME, allowed


@transaction.atomic
def fiche_transition(*, fiche: FicheAction, user, name: str, comment: str = "") -> TransitionFiche:
    """Make the move `name` of actions/workflow.py, if `user` may and the fiche stands in one
    of its source states, and record who did it.

    The row is locked first, so that two people clicking at once cannot both move it from the
    same state. `fiche` is updated in place."""
    transition = BY_NAME[name]
    if not allowed(transition, user, fiche):
        raise PermissionDenied(transition.refusal)
    comment = (comment or "").strip()
    if transition.comment_refusal and not comment:
        raise ValidationError(transition.comment_refusal)
    current = FicheAction.objects.select_for_update().get(pk=fiche.pk)
    if current.etat not in transition.sources:
        raise ValidationError(
            f"La fiche « {current.titre} » est à l'état « {current.get_etat_display()} » : "
            f"on ne peut pas la {transition.verb} depuis cet état."
        )
    avant = current.etat
    current.etat = transition.target
    current.version += 1  # an edit form opened before this move is now stale
    current._history_user = user  # django-simple-history: the author of this version
    current.full_clean()
    current.save()
    fiche.etat, fiche.version, fiche.modifie_le = current.etat, current.version, current.modifie_le
    record = TransitionFiche(
        fiche=current,
        etat_avant=avant,
        etat_apres=transition.target,
        auteur=user if user.is_authenticated else None,
        commentaire=comment,
    )
    record.full_clean()
    record.save()
    return record


def fiche_submit_for_review(*, fiche: FicheAction, user) -> TransitionFiche:
    """Brouillon → en relecture: the fiche's contributor or an editor asks for publication."""
    return fiche_transition(fiche=fiche, user=user, name="soumettre")


def fiche_publish(*, fiche: FicheAction, user) -> TransitionFiche:
    """En relecture (or brouillon, or archivée) → publiée: an editor validates the fiche."""
    return fiche_transition(fiche=fiche, user=user, name="publier")


def fiche_send_back(*, fiche: FicheAction, user, comment: str) -> TransitionFiche:
    """En relecture (or archivée) → brouillon, with the editor's reason for the contributor."""
    return fiche_transition(fiche=fiche, user=user, name="renvoyer", comment=comment)


def fiche_archive(*, fiche: FicheAction, user) -> TransitionFiche:
    """Publiée → archivée: the fiche leaves the lists, its page stays with a banner."""
    return fiche_transition(fiche=fiche, user=user, name="archiver")


RETRAIT_APRES_MODIFICATION = (
    "Modifiée par un contributeur : retirée du portail jusqu'à sa relecture."
)


def fiche_withdraw_after_edit(*, fiche: FicheAction, user) -> TransitionFiche | None:
    """A published fiche changed by someone who may not publish goes back to brouillon, so
    that the public only ever sees what an editor validated. Nothing to do for an editor,
    or for a fiche that is not published."""
    if can_publish(user) or fiche.etat != Etat.PUBLIEE:
        return None
    return fiche_transition(
        fiche=fiche, user=user, name="retirer", comment=RETRAIT_APRES_MODIFICATION
    )


ROWS_EDITED_REASON = "Participations, lignes de budget ou sous-actions modifiées"


@transaction.atomic
def fiche_rows_edited(*, fiche_ids, user) -> list[FicheAction]:
    """Participations, budget lines or sub-actions of these fiches are being written outside the
    fiche's form (their own admin page, a restore of one of them): each fiche takes a new
    version, so that a form opened before is refused instead of putting the old rows back, and
    a published one changed by someone who may not publish leaves the portal, as when edited
    through its form. Returns the fiches withdrawn.

    Call it before writing the rows: the fiche's version is recorded first, as the fiche's form
    does, so that the rows' versions belong to it (actions/history.py, version_end)."""
    withdrawn = []
    for fiche in FicheAction.objects.select_for_update().filter(pk__in=fiche_ids).order_by("pk"):
        fiche.version += 1
        fiche._history_user = user if user.is_authenticated else None
        fiche._change_reason = ROWS_EDITED_REASON
        fiche.save(update_fields=["version", "modifie_le"])
        if fiche_withdraw_after_edit(fiche=fiche, user=user):
            withdrawn.append(fiche)
    return withdrawn
