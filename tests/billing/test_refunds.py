"""Refunds and disputes: matched by payment intent or charge; full ones revoke, partial keep."""

from __future__ import annotations

import pytest

from billing.models import Order, Payment, ProviderEvent
from members.models import AccessGrant
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db


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
def credit_notes(monkeypatch):
    issued: list[tuple[str, int]] = []

    def record(*, payment, amount, now, line=""):
        issued.append((payment.provider_ref, amount))

    monkeypatch.setattr("billing.services.refunds.issue_credit_note_for_refund", record)
    return issued


def test_full_refund_ends_a_one_time_purchase(deliver, purchase, credit_notes):
    body = build_event(
        "charge.refunded", payment_intent="pi_ada", amount=4900, amount_refunded=4900
    )
    deliver(body)
    deliver(body)

    grant = AccessGrant.objects.get()
    assert grant.state == AccessGrant.State.REVOKED
    assert grant.end_reason == "payment cs_ada refunded in full"
    purchase.refresh_from_db()
    assert (purchase.status, purchase.amount_refunded) == ("refunded", 4900)
    assert Order.objects.get().status == "refunded"
    assert credit_notes == [("cs_ada", 4900)]
    assert list(grant.events.values_list("kind", flat=True)) == ["granted", "revoked"]


def test_partial_refund_is_recorded_and_keeps_access(deliver, purchase, credit_notes):
    deliver(
        build_event("charge.refunded", payment_intent="pi_ada", amount=4900, amount_refunded=1000)
    )
    deliver(
        build_event("charge.refunded", payment_intent="pi_ada", amount=4900, amount_refunded=1500)
    )

    purchase.refresh_from_db()
    assert (purchase.status, purchase.amount_refunded) == ("partially_refunded", 1500)
    assert AccessGrant.objects.get().state == AccessGrant.State.ACTIVE
    assert credit_notes == [("cs_ada", 1000), ("cs_ada", 500)]


def test_an_older_partial_refund_after_a_newer_one_credits_nothing(deliver, purchase, credit_notes):
    deliver(
        build_event("charge.refunded", payment_intent="pi_ada", amount=4900, amount_refunded=1500)
    )
    deliver(
        build_event("charge.refunded", payment_intent="pi_ada", amount=4900, amount_refunded=1000)
    )

    purchase.refresh_from_db()
    assert purchase.amount_refunded == 1500
    assert credit_notes == [("cs_ada", 1500)]


def test_refund_matched_by_charge_id(deliver, membership_price, credit_notes):
    deliver(
        build_event(
            "invoice.paid",
            shape="legacy",
            price_id="price_monthly",
            subscription="sub_1",
            charge="ch_first",
            payment_intent="pi_first",
            invoice_id="in_first",
        )
    )
    deliver(build_event("charge.refunded", charge="ch_first", amount=2900, amount_refunded=2900))
    assert AccessGrant.objects.get().state == AccessGrant.State.REVOKED
    assert credit_notes == [("in_first", 2900)]


def test_refund_for_an_unknown_payment_fails_naming_it(deliver, purchase):
    deliver(build_event("charge.refunded", payment_intent="pi_other", charge="ch_other"))
    event = ProviderEvent.objects.get(event_type="charge.refunded")
    assert event.status == ProviderEvent.Status.FAILED
    assert "no recorded stripe payment matches pi_other, ch_other" in event.error
    assert AccessGrant.objects.get().state == AccessGrant.State.ACTIVE


def test_dispute_revokes_then_a_lost_dispute_is_credited(deliver, purchase, credit_notes):
    deliver(build_event("charge.dispute.created", payment_intent="pi_ada"))
    grant = AccessGrant.objects.get()
    assert grant.state == AccessGrant.State.REVOKED
    purchase.refresh_from_db()
    assert purchase.status == "disputed"
    assert credit_notes == []

    deliver(build_event("charge.dispute.closed", payment_intent="pi_ada", status="lost"))
    purchase.refresh_from_db()
    assert purchase.status == "charged_back"
    assert Order.objects.get().status == "charged_back"
    assert credit_notes == [("cs_ada", 4900)]


def test_a_won_dispute_gives_access_back(deliver, purchase, credit_notes):
    deliver(build_event("charge.dispute.created", payment_intent="pi_ada"))
    deliver(build_event("charge.dispute.closed", payment_intent="pi_ada", status="won"))

    grant = AccessGrant.objects.get()
    assert grant.state == AccessGrant.State.ACTIVE
    purchase.refresh_from_db()
    assert purchase.status == "succeeded"
    assert list(grant.events.values_list("kind", flat=True)) == [
        "granted",
        "revoked",
        "reactivated",
    ]
    assert credit_notes == []
