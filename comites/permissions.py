"""Who may write the committees' records: the CG59's editors (and administrators)."""

from actions.permissions import is_scoped


def can_edit_avenants(user, verb: str = "change") -> bool:
    """Amendments are the contract's, not a structure's: `verb` ("add", "change", "delete")
    permission on them, and the reach over every fiche (never a contributor's scope)."""
    return (
        user.is_active
        and user.has_perm(f"comites.{verb}_avenant")
        and user.has_perm("actions.change_any_ficheaction")
        and not is_scoped(user)
    )
