import os

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_when_database_and_broker_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_names_the_broker_when_it_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["broker"]}


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="runs when REDIS_URL is set (CI)")
def test_healthz_uses_the_configured_redis_broker(client, settings):
    assert os.environ["REDIS_URL"] == settings.CELERY_BROKER_URL

    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("setting", ["STRIPE_WEBHOOK_SECRET", "DIGISTORE24_IPN_PASSPHRASE"])
def test_healthz_names_a_webhook_secret_set_to_blanks(client, settings, setting):
    setattr(settings, setting, "   ")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": [setting]}


def test_healthz_is_fine_with_unset_webhook_secrets(client, settings):
    """An unset secret is a provider the site does not use, or offline development."""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.DIGISTORE24_IPN_PASSPHRASE = ""

    assert client.get("/healthz").json() == {"status": "ok"}
