"""The migration that adds the revenue ledgers fills them from what was recorded before."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("billing", "0007_reconcile")]
AFTER = [("billing", "0008_revenue_ledgers")]
PAID = datetime(2025, 11, 10, 10, tzinfo=UTC)
ENDED = datetime(2026, 1, 20, 10, tzinfo=UTC)
REFUNDED = datetime(2025, 12, 2, 10, tzinfo=UTC)


def _migrate(billing_targets):
    """Billing at ``billing_targets``; every other app at its newest migration that does not
    need a later billing migration (members' pause migration, say, needs billing's 0009)."""
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    (target,) = billing_targets
    later_billing = [
        node for node in graph.leaf_nodes("billing") for node in graph.forwards_plan(node)
    ]
    later_billing = later_billing[later_billing.index(target) + 1 :]
    too_new = {node for later in later_billing for node in graph.backwards_plan(later)}
    targets = list(billing_targets)
    for leaf in graph.leaf_nodes():
        if leaf[0] == "billing":
            continue
        node = leaf
        while node in too_new:
            parents = [p for p in graph.node_map[node].parents if p.key[0] == node[0]]
            node = parents[0].key if parents else None
            if node is None:
                break
        if node is not None:
            targets.append(node)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_backfill_dates_refunds_and_builds_each_subscriptions_movements():
    apps = _migrate(BEFORE)
    try:
        member = apps.get_model("members", "User").objects.create(email="old@x.test")
        product = apps.get_model("products", "Product").objects.create(
            name="Circle", slug="circle", kind="membership"
        )
        price = apps.get_model("products", "Price").objects.create(
            product=product, amount=24000, currency="EUR", billing_type="recurring",
            interval="year",
        )  # fmt: skip
        Order = apps.get_model("billing", "Order")
        Payment = apps.get_model("billing", "Payment")
        Subscription = apps.get_model("billing", "Subscription")
        orders = [
            Order.objects.create(
                member=member,
                product=product,
                price=price,
                provider="stripe",
                provider_ref=f"sub_{n}",
                status="paid",
                amount=24000,
                currency="eur",
            )  # fmt: skip
            for n in range(2)
        ]
        for n, order in enumerate(orders):
            Payment.objects.create(
                order=order, provider="stripe", provider_ref=f"in_{n}", amount=24000,
                currency="EUR", paid_at=PAID, amount_refunded=5000 if n == 0 else 0,
                status="partially_refunded" if n == 0 else "succeeded",
            )  # fmt: skip
        orders[0].reversed_at = REFUNDED
        orders[0].save()
        Subscription.objects.create(
            member=member, order=orders[0], provider="stripe", provider_ref="sub_0",
            status="canceled", ended_at=ENDED,
        )  # fmt: skip
        Subscription.objects.create(
            member=member, order=orders[1], provider="stripe", provider_ref="sub_1",
            status="active",
        )  # fmt: skip

        apps = _migrate(AFTER)
    finally:
        _migrate(
            [
                node
                for node in MigrationExecutor(connection).loader.graph.leaf_nodes()
                if node[0] == "billing"
            ]
        )

    Reversal = apps.get_model("billing", "PaymentReversal")
    Movement = apps.get_model("billing", "SubscriptionMovement")
    Subscription = apps.get_model("billing", "Subscription")
    assert list(Reversal.objects.values_list("kind", "amount", "currency", "occurred_at")) == [
        ("refund", 5000, "EUR", REFUNDED)  # no credit note: the order's reversal date
    ]
    movements = Movement.objects.order_by("subscription__provider_ref", "occurred_at")
    assert list(movements.values_list("subscription__provider_ref", "kind", "mrr_delta")) == [
        ("sub_0", "new", 2000),
        ("sub_0", "churn", -2000),
        ("sub_1", "reactivation", 2000),  # the same member, after the churn
    ]
    assert dict(Subscription.objects.values_list("provider_ref", "paying_mrr")) == {
        "sub_0": 0,
        "sub_1": 2000,
    }
    assert Decimal(24000) / 12 == 2000
