"""Writes that touch several rows or apps, by capability: the recap loaded and the first
account (seeding), the publication workflow, concurrent edits (versions), versions written in
bulk and a deleted fiche restored (history). `from actions import services` reaches them all."""

from .history import (
    HISTORY_MODELS,
    IMPORT_REASON,
    Restauration,
    deleted_fiches,
    fiche_restore,
    history_record_import,
    history_snapshot,
)
from .seeding import ADMIN_USERNAME, RECAP_FIXTURE, AdminUsernameTaken, admin_ensure, recap_seed
from .versions import StaleFicheError, fiche_claim_version, stale_message
from .workflow import (
    RETRAIT_APRES_MODIFICATION,
    fiche_archive,
    fiche_publish,
    fiche_rows_edited,
    fiche_send_back,
    fiche_submit_for_review,
    fiche_transition,
    fiche_withdraw_after_edit,
)

__all__ = [
    "ADMIN_USERNAME",
    "HISTORY_MODELS",
    "IMPORT_REASON",
    "RECAP_FIXTURE",
    "RETRAIT_APRES_MODIFICATION",
    "AdminUsernameTaken",
    "Restauration",
    "StaleFicheError",
    "admin_ensure",
    "deleted_fiches",
    "fiche_archive",
    "fiche_claim_version",
    "fiche_publish",
    "fiche_restore",
    "fiche_rows_edited",
    "fiche_send_back",
    "fiche_submit_for_review",
    "fiche_transition",
    "fiche_withdraw_after_edit",
    "history_record_import",
    "history_snapshot",
    "recap_seed",
    "stale_message",
]
