"""Public URLs of the enjeux app (filled by the portal work)."""

app_name = "enjeux"
urlpatterns = []
