"""Digistore24 upgrades: a new order names the order it replaces (``upgraded_order_id``,
``upgraded_product_id``, ``upgrade_type``); the old order's access ends with an audit row that
says it was upgraded, the new order's begins; a repeated IPN changes nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from members.models import AccessGrant, GrantEvent
from tests.factories import RecurringPriceFactory
from tests.payloads.digistore24 import FORM, PASSPHRASE, URL, signed_body, subscription_payment

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
T1 = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
State = AccessGrant.State


@pytest.fixture(autouse=True)
def passphrase(settings):
    settings.DIGISTORE24_IPN_PASSPHRASE = PASSPHRASE


@pytest.fixture
def post_ipn(client, django_capture_on_commit_callbacks):
    def _post(fields: dict, *, at: datetime):
        with (
            time_machine.travel(at, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(URL, data=signed_body(fields), content_type=FORM)
        assert response.status_code == 200, response.content
        return response

    return _post


@pytest.fixture
def premium(membership):
    price = RecurringPriceFactory(
        product__name="Premium circle", product__slug="premium-circle", amount=5900,
        currency="EUR",
    )  # fmt: skip
    price.product.digistore24_product_id = "510009"
    price.product.save(update_fields=["digistore24_product_id"])
    return price.product


def upgrade_payment() -> dict:
    return subscription_payment(
        1, "2025-04-10", order_id="ORDUPG02", transaction_id="72000010",
        transaction_date="2025-03-10 13:00:00", product_id="510009",
        product_name="Premium circle", transaction_amount="59.00", amount="59.00",
        upgrade_type="upgrade", upgraded_order_id="ORDSUB01", upgraded_product_id="510003",
    )  # fmt: skip


def test_an_upgrade_order_ends_the_old_orders_access_and_begins_the_new(post_ipn, premium):
    post_ipn(
        subscription_payment(
            1,
            "2025-04-01",
            order_id="ORDSUB01",
            transaction_id="72000001",
            transaction_date="2025-03-01 10:15:00",
        ),  # fmt: skip
        at=T0,
    )
    post_ipn(upgrade_payment(), at=T1)

    old = AccessGrant.objects.get(product__slug="inner-circle")
    new = AccessGrant.objects.get(product=premium)
    assert old.state == State.EXPIRED
    assert not old.ended_unpaid
    assert old.end_reason.startswith("upgraded: replaced by order ORDUPG02:510009")
    assert new.state == State.ACTIVE
    assert new.order.provider_ref == "ORDUPG02:510009"

    rows = GrantEvent.objects.count()
    post_ipn(upgrade_payment(), at=T1)  # Digistore24 retries the same IPN
    assert GrantEvent.objects.count() == rows


def test_an_upgrade_of_an_unknown_order_still_grants_the_new_product(post_ipn, premium):
    post_ipn(upgrade_payment(), at=T1)
    assert AccessGrant.objects.get().product == premium
