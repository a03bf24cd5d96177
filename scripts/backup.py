"""Backup and restore of the whole site (`make backup`, `make restore FILE=…`), docs/sauvegarde.md.

A backup is a gzipped JSON fixture of every table but those `migrate` recreates itself:
content types and permissions (referred to by natural keys, so they match in any database),
sessions (people log in again). Users and groups are written with natural keys too, so that
a restore into a freshly migrated database merges with the role groups its migrations created.
"""

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contrat.settings.dev")

BACKUP_DIR = ROOT / "backups"
# The search index is neither (one table per engine, unmanaged): loaddata's signals rebuild
# it from the restored fiches (actions/search.py).
EXCLUDED = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "actions.FicheRecherche",
    "actions.FicheRechercheFts",
]


class RestoreRefused(Exception):
    """The target database already holds data: a restore would mix two sites."""


def backup_create(*, folder: Path = BACKUP_DIR, now: datetime | None = None) -> Path:
    """Write `folder/<date>_<time>.json.gz` and return its path."""
    from django.core.management import call_command

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{(now or datetime.now()):%Y-%m-%d_%H%M%S}.json.gz"
    # Written under a temporary name first: a dump that fails half-way leaves no file that
    # looks like a backup.
    partial = path.with_name(path.name.replace(".json.gz", ".partial.json.gz"))
    try:
        call_command(
            "dumpdata",
            exclude=EXCLUDED,
            natural_foreign=True,
            natural_primary=True,
            output=str(partial),
            verbosity=0,
        )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)
    return path


def database_is_empty() -> bool:
    """No fiche, structure, contract nor user yet: what `migrate` alone leaves."""
    from django.contrib.auth import get_user_model

    from actions.models import FicheAction
    from enjeux.models import Contrat
    from structures.models import Structure

    models = [FicheAction, Structure, Contrat, get_user_model()]
    return not any(model.objects.exists() for model in models)


def backup_restore(*, path: Path) -> None:
    """Load a backup into an empty, migrated database (in one transaction)."""
    from django.core.management import call_command
    from django.test.utils import override_settings

    if not Path(path).is_file():
        raise FileNotFoundError(f"Sauvegarde introuvable : {path}")
    if not database_is_empty():
        raise RestoreRefused(
            "La base contient déjà des fiches, des structures ou des comptes : la restauration "
            "les mélangerait à ceux de la sauvegarde. Restaurez dans une base vide (voir "
            "docs/sauvegarde.md)."
        )
    # The backup holds every version already. Without this, django-simple-history would add
    # one for each fiche whose orientations or enjeux loaddata sets (many-to-many signals).
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        call_command("loaddata", str(path), verbosity=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Sauvegarde et restauration du portail.")
    commands = parser.add_subparsers(dest="command", required=True)
    save = commands.add_parser("sauvegarder", help="écrit backups/<date>_<heure>.json.gz")
    save.add_argument("--dossier", type=Path, default=BACKUP_DIR)
    load = commands.add_parser("restaurer", help="charge une sauvegarde dans une base vide")
    load.add_argument("fichier", type=Path)
    args = parser.parse_args(argv)

    import django

    django.setup()
    if args.command == "sauvegarder":
        path = backup_create(folder=args.dossier)
        print(f"Sauvegarde écrite : {path} ({path.stat().st_size / 2**20:.1f} Mio)")
        return
    try:
        backup_restore(path=args.fichier)
    except (RestoreRefused, FileNotFoundError) as error:
        sys.exit(f"Restauration refusée : {error}")
    print(f"Sauvegarde restaurée : {args.fichier}")


if __name__ == "__main__":
    main()
