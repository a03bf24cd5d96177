"""Public URLs: the fiches (/actions/), and the pages served under /, /structures/ and
/financements/ that list or count them, in their own namespaces (enjeux, structures,
financements)."""

from django.urls import path

from contrat.pagecache import public_page_cached

from .views import enjeux, fiches, financements, structures

app_name = "actions"
# The pages (not the downloads, cached as files of their own): kept whole for anonymous
# visitors, per address and data version (contrat/pagecache.py).
page = public_page_cached

urlpatterns = [
    path("", page(fiches.FicheListView.as_view()), name="list"),
    # Export URLs (export/...) go here, BEFORE the slug pattern, so "export" is never a slug.
    path("export/recap.pdf", fiches.RecapPdfView.as_view(), name="recap-pdf"),
    path("export/synthese.pdf", fiches.SynthesePdfView.as_view(), name="synthese-pdf"),
    path("export/recap.xlsx", fiches.RecapXlsxView.as_view(), name="recap-xlsx"),
    path("export/actions.csv", fiches.ActionsCsvView.as_view(), name="export-csv"),
    path("export/actions.json", fiches.ActionsJsonView.as_view(), name="export-json"),
    # A former slug of the fiche redirects to its current address (models.AncienSlug).
    path(
        "<slug:slug>/",
        page(fiches.former_slugs_redirect(fiches.FicheDetailView.as_view())),
        name="detail",
    ),
    path(
        "<slug:slug>/fiche.pdf",
        fiches.former_slugs_redirect(fiches.FichePdfView.as_view()),
        name="fiche-pdf",
    ),
]

enjeux_urlpatterns = [
    path("", page(enjeux.HomeView.as_view()), name="home"),
    path("enjeux/", page(enjeux.EnjeuListView.as_view()), name="list"),
    path("enjeux/<int:numero>/", page(enjeux.EnjeuDetailView.as_view()), name="detail"),
]

structures_urlpatterns = [
    path("", page(structures.StructureListView.as_view()), name="list"),
    path("<slug:slug>/", page(structures.StructureDetailView.as_view()), name="detail"),
]

financements_urlpatterns = [
    path("", page(financements.FinancementsView.as_view()), name="plan"),
    path(
        "export/financements.csv",
        financements.FinancementsCsvView.as_view(),
        name="export-csv",
    ),
    path(
        "export/subventions.csv",
        financements.SubventionsCsvView.as_view(),
        name="export-subventions",
    ),
]
