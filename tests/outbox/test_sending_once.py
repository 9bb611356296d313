"""An outbox row is sent at most once, however often its task runs, and whoever runs it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction
from django.utils import timezone

from drip.emails import send_lapse_email
from members.models import AccessGrant
from outbox import services, tasks
from outbox.models import OutboxMessage
from tests.conftest import run_concurrently
from tests.factories import ProductFactory
from tests.members.helpers import BOUGHT_AT, grant, make_member

Kind = OutboxMessage.Kind


def lapsed_grant() -> AccessGrant:
    member = make_member(time_zone="UTC", name="Ada Lovelace")
    product = ProductFactory(name="Inner circle")
    return grant(
        member,
        product,
        state=AccessGrant.State.EXPIRED,
        paid_through=BOUGHT_AT + timedelta(days=30),
    )


def enqueue_lapse_email(expired: AccessGrant, *, now) -> int:
    with transaction.atomic():
        (pk,) = services.enqueue(
            services.Outgoing(
                kind=Kind.LAPSE_EMAIL, member_id=expired.member_id, payload={"grant_pk": expired.pk}
            ),
            now=now,
        )
    return pk


@pytest.mark.django_db
def test_running_the_sender_twice_sends_once_though_the_handler_alone_would_not(mailoutbox):
    expired = lapsed_grant()
    now = timezone.now()
    # Control: the "access ended" e-mail has no guard of its own; called twice it goes out twice.
    assert send_lapse_email(grant_pk=expired.pk, now=now)
    assert send_lapse_email(grant_pk=expired.pk, now=now)
    assert len(mailoutbox) == 2
    mailoutbox.clear()

    pk = enqueue_lapse_email(expired, now=now)  # in a test transaction: not dispatched
    assert services.deliver_message(message_pk=pk, now=now) == OutboxMessage.State.SENT
    assert services.deliver_message(message_pk=pk, now=now) is None
    assert tasks.send_outbox_messages.delay([pk, pk]).get() == 0

    assert [mail.subject for mail in mailoutbox] == ["Your access to Inner circle has ended"]
    message = OutboxMessage.objects.get()
    assert (message.state, message.attempts, message.member) == ("sent", 1, expired.member)


@pytest.mark.django_db(transaction=True)
def test_the_task_twice_and_the_periodic_job_at_once_send_one_email(
    postgres_only, mailoutbox, monkeypatch
):
    expired = lapsed_grant()
    created = timezone.now()
    with monkeypatch.context() as patched:  # the task is on its way, not yet run
        patched.setattr(tasks.send_outbox_messages, "delay", lambda *args, **kwargs: None)
        pk = enqueue_lapse_email(expired, now=created)

    send = LocmemBackend.send_messages

    def slow_send(self, messages):
        time.sleep(0.3)  # keep the row locked while the others arrive
        return send(self, messages)

    monkeypatch.setattr(LocmemBackend, "send_messages", slow_send)
    calls = [
        (tasks.send_outbox_messages.delay, [pk]),  # the task
        (tasks.send_outbox_messages.delay, [pk]),  # a broker redelivery of it
        (tasks.dispatch_due_outbox_messages.delay,),  # the periodic job, on two workers
        (tasks.dispatch_due_outbox_messages.delay,),
    ]
    with time_machine.travel(created + services.PICKUP_DELAY + timedelta(seconds=1)):
        errors = run_concurrently(
            lambda call, *args: call(*args), arguments=[tuple(call) for call in calls]
        )

    assert errors == []
    assert [mail.to for mail in mailoutbox] == [[expired.member.email]]
    message = OutboxMessage.objects.get(pk=pk)
    assert (message.state, message.attempts, message.last_error) == ("sent", 1, "")


@pytest.mark.django_db
def test_a_welcome_sent_by_a_task_queued_before_the_outbox_is_not_sent_again(
    deliver, course_price, mailoutbox, monkeypatch
):
    from billing import tasks as billing_tasks
    from billing.models import Order
    from tests.payloads.stripe import build_event

    with monkeypatch.context() as patched:  # the outbox row's task has not run yet
        patched.setattr(tasks.send_outbox_messages, "delay", lambda *args, **kwargs: None)
        deliver(build_event("checkout.session.completed", price_id="price_course"))
    billing_tasks.send_order_email.delay(Order.objects.get().pk)  # an old copy in the broker
    assert len(mailoutbox) == 1

    message = OutboxMessage.objects.get(kind=Kind.ORDER_EMAIL)
    state = services.deliver_message(message_pk=message.pk, now=timezone.now())

    assert state == OutboxMessage.State.SKIPPED  # the order's own guard: once per order
    assert len(mailoutbox) == 1
