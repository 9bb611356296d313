"""Digistore24 IPNs turned into domain events: every event type, exact values, bad fields.

Payloads go through ``verify`` first (a real signed form body), so these tests read them the way
processing does. No database is needed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import RequestFactory

from billing.providers.base import (
    Buyer,
    CancelledAtPeriodEnd,
    ChargedBack,
    Ignored,
    PaymentFailed,
    PaymentSucceeded,
    Refunded,
    SubscriptionEnded,
    SubscriptionRenewed,
    SubscriptionResumed,
)
from billing.providers.digistore24 import Digistore24Provider
from tests.payloads.digistore24 import (
    FORM,
    PASSPHRASE,
    URL,
    build_ipn,
    signed_body,
    subscription_payment,
)

RECEIVED = datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
PAID_AT = datetime(2025, 3, 1, 9, 15, tzinfo=UTC)  # 2025-03-01 10:15:00 in Berlin (CET)
APRIL_1_BERLIN = datetime(2025, 3, 31, 22, 0, tzinfo=UTC)  # local midnight, CEST
MARCH_1_BERLIN = datetime(2025, 2, 28, 23, 0, tzinfo=UTC)  # local midnight, CET

provider = Digistore24Provider()


@pytest.fixture(autouse=True)
def _passphrase(settings):
    settings.DIGISTORE24_IPN_PASSPHRASE = PASSPHRASE


def domain_events(fields: dict) -> list:
    """Verify the signed form body, then map its stored payload."""
    request = RequestFactory().post(URL, data=signed_body(fields), content_type=FORM)
    with time_machine.travel(RECEIVED, tick=False):
        delivery = provider.verify(request)
    return provider.to_domain_events(delivery.payload)


BUYER = Buyer(
    email="buyer@example.test",
    name="Jörg Müller",
    address=("Hauptstraße 5", "10115 Berlin"),
    country="DE",
    language="de",
)


# --- on_payment ------------------------------------------------------------------------------


def test_a_single_payment_is_a_payment_for_lifetime_access():
    fields = build_ipn("on_payment", order_id="ORDJM001", transaction_id="71000001")

    assert domain_events(fields) == [
        PaymentSucceeded(
            provider="digistore24",
            provider_ref="71000001",
            order_ref="ORDJM001:510001",
            occurred_at=PAID_AT,
            buyer=BUYER,
            price_refs=("510001",),
            amount=4900,
            currency="EUR",
            paid_through=None,
            subscription_ref="",
            is_test=False,
            invoice_url="https://www.digistore24.com/invoice/ORDTEST1",
        )
    ]


def test_the_first_payment_of_a_subscription_pays_until_next_payment_at():
    fields = subscription_payment(
        1, "2025-04-01", order_id="ORDSUB01", transaction_id="72000001", api_mode="test"
    )

    assert domain_events(fields) == [
        PaymentSucceeded(
            provider="digistore24",
            provider_ref="72000001",
            order_ref="ORDSUB01:510003",
            occurred_at=PAID_AT,
            buyer=BUYER,
            price_refs=("510003",),
            amount=2900,
            currency="EUR",
            paid_through=APRIL_1_BERLIN,
            subscription_ref="ORDSUB01:510003",
            is_test=True,
            invoice_url="https://www.digistore24.com/invoice/ORDTEST1",
        )
    ]


def test_a_rebill_renews_the_subscription_until_next_payment_at():
    fields = subscription_payment(
        2,
        "2025-05-01",
        order_id="ORDSUB01",
        transaction_id="72000002",
        transaction_date="2025-04-01 06:00:00",
    )

    assert domain_events(fields) == [
        SubscriptionRenewed(
            provider="digistore24",
            provider_ref="72000002",
            subscription_ref="ORDSUB01:510003",
            occurred_at=datetime(2025, 4, 1, 4, 0, tzinfo=UTC),
            amount=2900,
            currency="EUR",
            paid_through=datetime(2025, 4, 30, 22, 0, tzinfo=UTC),
        )
    ]


def test_an_instalment_renews_and_the_last_one_pays_for_lifetime_access():
    plan = {"billing_type": "installment", "order_id": "ORDINS01", "product_id": "510001"}
    second = subscription_payment(2, "2025-05-01", transaction_id="73000002", **plan)
    last = subscription_payment(3, "", transaction_id="73000003", **plan)

    [renewal] = domain_events(second)
    [final] = domain_events(last)

    assert isinstance(renewal, SubscriptionRenewed)
    assert renewal.paid_through == datetime(2025, 4, 30, 22, 0, tzinfo=UTC)
    assert isinstance(final, PaymentSucceeded)
    assert (final.provider_ref, final.order_ref, final.subscription_ref) == (
        "73000003",
        "ORDINS01:510001",
        "ORDINS01:510001",
    )
    assert final.paid_through is None


def test_a_payment_without_transaction_id_is_named_by_order_and_sequence():
    fields = subscription_payment(2, "2025-05-01", order_id="ORDSUB01", transaction_id="")
    [renewal] = domain_events(fields)
    assert renewal.provider_ref == "ORDSUB01:510003-2"


def test_buyer_email_and_address_name_fields_stand_in_for_empty_ones():
    fields = build_ipn(
        "on_payment",
        email="",
        buyer_email="Zoe@Example.TEST",
        buyer_first_name="",
        buyer_last_name="",
        address_first_name="Zoë",
        address_last_name="Schmidt",
        address_street="",
        address_street_name="Ringstraße",
        address_street_number="7a",
        address_company="Zoë GmbH",
        address_tax_id="DE123456789",
        address_country="at",
    )
    [payment] = domain_events(fields)
    assert payment.buyer == Buyer(
        email="Zoe@Example.TEST",
        name="Zoë Schmidt",
        address=("Zoë GmbH", "Ringstraße 7a", "10115 Berlin"),
        country="AT",
        vat_id="DE123456789",
        language="de",
    )


def test_a_zero_decimal_currency_is_read_without_minor_units():
    fields = build_ipn("on_payment", transaction_amount="4900", transaction_currency="jpy")
    [payment] = domain_events(fields)
    assert (payment.amount, payment.currency) == (4900, "JPY")


def test_amount_and_currency_stand_in_when_transaction_fields_are_empty():
    fields = build_ipn(
        "on_payment", transaction_amount="", transaction_currency="", amount="19.90", currency="CHF"
    )
    [payment] = domain_events(fields)
    assert (payment.amount, payment.currency) == (1990, "CHF")


# --- failures, cancellation, end -------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ("on_payment_missed", "Digistore24: payment missed"),
        ("payment_denial", "Digistore24: payment denied"),
    ],
)
def test_a_missed_or_denied_payment_is_a_failed_payment(event, reason):
    fields = build_ipn(event, order_id="ORDSUB01", transaction_date="2025-04-01 06:00:00")
    assert domain_events(fields) == [
        PaymentFailed(
            provider="digistore24",
            subscription_ref="ORDSUB01:510001",
            occurred_at=datetime(2025, 4, 1, 4, 0, tzinfo=UTC),
            reason=reason,
        )
    ]


def test_rebill_cancelled_cancels_at_the_end_of_the_paid_period():
    fields = build_ipn(
        "on_rebill_cancelled",
        order_id="ORDSUB01",
        transaction_date="2025-03-10 12:00:00",
        next_payment_at="2025-04-01",
    )
    assert domain_events(fields) == [
        CancelledAtPeriodEnd(
            provider="digistore24",
            subscription_ref="ORDSUB01:510001",
            occurred_at=datetime(2025, 3, 10, 11, 0, tzinfo=UTC),
            period_end=APRIL_1_BERLIN,
        )
    ]


def test_rebill_resumed_resumes_the_subscription():
    fields = build_ipn("on_rebill_resumed", order_id="ORDSUB01", transaction_date="")
    assert domain_events(fields) == [
        SubscriptionResumed(
            provider="digistore24", subscription_ref="ORDSUB01:510001", occurred_at=RECEIVED
        )
    ]


def test_last_paid_day_ends_the_subscription():
    fields = build_ipn("last_paid_day", order_id="ORDSUB01", transaction_date="2025-03-01")
    assert domain_events(fields) == [
        SubscriptionEnded(
            provider="digistore24",
            subscription_ref="ORDSUB01:510001",
            occurred_at=MARCH_1_BERLIN,
            reason="Digistore24: last paid day",
        )
    ]


def test_an_event_without_its_own_date_is_dated_by_its_receipt():
    fields = build_ipn("on_payment_missed", order_id="ORDSUB01", transaction_date="")
    assert domain_events(fields)[0].occurred_at == RECEIVED
    empty_date = build_ipn("last_paid_day", transaction_date="0000-00-00 00:00:00")
    assert domain_events(empty_date)[0].occurred_at == RECEIVED


# --- refunds and chargebacks -----------------------------------------------------------------


def test_a_refund_is_a_full_refund_of_the_payment_it_reverses():
    fields = build_ipn(
        "on_refund",
        order_id="ORDJM001",
        transaction_id="74000001",
        parent_transaction_id="71000001",
        transaction_amount="-49.00",
        transaction_date="2025-03-05 16:30:00",
    )
    assert domain_events(fields) == [
        Refunded(
            provider="digistore24",
            occurred_at=datetime(2025, 3, 5, 15, 30, tzinfo=UTC),
            amount_refunded=4900,
            is_full=True,
            payment_ref="71000001",
        )
    ]


def test_a_refund_without_parent_transaction_names_the_order():
    fields = build_ipn(
        "on_refund",
        order_id="ORDJM001",
        parent_transaction_id="",
        transaction_amount="",
        amount="",
        transaction_currency="",
        currency="",
    )
    [refund] = domain_events(fields)
    assert (refund.payment_ref, refund.amount_refunded, refund.is_full) == (
        "ORDJM001:510001",
        0,
        True,
    )


def test_a_chargeback_is_a_lost_dispute_of_the_payment_it_reverses():
    fields = build_ipn(
        "on_chargeback",
        order_id="ORDJM001",
        parent_transaction_id="71000001",
        transaction_date="2025-03-20 08:00:00",
    )
    assert domain_events(fields) == [
        ChargedBack(
            provider="digistore24",
            occurred_at=datetime(2025, 3, 20, 7, 0, tzinfo=UTC),
            is_closed=True,
            outcome="lost",
            payment_ref="71000001",
        )
    ]


# --- events we do not act on -----------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    ["connection_test", "on_affiliation", "eticket", "custom_form", "on_something_new", ""],
)
def test_events_we_do_not_use_are_ignored(event):
    fields = build_ipn(event, order_id="", product_id="", email="", transaction_amount="abc")
    [ignored] = domain_events(fields)
    assert isinstance(ignored, Ignored)
    assert ignored.reason == f"Digistore24 event {event or '(none)'!r} is not used"


# --- bad fields: a ValueError naming the field (stored as a failed event) ----------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"transaction_amount": "abc"}, "Digistore24 field transaction_amount is not an amount"),
        ({"transaction_amount": "49.001"}, "field transaction_amount is not an amount"),
        ({"transaction_amount": "NaN"}, "field transaction_amount is not an amount"),
        ({"transaction_amount": "", "amount": "abc"}, "field amount is not an amount"),
        ({"transaction_amount": "", "amount": ""}, "Digistore24 field amount is empty"),
        ({"transaction_currency": "", "currency": ""}, "field currency is empty"),
        ({"transaction_currency": "€"}, "field currency is not a currency code"),
        ({"order_id": " "}, "Digistore24 field order_id is empty"),
        ({"product_id": ""}, "Digistore24 field product_id is empty"),
        ({"email": "", "buyer_email": "", "address_email": ""}, "email and buyer_email"),
        ({"pay_sequence_no": "first"}, "field pay_sequence_no is not a number"),
        ({"transaction_date": "yesterday"}, "field transaction_date is not a date and time"),
    ],
    ids=lambda value: value if isinstance(value, str) else "-".join(value),
)
def test_a_bad_payment_field_is_named(fields, message):
    with pytest.raises(ValueError, match=message):
        domain_events(build_ipn("on_payment", **fields))


def test_a_subscription_payment_without_next_payment_at_is_named():
    with pytest.raises(ValueError, match="field next_payment_at is empty"):
        domain_events(subscription_payment(2, ""))


def test_a_bad_next_payment_at_is_named():
    with pytest.raises(ValueError, match="field next_payment_at is not a date: '01.04.2025'"):
        domain_events(subscription_payment(1, "01.04.2025"))


def test_a_refund_with_a_bad_amount_is_named():
    with pytest.raises(ValueError, match="field transaction_amount is not an amount: 'abc'"):
        domain_events(build_ipn("on_refund", transaction_amount="abc"))


@pytest.mark.parametrize(
    "event", ["on_payment_missed", "on_rebill_cancelled", "on_rebill_resumed", "last_paid_day"]
)
def test_a_subscription_event_without_order_id_is_named(event):
    with pytest.raises(ValueError, match="Digistore24 field order_id is empty"):
        domain_events(build_ipn(event, order_id=" "))
