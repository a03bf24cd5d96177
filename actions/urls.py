"""Public URLs of the actions app: list, exports, detail."""

from django.urls import path

from . import views

app_name = "actions"
urlpatterns = [
    path("", views.FicheListView.as_view(), name="list"),
    # Export URLs (export/...) go here, BEFORE the slug pattern, so "export" is never a slug.
    path("export/recap.pdf", views.RecapPdfView.as_view(), name="recap-pdf"),
    path("export/recap.xlsx", views.RecapXlsxView.as_view(), name="recap-xlsx"),
    path("export/actions.csv", views.ActionsCsvView.as_view(), name="export-csv"),
    path("export/actions.json", views.ActionsJsonView.as_view(), name="export-json"),
    # A former slug of the fiche redirects to its current address (models.AncienSlug).
    path(
        "<slug:slug>/",
        views.former_slugs_redirect(views.FicheDetailView.as_view()),
        name="detail",
    ),
    path(
        "<slug:slug>/fiche.pdf",
        views.former_slugs_redirect(views.FichePdfView.as_view()),
        name="fiche-pdf",
    ),
]
