"""Bad input fails visibly with nothing half-made; failures retry; reprocessing completes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from billing.models import Customer, Order, Payment, ProviderEvent
from billing.services import apply_provider_event, requeue_unprocessed_events
from members.models import AccessGrant, User
from tests.factories import PriceFactory
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def nothing_half_made() -> bool:
    return (
        User.objects.filter(is_staff=False).count(),
        Customer.objects.count(),
        Order.objects.count(),
        Payment.objects.count(),
        AccessGrant.objects.count(),
    ) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"price_id": "price_nobody_knows"}, "unknown Stripe price id price_nobody_knows"),
        ({"price_id": "price_course", "email": ""}, "no buyer e-mail"),
        (
            {"price_id": "price_course", "currency": "usd"},
            "currency USD does not match Stripe price price_course (EUR)",
        ),
    ],
)
def test_bad_input_is_stored_failed_naming_the_problem_and_nothing_half_made(
    deliver, course_price, mailoutbox, fields, message
):
    assert deliver(build_event("checkout.session.completed", **fields)).status_code == 200

    event = ProviderEvent.objects.get()
    assert event.status == ProviderEvent.Status.FAILED
    assert message in event.error
    assert "Traceback" in event.error
    assert event.attempts == 1
    assert event.next_attempt_at is not None
    assert nothing_half_made()
    assert mailoutbox == []


def test_reprocessing_after_the_catalog_is_fixed_completes_the_purchase(
    deliver, mailoutbox, creator_client, django_capture_on_commit_callbacks
):
    deliver(build_event("checkout.session.completed", price_id="price_later", email="ada@x.test"))
    event = ProviderEvent.objects.get()

    changelist = creator_client.get("/admin/billing/providerevent/?status__exact=failed")
    assert changelist.status_code == 200
    assert b"unknown Stripe price id price_later" in changelist.content

    PriceFactory(stripe_price_id="price_later", amount=4900)
    with django_capture_on_commit_callbacks(execute=True):
        response = creator_client.post(
            "/admin/billing/providerevent/",
            {"action": "reprocess", "_selected_action": [event.pk]},
            follow=True,
        )

    assert b"1 event processed." in response.content
    event.refresh_from_db()
    assert (event.status, event.attempts, event.error) == ("processed", 2, "")
    assert AccessGrant.objects.get().member.email == "ada@x.test"
    assert len(mailoutbox) == 1


def test_admin_filters_events_by_type(deliver, creator_client, course_price):
    deliver(build_event("customer.tax_id.created"))
    deliver(build_event("checkout.session.completed", price_id="price_course"))
    response = creator_client.get(
        "/admin/billing/providerevent/?event_type=customer.tax_id.created"
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_reprocess_command_runs_failed_events_and_reports(deliver, capsys):
    deliver(build_event("checkout.session.completed", price_id="price_later"))
    event = ProviderEvent.objects.get()

    with pytest.raises(CommandError, match="some events failed again"):
        call_command("reprocess_events", "--failed")
    assert "unknown Stripe price id price_later" in capsys.readouterr().out

    PriceFactory(stripe_price_id="price_later", amount=4900)
    call_command("reprocess_events", "--id", str(event.pk))
    assert f"{event.pk} stripe checkout.session.completed" in capsys.readouterr().out
    assert ProviderEvent.objects.get().status == "processed"
    assert AccessGrant.objects.count() == 1

    call_command("reprocess_events")
    assert "Nothing to reprocess." in capsys.readouterr().out
    assert ProviderEvent.objects.get().attempts == 3


def test_a_processed_event_is_never_applied_twice(deliver, course_price):
    deliver(build_event("checkout.session.completed", price_id="price_course"))
    event = ProviderEvent.objects.get()

    assert apply_provider_event(event_pk=event.pk, now=NOW) == "processed"
    assert ProviderEvent.objects.get().attempts == 1
    assert AccessGrant.objects.get().events.count() == 1


def test_periodic_job_requeues_events_left_received_and_they_complete_once(
    client,
    stripe_webhook_secret,
    course_price,
    monkeypatch,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    from billing import tasks

    original = tasks.process_provider_event.delay
    monkeypatch.setattr(tasks.process_provider_event, "delay", _broker_down)
    body = build_event("checkout.session.completed", price_id="price_course", email="ada@x.test")
    with time_machine.travel(NOW, tick=False):
        from tests.conftest import STRIPE_URL, post_signed

        with django_capture_on_commit_callbacks(execute=True):
            post_signed(client, STRIPE_URL, body)
    assert ProviderEvent.objects.get().status == "received"
    monkeypatch.setattr(tasks.process_provider_event, "delay", original)

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_unprocessed_events(now=NOW + timedelta(seconds=60)) == []
    with django_capture_on_commit_callbacks(execute=True):
        requeued = requeue_unprocessed_events(now=NOW + timedelta(minutes=3))

    assert requeued == [ProviderEvent.objects.get().pk]
    assert ProviderEvent.objects.get().status == "processed"
    assert AccessGrant.objects.count() == 1
    assert len(mailoutbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_unprocessed_events(now=NOW + timedelta(minutes=10)) == []


def _broker_down(*args, **kwargs):
    raise ConnectionError("broker unreachable")


def test_failed_events_are_retried_with_backoff_until_they_complete(
    deliver, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        deliver(build_event("checkout.session.completed", price_id="price_later"))
    event = ProviderEvent.objects.get()
    assert event.next_attempt_at == NOW + timedelta(minutes=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_unprocessed_events(now=NOW + timedelta(seconds=30)) == []
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_unprocessed_events(now=NOW + timedelta(minutes=2)) == [event.pk]
    event.refresh_from_db()
    assert event.attempts == 2
    assert event.status == "failed"

    PriceFactory(stripe_price_id="price_later", amount=4900)
    later = event.next_attempt_at + timedelta(minutes=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_unprocessed_events(now=later) == [event.pk]
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("processed", 3)
    assert AccessGrant.objects.count() == 1


def test_requeue_beat_entry_is_scheduled(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["billing-requeue-unprocessed-events"]
    assert entry["task"] == "billing.tasks.requeue_unprocessed_events"
    assert entry["schedule"] == 60.0
