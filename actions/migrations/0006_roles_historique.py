"""The administrators' group gets the permissions of the history models too."""

from django.db import migrations

from actions.roles import roles_migrate


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0005_historique"),
        ("structures", "0003_historique"),
        ("enjeux", "0002_historique"),
    ]

    operations = [migrations.RunPython(roles_migrate, migrations.RunPython.noop)]
