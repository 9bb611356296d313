"""PostgreSQL, real threads: the same IPN delivered on several workers at once is applied once."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from billing.models import Order, Payment, ProviderEvent
from billing.services import reprocess_events
from members.models import AccessGrant, User
from tests.conftest import run_concurrently
from tests.factories import CourseFactory, ProductFactory
from tests.payloads.digistore24 import FORM, PASSPHRASE, URL, build_ipn, signed_body

pytestmark = pytest.mark.django_db(transaction=True)


def test_five_concurrent_deliveries_of_one_ipn_give_one_order_and_one_email(
    postgres_only, settings, mailoutbox
):
    settings.DIGISTORE24_IPN_PASSPHRASE = PASSPHRASE
    CourseFactory(name="Habit course", digistore24_product_id="510001")
    body = signed_body(build_ipn("on_payment", email="Ada@Example.test"))
    answers: list[bytes] = []

    def deliver() -> None:
        answers.append(Client().post(URL, data=body, content_type=FORM).content)

    errors = run_concurrently(deliver, times=5)

    assert errors == []
    assert answers == [b"OK\nloginurl: http://testserver/members/\n"] * 5
    assert ProviderEvent.objects.get().status == "processed"
    assert (User.objects.count(), Order.objects.count(), Payment.objects.count()) == (1, 1, 1)
    assert AccessGrant.objects.get().state == AccessGrant.State.ACTIVE
    assert len(mailoutbox) == 1


def test_a_first_payment_and_its_rebill_at_once_end_with_the_later_paid_through(
    postgres_only, settings
):
    settings.DIGISTORE24_IPN_PASSPHRASE = PASSPHRASE
    ProductFactory(name="Inner circle", kind="membership", digistore24_product_id="510003")
    plan = {
        "billing_type": "subscription",
        "product_id": "510003",
        "order_id": "ORDRACE1",
        "email": "ada@example.test",
    }
    first = build_ipn("on_payment", pay_sequence_no="1", next_payment_at="2099-04-01", **plan)
    rebill = build_ipn("on_payment", pay_sequence_no="2", next_payment_at="2099-05-01", **plan)

    def deliver(fields) -> None:
        Client().post(URL, data=signed_body(fields), content_type=FORM)

    errors = run_concurrently(deliver, arguments=[(first,), (rebill,)])

    assert errors == []
    # The rebill may run before its subscription exists: it fails, is kept, and a retry applies it.
    reprocess_events(now=timezone.now(), failed_only=True)
    statuses = sorted(ProviderEvent.objects.values_list("status", flat=True))
    assert statuses == ["processed", "processed"]
    grant = AccessGrant.objects.get()
    assert grant.paid_through.date().isoformat() == "2099-04-30"
    assert Payment.objects.count() == 2
