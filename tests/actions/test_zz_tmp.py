import pytest
pytestmark = pytest.mark.django_db
def test_x(recap, client):
    open("/tmp/exp/t.pdf","wb").write(client.get("/actions/export/recap.pdf?q=cibs").content)
