"""Writes that touch several rows or apps, by capability: the recap loaded and the first
account (seeding), the publication workflow, concurrent edits (versions), versions written in
bulk, an earlier version or a deleted fiche restored (history), former addresses (slugs), the statut
following the progress notes (suivi).
`from actions import services` reaches them all."""

from .history import (
    BASELINE_REASON,
    HISTORY_MODELS,
    IMPORT_REASON,
    Restauration,
    VersionRestoration,
    deleted_fiches,
    fiche_restore,
    fiche_restore_version,
    history_baseline,
    history_record_import,
    history_snapshot,
)
from .seeding import ADMIN_USERNAME, RECAP_FIXTURE, AdminUsernameTaken, admin_ensure, recap_seed
from .slugs import fiche_slug_changed
from .suivi import STATUT_REASON, fiche_statut_follow
from .versions import StaleFicheError, fiche_claim_version, stale_changes, stale_message
from .workflow import (
    RETRAIT_APRES_MODIFICATION,
    ROWS_EDITED_REASON,
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
    "BASELINE_REASON",
    "HISTORY_MODELS",
    "IMPORT_REASON",
    "RECAP_FIXTURE",
    "RETRAIT_APRES_MODIFICATION",
    "ROWS_EDITED_REASON",
    "STATUT_REASON",
    "AdminUsernameTaken",
    "Restauration",
    "VersionRestoration",
    "StaleFicheError",
    "admin_ensure",
    "deleted_fiches",
    "fiche_archive",
    "fiche_claim_version",
    "fiche_publish",
    "fiche_restore",
    "fiche_restore_version",
    "fiche_rows_edited",
    "fiche_send_back",
    "fiche_slug_changed",
    "fiche_statut_follow",
    "fiche_submit_for_review",
    "fiche_transition",
    "fiche_withdraw_after_edit",
    "history_baseline",
    "history_record_import",
    "history_snapshot",
    "recap_seed",
    "stale_changes",
    "stale_message",
]
