"""The editorial workflow, declared once: every move of a fiche's publication state."""

from dataclasses import dataclass

from .models import Etat, FicheAction
from .permissions import can_edit_fiche, can_publish

# Who may make a move: whoever may edit the fiche (its contributor, an editor), or an editor.
EDIT = "change"
PUBLISH = "publish"

REFUS_PUBLICATION = (
    "Seuls les rédacteurs du CG59 peuvent publier, renvoyer ou archiver une fiche : "
    "envoyez-la en relecture."
)


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    permission: str  # EDIT or PUBLISH; also the admin's action permission
    label: str  # the button on the fiche's admin page
    done: str  # "Fiche « … » publiée."
    verb: str  # "on ne peut pas la publier depuis cet état"
    refusal: str  # said to whoever lacks the permission
    # Said when the comment is missing; empty when the move needs none.
    comment_refusal: str = ""
    # The list's bulk action ("" when there is none); withdrawing has neither: it follows an edit.
    bulk_label: str = ""
    button: bool = True


TRANSITIONS = (
    Transition(
        name="soumettre",
        sources=(Etat.BROUILLON,),
        target=Etat.EN_RELECTURE,
        permission=EDIT,
        label="Envoyer en relecture",
        done="envoyée en relecture",
        verb="envoyer en relecture",
        refusal="Vous ne pouvez envoyer en relecture que les fiches portées par l'une de vos "
        "structures.",
        bulk_label="Envoyer en relecture les fiches sélectionnées",
    ),
    Transition(
        name="publier",
        sources=(Etat.BROUILLON, Etat.EN_RELECTURE, Etat.ARCHIVEE),
        target=Etat.PUBLIEE,
        permission=PUBLISH,
        label="Publier",
        done="publiée",
        verb="publier",
        refusal=REFUS_PUBLICATION,
        bulk_label="Publier les fiches sélectionnées",
    ),
    Transition(
        name="renvoyer",
        sources=(Etat.EN_RELECTURE, Etat.ARCHIVEE),
        target=Etat.BROUILLON,
        permission=PUBLISH,
        label="Renvoyer en brouillon",
        done="renvoyée en brouillon",
        verb="renvoyer en brouillon",
        refusal=REFUS_PUBLICATION,
        comment_refusal="Dites en commentaire ce qui reste à reprendre : il est obligatoire pour "
        "renvoyer une fiche en brouillon.",
    ),
    Transition(
        name="archiver",
        sources=(Etat.PUBLIEE,),
        target=Etat.ARCHIVEE,
        permission=PUBLISH,
        label="Archiver",
        done="archivée",
        verb="archiver",
        refusal=REFUS_PUBLICATION,
        bulk_label="Archiver les fiches sélectionnées",
    ),
    # A published fiche changed by someone who may not publish leaves the portal until an
    # editor has read it again (services.fiche_withdraw_after_edit).
    Transition(
        name="retirer",
        sources=(Etat.PUBLIEE,),
        target=Etat.BROUILLON,
        permission=EDIT,
        label="Retirer du portail",
        done="retirée du portail",
        verb="retirer",
        refusal="Vous ne pouvez pas modifier cette fiche.",
        button=False,
    ),
)
BY_NAME = {transition.name: transition for transition in TRANSITIONS}


def allowed(transition: Transition, user, fiche: FicheAction) -> bool:
    """Whether `user` holds the transition's permission on `fiche` (its state aside)."""
    if transition.permission == PUBLISH:
        return can_publish(user)
    return can_edit_fiche(user, fiche)


def buttons(user, fiche: FicheAction) -> list[Transition]:
    """The moves the fiche's admin page offers `user` from the fiche's state, in table order."""
    return [
        transition
        for transition in TRANSITIONS
        if transition.button
        and fiche.etat in transition.sources
        and allowed(transition, user, fiche)
    ]
