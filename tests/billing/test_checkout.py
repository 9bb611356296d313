"""Checkout through Stripe's API (stubbed HTTP), the offline test checkout, success and portal."""

from __future__ import annotations

import pytest

from billing.models import Customer, Order, ProviderEvent
from billing.waiver import WAIVER_VERSION, waiver_text
from members.models import AccessGrant, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SESSION = {
    "id": "cs_test_new",
    "object": "checkout.session",
    "mode": "payment",
    "url": "https://checkout.stripe.com/c/pay/cs_test_new",
}


def test_buy_button_posts_to_checkout(client, course_price):
    page = client.get(course_price.product.get_catalog_url())
    assert f'action="/billing/checkout/{course_price.pk}/"'.encode() in page.content
    assert b"Buy now" in page.content


def test_checkout_creates_a_payment_session_and_redirects_to_stripe(
    client, course_price, stripe_http
):
    stripe_http.add("POST", "/v1/checkout/sessions", SESSION)

    response = client.post(f"/billing/checkout/{course_price.pk}/")

    assert response.status_code == 302
    assert response.url == SESSION["url"]
    (request,) = stripe_http.requests
    assert request["params"] == {
        "mode": "payment",
        "line_items[0][price]": "price_course",
        "line_items[0][quantity]": "1",
        "metadata[price_id]": "price_course",
        "metadata[language]": "en",
        "metadata[withdrawal_waiver]": WAIVER_VERSION,
        "consent_collection[terms_of_service]": "required",
        "custom_text[terms_of_service_acceptance][message]": waiver_text(WAIVER_VERSION),
        "locale": "en",
        "customer_creation": "always",
        "tax_id_collection[enabled]": "true",
        "success_url": "http://testserver/billing/checkout/success/?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://testserver/products/habit-course/",
    }


def test_stripe_checkout_speaks_the_language_the_buyer_browses_in(
    client, course_price, stripe_http
):
    stripe_http.add("POST", "/v1/checkout/sessions", SESSION)

    client.post(f"/billing/checkout/{course_price.pk}/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")

    params = stripe_http.requests[0]["params"]
    assert (params["locale"], params["metadata[language]"]) == ("de", "de")


def test_subscription_checkout_prefills_the_members_email(client, membership_price, stripe_http):
    membership_price.trial_days = 7
    membership_price.save()
    stripe_http.add("POST", "/v1/checkout/sessions", {**SESSION, "mode": "subscription"})
    client.force_login(UserFactory(email="ada@x.test"))

    client.post(f"/billing/checkout/{membership_price.pk}/")

    params = stripe_http.requests[0]["params"]
    assert params["mode"] == "subscription"
    assert params["customer_email"] == "ada@x.test"
    assert params["subscription_data[metadata][price_id]"] == "price_monthly"
    assert params["subscription_data[metadata][language]"] == "en"
    assert params["subscription_data[trial_period_days]"] == "7"
    assert params["subscription_data[metadata][withdrawal_waiver]"] == WAIVER_VERSION
    assert params["consent_collection[terms_of_service]"] == "required"


def test_stripe_checkout_shows_the_waiver_in_the_buyers_language(client, course_price, stripe_http):
    stripe_http.add("POST", "/v1/checkout/sessions", SESSION)

    client.post(f"/billing/checkout/{course_price.pk}/", HTTP_ACCEPT_LANGUAGE="nl")

    message = stripe_http.requests[0]["params"]["custom_text[terms_of_service_acceptance][message]"]
    assert message.startswith("Ik ga er uitdrukkelijk mee akkoord")


def test_a_product_without_the_waiver_requirement_asks_for_no_consent(
    client, course_price, stripe_http
):
    course_price.product.requires_withdrawal_waiver = False
    course_price.product.save()
    stripe_http.add("POST", "/v1/checkout/sessions", SESSION)

    client.post(f"/billing/checkout/{course_price.pk}/")

    params = stripe_http.requests[0]["params"]
    assert "consent_collection[terms_of_service]" not in params
    assert "metadata[withdrawal_waiver]" not in params


def test_a_known_stripe_customer_checks_out_as_that_customer(client, course_price, stripe_http):
    member = UserFactory(email="ada@x.test")
    Customer.objects.create(member=member, provider="stripe", provider_customer_id="cus_ada")
    stripe_http.add("POST", "/v1/checkout/sessions", SESSION)
    client.force_login(member)

    client.post(f"/billing/checkout/{course_price.pk}/")

    params = stripe_http.requests[0]["params"]
    assert params["customer"] == "cus_ada"
    assert "customer_email" not in params
    # Stripe refuses tax_id_collection with a customer unless the customer may be updated.
    assert (params["customer_update[name]"], params["customer_update[address]"]) == (
        "auto",
        "auto",
    )


def test_the_proxys_ip_country_travels_to_the_webhook_as_evidence(
    client, course_price, stripe_http, settings
):
    settings.IP_COUNTRY_HEADER = "CF-IPCountry"
    stripe_http.add("POST", "/v1/checkout/sessions", SESSION)

    client.post(f"/billing/checkout/{course_price.pk}/", HTTP_CF_IPCOUNTRY="at")
    client.post(f"/billing/checkout/{course_price.pk}/", HTTP_CF_IPCOUNTRY="<script>")

    first, second = (request["params"] for request in stripe_http.requests)
    assert first["metadata[ip_country]"] == "AT"
    assert "metadata[ip_country]" not in second


def test_stripe_refusing_the_session_shows_a_message(client, course_price, stripe_http):
    stripe_http.add(
        "POST",
        "/v1/checkout/sessions",
        {"error": {"type": "invalid_request_error", "message": "No such price"}},
        status=400,
    )
    response = client.post(f"/billing/checkout/{course_price.pk}/", follow=True)
    assert response.redirect_chain[-1][0] == "/products/habit-course/"
    assert b"Checkout is not available right now" in response.content


def test_without_a_key_checkout_goes_to_the_marked_test_checkout(
    client, course_price, offline_test_mode
):
    response = client.post(f"/billing/checkout/{course_price.pk}/")
    assert response.url == f"/billing/checkout/test/{course_price.pk}/"
    page = client.get(response.url)
    assert b"TEST MODE" in page.content
    assert b'data-test-mode="true"' in page.content


def test_test_checkout_is_off_with_a_real_key(client, course_price, stripe_http, settings):
    settings.DEBUG = True
    assert client.get(f"/billing/checkout/test/{course_price.pk}/").status_code == 404


def test_a_live_site_without_a_key_gives_nothing_away(
    client, course_price, stripe_webhook_secret, django_capture_on_commit_callbacks
):
    """Selling through Payment Links (webhook secret, no key) with DEBUG off: the test checkout
    would sign free purchases with the real secret, so it does not exist there."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/billing/checkout/test/{course_price.pk}/",
            {"withdrawal_waiver": "on", "email": "free@x.test"},
        )
    assert response.status_code == 404
    assert not AccessGrant.objects.exists()
    buy = client.post(f"/billing/checkout/{course_price.pk}/", follow=True)
    assert buy.redirect_chain[-1][0] == course_price.product.get_catalog_url()
    assert b"Checkout is not available right now" in buy.content


def test_offline_test_checkout_runs_the_whole_flow_through_the_webhook(
    client, course_price, offline_test_mode, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/billing/checkout/test/{course_price.pk}/",
            {"withdrawal_waiver": "on", "email": "ada@x.test", "name": "Ada"},
        )

    assert response.status_code == 302
    session_ref = response.url.split("session_id=")[1]
    event = ProviderEvent.objects.get()
    assert (event.event_type, event.status, event.is_test) == (
        "checkout.session.completed",
        "processed",
        True,
    )
    assert Order.objects.get().provider_ref == session_ref
    assert AccessGrant.objects.get().member == User.objects.get(email="ada@x.test")
    assert len(mailoutbox) == 1
    page = client.get(response.url)
    assert b"Check your e-mail" in page.content
    assert b"Go to the member area" in page.content


def test_a_buyer_who_checks_out_in_dutch_becomes_a_dutch_speaking_member(
    client,
    course_price,
    membership_price,
    offline_test_mode,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    existing = UserFactory(email="bea@x.test", language="en")
    # A membership's member is made from the subscription's first invoice, not the session.
    purchases = [(course_price, "ada@x.test"), (course_price, "bea@x.test")]
    purchases.append((membership_price, "cas@x.test"))
    with django_capture_on_commit_callbacks(execute=True):
        for price, email in purchases:
            client.post(
                f"/billing/checkout/test/{price.pk}/",
                {"withdrawal_waiver": "on", "email": email},
                HTTP_ACCEPT_LANGUAGE="nl",
            )

    assert User.objects.get(email="ada@x.test").language == "nl"
    assert User.objects.get(email="cas@x.test").language == "nl"
    welcome = next(message for message in mailoutbox if message.to == ["ada@x.test"])
    assert welcome.subject == "Welkom! Je toegang tot Habit course staat klaar"
    existing.refresh_from_db()
    assert existing.language == "en"  # a member's own choice is never overwritten


def test_offline_test_checkout_of_a_membership(
    client, membership_price, offline_test_mode, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/billing/checkout/test/{membership_price.pk}/",
            {"withdrawal_waiver": "on", "email": "ada@x.test"},
        )

    assert sorted(ProviderEvent.objects.values_list("event_type", "status")) == [
        ("checkout.session.completed", "processed"),
        ("customer.subscription.created", "processed"),
        ("invoice.paid", "processed"),
    ]
    grant = AccessGrant.objects.get()
    assert grant.state == "active"
    assert grant.paid_through is not None
    assert b"Go to the member area" in client.get(response.url).content


def test_success_page_waits_until_access_exists(client, course_price):
    page = client.get("/billing/checkout/success/?session_id=cs_unknown")
    assert b"Check your e-mail" in page.content
    assert b"Go to the member area" not in page.content
    assert b'hx-trigger="every 3s"' in page.content
    status = client.get("/billing/checkout/status/?session_id=cs_unknown")
    assert b"setting up your access" in status.content


def test_manage_billing_opens_the_stripe_customer_portal(client, stripe_http):
    member = UserFactory(email="ada@x.test")
    Customer.objects.create(member=member, provider="stripe", provider_customer_id="cus_ada")
    stripe_http.add(
        "POST",
        "/v1/billing_portal/sessions",
        {
            "id": "bps_1",
            "object": "billing_portal.session",
            "url": "https://billing.stripe.com/p/session/x",
        },
    )
    client.force_login(member)

    response = client.post("/billing/portal/")

    assert response.url == "https://billing.stripe.com/p/session/x"
    assert stripe_http.requests[0]["params"] == {
        "customer": "cus_ada",
        "return_url": "http://testserver/members/",
    }


def test_manage_billing_without_a_stripe_customer_explains(client, stripe_http):
    client.force_login(UserFactory(email="ada@x.test"))
    response = client.post("/billing/portal/", follow=True)
    assert response.redirect_chain[0][0] == "/members/"
    assert b"Billing cannot be managed online right now." in response.content
    assert stripe_http.requests == []


def test_manage_billing_needs_login_and_post(client):
    assert client.post("/billing/portal/").status_code == 302
    client.force_login(UserFactory())
    assert client.get("/billing/portal/").status_code == 405
