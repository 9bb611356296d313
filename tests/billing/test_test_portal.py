"""Offline test mode: a stand-in for Stripe's customer portal sends signed events to our own
webhook, so cancel and resume run the real path. It does not exist on a live site."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from billing.models import CancellationFeedback, ProviderEvent, Subscription
from members.models import AccessGrant, User

pytestmark = pytest.mark.django_db

BOUGHT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
PERIOD_END = datetime(2027, 1, 1, 10, 0, tzinfo=UTC)  # one month later
UNTIL = "1 Jan 2027"


@pytest.fixture
def tester(client, membership_price, offline_test_mode, django_capture_on_commit_callbacks):
    """A tester bought the monthly membership through the offline test checkout."""
    with (
        time_machine.travel(BOUGHT, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(
            f"/billing/checkout/test/{membership_price.pk}/",
            {"withdrawal_waiver": "on", "email": "ada@x.test"},
        )
    member = User.objects.get(email="ada@x.test")
    member.language = "en"
    member.save(update_fields=["language"])
    client.force_login(member)
    return member


@pytest.fixture
def act(client, tester, django_capture_on_commit_callbacks):
    """GET or POST as the tester at a moment, running what commits queue (eager Celery)."""

    def _act(url: str, data: dict | None = None, *, at: datetime = BOUGHT + timedelta(days=2)):
        with (
            time_machine.travel(at, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            client.force_login(tester)  # a session of that moment
            return client.get(url) if data is None else client.post(url, data)

    return _act


def subscription() -> Subscription:
    return Subscription.objects.get()


def test_manage_subscription_leads_to_the_stand_in_portal(tester, act):
    ref = subscription().public_ref

    response = act(f"/billing/subscriptions/{ref}/portal/", {})

    assert response.url == f"/billing/subscriptions/{ref}/test-portal/"
    html = act(response.url).content.decode()
    assert "TEST MODE" in html
    assert f"Active. Next payment on {UNTIL}." in html


def test_cancel_in_the_stand_in_goes_through_our_webhook_and_access_lasts_the_period(
    client, tester, act
):
    ref = subscription().public_ref
    assert (
        "Why are you cancelling?"
        in act(f"/billing/subscriptions/{ref}/test-portal/").content.decode()
    )

    act(f"/billing/subscriptions/{ref}/test-portal/", {"action": "cancel", "reason": "missing"})

    assert CancellationFeedback.objects.get().reason == "missing"
    event = ProviderEvent.objects.get(event_type="customer.subscription.updated")
    assert event.status == "processed"
    assert event.is_test
    assert event.payload["data"]["object"]["cancel_at_period_end"] is True
    assert subscription().cancel_at_period_end
    assert subscription().provider_updated_at is not None  # the webhook applied it
    dashboard = act("/members/").content.decode()
    assert f"Cancelled. Your access continues until {UNTIL}." in dashboard
    product_url = AccessGrant.objects.get().product.get_absolute_url()
    assert act(product_url, at=PERIOD_END - timedelta(hours=1)).status_code == 200
    assert act(product_url, at=PERIOD_END + timedelta(days=4)).status_code == 403
    assert "Ended" in act("/members/", at=PERIOD_END + timedelta(days=4)).content.decode()


def test_resume_in_the_stand_in_renews_again(tester, act):
    ref = subscription().public_ref
    act(f"/billing/subscriptions/{ref}/test-portal/", {"action": "cancel"})

    act(f"/billing/subscriptions/{ref}/test-portal/", {"action": "resume"})

    assert not subscription().cancel_at_period_end
    assert ProviderEvent.objects.filter(event_type="customer.subscription.updated").count() == 2
    assert f"Active. Next payment on {UNTIL}." in act("/members/").content.decode()


def test_our_cancel_flow_works_offline_through_the_webhook_too(tester, act):
    ref = subscription().public_ref

    response = act(f"/billing/subscriptions/{ref}/cancel/", {"reason": "done", "detail": "Thanks"})

    assert response.url == "/members/"
    assert CancellationFeedback.objects.get().reason == "done"
    assert ProviderEvent.objects.get(event_type="customer.subscription.updated").status == (
        "processed"
    )
    assert f"Your access continues until {UNTIL}." in act("/members/").content.decode()


def test_the_stand_in_does_not_exist_on_a_live_site(tester, act, settings):
    ref = subscription().public_ref
    settings.DEBUG = False

    assert act(f"/billing/subscriptions/{ref}/test-portal/").status_code == 404
    assert act(f"/billing/subscriptions/{ref}/test-portal/", {"action": "cancel"}).status_code == (
        404
    )
    assert not subscription().cancel_at_period_end
    assert not ProviderEvent.objects.filter(event_type="customer.subscription.updated").exists()
    assert "Manage subscription" not in act("/members/").content.decode()


def test_a_live_subscription_has_no_stand_in(tester, act):
    Subscription.objects.update(provider_ref="sub_live")
    subscription().order.__class__.objects.update(is_test=False)

    assert act(f"/billing/subscriptions/{subscription().public_ref}/test-portal/").status_code == (
        404
    )
