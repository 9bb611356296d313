"""Ending one order leaves a product open while another live paid order covers it (issue 11,
item 8).

A refund already asked whether another paid order still covers the product; the end of a
subscription (``customer.subscription.deleted``, Digistore24's ``last_paid_day``) did not, so a
member with two live purchases of one product lost access when one of them ended. And a grant
that moved to another order kept the old order's source and test flag ("source stripe (test)"
for a grant now paid by a live Digistore24 order).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from members.models import AccessGrant
from tests.payloads import digistore24 as ds24
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db

State = AccessGrant.State
T0 = datetime(2026, 5, 1, 10, tzinfo=UTC)


def _stamp(moment: datetime) -> int:
    return int(moment.timestamp())


def _stripe_invoice(subscription: str, *, created: datetime, period_end: datetime) -> str:
    return build_event(
        "invoice.paid",
        price_id="price_monthly",
        subscription=subscription,
        invoice_id=f"in_{subscription}",
        payment_intent=f"pi_{subscription}",
        email="ada@x.test",
        customer="cus_ada",
        amount=2900,
        created=_stamp(created),
        period_end=_stamp(period_end),
    )


@pytest.fixture
def post_ipn(client, settings, django_capture_on_commit_callbacks):
    settings.DIGISTORE24_IPN_PASSPHRASE = ds24.PASSPHRASE

    def _post(fields: dict, *, at: datetime):
        with (
            time_machine.travel(at, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(ds24.URL, data=ds24.signed_body(fields), content_type=ds24.FORM)
        assert response.status_code == 200, response.content

    return _post


def _ds24_subscription(post_ipn, *, paid: str, next_payment_at: str, at: datetime) -> None:
    """A live Digistore24 subscription of the membership (product 510003) for ada@x.test."""
    fields = ds24.subscription_payment(
        1,
        next_payment_at,
        order_id="ORDBOTH1",
        transaction_id="74000001",
        transaction_date=paid,
        email="ada@x.test",
        buyer_email="ada@x.test",
    )
    post_ipn(fields, at=at)


def access_line(capsys, at: datetime) -> str:
    with time_machine.travel(at, tick=False):
        call_command("access", "ada@x.test")
    (line,) = capsys.readouterr().out.strip().splitlines()
    return line


def test_a_deleted_subscription_leaves_access_that_another_subscription_pays(
    deliver, membership_price, capsys
):
    with time_machine.travel(T0, tick=False):
        deliver(_stripe_invoice("sub_b", created=T0, period_end=T0 + timedelta(days=20)))
        deliver(_stripe_invoice("sub_a", created=T0, period_end=T0 + timedelta(days=30)))
    assert AccessGrant.objects.get().order.provider_ref == "sub_a"  # it pays furthest

    ended_at = T0 + timedelta(days=5)
    with time_machine.travel(ended_at, tick=False):
        deliver(build_event("customer.subscription.deleted", subscription="sub_a"))

    grant = AccessGrant.objects.get()
    assert (grant.state, grant.order.provider_ref) == (State.ACTIVE, "sub_b")
    assert grant.paid_through == T0 + timedelta(days=20)
    assert access_line(capsys, ended_at) == (
        "Inner circle  |  active (test)  |  since 2026-05-01 10:00 UTC  |  "
        "until 2026-05-21 10:00 UTC  |  source stripe  |  first used never  |  "
        "last: note (subscription ended at Stripe; access continues, paid by order sub_b "
        "(stripe, test))"
    )


def test_last_paid_day_leaves_access_that_a_stripe_subscription_pays(
    deliver, post_ipn, membership, capsys
):
    with time_machine.travel(T0, tick=False):
        deliver(_stripe_invoice("sub_b", created=T0, period_end=datetime(2026, 6, 10, tzinfo=UTC)))
    _ds24_subscription(
        post_ipn,
        paid="2026-05-01 14:00:00",
        next_payment_at="2026-06-20",
        at=T0 + timedelta(hours=3),
    )
    grant = AccessGrant.objects.get()
    assert (grant.order.provider_ref, grant.source, grant.is_test) == (
        "ORDBOTH1:510003",
        "digistore24",
        False,
    )

    ended_at = datetime(2026, 5, 5, 8, tzinfo=UTC)
    post_ipn(
        ds24.build_ipn(
            "last_paid_day",
            order_id="ORDBOTH1",
            product_id="510003",
            transaction_date="2026-05-05 09:00:00",
        ),
        at=ended_at,
    )

    grant = AccessGrant.objects.get()
    assert (grant.state, grant.order.provider_ref) == (State.ACTIVE, "sub_b")
    assert (grant.source, grant.is_test) == ("stripe", True)
    line = access_line(capsys, ended_at)
    assert line.startswith("Inner circle  |  active (test)  |")
    assert "source stripe" in line
    assert line.endswith(
        "last: note (Digistore24: last paid day; access continues, paid by order sub_b "
        "(stripe, test))"
    )


def test_a_grant_handed_over_after_a_refund_takes_the_new_orders_source_and_mode(
    deliver, post_ipn, membership, capsys
):
    """A Stripe test-mode subscription is refunded; the member's live Digistore24 subscription
    still pays: access continues as a live Digistore24 grant, not as "stripe (test)"."""
    with time_machine.travel(T0, tick=False):
        deliver(_stripe_invoice("sub_a", created=T0, period_end=datetime(2026, 6, 20, tzinfo=UTC)))
    _ds24_subscription(
        post_ipn,
        paid="2026-05-02 12:00:00",
        next_payment_at="2026-06-01",
        at=T0 + timedelta(days=1),
    )
    assert AccessGrant.objects.get().order.provider_ref == "sub_a"

    refunded_at = T0 + timedelta(days=4)
    with time_machine.travel(refunded_at, tick=False):
        deliver(
            build_event(
                "charge.refunded",
                payment_intent="pi_sub_a",
                amount=2900,
                amount_refunded=2900,
                created=_stamp(refunded_at),
            )
        )

    grant = AccessGrant.objects.get()
    assert (grant.state, grant.order.provider_ref) == (State.ACTIVE, "ORDBOTH1:510003")
    assert (grant.source, grant.is_test) == ("digistore24", False)
    assert access_line(capsys, refunded_at) == (
        "Inner circle  |  active  |  since 2026-05-01 10:00 UTC  |  "
        "until 2026-05-31 22:00 UTC  |  source digistore24  |  first used never  |  "
        "last: note (payment in_sub_a refunded in full; access continues, paid by order "
        "ORDBOTH1:510003 (digistore24, live))"
    )


def test_an_order_whose_paid_period_has_run_out_covers_nothing(deliver, membership_price):
    with time_machine.travel(T0, tick=False):
        deliver(_stripe_invoice("sub_b", created=T0, period_end=T0 + timedelta(days=2)))
        deliver(_stripe_invoice("sub_a", created=T0, period_end=T0 + timedelta(days=30)))

    ended_at = T0 + timedelta(days=10)  # sub_b's period and grace are over, it never renewed
    with time_machine.travel(ended_at, tick=False):
        deliver(build_event("customer.subscription.deleted", subscription="sub_a"))

    grant = AccessGrant.objects.get()
    assert (grant.state, grant.order.provider_ref) == (State.EXPIRED, "sub_a")
    assert grant.end_reason == "subscription ended at Stripe"
