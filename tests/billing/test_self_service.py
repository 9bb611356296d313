"""A member's own billing: Stripe's customer portal, cancel at period end with a reason, resume,
Digistore24's own links, and what a member who is not the owner gets (a 404)."""

from __future__ import annotations

import pytest
import time_machine

from billing.models import CancellationFeedback, ProviderEvent, Subscription
from members.models import AccessGrant, GrantEvent, User
from tests.billing.test_subscriptions import PERIOD_1, T0, at, first_invoice
from tests.factories import UserFactory
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db

NOW = T0 + 3 * 86400  # three days into the first month
UNTIL = "27 Jun 2026"  # PERIOD_1 in Europe/Berlin


def subscription_json(*, cancel_at_period_end: bool) -> dict:
    """What Stripe's API answers to ``POST /v1/subscriptions/sub_1`` (2025 "basil" shape)."""
    return {
        "id": "sub_1",
        "object": "subscription",
        "customer": "cus_ada",
        "status": "active",
        "cancel_at_period_end": cancel_at_period_end,
        "cancel_at": PERIOD_1 if cancel_at_period_end else None,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_1",
                    "object": "subscription_item",
                    "price": {"id": "price_monthly", "object": "price"},
                    "current_period_end": PERIOD_1,
                }
            ],
        },
        "livemode": False,
    }


@pytest.fixture
def subscriber(deliver, membership_price) -> User:
    """Ada bought the monthly membership through Stripe (first invoice, real webhook)."""
    with time_machine.travel(at(T0), tick=False):
        deliver(first_invoice())
    return User.objects.get(email="ada@x.test")


@pytest.fixture
def stripe_api(stripe_http, settings, subscriber):
    settings.STRIPE_SECRET_KEY = "sk_test_stubbed"  # after the webhook fixture cleared it
    return stripe_http


@pytest.fixture
def ada(client, subscriber) -> User:
    client.force_login(subscriber)
    return subscriber


def ref() -> str:
    return Subscription.objects.get(provider_ref="sub_1").public_ref


def page(client, url: str = "/members/") -> str:
    with time_machine.travel(at(NOW), tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def post(client, url: str, data: dict | None = None):
    with time_machine.travel(at(NOW), tick=False):
        return client.post(url, data or {})


def cancel(client, stripe_api, **form):
    stripe_api.add("POST", "/v1/subscriptions/sub_1", subscription_json(cancel_at_period_end=True))
    return post(client, f"/billing/subscriptions/{ref()}/cancel/", form)


def scheduled_events() -> list[GrantEvent]:
    return list(GrantEvent.objects.filter(kind=GrantEvent.Kind.CANCEL_SCHEDULED))


def test_the_dashboard_shows_the_plan_next_payment_and_what_can_be_done(client, ada, stripe_api):
    html = page(client)

    assert "Inner circle" in html
    assert f"Active. Next payment on {UNTIL}." in html
    assert "Manage subscription" in html
    assert f'href="/billing/subscriptions/{ref()}/cancel/?back=dashboard"' in html
    assert "Resume subscription" not in html


def test_manage_subscription_opens_the_portal_for_its_customer(client, ada, stripe_api):
    stripe_api.add(
        "POST",
        "/v1/billing_portal/sessions",
        {
            "id": "bps_1",
            "object": "billing_portal.session",
            "url": "https://billing.stripe.com/p/x",
        },
    )

    response = post(client, f"/billing/subscriptions/{ref()}/portal/", {"back": "profile"})

    assert response.status_code == 302
    assert response.url == "https://billing.stripe.com/p/x"
    assert stripe_api.requests[-1]["path"] == "/v1/billing_portal/sessions"
    assert stripe_api.requests[-1]["params"] == {
        "customer": "cus_ada",
        "return_url": "http://testserver/members/profile/",
    }


def test_cancel_asks_why_first_and_changes_nothing_on_a_get(client, ada, stripe_api):
    html = page(client, f"/billing/subscriptions/{ref()}/cancel/")

    assert "Why are you cancelling?" in html
    assert "It is too expensive" in html
    assert f"Your access continues until {UNTIL}" in html
    assert stripe_api.requests == []
    assert not Subscription.objects.get().cancel_at_period_end


def test_cancel_stores_the_reason_cancels_at_period_end_and_shows_until_when(
    client, ada, stripe_api
):
    response = cancel(client, stripe_api, reason="too_expensive", detail="  Money is tight.  ")

    assert response.status_code == 302
    assert response.url == "/members/"
    request = stripe_api.requests[-1]
    assert (request["method"], request["path"]) == ("POST", "/v1/subscriptions/sub_1")
    assert request["params"] == {"cancel_at_period_end": "true"}
    feedback = CancellationFeedback.objects.get()
    assert (feedback.member, feedback.reason, feedback.detail) == (
        ada,
        "too_expensive",
        "Money is tight.",
    )
    assert feedback.access_until == at(PERIOD_1)
    html = page(client)
    assert f"Your subscription is cancelled. Your access continues until {UNTIL}." in html
    assert f"Cancelled. Your access continues until {UNTIL}." in html
    assert "Resume subscription" in html
    assert "Cancel subscription" not in html
    [event] = scheduled_events()
    assert event.actor == ada


def test_a_reason_is_optional(client, ada, stripe_api):
    cancel(client, stripe_api)

    feedback = CancellationFeedback.objects.get()
    assert (feedback.reason, feedback.detail) == ("", "")
    assert Subscription.objects.get().cancel_at_period_end


def test_the_webhook_that_follows_our_cancel_changes_nothing_twice(
    client, ada, stripe_api, deliver
):
    cancel(client, stripe_api, reason="not_using")
    body = build_event(
        "customer.subscription.updated",
        subscription="sub_1",
        customer="cus_ada",
        price_id="price_monthly",
        period_end=PERIOD_1,
        cancel_at_period_end=True,
        created=NOW + 2,
    )

    for _ in range(2):
        with time_machine.travel(at(NOW + 5), tick=False):
            assert deliver(body).status_code == 200

    subscription = Subscription.objects.get()
    assert subscription.cancel_at_period_end
    assert subscription.current_period_end == at(PERIOD_1)
    assert subscription.provider_updated_at == at(NOW + 2)  # the webhook did apply
    assert len(scheduled_events()) == 1
    assert CancellationFeedback.objects.count() == 1
    assert AccessGrant.objects.get().paid_through == at(PERIOD_1)
    assert ProviderEvent.objects.filter(event_type="customer.subscription.updated").count() == 1


def test_resume_before_the_period_ends_renews_again(client, ada, stripe_api):
    cancel(client, stripe_api)
    stripe_api.add("POST", "/v1/subscriptions/sub_1", subscription_json(cancel_at_period_end=False))

    response = post(client, f"/billing/subscriptions/{ref()}/resume/", {"back": "profile"})

    assert response.url == "/members/profile/"
    assert stripe_api.requests[-1]["params"] == {"cancel_at_period_end": "false"}
    assert not Subscription.objects.get().cancel_at_period_end
    html = page(client, "/members/profile/")
    assert f"Active. Next payment on {UNTIL}." in html
    assert "Cancelled. Your access continues" not in html


def test_stripe_refusing_the_cancel_changes_nothing_and_says_so(client, ada, stripe_api):
    stripe_api.add(
        "POST",
        "/v1/subscriptions/sub_1",
        {"error": {"type": "invalid_request_error", "message": "No such subscription"}},
        status=404,
    )

    response = post(client, f"/billing/subscriptions/{ref()}/cancel/", {"reason": "other"})
    with time_machine.travel(at(NOW), tick=False):
        html = client.get(response.url).content.decode()

    assert "Billing cannot be managed online right now." in html
    assert not Subscription.objects.get().cancel_at_period_end
    assert CancellationFeedback.objects.count() == 0
    assert scheduled_events() == []


def test_another_members_subscription_is_not_found(client, subscriber, stripe_api):
    client.force_login(UserFactory(email="eve@x.test"))
    subscription_ref = ref()

    assert page_status(client, f"/billing/subscriptions/{subscription_ref}/cancel/") == 404
    for action in ("cancel", "resume", "portal"):
        url = f"/billing/subscriptions/{subscription_ref}/{action}/"
        assert post(client, url, {"reason": "other"}).status_code == 404
    assert post(client, "/billing/subscriptions/sub_1/cancel/").status_code == 404
    assert stripe_api.requests == []
    assert not Subscription.objects.get().cancel_at_period_end
    assert CancellationFeedback.objects.count() == 0


def page_status(client, url: str) -> int:
    with time_machine.travel(at(NOW), tick=False):
        return client.get(url).status_code


def test_changes_need_a_post_with_a_csrf_token(subscriber, stripe_api):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(subscriber)

    response = strict.post(f"/billing/subscriptions/{ref()}/cancel/", {"reason": "other"})

    assert response.status_code == 403
    assert strict.get(f"/billing/subscriptions/{ref()}/resume/").status_code == 405
    assert stripe_api.requests == []


def test_cancel_and_resume_are_rate_limited_per_member(client, ada, stripe_api):
    stripe_api.add("POST", "/v1/subscriptions/sub_1", subscription_json(cancel_at_period_end=False))
    url = f"/billing/subscriptions/{ref()}/portal/"
    stripe_api.add(
        "POST",
        "/v1/billing_portal/sessions",
        {
            "id": "bps_1",
            "object": "billing_portal.session",
            "url": "https://billing.stripe.com/p/x",
        },
    )

    statuses = [post(client, url).url for _ in range(21)]

    assert statuses[:20] == ["https://billing.stripe.com/p/x"] * 20
    assert statuses[20] == "/members/"
    assert len(stripe_api.requests) == 20


def test_the_reasons_are_listed_in_the_admin(client, ada, stripe_api, creator):
    cancel(client, stripe_api, reason="missing", detail="A German version.")
    client.force_login(creator)

    html = client.get("/admin/billing/cancellationfeedback/").content.decode()

    assert "ada@x.test" in html
    assert "Something I need is missing" in html
    assert "A German version." in html
    assert "Inner circle" in html
    assert client.get("/admin/billing/cancellationfeedback/add/").status_code == 403
