"""Refunds and chargebacks recorded before they carried their payment's order, product and
provider get them from the payment when the migration runs, so the dashboard's breakdown by
product and provider counts old refunds as before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.dashboard.test_backfill import _migrate

BEFORE = [("billing", "0011_payment_order_fields_required")]
AFTER = [("billing", "0013_reversal_payment_fields_required")]


@pytest.mark.django_db(transaction=True)
def test_old_refunds_and_chargebacks_get_their_payments_order_product_and_provider():
    apps = _migrate(BEFORE)
    try:
        User = apps.get_model("members", "User")
        Product = apps.get_model("products", "Product")
        Order = apps.get_model("billing", "Order")
        Payment = apps.get_model("billing", "Payment")
        PaymentReversal = apps.get_model("billing", "PaymentReversal")
        buyer = User.objects.create(email="old@x.test")
        for n, provider in enumerate(("stripe", "digistore24")):
            product = Product.objects.create(name=f"Old {n}", slug=f"old-{n}", kind="course")
            order = Order.objects.create(
                member=buyer, product=product, provider=provider, provider_ref=f"o{n}",
                status="paid", amount=4900, currency="EUR",
            )  # fmt: skip
            payment = Payment.objects.create(
                order=order, member=buyer, product=product, provider=provider,
                provider_ref=f"p{n}", amount=4900, currency="EUR",
                paid_at=datetime(2025, 11, 10, tzinfo=UTC),
            )  # fmt: skip
            PaymentReversal.objects.create(
                payment=payment, kind=("refund", "chargeback")[n], amount=4900, currency="EUR",
                occurred_at=datetime(2025, 11, 20, tzinfo=UTC),
            )  # fmt: skip

        apps = _migrate(AFTER)
        PaymentReversal = apps.get_model("billing", "PaymentReversal")
        copied = PaymentReversal.objects.order_by("kind").values_list(
            "kind", "order__provider_ref", "product__slug", "provider"
        )
        assert list(copied) == [
            ("chargeback", "o1", "old-1", "digistore24"),
            ("refund", "o0", "old-0", "stripe"),
        ]
    finally:
        _migrate(
            [
                node
                for node in MigrationExecutor(connection).loader.graph.leaf_nodes()
                if node[0] == "billing"
            ]
        )
