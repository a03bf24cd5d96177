"""PostgreSQL's unaccent extension for the accent-blind search (nothing to do on SQLite)."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("actions", "0001_initial")]

    operations = [UnaccentExtension()]
