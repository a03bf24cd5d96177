"""The public pages as an anonymous visitor gets them, kept whole per address and data version.

Under load most pages are read by visitors without an account, who all see the same HTML until
the next write: the second of them gets it from the cache (two reads: the data version and the
page) instead of the view, its queries and its template. The key holds the data version, which
every write changes in one place (contrat/dataversion.py), and the day (a milestone becomes
late at midnight). Never kept: a visitor with a session (an editor sees drafts and a banner)
or a message waiting, a page that is not a 200 HTML page, that sets a cookie, or that holds a
form's CSRF token (another visitor's token would fail)."""

import functools

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone

from .datacache import TIMEOUT, data_key

CSRF_FIELD = b'name="csrfmiddlewaretoken"'
# A response header the view sets that must come back with the page (the others are the
# middlewares', which run on every response, cached or not).
KEPT_HEADERS = ("Content-Type", "Content-Language", "X-Robots-Tag", "Link")


def _anonymous(request) -> bool:
    return (
        settings.PAGE_CACHE
        and request.method in ("GET", "HEAD")
        and not (settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES)
    )


def _keepable(response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and response.get("Content-Type", "").startswith("text/html")
        and "no-store" not in response.get("Cache-Control", "")
        and CSRF_FIELD not in response.content
    )


def public_page_cached(view):
    """`view`, its pages kept for anonymous visitors (see the module)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not _anonymous(request):
            return view(request, *args, **kwargs)
        key = data_key(
            "page",
            params=[
                ("host", request.get_host()),
                ("adresse", request.get_full_path()),
                ("jour", timezone.localdate().isoformat()),
            ],
        )
        kept = cache.get(key)
        if kept is not None:
            content, headers = kept
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        if _keepable(response):
            headers = [(name, response[name]) for name in KEPT_HEADERS if response.has_header(name)]
            cache.set(key, (response.content, headers), TIMEOUT)
        return response

    return wrapped
