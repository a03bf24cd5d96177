"""Public URLs of the structures app (filled by the portal work)."""

app_name = "structures"
urlpatterns = []
