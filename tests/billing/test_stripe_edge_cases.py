"""Stripe edge cases a review found: each test once showed a member locked out after paying, or
keeping access after their money went back (all fixed; kept as regressions).

Payloads are built like the real Stripe events (tests/payloads/stripe.py) and delivered signed
through the webhook, with the processing task run eagerly on commit.
"""

from __future__ import annotations

import pytest
import time_machine

from billing.models import Order, Payment, ProviderEvent, Subscription
from members.access import effective_state, grant_allows_access
from members.models import AccessGrant
from tests.billing.test_subscriptions import PERIOD_1, PERIOD_2, T0, at, first_invoice
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db

DAY = 86400
invoice_paid = first_invoice  # a membership's first invoice.paid, 2025 shape


# --- 1. "unpaid" is treated as a final end -----------------------------------------------------


def test_paying_the_open_invoice_of_an_unpaid_subscription_gives_access_back(
    deliver, membership_price
):
    """Stripe's ``unpaid`` is not terminal: once the open invoice is paid the subscription is
    ``active`` again and keeps renewing. The app ends the subscription for good on ``unpaid``,
    so the member who then pays is charged and stays locked out for every future period."""
    with time_machine.travel(at(T0), tick=False):
        deliver(invoice_paid())
    # Retries exhausted; the subscription settings say "mark the subscription as unpaid".
    with time_machine.travel(at(PERIOD_1 + 10 * DAY), tick=False):
        deliver(
            build_event(
                "customer.subscription.updated",
                subscription="sub_1",
                status="unpaid",
                price_id="price_monthly",
                period_end=PERIOD_2,
                created=PERIOD_1 + 10 * DAY,
            )
        )
    # The member updates their card and pays the open renewal invoice; Stripe reactivates.
    paid_at = PERIOD_1 + 12 * DAY
    with time_machine.travel(at(paid_at), tick=False):
        deliver(
            invoice_paid(
                invoice_id="in_second",
                billing_reason="subscription_cycle",
                period_end=PERIOD_2,
                created=paid_at,
                email="",
            )
        )
        deliver(
            build_event(
                "customer.subscription.updated",
                subscription="sub_1",
                status="active",
                price_id="price_monthly",
                period_end=PERIOD_2,
                created=paid_at,
            )
        )

    assert Payment.objects.filter(provider_ref="in_second").exists()  # the money was taken
    grant = AccessGrant.objects.get()
    assert grant_allows_access(grant, now=at(paid_at)), (grant.state, grant.end_reason)
    assert Subscription.objects.get().status == Subscription.Status.ACTIVE


# --- 2. 2025 ("basil") invoices: refunds and disputes on subscription payments never match -------


def test_full_refund_of_a_basil_subscription_invoice_revokes_access(
    deliver, membership_price, stripe_http
):
    """Since 2025-03-31.basil an invoice has no ``payment_intent``/``charge`` and its ``payments``
    list is only *includable* (absent from webhook payloads); the Charge lost its ``invoice``.
    The Payment row is stored without any reference a charge event can name, so a full refund
    (or a dispute) of a membership payment fails to match forever and the member keeps access."""
    stripe_http.add(
        "GET",
        "/v1/invoice_payments",
        {
            "object": "list",
            "url": "/v1/invoice_payments",
            "has_more": False,
            "data": [
                {
                    "id": "inpay_1",
                    "object": "invoice_payment",
                    "amount_paid": 2900,
                    "amount_requested": 2900,
                    "currency": "eur",
                    "invoice": "in_first",
                    "is_default": True,
                    "livemode": False,
                    "payment": {"type": "payment_intent", "payment_intent": "pi_first"},
                    "status": "paid",
                    "status_transitions": {"canceled_at": None, "paid_at": T0},
                    "created": T0,
                }
            ],
        },
    )
    with time_machine.travel(at(T0), tick=False):
        deliver(invoice_paid())  # basil shape, as Stripe sends it: no payments list
        deliver(
            build_event(
                "charge.refunded",
                charge="ch_first",
                payment_intent="pi_first",
                amount=2900,
                amount_refunded=2900,
                created=T0 + 3600,
            )
        )

    refund_event = ProviderEvent.objects.get(event_type="charge.refunded")
    assert refund_event.status == ProviderEvent.Status.PROCESSED, refund_event.error
    assert AccessGrant.objects.get().state == AccessGrant.State.REVOKED
    (lookup,) = stripe_http.requests
    assert lookup["query"]["payment[payment_intent]"] == ["pi_first"]
    assert Payment.objects.get().payment_intent_ref == "pi_first"  # asked once, remembered


# --- 3. A dispute's "created" arriving after its "closed (won)" revokes for good ---------------


def test_dispute_created_delivered_after_it_was_won_does_not_revoke(deliver, course_price):
    """Events may arrive in any order (DESIGN: the end state is the same). If
    ``charge.dispute.closed`` (won) is processed before ``charge.dispute.created`` (a retried
    delivery), the won close is a no-op ("no open dispute") and the late ``created`` then
    revokes the paid member's lifetime access with nothing left to give it back."""
    deliver(
        build_event(
            "checkout.session.completed",
            price_id="price_course",
            email="ada@x.test",
            amount=4900,
            payment_intent="pi_ada",
            session_id="cs_ada",
            created=T0,
        )
    )
    deliver(
        build_event(
            "charge.dispute.closed",
            payment_intent="pi_ada",
            charge="ch_ada",
            status="won",
            created=T0 + 20 * DAY,
        )
    )
    deliver(
        build_event(
            "charge.dispute.created",
            payment_intent="pi_ada",
            charge="ch_ada",
            status="needs_response",
            created=T0 + 1 * DAY,
        )
    )

    grant = AccessGrant.objects.get()
    assert grant.state == AccessGrant.State.ACTIVE, grant.end_reason
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED


# --- 4. Checkout (payment mode) with an invoice: one purchase, two orders ---------------------


def _one_off_invoice_paid(*, created: int) -> str:
    """``invoice.paid`` of the invoice a payment-mode Checkout Session creates
    (``invoice_creation.enabled``, e.g. a Payment Link with "create invoice"): no subscription."""
    import json

    payload = json.loads(
        build_event(
            "invoice.paid",
            price_id="price_course",
            subscription=None,
            invoice_id="in_oneoff",
            email="ada@x.test",
            customer="cus_ada",
            amount=4900,
            billing_reason="manual",
            created=created,
        )
    )
    payload["data"]["object"]["parent"] = None  # a one-off invoice has no parent
    return json.dumps(payload)


def test_checkout_with_invoice_creation_is_one_order_and_a_full_refund_revokes(
    deliver, course_price
):
    """The same purchase arrives as ``checkout.session.completed`` (keyed cs_…) and as
    ``invoice.paid`` of its invoice (keyed in_…): two orders, two payments, two invoice PDFs,
    two e-mails. The grant belongs to whichever came first; the refund matches the session's
    payment (the only one with the payment intent in basil), so it revokes nothing and the
    refunded buyer keeps lifetime access."""
    deliver(_one_off_invoice_paid(created=T0))
    deliver(
        build_event(
            "checkout.session.completed",
            price_id="price_course",
            email="ada@x.test",
            customer="cus_ada",
            amount=4900,
            payment_intent="pi_ada",
            session_id="cs_ada",
            invoice="in_oneoff",
            created=T0,
        )
    )
    deliver(
        build_event(
            "charge.refunded",
            payment_intent="pi_ada",
            charge="ch_ada",
            amount=4900,
            amount_refunded=4900,
            created=T0 + DAY,
        )
    )

    assert Order.objects.count() == 1
    assert AccessGrant.objects.get().state == AccessGrant.State.REVOKED


def test_checkout_with_invoice_creation_records_one_order_and_one_payment(deliver, course_price):
    deliver(
        build_event(
            "checkout.session.completed",
            price_id="price_course",
            email="ada@x.test",
            customer="cus_ada",
            amount=4900,
            payment_intent="pi_ada",
            session_id="cs_ada",
            invoice="in_oneoff",
            created=T0,
        )
    )
    deliver(_one_off_invoice_paid(created=T0))
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1


# --- 5. A stale "past_due" after the renewal was paid ------------------------------------------


def test_stale_past_due_update_after_a_paid_renewal_does_not_start_grace(
    deliver, membership_price, mailoutbox
):
    """The renewal failed once, then the retry succeeded. ``customer.subscription.updated``
    (past_due, older) is delivered after ``invoice.paid`` (newer). A paid invoice does not move
    ``provider_updated_at``, so the older update is not seen as stale: the subscription is
    stored past_due, the paid member's grant goes to grace and they are told their payment
    failed."""
    with time_machine.travel(at(T0), tick=False):
        deliver(invoice_paid())
    with time_machine.travel(at(PERIOD_1 + 2 * DAY), tick=False):
        deliver(
            invoice_paid(
                invoice_id="in_second",
                billing_reason="subscription_cycle",
                period_end=PERIOD_2,
                created=PERIOD_1 + 2 * DAY,
                email="",
            )
        )
        deliver(
            build_event(
                "customer.subscription.updated",
                subscription="sub_1",
                status="past_due",
                price_id="price_monthly",
                period_end=PERIOD_2,
                created=PERIOD_1 + 60,
            )
        )

    grant = AccessGrant.objects.get()
    assert effective_state(grant, now=at(PERIOD_1 + 2 * DAY)) == AccessGrant.State.ACTIVE
    assert Subscription.objects.get().status == Subscription.Status.ACTIVE
    assert len(mailoutbox) == 1  # the welcome e-mail only, no "payment failed"


# --- 6. Refunding one order revokes a grant another live order still pays for ----------------


def test_refund_of_a_duplicate_lifetime_purchase_keeps_the_membership_access(deliver, course_price):
    """A member of a monthly bundle that contains the course also buys the course once (by
    mistake) and asks for that money back. The one-off purchase took over the grant's ``order``
    (lifetime wins), so the full refund revokes the course although the membership still pays
    for it: locked out until the next renewal."""
    from tests.factories import BundleItemFactory, ProductFactory, RecurringPriceFactory

    bundle = ProductFactory(name="All access", slug="all-access", kind="bundle")
    BundleItemFactory(bundle=bundle, product=course_price.product)
    RecurringPriceFactory(product=bundle, stripe_price_id="price_all_access", amount=2900)

    with time_machine.travel(at(T0), tick=False):
        deliver(invoice_paid(price_id="price_all_access", amount=2900))
        deliver(
            build_event(
                "checkout.session.completed",
                price_id="price_course",
                email="ada@x.test",
                customer="cus_ada",
                amount=4900,
                payment_intent="pi_dup",
                session_id="cs_dup",
                created=T0 + 60,
            )
        )
        deliver(
            build_event(
                "charge.refunded",
                payment_intent="pi_dup",
                amount=4900,
                amount_refunded=4900,
                created=T0 + 120,
            )
        )

    course_grant = AccessGrant.objects.get(product=course_price.product)
    assert Subscription.objects.get().status == Subscription.Status.ACTIVE
    assert grant_allows_access(course_grant, now=at(T0 + DAY)), course_grant.end_reason


# --- 7. Renewals need the catalog to still know the subscriber's (old) price id ---------------


def test_renewal_on_a_grandfathered_price_extends_access_after_the_price_id_changed(
    deliver, membership_price
):
    """Stripe prices are immutable: a price rise is a new price id, and existing subscribers
    stay on the old one. When the creator points the membership's Price at the new id, every
    renewal of an existing subscriber fails with "unknown Stripe price id": the subscription is
    known and paid, but access is not extended and lapses after paid-through plus grace."""
    with time_machine.travel(at(T0), tick=False):
        deliver(invoice_paid())
    membership_price.stripe_price_id = "price_monthly_2027"
    membership_price.save()

    with time_machine.travel(at(PERIOD_1), tick=False):
        deliver(
            invoice_paid(
                invoice_id="in_second",
                billing_reason="subscription_cycle",
                period_end=PERIOD_2,
                created=PERIOD_1,
                email="",
            )
        )
    renewal = ProviderEvent.objects.get(payload__data__object__id="in_second")
    assert renewal.status == ProviderEvent.Status.PROCESSED, renewal.error
    assert AccessGrant.objects.get().paid_through == at(PERIOD_2)


# --- 8. A full refund of an old renewal leaves the month being paid for now alone -----------------


def test_full_refund_of_an_old_renewal_keeps_the_current_paid_month(deliver, membership_price):
    """A creator refunds last month as a goodwill gesture; this month is paid and stays."""
    with time_machine.travel(at(T0), tick=False):
        deliver(invoice_paid(charge="ch_first", payment_intent="pi_first"))
    with time_machine.travel(at(PERIOD_1), tick=False):
        deliver(
            invoice_paid(
                invoice_id="in_second",
                billing_reason="subscription_cycle",
                period_end=PERIOD_2,
                created=PERIOD_1,
                email="",
                charge="ch_second",
                payment_intent="pi_second",
            )
        )
        deliver(
            build_event(
                "charge.refunded",
                charge="ch_first",
                payment_intent="pi_first",
                amount=2900,
                amount_refunded=2900,
                created=PERIOD_1 + 60,
            )
        )

    assert Payment.objects.get(provider_ref="in_first").status == Payment.Status.REFUNDED
    grant = AccessGrant.objects.get()
    assert (grant.state, grant.paid_through) == (AccessGrant.State.ACTIVE, at(PERIOD_2))
    assert Order.objects.get().status == Order.Status.PAID


# --- 9. Ended by a cancellation, or for want of payment -------------------------------------------


@pytest.mark.parametrize(
    ("before_the_end", "ended_unpaid"),
    [("invoice.payment_failed", True), ("customer.subscription.updated", False)],
)
def test_an_end_after_a_failed_payment_is_unpaid_one_after_a_cancellation_is_not(
    deliver, membership_price, before_the_end, ended_unpaid
):
    with time_machine.travel(at(T0), tick=False):
        deliver(invoice_paid())
    with time_machine.travel(at(PERIOD_1), tick=False):
        if before_the_end == "invoice.payment_failed":
            deliver(
                build_event(
                    "invoice.payment_failed",
                    subscription="sub_1",
                    price_id="price_monthly",
                    created=PERIOD_1,
                )
            )
        else:
            deliver(
                build_event(
                    "customer.subscription.updated",
                    subscription="sub_1",
                    status="active",
                    price_id="price_monthly",
                    period_end=PERIOD_1,
                    cancel_at_period_end=True,
                    created=T0 + DAY,
                )
            )
        deliver(
            build_event(
                "customer.subscription.deleted", subscription="sub_1", created=PERIOD_1 + 60
            )
        )

    grant = AccessGrant.objects.get()
    assert (grant.state, grant.ended_unpaid) == (AccessGrant.State.EXPIRED, ended_unpaid)


def test_a_subscription_invoice_carries_the_language_the_buyer_checked_out_in():
    """The member of a membership is made from its first invoice: the subscription's metadata
    (``subscription_data.metadata`` at checkout) says which language they bought in."""
    import json

    from billing.providers.stripe import StripeProvider

    payload = json.loads(invoice_paid())
    details = payload["data"]["object"]["parent"]["subscription_details"]
    details["metadata"] = {"price_id": "price_monthly", "language": "de"}

    (payment,) = StripeProvider().to_domain_events(payload)

    assert payment.buyer.language == "de"
