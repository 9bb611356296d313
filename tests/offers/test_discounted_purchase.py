"""A discounted purchase through the signed webhook: access, the order's amount, the invoice's
discount line, the credit note of a refund, and the redemption counted once per order, in the
2020 and the 2025 ("basil") event shapes."""

from __future__ import annotations

import pytest

from billing.models import Order, Payment
from invoices.models import Document
from members.models import AccessGrant
from offers.models import PaymentDiscount, Redemption
from tests.invoices.helpers import make_seller
from tests.offers.conftest import make_coupon
from tests.offers.payloads import discounted_invoice, discounted_session
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db


def lines(document: Document) -> list[tuple[str, int, int, int]]:
    return [(line.description, line.net, line.vat, line.gross) for line in document.lines.all()]


@pytest.fixture
def seller(db):
    return make_seller()


@pytest.mark.parametrize("shape", ["legacy", "basil"])
def test_a_discounted_purchase_grants_and_invoices_the_discount_as_its_own_line(
    deliver, course_price, seller, shape
):
    coupon = make_coupon()

    response = deliver(discounted_session(shape=shape, email="ada@x.test", session_id="cs_ada"))

    assert response.status_code == 200
    order = Order.objects.get()
    assert (order.amount, order.currency) == (3920, "EUR")
    assert AccessGrant.objects.get().product == course_price.product
    invoice = Document.objects.get(kind="invoice")
    assert lines(invoice) == [
        ("Habit course", 4118, 782, 4900),
        ("Discount (code SPRING20)", -824, -156, -980),
    ]
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (3294, 626, 3920)
    redemption = Redemption.objects.get()
    assert (redemption.coupon, redemption.order, redemption.amount) == (coupon, order, 980)
    assert not redemption.over_limit


def test_a_second_delivery_counts_nothing_twice(deliver, course_price, seller):
    make_coupon()
    body = discounted_session(email="ada@x.test")

    deliver(body)
    deliver(body)

    assert Redemption.objects.count() == 1
    assert PaymentDiscount.objects.count() == 1
    assert Document.objects.count() == 1
    assert AccessGrant.objects.count() == 1


def test_a_payment_link_code_is_found_by_its_promotion_code(deliver, course_price, seller):
    """No metadata of ours (a creator's Payment Link): the promotion code names the coupon."""
    from tests.offers.test_checkout_coupons import at_stripe

    coupon = make_coupon()
    at_stripe(coupon, promotion_code="promo_link")

    deliver(discounted_session(code=None, promotion_code="promo_link"))

    assert Redemption.objects.get().coupon == coupon


def test_a_discount_made_in_stripe_still_shows_on_the_invoice(deliver, course_price, seller):
    deliver(discounted_session(code=None, promotion_code="promo_unknown", coupon="co_unknown"))

    assert not Redemption.objects.exists()
    invoice = Document.objects.get()
    assert [line[0] for line in lines(invoice)] == ["Habit course", "Discount"]
    assert invoice.gross_total == 3920


def test_a_full_refund_of_a_discounted_order_credits_what_was_paid(deliver, course_price, seller):
    make_coupon()
    deliver(discounted_session(payment_intent="pi_ada"))

    deliver(build_event("charge.refunded", payment_intent="pi_ada", amount=3920))

    credit_note = Document.objects.get(kind="credit_note")
    assert (credit_note.net_total, credit_note.vat_total, credit_note.gross_total) == (
        -3294,
        -626,
        -3920,
    )
    assert Order.objects.get().status == Order.Status.REFUNDED
    assert Redemption.objects.count() == 1  # a refund does not give the redemption back


@pytest.mark.parametrize("shape", ["legacy", "basil"])
def test_a_forever_coupon_on_a_subscription_discounts_each_invoice_and_counts_once(
    deliver, membership_price, seller, shape
):
    coupon = make_coupon(duration="forever")

    deliver(discounted_invoice(shape=shape, subscription="sub_ada", invoice_id="in_first"))
    deliver(
        discounted_invoice(
            shape=shape,
            subscription="sub_ada",
            invoice_id="in_renewal",
            billing_reason="subscription_cycle",
            period_end=1_902_600_000,
        )
    )

    assert Order.objects.get().amount == 2320
    assert [payment.amount for payment in Payment.objects.order_by("pk")] == [2320, 2320]
    invoices = Document.objects.order_by("pk")
    assert [[(line[0], line[3]) for line in lines(invoice)] for invoice in invoices] == [
        [("Inner circle, access until 2030-03-17", 2900), ("Discount (code SPRING20)", -580)],
        [("Inner circle, access until 2030-04-16", 2900), ("Discount (code SPRING20)", -580)],
    ]
    redemption = Redemption.objects.get()
    assert (redemption.coupon, redemption.amount) == (coupon, 580)


@pytest.mark.parametrize("shape", ["legacy", "basil"])
def test_the_coupon_is_recognised_without_our_metadata_in_the_old_shape_only(
    deliver, membership_price, seller, shape
):
    """A 2020 invoice names the promotion code in its expanded ``discount``; a 2025 one names
    only a discount id, so without our metadata the discount shows but no coupon is counted."""
    from tests.offers.test_checkout_coupons import at_stripe

    at_stripe(make_coupon(duration="forever"))

    deliver(discounted_invoice(shape=shape, code=None, subscription="sub_ada"))

    assert Redemption.objects.count() == (1 if shape == "legacy" else 0)
    assert PaymentDiscount.objects.get().amount == 580


def test_an_order_paid_after_the_limit_is_kept_and_flagged(deliver, course_price, seller):
    """Both buyers passed the check at checkout; the second paid after the last redemption was
    used: the purchase stands (Stripe charged the discounted price), the redemption is flagged
    and not counted."""
    make_coupon(max_redemptions=1)

    deliver(discounted_session(email="ada@x.test"))
    deliver(discounted_session(email="bob@x.test"))

    assert AccessGrant.objects.count() == 2
    assert list(Redemption.objects.order_by("pk").values_list("over_limit", flat=True)) == [
        False,
        True,
    ]


def test_a_real_2025_checkout_event_with_a_promotion_code(deliver, seller):
    """The real ``checkout.session.completed`` of tests/fixtures/stripe (API 2025-06-30.basil,
    800 JPY) as it comes with a 10 % promotion code from a Payment Link: no metadata of ours."""
    from tests.factories import PriceFactory
    from tests.offers.test_checkout_coupons import at_stripe
    from tests.payloads.stripe import fixture_with

    PriceFactory(stripe_price_id="price_jpy", amount=800, currency="JPY")
    coupon = make_coupon("TENOFF", percent_off=10)
    at_stripe(coupon, promotion_code="promo_1RealJpy")

    def with_discount(payload: dict) -> None:
        session = payload["data"]["object"]
        session["metadata"] = {"price_id": "price_jpy"}
        session["amount_total"] = 720
        session["total_details"]["amount_discount"] = 80
        session["discounts"] = [{"coupon": "co_jpy", "promotion_code": "promo_1RealJpy"}]

    deliver(fixture_with("checkout.session.completed.payment", with_discount))

    assert Order.objects.get().amount == 720
    assert Redemption.objects.get().coupon == coupon
    assert [line.gross for line in Document.objects.get().lines.all()] == [800, -80]
