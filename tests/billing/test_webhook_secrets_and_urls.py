"""Webhook secrets that hold nothing usable, and webhook URLs without their trailing slash.

Blank secrets (issue 11, item 3): a value is stripped, empty list entries are dropped, and a value
with nothing usable left is treated as unset: every delivery is refused and logged as ERROR.
URLs (item 5): providers do not follow redirects on POST, so both forms are answered directly.
"""

from __future__ import annotations

import logging

import pytest

from billing.models import Order, ProviderEvent
from members.models import AccessGrant
from tests.conftest import STRIPE_URL, post_signed
from tests.payloads import digistore24 as ds24
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db

DS24_PASSPHRASE = "ipn-passphrase-for-tests"


def _nothing_stored() -> bool:
    return not (
        ProviderEvent.objects.exists() or Order.objects.exists() or AccessGrant.objects.exists()
    )


def _post_ipn(client, fields: dict, *, passphrase: str, url: str = ds24.URL):
    return client.post(url, data=ds24.signed_body(fields, passphrase), content_type=ds24.FORM)


def _error_lines(caplog, text: str) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.ERROR and text in record.getMessage()
    ]


# --- blank secrets ---------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["  ", "\t", " \n "])
def test_a_blank_digistore24_passphrase_refuses_ipns_signed_with_those_blanks(
    client, settings, caplog, blank
):
    settings.DIGISTORE24_IPN_PASSPHRASE = blank
    fields = ds24.build_ipn("on_payment")

    with caplog.at_level(logging.WARNING, logger="billing.webhooks"):
        response = _post_ipn(client, fields, passphrase=blank)

    assert response.status_code == 403
    assert _nothing_stored()
    assert _error_lines(caplog, "DIGISTORE24_IPN_PASSPHRASE is set but holds no usable secret")


def test_an_unset_digistore24_passphrase_refuses_with_an_error_line(client, settings, caplog):
    settings.DIGISTORE24_IPN_PASSPHRASE = ""

    with caplog.at_level(logging.WARNING, logger="billing.webhooks"):
        response = _post_ipn(client, ds24.build_ipn("on_payment"), passphrase="")

    assert response.status_code == 403
    assert _nothing_stored()
    assert _error_lines(caplog, "DIGISTORE24_IPN_PASSPHRASE is not set")


def test_the_digistore24_passphrase_is_stripped(client, settings, course_price):
    course_price.product.digistore24_product_id = "510001"
    course_price.product.save()
    settings.DIGISTORE24_IPN_PASSPHRASE = f"  {DS24_PASSPHRASE}\n"
    fields = ds24.build_ipn("on_payment")

    assert _post_ipn(client, fields, passphrase=f"  {DS24_PASSPHRASE}\n").status_code == 403
    assert _post_ipn(client, fields, passphrase=DS24_PASSPHRASE).status_code == 200
    assert ProviderEvent.objects.count() == 1


def test_a_trailing_comma_adds_no_digistore24_passphrase(client, settings):
    settings.DIGISTORE24_IPN_PASSPHRASE = f"{DS24_PASSPHRASE}, "

    for forged in (" ", ""):
        response = _post_ipn(client, ds24.build_ipn("on_payment"), passphrase=forged)
        assert response.status_code == 403
    assert _nothing_stored()


@pytest.mark.parametrize("blank", ["  ", " , ", ",,"])
def test_a_blank_stripe_secret_refuses_every_delivery_with_an_error_line(
    client, settings, caplog, blank
):
    settings.STRIPE_WEBHOOK_SECRET = blank
    body = build_event("checkout.session.completed", price_id="price_course")

    with caplog.at_level(logging.WARNING, logger="billing.webhooks"):
        response = post_signed(client, STRIPE_URL, body, secret=blank)

    assert response.status_code == 503
    assert _nothing_stored()
    assert _error_lines(caplog, "STRIPE_WEBHOOK_SECRET is set but holds no usable secret")


def test_a_trailing_comma_adds_no_stripe_secret_but_keeps_the_real_one(
    client, settings, course_price
):
    settings.STRIPE_WEBHOOK_SECRET = " whsec_the_real_endpoint_secret , "
    settings.STRIPE_SECRET_KEY = ""

    forged = build_event("checkout.session.completed", price_id="price_course")
    assert post_signed(client, STRIPE_URL, forged, secret=" ").status_code == 400
    assert _nothing_stored()

    body = build_event("checkout.session.completed", price_id="price_course")
    response = post_signed(client, STRIPE_URL, body, secret="whsec_the_real_endpoint_secret")
    assert response.status_code == 200
    assert ProviderEvent.objects.count() == 1


# --- URLs without the trailing slash --------------------------------------------------------


def test_stripe_webhook_without_the_trailing_slash_is_accepted_not_redirected(
    client, stripe_webhook_secret
):
    body = build_event("checkout.session.completed", price_id="price_course", email="a@x.test")

    response = post_signed(client, STRIPE_URL.rstrip("/"), body)

    assert response.status_code == 200
    assert response.json() == {"received": True}
    assert ProviderEvent.objects.get().provider == "stripe"


def test_digistore24_ipn_without_the_trailing_slash_is_accepted_not_redirected(client, settings):
    settings.DIGISTORE24_IPN_PASSPHRASE = DS24_PASSPHRASE
    url = ds24.URL.rstrip("/")

    response = _post_ipn(
        client, ds24.build_ipn("connection_test"), passphrase=DS24_PASSPHRASE, url=url
    )

    assert response.status_code == 200
    assert response.content.decode().startswith("OK\n")
    assert ProviderEvent.objects.get().provider == "digistore24"
    registration_check = client.get(url)
    assert (registration_check.status_code, registration_check.content) == (200, b"OK")


def test_the_canonical_webhook_urls_keep_their_slash():
    from django.urls import reverse

    assert reverse("billing:stripe_webhook") == "/billing/webhooks/stripe/"
    assert reverse("billing:digistore24_webhook") == "/billing/webhooks/digistore24/"
