"""Public URLs of the committees: /comites/ and each snapshot's pages and files."""

from django.urls import path

from . import views

app_name = "comites"
urlpatterns = [
    path("", views.TimelineView.as_view(), name="timeline"),
    path("<slug:slug>/", views.InstantaneDetailView.as_view(), name="detail"),
    path("<slug:slug>/recap.pdf", views.RecapPdfView.as_view(), name="recap-pdf"),
    path("<slug:slug>/recap.xlsx", views.RecapXlsxView.as_view(), name="recap-xlsx"),
    path("<slug:slug>/ecarts/", views.EcartsView.as_view(), name="ecarts"),
    path("<slug:slug>/ecarts.pdf", views.EcartsPdfView.as_view(), name="ecarts-pdf"),
]
