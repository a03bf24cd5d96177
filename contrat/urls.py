"""Root URLs: the public portal and the staff admin."""

from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from actions.urls import enjeux_urlpatterns, financements_urlpatterns, structures_urlpatterns

# Crawlers may read every public page, but not build the exports (a recap PDF keeps a worker
# busy for seconds) nor wander into the admin.
ROBOTS_TXT = """User-agent: *
Disallow: /admin/
Disallow: /actions/export/
Disallow: /actions/*/fiche.pdf
Disallow: /financements/export/
Disallow: /comites/*/ecarts.pdf
"""


@require_GET
def robots_txt(request):
    return HttpResponse(ROBOTS_TXT, content_type="text/plain; charset=utf-8")


admin.site.site_header = "Contrat de territoire — administration"
admin.site.site_title = "Contrat de territoire"
admin.site.index_title = "Gestion du contrat"

# The error pages in French, in the admin's frame under /admin/ (contrat/errors.py).
handler400 = "contrat.errors.bad_request"
handler403 = "contrat.errors.permission_denied"
handler404 = "contrat.errors.page_not_found"
handler500 = "contrat.errors.server_error"

urlpatterns = [
    path("robots.txt", robots_txt),
    path("admin/", admin.site.urls),
    path("actions/", include("actions.urls")),
    path("exports/", include("actions.urls_exports")),
    path("structures/", include((structures_urlpatterns, "structures"))),
    path("financements/", include((financements_urlpatterns, "financements"))),
    path("comites/", include("comites.urls")),
    path("", include((enjeux_urlpatterns, "enjeux"))),
]
