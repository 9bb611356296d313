"""Payments recorded before they carried their order's buyer, product and test mode get them
from the order when the migration runs, so the dashboard counts old payments as before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.dashboard.test_backfill import _migrate

BEFORE = [("billing", "0009_plan_groups_and_subscription_pause")]
AFTER = [("billing", "0011_payment_order_fields_required")]


@pytest.mark.django_db(transaction=True)
def test_old_payments_get_their_orders_buyer_product_and_test_mode():
    apps = _migrate(BEFORE)
    try:
        User = apps.get_model("members", "User")
        Product = apps.get_model("products", "Product")
        Order = apps.get_model("billing", "Order")
        Payment = apps.get_model("billing", "Payment")
        buyers = [User.objects.create(email=f"old{n}@x.test") for n in range(2)]
        products = [
            Product.objects.create(name=f"Old {n}", slug=f"old-{n}", kind="course")
            for n in range(2)
        ]
        for n in range(2):
            order = Order.objects.create(
                member=buyers[n], product=products[n], provider="stripe",
                provider_ref=f"cs_{n}", status="paid", amount=4900, currency="EUR",
                is_test=n == 1,
            )  # fmt: skip
            Payment.objects.create(
                order=order, provider="stripe", provider_ref=f"in_{n}", amount=4900,
                currency="EUR", paid_at=datetime(2025, 11, 10, tzinfo=UTC),
            )  # fmt: skip

        apps = _migrate(AFTER)
        Payment = apps.get_model("billing", "Payment")
        copied = Payment.objects.order_by("provider_ref").values_list(
            "provider_ref", "member__email", "product__slug", "is_test"
        )
        assert list(copied) == [
            ("in_0", "old0@x.test", "old-0", False),
            ("in_1", "old1@x.test", "old-1", True),
        ]
    finally:
        _migrate(
            [
                node
                for node in MigrationExecutor(connection).loader.graph.leaf_nodes()
                if node[0] == "billing"
            ]
        )
