"""A payment older than a refund or chargeback of the same purchase never reopens it; only a
newer payment does (issue 11, item 2).

Digistore24: ``on_payment`` T2, ``on_refund`` of T2 (access revoked), then ``on_payment`` T1, an
earlier payment of the same order that arrives late (or that support replays weeks later), gave
access back. Digistore24 writes the day and the time of day in two fields
(``transaction_date``, ``transaction_time``); only the day was read, so events of one day looked
simultaneous. Stripe: the same with a subscription's older invoice delivered after the refund or
dispute of a newer one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from billing.models import Order, Payment
from members.models import AccessGrant
from tests.payloads import digistore24 as ds24
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db

State = AccessGrant.State
# 1 March 2026 in Berlin (CET, UTC+1); all IPNs of the purchase fall on this one day.
DAY = "2026-03-01"
NOON_UTC = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
EVENING_UTC = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)


@pytest.fixture
def course(course_price):
    product = course_price.product
    product.digistore24_product_id = "510001"
    product.save(update_fields=["digistore24_product_id"])
    return product


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


def _ipn(event: str, transaction_id: str, clock: str, **fields: str) -> dict[str, str]:
    """An IPN of order ORDREV01 dated ``DAY`` at ``clock`` (Berlin), day and time apart."""
    return ds24.build_ipn(
        event,
        order_id="ORDREV01",
        transaction_id=transaction_id,
        transaction_date=DAY,
        transaction_time=clock,
        order_date=DAY,
        order_time="10:15:00",
        order_date_time="",
        **fields,
    )


def access_line(email: str, capsys, at: datetime) -> str:
    with time_machine.travel(at, tick=False):
        call_command("access", email)
    (line,) = capsys.readouterr().out.strip().splitlines()
    return line


def _paid_then_refunded(post_ipn, *, reversal: str = "on_refund") -> None:
    post_ipn(_ipn("on_payment", "73000002", "14:30:00"), at=NOON_UTC)
    post_ipn(_ipn(reversal, "73000003", "16:00:00", parent_transaction_id="73000002"), at=NOON_UTC)
    assert AccessGrant.objects.get().state == State.REVOKED


@pytest.mark.parametrize("reversal", ["on_refund", "on_chargeback"])
def test_an_earlier_digistore24_payment_delivered_after_the_refund_reopens_nothing(
    post_ipn, course, capsys, reversal
):
    _paid_then_refunded(post_ipn, reversal=reversal)

    # T1, paid at 10:15 the same day, is delivered late (or replayed by support weeks later).
    post_ipn(_ipn("on_payment", "73000001", "10:15:00"), at=EVENING_UTC + timedelta(days=20))

    earlier = Payment.objects.get(provider_ref="73000001")  # the money is on record
    assert earlier.paid_at == datetime(2026, 3, 1, 9, 15, tzinfo=UTC)  # 10:15 in Berlin
    grant = AccessGrant.objects.get()
    assert grant.state == State.REVOKED
    assert Order.objects.get().status in ("refunded", "charged_back")
    line = access_line("buyer@example.test", capsys, EVENING_UTC + timedelta(days=20))
    assert line.startswith("Habit course  |  revoked  |")
    assert line.endswith(
        "last: note (payment 73000001 was made before order ORDREV01:510001 was refunded or "
        "charged back: recorded, access stays ended)"
    )


def test_a_payment_made_after_the_refund_on_the_same_day_gives_access_back(
    post_ipn, course, capsys
):
    """Only the time of day tells the 18:00 payment from the 16:00 refund."""
    _paid_then_refunded(post_ipn)

    post_ipn(_ipn("on_payment", "73000004", "18:00:00"), at=EVENING_UTC)

    grant = AccessGrant.objects.get()
    assert (grant.state, grant.order.status) == (State.ACTIVE, "paid")
    assert access_line("buyer@example.test", capsys, EVENING_UTC).startswith(
        "Habit course  |  active  |"
    )
    assert grant.events.last().reason == "payment 73000004"


# --- Stripe: a subscription's older invoice after the refund or dispute of a newer one --------

T0 = datetime(2026, 5, 1, 10, tzinfo=UTC)
P1 = T0 + timedelta(days=30)  # the first invoice pays until here
P2 = P1 + timedelta(days=30)  # the renewal until here


def _invoice(invoice_id: str, *, created: datetime, period_end: datetime, intent: str) -> str:
    return build_event(
        "invoice.paid",
        price_id="price_monthly",
        subscription="sub_rev",
        invoice_id=invoice_id,
        email="ada@x.test",
        customer="cus_ada",
        payment_intent=intent,
        amount=2900,
        created=int(created.timestamp()),
        period_end=int(period_end.timestamp()),
        billing_reason="subscription_cycle",
    )


def _reverse(kind: str, *, at: datetime) -> str:
    if kind == "refund":
        return build_event(
            "charge.refunded",
            payment_intent="pi_2",
            amount=2900,
            amount_refunded=2900,
            created=int(at.timestamp()),
        )
    return build_event(
        "charge.dispute.created", payment_intent="pi_2", amount=2900, created=int(at.timestamp())
    )


@pytest.mark.parametrize("kind", ["refund", "dispute"])
def test_an_older_stripe_invoice_delivered_after_the_refund_reopens_nothing(
    deliver, membership_price, capsys, kind
):
    refunded_at = P1 + timedelta(days=1)
    with time_machine.travel(P1, tick=False):
        deliver(_invoice("in_2", created=P1, period_end=P2, intent="pi_2"))
    with time_machine.travel(refunded_at, tick=False):
        deliver(_reverse(kind, at=refunded_at))
    assert AccessGrant.objects.get().state == State.REVOKED

    late = refunded_at + timedelta(hours=5)  # the first invoice (paid at T0) arrives only now
    with time_machine.travel(late, tick=False):
        deliver(_invoice("in_1", created=T0, period_end=P1, intent="pi_1"))

    assert Payment.objects.filter(provider_ref="in_1").exists()
    assert AccessGrant.objects.get().state == State.REVOKED
    assert access_line("ada@x.test", capsys, late).startswith("Inner circle  |  revoked (test)  |")


def test_a_newer_stripe_invoice_after_the_refund_gives_access_back(deliver, membership_price):
    refunded_at = P1 + timedelta(days=1)
    with time_machine.travel(P1, tick=False):
        deliver(_invoice("in_2", created=P1, period_end=P2, intent="pi_2"))
    with time_machine.travel(refunded_at, tick=False):
        deliver(_reverse("refund", at=refunded_at))

    with time_machine.travel(P2, tick=False):
        deliver(_invoice("in_3", created=P2, period_end=P2 + timedelta(days=30), intent="pi_3"))

    grant = AccessGrant.objects.get()
    assert (grant.state, grant.paid_through) == (State.ACTIVE, P2 + timedelta(days=30))
    assert Order.objects.get().status == "paid"
