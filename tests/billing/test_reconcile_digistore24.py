"""Reconcile with Digistore24, which has no list API: findings come from the stored IPNs."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command

from billing.models import ProviderEvent
from members.access import product_allows_access
from members.models import AccessGrant, User
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


@pytest.fixture(autouse=True)
def passphrase(settings):
    settings.DIGISTORE24_IPN_PASSPHRASE = PASSPHRASE
    settings.STRIPE_SECRET_KEY = ""  # a Digistore24-only site


@pytest.fixture
def post_ipn(client, django_capture_on_commit_callbacks):
    def _post(fields: dict, *, at: datetime = T0):
        with (
            time_machine.travel(at, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(URL, data=signed_body(fields), content_type=FORM)
        assert response.status_code == 200, response.content

    return _post


def reconcile(*args: str, at: datetime) -> dict:
    out = io.StringIO()
    with time_machine.travel(at, tick=False):
        call_command("reconcile", "--json", *args, stdout=out)
    (run,) = json.loads(out.getvalue())["runs"]  # Stripe is not configured: skipped
    assert run["provider"] == "digistore24"
    return run


def first_payment(post_ipn, *, order_id: str = "ORDSUB01") -> None:
    post_ipn(
        subscription_payment(
            1,
            "2025-04-01",
            order_id=order_id,
            transaction_id="72000001",
            transaction_date="2025-03-01 10:15:00",
            email="dora@x.test",
        )
    )


def test_a_stored_payment_that_granted_nothing_is_found_and_fixed_by_processing_it_again(
    post_ipn, membership_price, django_capture_on_commit_callbacks
):
    # The product is not linked to Digistore24 yet: the payment is stored, access is not given.
    first_payment(post_ipn)
    event = ProviderEvent.objects.get()
    assert event.status == ProviderEvent.Status.FAILED

    run = reconcile(at=datetime(2025, 3, 1, 12, 0, tzinfo=UTC))

    (finding,) = run["findings"]
    assert (finding["kind"], finding["subject"], finding["email"]) == (
        "paid_no_access",
        "ORDSUB01",
        "dora@x.test",
    )
    assert finding["evidence"]["event_id"] == event.event_id
    assert finding["evidence"]["ipn"]["amount"] == "29.00"
    assert finding["fix"] == "reprocess_event"
    assert not AccessGrant.objects.exists()

    product = membership_price.product  # the creator links the product, then fixes
    product.digistore24_product_id = "510003"
    product.save(update_fields=["digistore24_product_id"])
    with django_capture_on_commit_callbacks(execute=True):
        fixed = reconcile("--fix", at=datetime(2025, 3, 1, 12, 5, tzinfo=UTC))

    assert [finding["fixed"] for finding in fixed["findings"]] == [True]
    dora = User.objects.get(email="dora@x.test")
    assert product_allows_access(member=dora, product=product, now=datetime(2025, 3, 2, tzinfo=UTC))
    assert reconcile(at=datetime(2025, 3, 1, 12, 10, tzinfo=UTC))["findings"] == []


def test_a_rebill_date_passed_without_payment_or_cancel_is_reported(post_ipn, membership):
    first_payment(post_ipn)

    assert reconcile(at=datetime(2025, 4, 1, 12, 0, tzinfo=UTC))["findings"] == []  # due today
    run = reconcile(at=datetime(2025, 4, 2, 12, 0, tzinfo=UTC))

    (finding,) = run["findings"]
    assert (finding["kind"], finding["subject"]) == ("access_not_paying", "ORDSUB01:510003")
    assert finding["fix"] is None  # nothing to replay: the creator asks Digistore24
    evidence = finding["evidence"]
    assert evidence["rebill_due"] == "2025-03-31T22:00:00+00:00"  # midnight in Germany
    assert evidence["last_payment"]["amount"] == "29.00"
    assert evidence["last_payment"]["amount_minor"] == 2900
    assert evidence["grants"][0]["product"] == membership.slug


def test_a_cancelled_plan_is_not_reported(post_ipn, membership):
    first_payment(post_ipn)
    post_ipn(build_ipn("on_rebill_cancelled", order_id="ORDSUB01", product_id="510003"))

    assert reconcile(at=datetime(2025, 4, 2, 12, 0, tzinfo=UTC))["findings"] == []
