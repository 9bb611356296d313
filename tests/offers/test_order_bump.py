"""An order bump bought with its product: two orders, two grants, one invoice with two lines;
a refund of the bump's line revokes only the bump."""

from __future__ import annotations

import pytest

from billing.models import Order, Payment
from invoices.models import Document
from members.models import AccessGrant
from offers.models import BumpPurchase, Redemption
from tests.invoices.helpers import make_seller
from tests.offers.bump_helpers import bump_session
from tests.offers.conftest import make_coupon
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db


def lines(document: Document) -> list[tuple[str, int]]:
    return [(line.description, line.gross) for line in document.lines.all()]


@pytest.fixture
def seller(db):
    return make_seller()


def live_products(email: str = "ada@x.test") -> set[str]:
    return set(
        AccessGrant.objects.filter(member__email=email, state=AccessGrant.State.ACTIVE).values_list(
            "product__name", flat=True
        )
    )


@pytest.mark.parametrize("shape", ["legacy", "basil"])
def test_the_bump_is_its_own_order_grant_and_invoice_line(
    deliver, course_price, bump, seller, shape
):
    response = deliver(bump_session(bump, shape=shape, email="ada@x.test", session_id="cs_ada"))

    assert response.status_code == 200
    main = Order.objects.get(provider_ref="cs_ada")
    extra = Order.objects.get(provider_ref="cs_ada:bump")
    assert (main.product, main.amount) == (course_price.product, 4900)
    assert (extra.product, extra.amount, extra.member) == (bump.bump_product, 900, main.member)
    assert Payment.objects.get().amount == 5800
    assert live_products() == {"Habit course", "Habit workbook"}
    invoice = Document.objects.get(kind="invoice")
    assert lines(invoice) == [("Habit course", 4900), ("Habit workbook", 900)]
    assert invoice.gross_total == 5800


def test_with_a_coupon_the_invoice_has_both_lines_and_the_discount(
    deliver, course_price, bump, seller
):
    """A 20 % coupon takes 20 % off both lines (Stripe applies it to the session)."""
    coupon = make_coupon()

    deliver(bump_session(bump, discount=1160, code="SPRING20", email="ada@x.test"))

    invoice = Document.objects.get(kind="invoice")
    assert lines(invoice) == [
        ("Habit course", 4900),
        ("Habit workbook", 900),
        ("Discount (code SPRING20)", -1160),
    ]
    assert invoice.gross_total == 4640
    purchase = BumpPurchase.objects.get()
    assert (purchase.list_amount, purchase.amount) == (900, 720)  # its share: 180 of 1160
    assert Order.objects.exclude(pk=purchase.order_id).get().amount == 3920
    assert Redemption.objects.get().coupon == coupon  # counted once, for the main order


def test_without_the_bump_there_is_one_line(deliver, course_price, bump, seller):
    deliver(build_event("checkout.session.completed", price_id="price_course", email="ada@x.test"))

    assert Order.objects.count() == 1
    assert not BumpPurchase.objects.exists()
    assert live_products() == {"Habit course"}
    assert lines(Document.objects.get()) == [("Habit course", 4900)]


def test_a_repeated_delivery_grants_and_invoices_once(deliver, course_price, bump, seller):
    body = bump_session(bump, email="ada@x.test")

    assert deliver(body).status_code == 200
    assert deliver(body).status_code == 200

    assert Order.objects.count() == 2
    assert BumpPurchase.objects.count() == 1
    assert Document.objects.count() == 1
    assert AccessGrant.objects.count() == 2


def test_a_bump_of_another_product_in_the_metadata_grants_nothing(
    deliver, course_price, bump, seller
):
    from offers.models import OrderBump
    from tests.factories import ProductFactory

    other = OrderBump.objects.create(
        product=ProductFactory(), bump_product=ProductFactory(), amount=900, currency="EUR"
    )

    deliver(bump_session(other, email="ada@x.test"))

    assert not Order.objects.exists()  # the event is kept as failed, for support to look at
    assert not AccessGrant.objects.exists()


def refund(payment: Payment, amount_refunded: int, shape: str = "basil") -> str:
    return build_event(
        "charge.refunded",
        shape=shape,
        amount=payment.amount,
        amount_refunded=amount_refunded,
        payment_intent=payment.payment_intent_ref,
    )


@pytest.mark.parametrize("shape", ["legacy", "basil"])
def test_refunding_the_bump_line_revokes_only_the_bump(deliver, course_price, bump, seller, shape):
    deliver(bump_session(bump, shape=shape, email="ada@x.test"))
    payment = Payment.objects.get()

    deliver(refund(payment, 900, shape))
    deliver(refund(payment, 900, shape))  # delivered twice: credited and revoked once

    assert live_products() == {"Habit course"}
    revoked = AccessGrant.objects.get(state=AccessGrant.State.REVOKED)
    assert revoked.product == bump.bump_product
    purchase = BumpPurchase.objects.select_related("order").get()
    assert purchase.refunded_at is not None
    assert purchase.order.status == Order.Status.REFUNDED
    assert Order.objects.exclude(pk=purchase.order_id).get().status == Order.Status.PAID
    invoice = Document.objects.get(kind="invoice")
    note = Document.objects.get(kind="credit_note")
    assert lines(note) == [(f"Credit for invoice {invoice.number}: Habit workbook", -900)]
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", 900)


def test_the_discounted_bump_line_is_refunded_by_what_it_was_paid(
    deliver, course_price, bump, seller
):
    make_coupon()
    deliver(bump_session(bump, discount=1160, code="SPRING20", email="ada@x.test"))

    deliver(refund(Payment.objects.get(), 720))

    assert live_products() == {"Habit course"}


def test_another_partial_refund_keeps_both_products(deliver, course_price, bump, seller):
    deliver(bump_session(bump, email="ada@x.test"))

    deliver(refund(Payment.objects.get(), 500))

    assert live_products() == {"Habit course", "Habit workbook"}
    assert not BumpPurchase.objects.filter(refunded_at__isnull=False).exists()
    note = Document.objects.get(kind="credit_note")
    assert lines(note)[0][0].endswith(Document.objects.get(kind="invoice").number)


def test_a_full_refund_revokes_both(deliver, course_price, bump, seller):
    deliver(bump_session(bump, email="ada@x.test"))

    deliver(refund(Payment.objects.get(), 5800))

    assert live_products() == set()
    assert set(Order.objects.values_list("status", flat=True)) == {"refunded"}


def dispute(payment: Payment, **fields) -> str:
    return build_event(
        "charge.dispute.created" if "status" not in fields else "charge.dispute.closed",
        amount=payment.amount,
        payment_intent=payment.payment_intent_ref,
        **fields,
    )


def test_a_dispute_ends_both_and_a_won_one_gives_both_back(deliver, course_price, bump, seller):
    deliver(bump_session(bump, email="ada@x.test"))
    payment = Payment.objects.get()

    deliver(dispute(payment))
    assert live_products() == set()

    deliver(dispute(payment, status="won"))
    assert live_products() == {"Habit course", "Habit workbook"}


def test_a_won_dispute_does_not_give_back_a_refunded_bump(deliver, course_price, bump, seller):
    deliver(bump_session(bump, email="ada@x.test"))
    payment = Payment.objects.get()
    deliver(refund(payment, 900))

    deliver(dispute(payment))
    deliver(dispute(payment, status="won"))

    assert live_products() == {"Habit course"}
