"""Builders for the sequence tests: sequences with steps, triggers, and the beat job."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import time_machine

from billing.models import Order, Subscription
from members.models import AccessGrant, User
from products.models import Product
from sequences import tasks
from sequences.models import Sequence, Step
from tests.factories import ProductFactory
from tests.members.helpers import BOUGHT_AT, grant

Trigger = Sequence.Trigger
SEQUENCE_FROM = BOUGHT_AT - timedelta(days=30)
_refs = itertools.count(1)


def make_sequence(
    *,
    trigger: str = Trigger.LEAD_CONFIRMED,
    product: Product | None = None,
    target: Product | None = None,
    delays: tuple[int, ...] = (1, 2),
    **fields,
) -> Sequence:
    sequence = Sequence.objects.create(
        name=f"Sequence {next(_refs)}",
        trigger=trigger,
        product=product or ProductFactory(name="Starter checklist"),
        target_product=target,
        is_active=True,
        enrol_from=SEQUENCE_FROM,
    )
    for order, delay in enumerate(delays, start=1):
        Step.objects.create(
            sequence=sequence,
            order=order,
            delay_days=delay,
            subject_en=f"Step {order} for {{first_name}}",
            body_en=f"Hello {{first_name}}, step {order}: {{product}} at {{link}}",
            subject_de=f"Schritt {order}",
            body_de=f"Hallo {{first_name}}, Schritt {order}: {{link}}",
            **fields,
        )
    return sequence


def confirm_lead(member: User, product: Product, *, at: datetime = BOUGHT_AT) -> AccessGrant:
    """What the lead magnet's confirmation leaves behind: a free grant of the product."""
    return grant(member, product, source=AccessGrant.Source.FREE, starts_at=at)


def paid_order(member: User, product: Product, *, at: datetime = BOUGHT_AT, **fields) -> Order:
    order = Order.objects.create(
        member=member,
        product=product,
        provider="stripe",
        provider_ref=f"cs_seq_{next(_refs)}",
        status=fields.pop("status", Order.Status.PAID),
        amount=1900,
        currency="EUR",
        **fields,
    )
    Order.objects.filter(pk=order.pk).update(created_at=at)
    order.refresh_from_db()
    return order


def ended_subscription(member: User, product: Product, *, at: datetime = BOUGHT_AT) -> Subscription:
    order = paid_order(member, product, at=at - timedelta(days=60))
    grant(
        member,
        product,
        order=order,
        state=AccessGrant.State.REVOKED,
        ended_at=at,
        starts_at=at - timedelta(days=60),
    )
    return Subscription.objects.create(
        member=member,
        order=order,
        provider="stripe",
        provider_ref=f"sub_seq_{next(_refs)}",
        status=Subscription.Status.CANCELED,
        ended_at=at,
    )


def run_beat(at: datetime, capture) -> dict:
    """One beat run of the sequence job at ``at``; the outbox sends after commit (eager)."""
    with time_machine.travel(at, tick=False), capture(execute=True):
        return tasks.run_sequences.delay().get()
