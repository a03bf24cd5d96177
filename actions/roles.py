"""The staff's roles: Django groups and their permissions, kept here once for the migrations
(0004_roles, 0006_roles_historique) and the tests."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.db.models import Q

ADMINISTRATEUR = "Administrateur"
REDACTEUR = "Rédacteur CG59"
CONTRIBUTEUR = "Contributeur structure"
LECTEUR = "Lecteur"

ALL = "__all__"

# The contract's content, app by app: what the admin shows besides users and groups.
CONTENT_MODELS = {
    "actions": [
        "ficheaction",
        "participation",
        "lignebudget",
        "lignefinancement",
        "sousaction",
        "pointavancement",
        "indicateur",
        "valeurindicateur",
        "etape",
        "transitionfiche",
    ],
    "structures": ["structure", "contact"],
    "enjeux": ["contrat", "enjeu", "orientation"],
    # Named here as strings (actions never imports comites): one table of the roles.
    "comites": ["instantane", "avenant", "avenantfiche"],
}
# A fiche's own rows: edited in its form by whoever may edit the fiche.
FICHE_ROWS = [
    "participation",
    "lignebudget",
    "lignefinancement",
    "sousaction",
    # The follow-up (actions/suivi.py); an indicator's yearly values go with it.
    "pointavancement",
    "indicateur",
    "valeurindicateur",
    "etape",
]
# Transitions are written by the workflow's services only: nobody edits them by hand.
EDITABLE = {
    "actions": ["ficheaction", *FICHE_ROWS],
    "structures": ["structure", "contact"],
    "enjeux": ["contrat", "enjeu", "orientation"],
    "comites": ["avenant", "avenantfiche"],
}


def _view_everything() -> list[str]:
    return [f"{app}.view_{model}" for app, models in CONTENT_MODELS.items() for model in models]


ROLES: dict[str, list[str] | str] = {
    # Everything, users and groups included.
    ADMINISTRATEUR: ALL,
    # Creates, edits, publishes and deletes fiches, structures and the referential; no users.
    REDACTEUR: [
        *_view_everything(),
        *(
            f"{app}.{verb}_{model}"
            for app, models in EDITABLE.items()
            for model in models
            for verb in ("add", "change", "delete")
        ),
        "actions.publish_ficheaction",
        "actions.change_any_ficheaction",
        # Arrests a committee's snapshot; nobody changes or deletes one (comites/models.py).
        "comites.add_instantane",
    ],
    # Edits the fiches its structures carry (the scope is enforced in actions/permissions.py);
    # creates, publishes and deletes no fiche.
    CONTRIBUTEUR: [
        *_view_everything(),
        "actions.change_ficheaction",
        *(
            f"actions.{verb}_{model}"
            for model in FICHE_ROWS
            for verb in ("add", "change", "delete")
        ),
    ],
    # Sees everything in the admin, drafts included; changes nothing.
    LECTEUR: _view_everything(),
}


def role_permissions(permission_model, spec):
    if spec == ALL:
        return permission_model.objects.all()
    query = Q(pk__in=[])
    for name in spec:
        app_label, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    return permission_model.objects.filter(query)


def roles_ensure(*, apps=global_apps) -> None:
    """Create the four groups if missing and set their permissions to the ones above.

    `apps` is the migration's app registry when a migration calls it. A permission whose model
    does not exist yet at that point is left out: the migration that creates the model calls
    this again."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, spec in ROLES.items():
        group, _created = group_model.objects.get_or_create(name=name)
        group.permissions.set(role_permissions(permission_model, spec))


def roles_migrate(apps, schema_editor) -> None:
    """For a RunPython: `roles_ensure` with the permissions of the models as they stand.

    Permissions are normally created after `migrate`, too late on a new database: they (and
    their content types) are created here first."""
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_contenttypes(app_config, apps=apps, verbosity=0)
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_ensure(apps=apps)
