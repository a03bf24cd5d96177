"""Database faults answered in French: 503 when it is unreachable, 400 for a NUL character."""

import logging

from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

logger = logging.getLogger("contrat.database")

RETRY_AFTER_SECONDS = 60
NUL_MESSAGE = (
    "Votre demande contient un caractère nul (\\0), que la base de données refuse : retirez-le "
    "de l'adresse ou du texte saisi, puis recommencez."
)


def is_nul_character_error(exception: BaseException) -> bool:
    """PostgreSQL cannot store U+0000: psycopg 3 raises DataError, psycopg 2 ValueError."""
    return isinstance(exception, DataError | ValueError) and "NUL (0x00)" in str(exception)


def _standalone(template_name: str, status: int, context=None) -> HttpResponse:
    # Rendered without the request, hence without context processors: nothing here may
    # touch the database (no session, no user, no contract from the database).
    content = loader.get_template(template_name).render(context or {})
    response = HttpResponse(content, status=status, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


class DatabaseErrorMiddleware:
    """Turns a lost database into a French 503 page (instead of a 500 and a traceback), and a
    NUL character PostgreSQL refuses into a French 400 page. Everything the views and their
    templates raise passes through `process_exception`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error(
                "Base de données injoignable pendant %s %s",
                request.method,
                request.path,
                exc_info=exception,
            )
            response = _standalone("503.html", 503)
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        if is_nul_character_error(exception):
            logger.warning("Caractère nul refusé par la base : %s %s", request.method, request.path)
            return _standalone("400.html", 400, {"message": NUL_MESSAGE})
        return None
