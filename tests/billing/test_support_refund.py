"""Refund a Stripe payment from the admin's member page: Stripe's Refunds API is asked (the
exact request, once per double submit), and access and the credit note follow from Stripe's
``charge.refunded`` webhook. Bad input is a form error and nothing is asked or written."""

from __future__ import annotations

import pytest

from billing.models import Payment
from members.models import AccessGrant, MemberEvent
from tests.desk.helpers import action_url
from tests.invoices.helpers import make_payment
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db

REFUNDS = "/v1/refunds"


@pytest.fixture
def purchase(deliver, course_price):
    deliver(
        build_event(
            "checkout.session.completed",
            price_id="price_course",
            email="ada@x.test",
            amount=4900,
            payment_intent="pi_ada",
            session_id="cs_ada",
        )
    )
    return Payment.objects.get()


@pytest.fixture
def stripe_refunds(stripe_http):
    stripe_http.add(
        "POST",
        REFUNDS,
        {"id": "re_1", "object": "refund", "amount": 4900, "status": "succeeded",
         "payment_intent": "pi_ada", "currency": "eur"},
    )  # fmt: skip
    return stripe_http


def refund(client, payment, **data):
    fields = {"refund-payment": payment.pk, "refund-reason": data.pop("reason", "never used")}
    fields.update({f"refund-{name}": value for name, value in data.items()})
    return client.post(action_url(payment.order.member, "refund"), fields)


def refund_requests(fake) -> list[dict]:
    return [request for request in fake.requests if request["path"] == REFUNDS]


def test_a_full_refund_asks_stripe_once_and_the_webhook_ends_access(
    creator_client, purchase, stripe_refunds, deliver
):
    first = refund(creator_client, purchase)
    refund(creator_client, purchase)  # a double submit

    assert first.status_code == 302
    requests = refund_requests(stripe_refunds)
    assert [request["params"] for request in requests] == [
        {
            "payment_intent": "pi_ada",
            "amount": "4900",
            "reason": "requested_by_customer",
            "metadata[payment]": "cs_ada",
            "metadata[member]": "ada@x.test",
            "metadata[actor]": "creator@example.test",
        }
    ] * 2
    keys = {request["headers"]["Idempotency-Key"] for request in requests}
    assert keys == {f"refund-{purchase.pk}-0-4900"}  # Stripe refunds a repeated key once
    # The action itself changes no access: Stripe's confirmation does.
    assert AccessGrant.objects.get().state == AccessGrant.State.ACTIVE
    events = MemberEvent.objects.filter(kind="refund_requested")
    assert events.first().actor.email == "creator@example.test"
    assert "never used" in events.first().reason

    deliver(build_event("charge.refunded", payment_intent="pi_ada", amount=4900,
                        amount_refunded=4900))  # fmt: skip

    assert AccessGrant.objects.get().state == AccessGrant.State.REVOKED
    purchase.refresh_from_db()
    assert (purchase.status, purchase.amount_refunded) == ("refunded", 4900)


def test_a_partial_refund_sends_the_amount_in_minor_units(creator_client, purchase, stripe_refunds):
    response = refund(creator_client, purchase, amount="10.50")

    assert response.status_code == 302
    assert refund_requests(stripe_refunds)[0]["params"]["amount"] == "1050"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("49.01", "at most 49.00 EUR"),
        ("0", "above zero"),
        ("-5", "above zero"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_asked(
    creator_client, purchase, stripe_refunds, amount, message
):
    response = refund(creator_client, purchase, amount=amount)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert refund_requests(stripe_refunds) == []
    assert not MemberEvent.objects.exists()


def test_what_was_refunded_already_is_not_refunded_again(creator_client, purchase, stripe_refunds):
    Payment.objects.filter(pk=purchase.pk).update(amount_refunded=4000)

    response = refund(creator_client, purchase, amount="10.00")

    assert "at most 9.00 EUR" in response.content.decode()
    assert refund_requests(stripe_refunds) == []


def test_a_digistore24_payment_is_refunded_in_digistore24(creator_client, stripe_refunds):
    payment = make_payment(provider="digistore24")

    response = refund(creator_client, payment)

    assert response.status_code == 400
    assert "refunds are made in digistore24" in response.content.decode()
    assert refund_requests(stripe_refunds) == []


def test_a_payment_without_a_stripe_reference_is_refused(creator_client, stripe_refunds):
    payment = make_payment()
    Payment.objects.filter(pk=payment.pk).update(payment_intent_ref="", charge_ref="")

    response = refund(creator_client, payment)

    assert "no Stripe payment intent or charge" in response.content.decode()
    assert refund_requests(stripe_refunds) == []
    assert not MemberEvent.objects.exists()


def test_stripe_refusing_is_a_form_error(creator_client, purchase, stripe_http):
    stripe_http.add(
        "POST",
        REFUNDS,
        {"error": {"type": "invalid_request_error", "message": "Charge has been refunded."}},
        status=400,
    )

    response = refund(creator_client, purchase)

    assert response.status_code == 400
    assert "Charge has been refunded." in response.content.decode()
    assert not MemberEvent.objects.exists()
