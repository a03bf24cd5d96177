"""/exports/<id>/: a background export's progress, state (JSON), file and relaunch."""

from django.urls import path

from .views import jobs

app_name = "exports"
urlpatterns = [
    path("<uuid:pk>/", jobs.ExportJobView.as_view(), name="detail"),
    path("<uuid:pk>/etat.json", jobs.ExportJobStateView.as_view(), name="state"),
    path("<uuid:pk>/fichier", jobs.ExportJobFileView.as_view(), name="file"),
    path("<uuid:pk>/relancer", jobs.ExportJobRetryView.as_view(), name="retry"),
]
