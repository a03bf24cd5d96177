"""The four staff roles as groups with their permissions, in every database."""

from django.db import migrations

from actions.roles import roles_migrate


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0003_etat_de_publication"),
        ("structures", "0002_representants"),
        ("enjeux", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Going back keeps the groups: someone may have put people in them.
    operations = [migrations.RunPython(roles_migrate, migrations.RunPython.noop)]
