"""Public URLs of the actions app (filled by the portal work)."""

app_name = "actions"
urlpatterns = []
