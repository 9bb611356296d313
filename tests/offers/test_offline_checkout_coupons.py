"""The offline test checkout takes coupon codes too, and its signed events carry the discount
as Stripe's would, so the same processing records it."""

from __future__ import annotations

import pytest

from billing.models import Order, ProviderEvent
from invoices.models import Document
from members.models import AccessGrant
from offers.models import Redemption
from tests.invoices.helpers import make_seller
from tests.offers.conftest import make_coupon

pytestmark = pytest.mark.django_db


@pytest.fixture
def pay(client, django_capture_on_commit_callbacks):
    def _pay(price, code: str, email: str = "ada@x.test"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/billing/checkout/test/{price.pk}/",
                {"withdrawal_waiver": "on", "email": email, "coupon": code},
            )

    return _pay


def test_the_buy_button_carries_the_code_to_the_test_checkout(
    client, course_price, offline_test_mode
):
    make_coupon()
    response = client.post(f"/billing/checkout/{course_price.pk}/", {"coupon": "spring20"})
    assert response.url == f"/billing/checkout/test/{course_price.pk}/?coupon=SPRING20"

    page = client.get(response.url).content.decode()

    assert 'value="SPRING20"' in page
    assert "The code SPRING20 takes €9.80 off: you pay €39.20." in page


def test_a_refused_code_is_shown_on_its_field_and_nothing_is_sent(
    client, course_price, offline_test_mode, pay
):
    make_coupon(products=[])
    response = pay(course_price, "WRONG")

    assert response.status_code == 200
    assert "The code WRONG is not valid." in response.content.decode()
    assert not ProviderEvent.objects.exists()
    assert not Order.objects.exists()


def test_a_discounted_test_purchase_is_recorded_like_a_stripe_one(
    client, course_price, offline_test_mode, pay
):
    make_seller()
    coupon = make_coupon(max_redemptions=5)

    response = pay(course_price, "spring20")

    assert response.status_code == 302
    session = ProviderEvent.objects.get().payload["data"]["object"]
    assert (session["amount_subtotal"], session["amount_total"]) == (4900, 3920)
    assert session["total_details"]["amount_discount"] == 980
    assert session["discounts"] == [
        {
            "coupon": f"coupon_test_local_{coupon.pk}",
            "promotion_code": f"promo_test_local_{coupon.pk}",
        }
    ]
    assert Order.objects.get().amount == 3920
    assert AccessGrant.objects.get().product == course_price.product
    assert Redemption.objects.get().coupon == coupon
    invoice = Document.objects.get()
    assert [line.gross for line in invoice.lines.all()] == [4900, -980]


def test_a_discounted_test_subscription_discounts_its_first_invoice(
    client, membership_price, offline_test_mode, pay
):
    make_seller()
    make_coupon(duration="forever")

    pay(membership_price, "SPRING20")

    paid = ProviderEvent.objects.get(event_type="invoice.paid").payload["data"]["object"]
    assert (paid["subtotal"], paid["amount_paid"]) == (2900, 2320)
    assert paid["total_discount_amounts"][0]["amount"] == 580
    assert paid["parent"]["subscription_details"]["metadata"]["coupon_code"] == "SPRING20"
    assert Order.objects.get().amount == 2320
    assert Redemption.objects.count() == 1
    assert [line.gross for line in Document.objects.get().lines.all()] == [2900, -580]
