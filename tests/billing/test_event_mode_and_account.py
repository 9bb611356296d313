"""Events of the other mode or of another Stripe account are stored and ignored (issue 11,
item 6).

With ``STRIPE_SECRET_KEY=sk_live_…`` a signed event with ``livemode: false`` granted access, and
so did an event that names a Connect ``account``. A live site (``sk_live_``/``rk_live_`` key)
applies live events only; a test or offline site (``sk_test_``, no key) test events only;
an event of a connected account applies only when ``STRIPE_ACCOUNT_ID`` names that account.
Each refused event is kept, ``ignored``, with the reason in the admin.
"""

from __future__ import annotations

import pytest

from billing.models import Order, ProviderEvent
from members.models import AccessGrant, User
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db


def _purchase(**fields) -> str:
    return build_event(
        "checkout.session.completed",
        price_id="price_course",
        email="ada@x.test",
        payment_intent="pi_ada",
        **fields,
    )


def _nothing_granted() -> bool:
    return not (User.objects.exists() or Order.objects.exists() or AccessGrant.objects.exists())


def _ignored_with(reason: str) -> None:
    event = ProviderEvent.objects.get()
    assert event.status == ProviderEvent.Status.IGNORED
    assert reason in event.error


@pytest.mark.parametrize("key", ["sk_live_stubbed", "rk_live_stubbed"])
def test_a_test_mode_event_on_a_live_site_is_stored_and_ignored(
    deliver, live_site, settings, course_price, key
):
    settings.STRIPE_SECRET_KEY = key

    assert deliver(_purchase(livemode=False)).status_code == 200

    assert _nothing_granted()
    _ignored_with("test-mode event (livemode false) on a live site")


def test_a_live_event_on_a_live_site_grants_access(deliver, live_site, course_price):
    deliver(_purchase(livemode=True))

    grant = AccessGrant.objects.get()
    assert (grant.member.email, grant.state, grant.is_test) == ("ada@x.test", "active", False)
    assert ProviderEvent.objects.get().status == ProviderEvent.Status.PROCESSED


def test_a_test_mode_refund_on_a_live_site_leaves_a_live_purchase_alone(
    deliver, live_site, course_price
):
    deliver(_purchase(livemode=True))

    deliver(
        build_event("charge.refunded", payment_intent="pi_ada", amount=4900, amount_refunded=4900)
    )

    assert AccessGrant.objects.get().state == AccessGrant.State.ACTIVE
    assert Order.objects.get().status == "paid"


@pytest.mark.parametrize("key", ["", "sk_test_stubbed"])
def test_a_live_event_on_a_test_or_offline_site_is_stored_and_ignored(
    deliver, settings, course_price, key
):
    settings.STRIPE_SECRET_KEY = key

    deliver(_purchase(livemode=True))

    assert _nothing_granted()
    _ignored_with("live event (livemode true) on a test or offline site")


def test_a_connected_accounts_event_is_ignored_without_stripe_account_id(
    deliver, live_site, settings, course_price
):
    settings.STRIPE_ACCOUNT_ID = ""

    deliver(_purchase(livemode=True, account="acct_1Other"))

    assert _nothing_granted()
    _ignored_with("event of connected account acct_1Other: ignored (STRIPE_ACCOUNT_ID is unset)")


def test_only_the_configured_accounts_events_apply(deliver, live_site, settings, course_price):
    settings.STRIPE_ACCOUNT_ID = "acct_1Ours"

    deliver(_purchase(livemode=True, account="acct_1Other", session_id="cs_other"))
    assert _nothing_granted()
    deliver(_purchase(livemode=True, account="acct_1Ours", session_id="cs_ours"))

    assert AccessGrant.objects.get().order.provider_ref == "cs_ours"
    statuses = dict(ProviderEvent.objects.values_list("payload__data__object__id", "status"))
    assert statuses == {"cs_other": "ignored", "cs_ours": "processed"}


def test_the_endpoint_owners_own_events_apply_with_an_account_configured(
    deliver, live_site, settings, course_price
):
    settings.STRIPE_ACCOUNT_ID = "acct_1Ours"

    deliver(_purchase(livemode=True))

    assert AccessGrant.objects.get().state == AccessGrant.State.ACTIVE


def test_the_admin_lists_the_ignored_event_with_its_reason(
    deliver, live_site, creator_client, course_price
):
    deliver(_purchase(livemode=False))
    event = ProviderEvent.objects.get()

    listing = creator_client.get("/admin/billing/providerevent/?status__exact=ignored")
    detail = creator_client.get(f"/admin/billing/providerevent/{event.pk}/change/")

    assert listing.status_code == detail.status_code == 200
    assert event.event_id in listing.content.decode()
    assert "test-mode event (livemode false) on a live site" in listing.content.decode()
    assert "test-mode event (livemode false) on a live site" in detail.content.decode()
