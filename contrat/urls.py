"""Root URLs: the public portal and the staff admin."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Contrat de territoire — administration"
admin.site.site_title = "Contrat de territoire"
admin.site.index_title = "Gestion du contrat"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("actions/", include("actions.urls")),
    path("structures/", include("structures.urls")),
    path("", include("enjeux.urls")),
]
