from unittest import mock


def test_healthz_reports_the_database(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_healthz_is_503_when_the_database_fails(client, db):
    with mock.patch("lib.views.connection.cursor", side_effect=OSError("down")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "OSError"
