"""A known history, delivered as signed webhooks of both providers through the real services,
for the revenue report's acceptance test (see test_revenue_report.py for the hand-computed
figures). Site time zone Europe/Berlin; the report runs at NOW over six months, Nov 2025 to
Apr 2026: a year boundary, and the switch to summer time on 29 March 2026."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from tests.conftest import STRIPE_URL, post_signed
from tests.factories import CourseFactory, PriceFactory, ProductFactory, RecurringPriceFactory
from tests.invoices.helpers import make_seller
from tests.payloads import digistore24 as ds24
from tests.payloads.stripe import build_event

NOW = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def ts(moment: datetime) -> int:
    return int(moment.timestamp())


def catalog():
    make_seller()  # 19 % VAT on our own (Stripe) invoices
    monthly = RecurringPriceFactory(
        product__name="Inner circle", stripe_price_id="price_monthly", amount=2900, currency="EUR"
    )
    PriceFactory(
        product=monthly.product,
        billing_type="recurring",
        interval="month",
        stripe_price_id="price_premium",
        amount=4900,
        currency="EUR",
    )
    PriceFactory(
        product=CourseFactory(name="Habit course"),
        stripe_price_id="price_course",
        amount=4900,
        currency="EUR",
    )
    PriceFactory(
        product=ProductFactory(
            name="US circle", kind="membership", digistore24_product_id="520001"
        ),
        billing_type="recurring",
        interval="month",
        amount=1900,
        currency="USD",
    )
    PriceFactory(
        product=CourseFactory(name="US course", digistore24_product_id="520002"),
        amount=9900,
        currency="USD",
    )


class History:
    def __init__(self, client, capture):
        self.client = client
        self.capture = capture

    def stripe(self, event_type: str, at: datetime, **fields):
        with time_machine.travel(at, tick=False), self.capture(execute=True):
            body = build_event(event_type, created=ts(at), livemode=True, **fields)
            response = post_signed(self.client, STRIPE_URL, body)
        assert response.status_code == 200, response.content

    def invoice(self, at: datetime, *, until: datetime, **fields):
        self.stripe("invoice.paid", at, period_end=ts(until), **fields)

    def subscription(self, event_type: str, at: datetime, *, until: datetime, **fields):
        self.stripe(event_type, at, period_end=ts(until), **fields)

    def ipn(self, at: datetime, fields: dict):
        with time_machine.travel(at, tick=False), self.capture(execute=True):
            response = self.client.post(
                ds24.URL, data=ds24.signed_body(fields), content_type=ds24.FORM
            )
        assert response.status_code == 200, response.content


def member(name: str) -> dict:
    return {"email": f"{name}@x.test", "customer": f"cus_{name}", "name": name.title()}


def build_history(client, capture) -> None:
    catalog()
    h = History(client, capture)
    ada, bob, cy, dee = member("ada"), member("bob"), member("cy"), member("dee")
    # Ada: monthly 29.00, upgraded to 49.00 in January, 10.00 of February's payment refunded.
    a = {"subscription": "sub_a", "price_id": "price_monthly", **ada}
    h.invoice(
        utc(2025, 11, 10, 10), until=utc(2025, 12, 10, 10), invoice_id="in_a1", amount=2900, **a
    )
    h.invoice(
        utc(2025, 12, 10, 10), until=utc(2026, 1, 10, 10), invoice_id="in_a2", amount=2900,
        billing_reason="subscription_cycle", **a,
    )  # fmt: skip
    h.invoice(
        utc(2026, 1, 10, 10), until=utc(2026, 2, 10, 10), invoice_id="in_a3", amount=2900,
        billing_reason="subscription_cycle", **a,
    )  # fmt: skip
    a["price_id"] = "price_premium"
    h.subscription(
        "customer.subscription.updated", utc(2026, 1, 20, 10), until=utc(2026, 2, 10, 10), **a
    )
    h.invoice(
        utc(2026, 2, 10, 10), until=utc(2026, 3, 10, 10), invoice_id="in_a5", amount=4900,
        billing_reason="subscription_cycle", payment_intent="pi_a5", **a,
    )  # fmt: skip
    h.stripe(
        "charge.refunded", utc(2026, 2, 15, 10), payment_intent="pi_a5", amount=4900,
        amount_refunded=1000, currency="eur",
    )  # fmt: skip
    h.invoice(
        utc(2026, 3, 3, 10), until=utc(2026, 3, 31, 22, 30), invoice_id="in_a7", amount=4900,
        billing_reason="subscription_cycle", **a,
    )  # fmt: skip
    # 22:30 UTC on 31 March is 00:30 on 1 April in Berlin (summer time): April's money.
    h.invoice(
        utc(2026, 3, 31, 22, 30), until=utc(2026, 4, 30, 22, 30), invoice_id="in_a8",
        amount=4900, billing_reason="subscription_cycle", **a,
    )  # fmt: skip
    # Bob: the course, bought at 00:30 on New Year's Day in Berlin, refunded on the DST night.
    h.stripe(
        "checkout.session.completed", utc(2025, 12, 31, 23, 30), price_id="price_course",
        amount=4900, payment_intent="pi_b", session_id="cs_b", **bob,
    )  # fmt: skip
    h.stripe(
        "charge.refunded", utc(2026, 3, 29, 1, 30), payment_intent="pi_b", amount=4900,
        amount_refunded=4900, currency="eur",
    )  # fmt: skip
    # Cy: a 14-day trial, paying from 15 February, the payment disputed and lost, ended.
    c = {"subscription": "sub_c", "price_id": "price_monthly", **cy}
    h.invoice(utc(2026, 2, 1, 10), until=utc(2026, 2, 15, 10), invoice_id="in_c0", amount=0, **c)
    h.subscription(
        "customer.subscription.updated", utc(2026, 2, 1, 10, 1), until=utc(2026, 2, 15, 10),
        status="trialing", **c,
    )  # fmt: skip
    h.invoice(
        utc(2026, 2, 15, 10), until=utc(2026, 3, 15, 10), invoice_id="in_c1", amount=2900,
        billing_reason="subscription_cycle", payment_intent="pi_c1", **c,
    )  # fmt: skip
    h.subscription(
        "customer.subscription.updated", utc(2026, 2, 15, 10, 1), until=utc(2026, 3, 15, 10), **c
    )
    h.stripe("charge.dispute.created", utc(2026, 3, 5, 10), payment_intent="pi_c1", amount=2900)
    h.stripe(
        "charge.dispute.closed", utc(2026, 3, 12, 10), payment_intent="pi_c1", amount=2900,
        status="lost",
    )  # fmt: skip
    h.subscription(
        "customer.subscription.deleted", utc(2026, 3, 12, 10, 5), until=utc(2026, 3, 15, 10), **c
    )
    # Dee: monthly, cancels in January, comes back on 1 March (Berlin), cancels again.
    d = {"subscription": "sub_d", "price_id": "price_monthly", **dee}
    h.invoice(
        utc(2025, 11, 20, 10), until=utc(2025, 12, 20, 10), invoice_id="in_d1", amount=2900, **d
    )
    h.invoice(
        utc(2025, 12, 20, 10), until=utc(2026, 1, 20, 10), invoice_id="in_d2", amount=2900,
        billing_reason="subscription_cycle", **d,
    )  # fmt: skip
    h.subscription(
        "customer.subscription.updated", utc(2026, 1, 5, 10), until=utc(2026, 1, 20, 10),
        cancel_at_period_end=True, **d,
    )  # fmt: skip
    h.subscription(
        "customer.subscription.deleted", utc(2026, 1, 20, 10), until=utc(2026, 1, 20, 10), **d
    )
    d["subscription"] = "sub_d2"
    h.invoice(
        utc(2026, 2, 28, 23, 30), until=utc(2026, 4, 28, 22, 30), invoice_id="in_d5", amount=2900,
        **d,
    )  # fmt: skip
    h.subscription(
        "customer.subscription.updated", utc(2026, 4, 2, 10), until=utc(2026, 4, 28, 22, 30),
        cancel_at_period_end=True, **d,
    )  # fmt: skip
    # Eve: Digistore24 monthly in USD, five payments (Berlin dates as Digistore24 sends them).
    for sequence, (day, following) in enumerate(
        [
            ("2025-12-05", "2026-01-05"),
            ("2026-01-05", "2026-02-05"),
            ("2026-02-05", "2026-03-05"),
            ("2026-03-05", "2026-04-05"),
            ("2026-04-05", "2026-05-05"),
        ],
        start=1,
    ):
        fields = ds24.subscription_payment(
            sequence, following, order_id="ORDEVE01", transaction_id=f"7100000{sequence}",
            transaction_date=f"{day} 10:00:00", product_id="520001", product_name="US circle",
            transaction_amount="19.00", amount="19.00", transaction_currency="USD",
            currency="USD", email="eve@x.test", buyer_email="eve@x.test",
        )  # fmt: skip
        h.ipn(datetime.fromisoformat(f"{day}T09:00:00+00:00"), fields)
    # Fay: the USD course through Digistore24, refunded in April.
    course = {"product_id": "520002", "product_name": "US course", "transaction_amount": "99.00"}
    course |= {"amount": "99.00", "transaction_currency": "USD", "currency": "USD"}
    h.ipn(
        utc(2026, 3, 10, 11),
        ds24.build_ipn(
            "on_payment", order_id="ORDFAY01", transaction_id="72000001",
            transaction_date="2026-03-10 12:00:00", email="fay@x.test", buyer_email="fay@x.test",
            **course,
        ),
    )  # fmt: skip
    h.ipn(
        utc(2026, 4, 2, 10),
        ds24.build_ipn(
            "on_refund", order_id="ORDFAY01", transaction_id="72000002",
            parent_transaction_id="72000001", transaction_date="2026-04-02 12:00:00",
            **{**course, "transaction_amount": "-99.00"},
        ),
    )  # fmt: skip
    # Gil: a test-mode purchase (Digistore24 api_mode "test"): left out unless asked for.
    h.ipn(
        utc(2026, 4, 3, 10),
        ds24.build_ipn(
            "on_payment", api_mode="test", order_id="ORDGIL01", transaction_id="73000001",
            transaction_date="2026-04-03 12:00:00", email="gil@x.test", buyer_email="gil@x.test",
            **course,
        ),
    )  # fmt: skip
