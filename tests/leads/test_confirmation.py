"""The confirmation link: opening it (GET, as mail scanners do) changes nothing; its button
(POST) creates or finds the member, grants the product once, records the consent as shown and
logs the member in. Expired, used or forged links offer a new one."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.utils import timezone

from leads.models import Consent, LeadMagnet, SignUp
from leads.services import default_consent_text
from leads.tokens import make_token
from members.models import AccessGrant, GrantEvent, User
from tests.factories import PriceFactory, UserFactory
from tests.leads.helpers import form_data, free_product, link_path, signup_url

pytestmark = pytest.mark.django_db

NEW_LINK = "To get a new link for “Starter checklist (free)”, sign up again:"


@pytest.fixture
def product():
    return free_product()


@pytest.fixture
def signed_up(product, post_committed, mailoutbox):
    """Ada signed up; the path of the link in her e-mail."""
    post_committed(signup_url(product), form_data(), HTTP_USER_AGENT="Firefox/140")
    (message,) = mailoutbox
    return link_path(message)


def test_opening_the_link_shows_a_button_and_grants_nothing(client, signed_up):
    for _ in range(3):
        page = client.get(signed_up)
        assert page.status_code == 200
        assert "Confirm and get “Starter checklist (free)”" in page.content.decode()
        assert "ada@example.test" in page.content.decode()
    assert not User.objects.exists()
    assert not AccessGrant.objects.exists()
    assert not Consent.objects.exists()
    assert SignUp.objects.get().confirmed_at is None
    assert client.get("/members/").status_code == 302  # not logged in


def test_the_button_confirms_grants_records_the_consent_and_logs_in(client, product, signed_up):
    response = client.post(signed_up, REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 302
    assert response.url == product.get_absolute_url()
    member = User.objects.get()
    assert (member.email, member.name, member.has_usable_password()) == (
        "ada@example.test",
        "Ada",
        False,
    )
    address = EmailAddress.objects.get(user=member)
    assert (address.verified, address.primary) == (True, True)
    grant = AccessGrant.objects.get()
    assert (grant.member, grant.product, grant.source, grant.state) == (
        member,
        product,
        "free",
        "active",
    )
    assert grant.paid_through is None
    assert grant.order is None
    assert GrantEvent.objects.get().reason == "lead magnet: sign-up confirmed by e-mail"
    consent = Consent.objects.get()
    signup = SignUp.objects.get()
    assert consent.text == default_consent_text() == signup.consent_text
    assert consent.version == signup.consent_version
    assert (consent.member, consent.product, consent.signup) == (member, product, signup)
    assert (consent.given_ip, consent.confirmed_ip) == ("127.0.0.1", "198.51.100.7")
    assert consent.user_agent == "Firefox/140"
    assert consent.given_at == signup.requested_at
    assert consent.confirmed_at == signup.confirmed_at
    assert signup.member == member

    page = client.get(response.url)
    assert page.status_code == 200  # logged in, with the product
    assert "is now in your products" in page.content.decode()


def test_the_consent_keeps_the_text_shown_when_the_creator_edits_it_later(
    client, product, post_committed, mailoutbox
):
    magnet = LeadMagnet.objects.create(product=product, consent_text="Version one of the text.")
    post_committed(signup_url(product), form_data())
    magnet.consent_text = "Version two, edited after the sign-up."
    magnet.save()

    client.post(link_path(mailoutbox[0]))

    assert Consent.objects.get().text == "Version one of the text."


def test_a_second_post_or_a_double_click_grants_nothing_twice(client, signed_up, product):
    first = client.post(signed_up)
    second = client.post(signed_up)  # same browser, now logged in: straight to the product

    assert second.status_code == 302
    assert second.url == first.url
    assert AccessGrant.objects.count() == 1
    assert GrantEvent.objects.count() == 1
    assert Consent.objects.count() == 1

    client.logout()
    used = client.post(signed_up)
    assert used.status_code == 410
    assert "This link has been used already" in used.content.decode()
    assert NEW_LINK in used.content.decode()
    assert Consent.objects.count() == 1


def test_an_expired_link_offers_a_new_one(client, product, post_committed, mailoutbox):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        post_committed(signup_url(product), form_data())
        path = link_path(mailoutbox[0])
        clock.shift(timedelta(days=7, seconds=1))

        for response in (client.get(path), client.post(path)):
            assert response.status_code == 410
            page = response.content.decode()
            assert "This link has expired or is not valid" in page
            assert NEW_LINK in page
            assert 'action="/free/starter-checklist/"' in page
            assert "Send me a new link" in page
        assert not AccessGrant.objects.exists()

        # The form on that page sends a new link, which works.
        post_committed(signup_url(product), form_data())
        assert len(mailoutbox) == 2
        assert client.post(link_path(mailoutbox[1])).status_code == 302
    assert AccessGrant.objects.count() == 1


def test_a_link_a_day_before_expiry_still_works(client, product, post_committed, mailoutbox):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        post_committed(signup_url(product), form_data())
        clock.shift(timedelta(days=6, hours=23))
        assert client.post(link_path(mailoutbox[0])).status_code == 302


@pytest.mark.parametrize("token", ["nonsense", "eyJzIjoxLCJwIjoxfQ:1tAbCd:forged"])
def test_a_forged_link_is_refused(client, signed_up, token):
    response = client.post(f"/free/confirm/{token}/")
    assert response.status_code == 410
    assert "Sign up again on the product's page to get a new one." in response.content.decode()
    assert not AccessGrant.objects.exists()


def test_a_link_for_another_sign_up_cannot_be_made_by_changing_the_product(
    client, signed_up, product
):
    signup = SignUp.objects.get()
    other = free_product(slug="other", name="Other")
    token = make_token(signup_pk=signup.pk, product_pk=other.pk)  # as if it were signed
    assert client.post(f"/free/confirm/{token}/").status_code == 410
    assert not AccessGrant.objects.exists()


def test_an_existing_member_gets_the_product_and_keeps_their_password(
    client, product, post_committed, mailoutbox
):
    member = UserFactory(email="ada@example.test", language="nl")
    EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)
    post_committed(signup_url(product), form_data(email="ADA@example.test"))

    client.post(link_path(mailoutbox[0]))

    member.refresh_from_db()
    assert member.has_usable_password()
    assert member.language == "nl"
    assert AccessGrant.objects.get().member == member
    assert User.objects.count() == 1


def test_a_product_no_longer_free_is_not_given(client, product, signed_up):
    PriceFactory(product=product)
    assert client.post(signed_up).status_code == 410
    assert not AccessGrant.objects.exists()


def test_a_free_bundle_grants_each_product_in_it(client, post_committed, mailoutbox):
    from tests.factories import BundleItemFactory

    item = BundleItemFactory(bundle__slug="free-bundle", bundle__name="Free bundle")
    post_committed(signup_url(item.bundle), form_data())

    landing = client.post(link_path(mailoutbox[0]))

    assert landing.url == "/members/"
    assert AccessGrant.objects.get().product == item.product
    assert Consent.objects.get().product == item.bundle


def test_every_confirmed_sign_up_has_its_consent_record(client, product, post_committed):
    """New member, existing member, a second lead magnet of the same member: each confirmed
    sign-up has exactly one consent; a pending one has none."""
    from django.core import mail

    UserFactory(email="bob@example.test")
    other = free_product(slug="other", name="Other")
    for address, magnet in [
        ("ada@example.test", product),
        ("bob@example.test", product),
        ("ada@example.test", other),
        ("cy@example.test", other),  # never confirmed
    ]:
        mail.outbox.clear()
        post_committed(signup_url(magnet), form_data(email=address))
        if address != "cy@example.test":
            client.post(link_path(mail.outbox[0]))
            client.logout()

    confirmed = SignUp.objects.filter(confirmed_at__isnull=False)
    assert confirmed.count() == 3
    assert not confirmed.filter(consent__isnull=True).exists()
    assert Consent.objects.count() == 3
    assert not SignUp.objects.filter(confirmed_at__isnull=True, consent__isnull=False).exists()
