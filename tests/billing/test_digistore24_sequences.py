"""Digistore24 IPN sequences in odd (but contract-allowed) orders: late payments, stale ends,
duplicate purchases, a resume before its cancel. Each once cost a paying member access (fixed;
kept as regressions)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from billing.models import Payment, Subscription
from drip.services import expire_lapsed_grants
from members.access import lesson_state
from members.models import AccessGrant, User
from tests.factories import PriceFactory
from tests.members.helpers import make_course
from tests.payloads.digistore24 import (
    FORM,
    PASSPHRASE,
    URL,
    build_ipn,
    signed_body,
    subscription_payment,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
State = AccessGrant.State


@pytest.fixture(autouse=True)
def passphrase(settings):
    settings.DIGISTORE24_IPN_PASSPHRASE = PASSPHRASE
    return PASSPHRASE


@pytest.fixture
def post_ipn(client, django_capture_on_commit_callbacks):
    def _post(fields: dict, *, at: datetime = T0):
        with (
            time_machine.travel(at, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(URL, data=signed_body(fields), content_type=FORM)
        assert response.status_code == 200, response.content
        return response

    return _post


def _first_payment(post_ipn, order_id="ORDSUB01"):
    post_ipn(
        subscription_payment(
            1,
            "2025-04-01",
            order_id=order_id,
            transaction_id="72000001",
            transaction_date="2025-03-01 10:15:00",
        )
    )


def _missed(post_ipn, order_id="ORDSUB01"):
    post_ipn(
        build_ipn(
            "on_payment_missed",
            order_id=order_id,
            product_id="510003",
            transaction_date="2025-04-01 06:00:00",
        ),
        at=datetime(2025, 4, 1, 4, 5, tzinfo=UTC),
    )


def _late_payment(post_ipn, *, at, order_id="ORDSUB01"):
    post_ipn(
        subscription_payment(
            2,
            "2025-05-06",
            order_id=order_id,
            transaction_id="72000002",
            transaction_date="2025-04-06 09:00:00",
        ),
        at=at,
    )


def _last_paid_day(post_ipn, *, at, order_id="ORDSUB01"):
    post_ipn(
        build_ipn(
            "last_paid_day",
            order_id=order_id,
            product_id="510003",
            transaction_date="2025-04-04 00:00:00",
        ),
        at=at,
    )


def test_a_late_rebill_after_the_lapse_sweep_does_not_restart_the_drip_clock(post_ipn):
    """A course sold as a subscription with ``restart_drip_on_repurchase``: the member misses a
    rebill, the sweep expires the grant, the member pays late (contract: ``on_payment`` "a late
    payment after a miss ... lift a suspension"). That is a renewal of the same order, not a new
    purchase, yet the drip clock restarts and lessons the member had for a month lock again."""
    course = make_course(days=(0, 3, 6))
    course.product.digistore24_product_id = "510003"
    course.product.restart_drip_on_repurchase = True
    course.product.save()
    _first_payment(post_ipn)
    _missed(post_ipn)
    expire_lapsed_grants(now=datetime(2025, 4, 5, 12, 0, tzinfo=UTC))  # beat ran on time
    late_at = datetime(2025, 4, 6, 7, 5, tzinfo=UTC)
    _late_payment(post_ipn, at=late_at)

    member = User.objects.get()
    grant = AccessGrant.objects.get()
    assert (grant.state, grant.order.provider_ref) == (State.ACTIVE, "ORDSUB01:510003")
    day_six = course.lessons[2]  # opened 2025-03-07 for this member, a month ago
    state = lesson_state(member=member, lesson=day_six, now=late_at)
    assert state.is_open, f"a paying member's day-6 lesson is locked until {state.opens_at}"


def test_a_late_payment_after_last_paid_day_gives_access_back(post_ipn, membership):
    """Contract: ``on_payment`` covers "a late payment after a miss" and must grant or extend
    access. After failed retries Digistore24 sends ``last_paid_day``; when the buyer then pays,
    the money is recorded but access stays expired."""
    _first_payment(post_ipn)
    _missed(post_ipn)
    _last_paid_day(post_ipn, at=datetime(2025, 4, 4, 0, 5, tzinfo=UTC))
    _late_payment(post_ipn, at=datetime(2025, 4, 6, 7, 5, tzinfo=UTC))

    assert Payment.objects.filter(provider_ref="72000002").exists()  # the money was taken
    grant = AccessGrant.objects.get()
    assert grant.state == State.ACTIVE, f"paid on 6 April, access {grant.state}"


def test_a_last_paid_day_older_than_a_recorded_payment_does_not_end_access(post_ipn, membership):
    """Odd order: the late payment (6 April) is processed first, the ``last_paid_day`` dated
    4 April arrives afterwards (Digistore24 retried its delivery). Decided from stored state, the
    newer payment wins; instead the stale event ends the subscription and expires the grant."""
    _first_payment(post_ipn)
    _missed(post_ipn)
    _late_payment(post_ipn, at=datetime(2025, 4, 6, 7, 5, tzinfo=UTC))
    grant = AccessGrant.objects.get()
    assert grant.state == State.ACTIVE

    _last_paid_day(post_ipn, at=datetime(2025, 4, 7, 8, 0, tzinfo=UTC))

    grant.refresh_from_db()
    assert grant.state == State.ACTIVE, "paid through 6 May, expired by a stale last_paid_day"


def test_refunding_an_accidental_first_purchase_keeps_access_paid_by_the_second(post_ipn):
    """A buyer buys the same course twice (two orders); support refunds the first one. The
    second order still pays for lifetime access, but the grant still names the first order
    (a lifetime repurchase does not 'extend' it), so the refund revokes the paid access."""
    course = make_course(days=(0,))
    course.product.digistore24_product_id = "510001"
    course.product.save()
    PriceFactory(product=course.product, amount=4900, currency="EUR")
    post_ipn(build_ipn("on_payment", order_id="ORDDUP01", transaction_id="71000001"))
    post_ipn(
        build_ipn(
            "on_payment",
            order_id="ORDDUP02",
            transaction_id="71000002",
            transaction_date="2025-03-01 10:20:00",
        ),
        at=datetime(2025, 3, 1, 9, 35, tzinfo=UTC),
    )
    post_ipn(
        build_ipn(
            "on_refund",
            order_id="ORDDUP01",
            transaction_id="74000001",
            parent_transaction_id="71000001",
            transaction_amount="-49.00",
            transaction_date="2025-03-02 12:00:00",
        ),
        at=datetime(2025, 3, 2, 11, 5, tzinfo=UTC),
    )

    grant = AccessGrant.objects.get()
    assert grant.state == State.ACTIVE, "the second, unrefunded order is locked out"


def test_a_resume_delivered_before_its_cancel_leaves_the_subscription_renewing(
    post_ipn, membership
):
    """Odd order: ``on_rebill_resumed`` (12 March) is processed before ``on_rebill_cancelled``
    (10 March). The resume changes nothing and records no provider time, so the older cancel
    then applies and the end state says 'cancels at period end'."""
    _first_payment(post_ipn)
    post_ipn(
        build_ipn(
            "on_rebill_resumed",
            order_id="ORDSUB01",
            product_id="510003",
            transaction_date="2025-03-12 12:00:00",
        ),
        at=datetime(2025, 3, 12, 11, 5, tzinfo=UTC),
    )
    post_ipn(
        build_ipn(
            "on_rebill_cancelled",
            order_id="ORDSUB01",
            product_id="510003",
            transaction_date="2025-03-10 12:00:00",
            next_payment_at="2025-04-01",
        ),
        at=datetime(2025, 3, 12, 11, 10, tzinfo=UTC),
    )

    assert Subscription.objects.get().cancel_at_period_end is False
