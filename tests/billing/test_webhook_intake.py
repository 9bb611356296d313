"""Webhook intake: verify the real Stripe-Signature, store once, answer 2xx, queue on commit."""

from __future__ import annotations

import json
import logging
import time

import pytest
from django.db import OperationalError

from billing.models import Order, ProviderEvent
from members.models import AccessGrant, User
from tests.conftest import STRIPE_URL, STRIPE_WEBHOOK_SECRET, post_signed
from tests.payloads.stripe import build_event, sign

pytestmark = pytest.mark.django_db


def _nothing_written(mailoutbox) -> bool:
    return (
        ProviderEvent.objects.count() == 0
        and Order.objects.count() == 0
        and AccessGrant.objects.count() == 0
        and not User.objects.filter(email__iexact="ada@x.test").exists()
        and mailoutbox == []
    )


def test_purchase_is_answered_2xx_stored_once_and_processed(deliver, course_price, mailoutbox):
    body = build_event("checkout.session.completed", price_id="price_course", email="Ada@X.test")

    response = deliver(body)

    assert response.status_code == 200
    assert response.json() == {"received": True}
    event = ProviderEvent.objects.get()
    assert (event.provider, event.event_id) == ("stripe", json.loads(body)["id"])
    assert event.event_type == "checkout.session.completed"
    assert event.payload == json.loads(body)
    assert event.status == ProviderEvent.Status.PROCESSED
    assert event.attempts == 1
    assert event.is_test is True
    grant = AccessGrant.objects.get(member__email__iexact="ada@x.test")
    assert grant.product == course_price.product
    assert len(mailoutbox) == 1


def test_repeat_delivery_changes_nothing_and_queues_nothing(
    deliver, course_price, mailoutbox, django_capture_on_commit_callbacks, client
):
    body = build_event("checkout.session.completed", price_id="price_course", email="ada@x.test")
    deliver(body)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_signed(client, STRIPE_URL, body)

    assert response.status_code == 200
    assert callbacks == []
    assert ProviderEvent.objects.get().attempts == 1
    assert Order.objects.count() == 1
    assert AccessGrant.objects.count() == 1
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    "case",
    ["wrong secret", "old timestamp", "malformed JSON", "no signature", "not an event"],
)
def test_bad_deliveries_get_400_and_write_nothing(
    case, client, stripe_webhook_secret, course_price, mailoutbox
):
    body = build_event("checkout.session.completed", price_id="price_course", email="ada@x.test")
    kwargs: dict = {}
    if case == "wrong secret":
        kwargs["secret"] = "whsec_someone_else"
    elif case == "old timestamp":
        kwargs["timestamp"] = int(time.time()) - 301
    elif case == "malformed JSON":
        body = body[:-5]
    elif case == "no signature":
        kwargs["header"] = ""
    elif case == "not an event":
        body = json.dumps({"hello": "world"})

    response = post_signed(client, STRIPE_URL, body, **kwargs)

    assert response.status_code == 400
    assert _nothing_written(mailoutbox)


def test_a_timestamp_within_tolerance_is_accepted(deliver, course_price):
    body = build_event("checkout.session.completed", price_id="price_course", email="ada@x.test")
    assert deliver(body, timestamp=int(time.time()) - 290).status_code == 200


def test_several_v1_signatures_are_accepted_during_secret_rotation(deliver, course_price):
    body = build_event("checkout.session.completed", price_id="price_course", email="ada@x.test")
    timestamp = int(time.time())
    old = sign(body, "whsec_old_secret", timestamp).split(",")[1]
    current = sign(body, STRIPE_WEBHOOK_SECRET, timestamp)
    header = f"{current.split(',')[0]},{old},{current.split(',')[1]}"

    assert deliver(body, header=header).status_code == 200
    assert ProviderEvent.objects.count() == 1


def test_two_configured_secrets_both_verify(client, settings, course_price):
    settings.STRIPE_WEBHOOK_SECRET = f"whsec_new, {STRIPE_WEBHOOK_SECRET}"
    body = build_event("checkout.session.completed", price_id="price_course")
    assert post_signed(client, STRIPE_URL, body).status_code == 200
    assert post_signed(client, STRIPE_URL, body, secret="whsec_new").status_code == 200
    assert ProviderEvent.objects.count() == 1


def test_unknown_event_type_is_stored_ignored_and_answered_2xx(deliver, mailoutbox):
    body = build_event("customer.tax_id.created")

    assert deliver(body).status_code == 200

    event = ProviderEvent.objects.get()
    assert event.status == ProviderEvent.Status.IGNORED
    assert "'customer.tax_id.created' is not handled" in event.error
    assert mailoutbox == []


def test_body_over_one_mebibyte_gets_413(client, stripe_webhook_secret, mailoutbox):
    body = build_event("customer.tax_id.created")[:-1] + ', "padding": "' + "x" * 1024 * 1024 + '"}'
    response = post_signed(client, STRIPE_URL, body)
    assert response.status_code == 413
    assert _nothing_written(mailoutbox)


def test_get_is_not_allowed(client, stripe_webhook_secret):
    assert client.get(STRIPE_URL).status_code == 405


def test_unset_secret_refuses_every_delivery_and_logs_loudly(
    client, settings, caplog, course_price, mailoutbox
):
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = build_event("checkout.session.completed", price_id="price_course", email="ada@x.test")

    with caplog.at_level(logging.ERROR, logger="billing.webhooks"):
        response = post_signed(client, STRIPE_URL, body, secret="")

    assert response.status_code == 503
    assert any(
        record.levelno == logging.ERROR and "STRIPE_WEBHOOK_SECRET is not set" in record.message
        for record in caplog.records
    )
    assert _nothing_written(mailoutbox)


def test_database_down_at_intake_gets_5xx_so_stripe_retries(
    client, stripe_webhook_secret, monkeypatch
):
    def down(**kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(ProviderEvent.objects, "create", down)
    body = build_event("customer.tax_id.created")

    assert post_signed(client, STRIPE_URL, body).status_code == 503


def test_broker_down_keeps_the_event_for_the_periodic_requeue(
    client, stripe_webhook_secret, course_price, monkeypatch, django_capture_on_commit_callbacks
):
    from billing import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.process_provider_event, "delay", broker_down)
    body = build_event("checkout.session.completed", price_id="price_course", email="ada@x.test")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed(client, STRIPE_URL, body)

    assert response.status_code == 200
    assert ProviderEvent.objects.get().status == ProviderEvent.Status.RECEIVED
    assert AccessGrant.objects.count() == 0
