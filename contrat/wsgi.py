"""WSGI entry point (gunicorn contrat.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contrat.settings.production")

application = get_wsgi_application()
