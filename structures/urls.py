"""Public URLs of the structures app: the list and one page per structure."""

from django.urls import path

from . import views

app_name = "structures"
urlpatterns = [
    path("", views.StructureListView.as_view(), name="list"),
    path("<slug:slug>/", views.StructureDetailView.as_view(), name="detail"),
]
