"""Memberships: first invoice, renewals, failed payments (grace), cancellation and the end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from billing.models import Order, Payment, ProviderEvent, Subscription
from members.access import effective_state, grant_allows_access
from members.models import AccessGrant, GrantEvent
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db

T0 = 1_780_000_000  # 2026-05-28
PERIOD_1 = T0 + 30 * 86400
PERIOD_2 = PERIOD_1 + 30 * 86400


def at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def first_invoice(**fields) -> str:
    defaults = {
        "price_id": "price_monthly",
        "subscription": "sub_1",
        "invoice_id": "in_first",
        "email": "ada@x.test",
        "customer": "cus_ada",
        "period_end": PERIOD_1,
        "created": T0,
        "amount": 2900,
    }
    return build_event("invoice.paid", **{**defaults, **fields})


@pytest.fixture
def member_grant(deliver, membership_price):
    with time_machine.travel(at(T0), tick=False):
        deliver(first_invoice())
    return AccessGrant.objects.get()


@pytest.mark.parametrize("shape", ["basil", "legacy"])
def test_created_incomplete_then_invoice_paid_gives_active_membership(
    deliver, membership_price, mailoutbox, shape
):
    with time_machine.travel(at(T0), tick=False):
        deliver(
            build_event(
                "customer.subscription.created",
                subscription="sub_1",
                status="incomplete",
                price_id="price_monthly",
                created=T0,
                shape=shape,
            )
        )
        assert AccessGrant.objects.count() == 0
        deliver(first_invoice(shape=shape))

    grant = AccessGrant.objects.get()
    assert grant.state == AccessGrant.State.ACTIVE
    assert grant.paid_through == at(PERIOD_1)
    subscription = Subscription.objects.get()
    assert (subscription.provider_ref, subscription.status) == ("sub_1", "active")
    assert subscription.current_period_end == at(PERIOD_1)
    assert Order.objects.get().provider_ref == "sub_1"
    assert len(mailoutbox) == 1
    assert set(ProviderEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_subscription_created_after_invoice_paid_does_not_go_back_to_incomplete(
    deliver, member_grant
):
    deliver(
        build_event(
            "customer.subscription.created",
            subscription="sub_1",
            status="incomplete",
            price_id="price_monthly",
            created=T0,
        )
    )
    assert Subscription.objects.get().status == "active"
    member_grant.refresh_from_db()
    assert member_grant.state == AccessGrant.State.ACTIVE


def test_paid_renewal_extends_paid_through_without_a_second_email(
    deliver, member_grant, mailoutbox
):
    renewal = first_invoice(
        invoice_id="in_second",
        billing_reason="subscription_cycle",
        period_end=PERIOD_2,
        created=PERIOD_1,
        email="",
    )
    with time_machine.travel(at(PERIOD_1), tick=False):
        deliver(renewal)

    member_grant.refresh_from_db()
    assert member_grant.paid_through == at(PERIOD_2)
    assert Payment.objects.count() == 2
    assert Order.objects.count() == 1
    assert len(mailoutbox) == 1
    assert list(member_grant.events.values_list("kind", flat=True)) == ["granted", "extended"]


def test_failed_payment_moves_to_grace_keeps_access_and_tells_the_member(
    deliver, member_grant, mailoutbox
):
    failed = build_event(
        "invoice.payment_failed",
        subscription="sub_1",
        invoice_id="in_second",
        billing_reason="subscription_cycle",
        price_id="price_monthly",
        created=PERIOD_1 + 60,
    )
    with time_machine.travel(at(PERIOD_1 + 60), tick=False):
        deliver(failed)
        deliver(failed)

    member_grant.refresh_from_db()
    assert member_grant.state == AccessGrant.State.GRACE
    assert grant_allows_access(member_grant, now=at(PERIOD_1 + 86400))
    assert not grant_allows_access(member_grant, now=at(PERIOD_1) + timedelta(days=3, seconds=1))
    assert Subscription.objects.get().status == "past_due"
    assert [message.subject for message in mailoutbox[1:]] == [
        "Your payment for Inner circle did not go through"
    ]
    assert "http://testserver/members/" in mailoutbox[1].body
    assert "/login/" in mailoutbox[1].body

    with time_machine.travel(at(PERIOD_1 + 3600), tick=False):
        deliver(first_invoice(invoice_id="in_second", period_end=PERIOD_2, created=PERIOD_1 + 3600))
    member_grant.refresh_from_db()
    assert member_grant.state == AccessGrant.State.ACTIVE
    assert member_grant.paid_through == at(PERIOD_2)
    assert Subscription.objects.get().status == "active"
    kinds = list(member_grant.events.values_list("kind", flat=True))
    assert kinds == ["granted", "grace", "restored", "extended"]


def test_a_failure_older_than_the_payment_that_followed_it_is_dropped(deliver, member_grant):
    with time_machine.travel(at(PERIOD_1 + 3600), tick=False):
        deliver(first_invoice(invoice_id="in_second", period_end=PERIOD_2, created=PERIOD_1 + 3600))
        deliver(
            build_event(
                "invoice.payment_failed",
                subscription="sub_1",
                price_id="price_monthly",
                created=PERIOD_1 + 60,
            )
        )

    member_grant.refresh_from_db()
    assert member_grant.state == AccessGrant.State.ACTIVE
    assert Subscription.objects.get().status == "active"


def test_deleted_subscription_ends_access(deliver, member_grant):
    with time_machine.travel(at(T0 + 86400), tick=False):
        deliver(
            build_event("customer.subscription.deleted", subscription="sub_1", created=T0 + 86400)
        )

    member_grant.refresh_from_db()
    assert member_grant.state == AccessGrant.State.EXPIRED
    assert member_grant.ended_at == at(T0 + 86400)
    assert not grant_allows_access(member_grant, now=at(T0 + 86400))
    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.ended_at) == ("canceled", at(T0 + 86400))


def test_deleted_before_an_older_updated_stays_ended(deliver, member_grant):
    deliver(build_event("customer.subscription.deleted", subscription="sub_1", created=T0 + 200))
    deliver(
        build_event(
            "customer.subscription.updated",
            subscription="sub_1",
            status="active",
            price_id="price_monthly",
            period_end=PERIOD_2,
            created=T0 + 100,
        )
    )

    member_grant.refresh_from_db()
    assert member_grant.state == AccessGrant.State.EXPIRED
    assert Subscription.objects.get().status == "canceled"


def test_cancel_at_period_end_keeps_access_until_the_period_ends(deliver, member_grant):
    with time_machine.travel(at(T0 + 86400), tick=False):
        deliver(
            build_event(
                "customer.subscription.updated",
                subscription="sub_1",
                status="active",
                cancel_at_period_end=True,
                price_id="price_monthly",
                period_end=PERIOD_1,
                created=T0 + 86400,
            )
        )

    member_grant.refresh_from_db()
    assert member_grant.state == AccessGrant.State.ACTIVE
    assert Subscription.objects.get().cancel_at_period_end is True
    assert list(member_grant.events.values_list("kind", flat=True)) == [
        "granted",
        "cancel_scheduled",
    ]
    assert effective_state(member_grant, now=at(PERIOD_1 - 1)) == "active"

    with time_machine.travel(at(PERIOD_1), tick=False):
        deliver(
            build_event("customer.subscription.deleted", subscription="sub_1", created=PERIOD_1)
        )
    member_grant.refresh_from_db()
    assert member_grant.state == AccessGrant.State.EXPIRED


def test_an_older_subscription_update_is_dropped(deliver, member_grant):
    newer = {"subscription": "sub_1", "price_id": "price_monthly", "status": "active"}
    deliver(
        build_event(
            "customer.subscription.updated", cancel_at_period_end=True, created=T0 + 500, **newer
        )
    )
    deliver(
        build_event(
            "customer.subscription.updated", cancel_at_period_end=False, created=T0 + 400, **newer
        )
    )

    assert Subscription.objects.get().cancel_at_period_end is True
    kinds = list(GrantEvent.objects.values_list("kind", flat=True))
    assert kinds == ["granted", "cancel_scheduled"]


def test_trial_with_a_zero_amount_first_invoice_grants_access(deliver, membership_price):
    trial_end = T0 + 14 * 86400
    with time_machine.travel(at(T0), tick=False):
        deliver(first_invoice(amount=0, period_end=trial_end))

    grant = AccessGrant.objects.get()
    assert grant.state == AccessGrant.State.ACTIVE
    assert grant.paid_through == at(trial_end)
    assert Payment.objects.get().amount == 0


def test_ending_a_subscription_not_recorded_yet_fails_and_completes_on_retry(
    deliver, membership_price
):
    deliver(build_event("customer.subscription.deleted", subscription="sub_1", created=T0 + 10))
    event = ProviderEvent.objects.get()
    assert event.status == ProviderEvent.Status.FAILED
    assert "subscription sub_1 is not recorded yet" in event.error

    with time_machine.travel(at(T0), tick=False):
        deliver(first_invoice())

    from billing.services import reprocess_events

    reprocess_events(now=at(T0 + 20), failed_only=True)
    assert AccessGrant.objects.get().state == AccessGrant.State.EXPIRED
    assert Subscription.objects.get().status == "canceled"


def test_checkout_session_in_subscription_mode_links_to_the_order(deliver, membership_price):
    deliver(
        build_event(
            "checkout.session.completed",
            mode="subscription",
            subscription="sub_1",
            session_id="cs_sub",
            price_id="price_monthly",
            payment_intent=None,
        )
    )
    from billing.selectors import checkout_has_access

    assert AccessGrant.objects.count() == 0
    assert checkout_has_access(provider="stripe", checkout_ref="cs_sub") is False
    with time_machine.travel(at(T0), tick=False):
        deliver(first_invoice())
    assert checkout_has_access(provider="stripe", checkout_ref="cs_sub") is True
