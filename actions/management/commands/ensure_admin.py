"""Create the first administrator account when the database has none."""

from django.core.management.base import BaseCommand, CommandError

from actions.services import ADMIN_USERNAME, AdminUsernameTaken, admin_ensure


class Command(BaseCommand):
    help = (
        "Crée le compte administrateur « admin » s'il n'existe aucun superutilisateur, "
        "et affiche une seule fois son mot de passe."
    )

    def handle(self, *args, **options):
        try:
            password = admin_ensure(username=ADMIN_USERNAME)
        except AdminUsernameTaken as error:
            raise CommandError(
                f"Un utilisateur « {error} » existe déjà sans être administrateur : "
                "créez un administrateur avec « python manage.py createsuperuser »."
            ) from error
        if password is None:
            self.stdout.write("Un compte administrateur existe déjà : rien n'est changé.")
        else:
            self.stdout.write(
                f"Compte administrateur créé : {ADMIN_USERNAME} / {password} "
                "(notez-le, il ne sera plus affiché)"
            )
