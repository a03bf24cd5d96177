"""The error pages (400, 403, 404, 500, CSRF failure) in French, framed as the page they replace:
the admin's look under /admin/, the portal's everywhere else."""

import logging

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse, HttpResponseServerError
from django.middleware.csrf import REASON_NO_CSRF_COOKIE, REASON_NO_REFERER
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger("contrat.errors")

# One template per error (400.html...), holding its text once; it extends the `frame` variable,
# the portal's frame (includes/erreur.html) when unset.
ADMIN_FRAME = "admin/erreur.html"

# Served when even the 500 template cannot be rendered (a broken template, a missing static
# manifest...): no template, no database, no context processor.
SERVER_ERROR_HTML = """<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><title>Erreur du serveur — Contrat de territoire</title></head>
<body>
<h1>Erreur du serveur</h1>
<p>Un incident technique empêche d'afficher cette page. L'équipe en est informée ;
réessayez dans quelques minutes.</p>
<p><a href="/">Revenir à l'accueil</a></p>
</body>
</html>
"""


def site_language() -> str:
    """ "fr", as LocaleMiddleware activates it on every other page (not "fr-fr")."""
    return translation.get_supported_language_variant(settings.LANGUAGE_CODE)


def admin_prefix() -> str:
    try:
        return reverse("admin:index")
    except NoReverseMatch:
        return "/admin/"


def in_admin(request) -> bool:
    return request.path.startswith(admin_prefix())


def admin_context(request) -> dict:
    """The admin's header for a staff member (name, user tools, sidebar); its bare frame when
    that cannot be read (an error page must not fail in turn)."""
    try:
        return admin.site.each_context(request)
    except Exception:  # noqa: BLE001 - whatever broke, the error page still shows
        logger.warning("Contexte de l'admin illisible pour %s", request.path, exc_info=True)
        return bare_admin_context()


def bare_admin_context() -> dict:
    return {
        "site_header": admin.site.site_header,
        "site_title": admin.site.site_title,
        "site_url": admin.site.site_url,
        "has_permission": False,
        "is_popup": False,
        "is_nav_sidebar_enabled": False,
    }


def render_error(request, template_name: str, status: int, context=None) -> HttpResponse:
    """Renders `template_name` in the frame `request.path` calls for, in French. Should the
    request's context fail (its user, its session), the page is rendered without it."""
    admin_frame = in_admin(request)
    extra = context or {}
    with translation.override(site_language()):
        try:
            frame = {**admin_context(request), "frame": ADMIN_FRAME} if admin_frame else {}
            content = loader.get_template(template_name).render({**frame, **extra}, request)
        except Exception:  # noqa: BLE001 - an error page must not fail in turn
            logger.warning("Page %s rendue sans son contexte", status, exc_info=True)
            frame = {**bare_admin_context(), "frame": ADMIN_FRAME} if admin_frame else {}
            content = loader.get_template(template_name).render({**frame, **extra})
    return HttpResponse(content, status=status, content_type="text/html; charset=utf-8")


@requires_csrf_token
def bad_request(request, exception=None):
    return render_error(request, "400.html", 400)


@requires_csrf_token
def permission_denied(request, exception=None):
    return render_error(request, "403.html", 403)


@requires_csrf_token
def page_not_found(request, exception=None):
    return render_error(request, "404.html", 404)


def server_error(request):
    """Something already failed: render without the request (no context processor, no session,
    no database), and with no template at all if even that fails."""
    context = {}
    try:
        if in_admin(request):
            context = {**bare_admin_context(), "frame": ADMIN_FRAME}
        with translation.override(site_language()):
            content = loader.get_template("500.html").render(context)
    except Exception:  # noqa: BLE001 - the last resort must answer
        logger.exception("Page 500 impossible à rendre pour %s", request.path)
        content = SERVER_ERROR_HTML
    response = HttpResponseServerError(content, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: Django's own page is English and carries an inline style our CSP
    blocks."""
    context = {
        "reason": reason,
        "no_referer": reason == REASON_NO_REFERER,
        "no_cookie": reason == REASON_NO_CSRF_COOKIE,
    }
    return render_error(request, "403_csrf.html", 403, context)
