"""The Contrat de territoire portal: Django project package."""
