"""Offline test mode (no Stripe key): the same one-click upsell, its success delivered as a
signed ``payment_intent.succeeded`` to our own webhook, a test card to simulate a decline."""

from __future__ import annotations

import pytest

from billing.models import Order, ProviderEvent
from invoices.models import Document
from members.models import AccessGrant
from offers.models import UpsellAttempt
from tests.invoices.helpers import make_seller
from tests.offers.upsell_helpers import make_upsell

pytestmark = pytest.mark.django_db


@pytest.fixture
def bought(client, course_price, offline_test_mode, django_capture_on_commit_callbacks):
    """The course bought in the test checkout; the buyer is on the success page."""
    make_seller()
    make_upsell(course_price)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/billing/checkout/test/{course_price.pk}/",
            {"withdrawal_waiver": "on", "email": "ada@x.test"},
        )
    return response.url


def _take(client, success_url, card, capture):
    attempt = UpsellAttempt.objects.get()
    session_id = success_url.split("session_id=")[1]
    with capture(execute=True):
        return client.post(
            f"/offers/upsell/{attempt.token}/take/", {"session_id": session_id, "test_card": card}
        )


def test_the_offer_is_taken_with_a_signed_test_event(
    client, bought, django_capture_on_commit_callbacks
):
    page = client.get(bought).content.decode()
    assert "Add Workbook for €9.00" in page
    assert 'name="test_card"' in page

    response = _take(client, bought, "succeeds", django_capture_on_commit_callbacks)
    _take(client, bought, "succeeds", django_capture_on_commit_callbacks)

    assert response.url == bought
    event = ProviderEvent.objects.get(event_type="payment_intent.succeeded")
    assert event.is_test
    member = Order.objects.get(product__slug="habit-course").member
    assert AccessGrant.objects.filter(member=member, product__slug="workbook").count() == 1
    order = Order.objects.get(product__slug="workbook")
    assert (order.amount, order.currency, order.is_test) == (900, "EUR", True)
    assert Document.objects.filter(payment__order=order).count() == 1
    assert "Workbook is yours." in client.get(bought).content.decode()


@pytest.mark.parametrize("card", ["declined", "authentication_required"])
def test_a_declining_test_card_grants_nothing_and_offers_the_test_checkout(
    client, bought, course_price, django_capture_on_commit_callbacks, card
):
    client.get(bought)
    _take(client, bought, card, django_capture_on_commit_callbacks)

    page = client.get(bought).content.decode()
    assert "Pay for Workbook on the checkout page" in page
    assert not ProviderEvent.objects.filter(event_type="payment_intent.succeeded").exists()
    assert not AccessGrant.objects.filter(product__slug="workbook").exists()

    attempt = UpsellAttempt.objects.get()
    response = client.post(f"/offers/upsell/{attempt.token}/checkout/", {"session_id": "x"})
    assert response.url == f"/billing/checkout/test/{attempt.offer.price.pk}/"


def test_the_offer_speaks_the_buyers_language(client, bought):
    client.cookies["django_language"] = "de"
    page = client.get(bought, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Workbook für 9,00\u00a0€ dazunehmen" in page
    assert "Nein, danke" in page
