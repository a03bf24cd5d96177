"""Public URLs of the enjeux app: the home page, the enjeux and one page per enjeu."""

from django.urls import path

from . import views

app_name = "enjeux"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("enjeux/", views.EnjeuListView.as_view(), name="list"),
    path("enjeux/<int:numero>/", views.EnjeuDetailView.as_view(), name="detail"),
]
