"""The sign-up form of a free product: it stores a pending sign-up and nothing else, sends one
confirmation e-mail (at most one per address and product every ten minutes), refuses bad input
with a clear message, and answers the same for known and unknown addresses."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from leads.models import Consent, LeadMagnet, SignUp, consent_version
from members.models import AccessGrant, User
from outbox.models import OutboxMessage
from tests.factories import GrantFactory, PriceFactory, UserFactory
from tests.leads.helpers import form_data, free_product, link_path, signup_url

pytestmark = pytest.mark.django_db

CHECK_INBOX = "Check your inbox"


def without_csrf(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_a_free_products_page_shows_the_form_with_the_default_consent_text(client):
    product = free_product()
    page = client.get(product.get_catalog_url()).content.decode()
    assert f'action="/free/{product.slug}/"' in page
    assert 'name="email"' in page
    assert 'name="name"' in page
    assert "I agree to receive this free product" in page
    # The honeypot: off screen, out of the tab order, hidden from screen readers.
    assert '<div class="form-trap" aria-hidden="true">' in page
    assert 'name="website" id="id_website" value="" tabindex="-1"' in page


def test_the_creators_consent_text_is_shown(client):
    product = free_product()
    LeadMagnet.objects.create(product=product, consent_text="Yes, send me Ada's newsletter.")
    page = client.get(product.get_catalog_url()).content.decode()
    assert "Yes, send me Ada&#x27;s newsletter." in page
    assert "I agree to receive" not in page


def test_a_paid_or_owned_product_has_no_form(client):
    paid = PriceFactory().product
    assert "signup-form" not in client.get(paid.get_catalog_url()).content.decode()
    assert client.get(signup_url(paid)).status_code == 404

    product = free_product()
    member = UserFactory()
    GrantFactory(member=member, product=product, source=AccessGrant.Source.FREE)
    client.force_login(member)
    page = client.get(product.get_catalog_url()).content.decode()
    assert "You own this" in page
    assert "signup-form" not in page


def test_the_form_also_works_for_a_free_membership(client, post_committed, mailoutbox):
    product = free_product(kind="membership", slug="free-tier", name="Free tier")
    response = post_committed(signup_url(product), form_data())
    assert CHECK_INBOX in response.content.decode()
    assert SignUp.objects.get().product == product
    assert len(mailoutbox) == 1


def test_signing_up_stores_a_pending_sign_up_and_sends_one_confirmation(
    client, post_committed, mailoutbox
):
    product = free_product()
    response = post_committed(signup_url(product), form_data(email="Ada@Example.test"))

    assert response.status_code == 200
    assert CHECK_INBOX in response.content.decode()
    signup = SignUp.objects.get()
    assert (signup.email, signup.name, signup.confirmed_at) == ("Ada@example.test", "Ada", None)
    assert signup.consent_version == consent_version(signup.consent_text)
    assert signup.ip_address == "127.0.0.1"
    # The double opt-in: nothing but the request until the link is used.
    assert not User.objects.exists()
    assert not AccessGrant.objects.exists()
    assert not Consent.objects.exists()
    (message,) = mailoutbox
    assert message.to == ["Ada@example.test"]
    assert "Starter checklist (free)" in message.subject
    assert link_path(message).startswith("/free/confirm/")
    assert "Confirm my address" in message.alternatives[0][0]  # the branded HTML part
    row = OutboxMessage.objects.get()
    assert (row.kind, row.state, row.member) == ("lead_confirmation_email", "sent", None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "ada@"}, "Enter an e-mail address like name@example.com."),
        ({"email": "not an address"}, "Enter an e-mail address like name@example.com."),
        ({"email": ""}, "Enter your e-mail address."),
        ({"consent": ""}, "Tick the box to agree, or we cannot send it to you."),
        (
            {"website": "http://spam.example"},
            "We could not accept this sign-up. If your browser fills in forms automatically",
        ),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(
    client, post_committed, mailoutbox, fields, message
):
    product = free_product()
    response = post_committed(signup_url(product), form_data(**fields))

    page = response.content.decode()
    assert response.status_code in (200, 400)
    assert message in page
    assert "Please correct the following:" in page
    assert CHECK_INBOX not in page
    assert not SignUp.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert mailoutbox == []


def test_the_honeypot_is_a_neutral_refusal(client, post_committed, mailoutbox):
    """Filled by a program (or a browser's autofill): refused with a 400 and advice, never a
    fake "check your inbox" that would leave a person waiting for an e-mail."""
    product = free_product()
    response = post_committed(signup_url(product), form_data(website="x"))
    assert response.status_code == 400
    assert 'value="x"' not in response.content.decode()  # the trap is rendered empty again


def test_the_form_is_rate_limited_per_client(client, post_committed, mailoutbox):
    product = free_product()
    for number in range(10):
        response = post_committed(signup_url(product), form_data(email=f"p{number}@example.test"))
        assert response.status_code == 200

    refused = post_committed(signup_url(product), form_data(email="p10@example.test"))

    assert refused.status_code == 429
    assert "Too many sign-ups from your connection. Please wait an hour" in (
        refused.content.decode()
    )
    assert SignUp.objects.count() == 10
    assert len(mailoutbox) == 10


def test_the_limit_counts_the_client_behind_a_proxy(client, post_committed, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    product = free_product()
    for number in range(11):
        post_committed(
            signup_url(product),
            form_data(email=f"p{number}@example.test"),
            HTTP_X_FORWARDED_FOR=f"203.0.113.{number}",
        )
    assert SignUp.objects.count() == 11  # eleven clients, none over its limit


def test_known_and_unknown_addresses_get_the_same_answer_and_one_e_mail_each(
    client, post_committed, mailoutbox
):
    product = free_product()
    UserFactory(email="known@example.test")
    GrantFactory(member=User.objects.get(), product=free_product(slug="other", name="Other"))

    known = post_committed(signup_url(product), form_data(email="known@example.test"))
    unknown = post_committed(signup_url(product), form_data(email="nobody@example.test"))

    def normalised(response) -> str:
        page = response.content.decode().replace("known@example.test", "ADDRESS")
        page = page.replace("nobody@example.test", "ADDRESS")
        return without_csrf(page)

    assert known.status_code == unknown.status_code == 200
    assert normalised(known) == normalised(unknown)
    assert sorted(m.to[0] for m in mailoutbox) == ["known@example.test", "nobody@example.test"]
    known_mail, unknown_mail = sorted(mailoutbox, key=lambda m: m.to[0])
    assert known_mail.subject == unknown_mail.subject
    assert known_mail.body.replace(link_path(known_mail), "") == unknown_mail.body.replace(
        link_path(unknown_mail), ""
    )


def test_a_repeat_sign_up_sends_at_most_one_link_every_ten_minutes(
    client, post_committed, mailoutbox
):
    product = free_product()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = post_committed(signup_url(product), form_data())
        clock.shift(timedelta(minutes=9, seconds=59))
        again = post_committed(signup_url(product), form_data(email="ADA@example.test"))
        assert len(mailoutbox) == 1
        assert without_csrf(again.content.decode().replace("ADA@", "ada@")) == without_csrf(
            first.content.decode()
        )

        clock.shift(timedelta(seconds=1))
        post_committed(signup_url(product), form_data(name="Ada L."))

    assert len(mailoutbox) == 2
    signup = SignUp.objects.get()  # still one pending sign-up per address and product
    assert (signup.name, signup.links_sent) == ("Ada L.", 2)
    # Both links lead to the same sign-up; the first one used confirms it.
    assert link_path(mailoutbox[0]) != link_path(mailoutbox[1])


def test_the_consent_text_changed_while_the_page_was_open(client, post_committed, mailoutbox):
    product = free_product()
    shown = client.get(product.get_catalog_url()).content.decode()
    old_version = shown.split('name="consent_version" value="')[1].split('"')[0]
    LeadMagnet.objects.create(product=product, consent_text="A new text.")

    response = post_committed(signup_url(product), form_data(consent_version=old_version))

    assert "The text of this checkbox has changed. Please read it and tick it again." in (
        response.content.decode()
    )
    assert "A new text." in response.content.decode()
    assert not SignUp.objects.exists()


def test_the_sign_up_page_of_its_own(client):
    product = free_product()
    page = client.get(signup_url(product))
    assert page.status_code == 200
    assert "Get “Starter checklist (free)” for free" in page.content.decode()


def test_a_paid_product_taken_off_sale_is_not_offered_for_an_e_mail_address(client):
    """Switching off a course's only price (to stop selling it while buyers keep access) must
    not turn it into a lead magnet: no form on its page, and its sign-up page is a 404."""
    from products.models import Product
    from tests.factories import PriceFactory

    course = PriceFactory(amount=9900, is_active=False).product
    Product.objects.filter(pk=course.pk).update(is_published=True)

    assert client.get(f"/free/{course.slug}/").status_code == 404
    PriceFactory(product=course, amount=0)  # made free on purpose: an active price of 0
    assert client.get(f"/free/{course.slug}/").status_code == 200


@pytest.mark.parametrize(
    "fields",
    [{"consent": ""}, {"website": "http://spam.example"}, {"email_suffix": "@"}, "rate_limit"],
)
def test_a_refusal_is_the_same_for_a_known_and_an_unknown_address(
    client, post_committed, mailoutbox, fields
):
    """Issue 16: the refusals (missing consent, honeypot, malformed, rate limit) reveal nothing
    about which addresses have an account."""
    product = free_product()
    UserFactory(email="known@example.test")
    if fields == "rate_limit":
        for number in range(10):
            post_committed(signup_url(product), form_data(email=f"p{number}@example.test"))
        fields = {}
    mailoutbox.clear()
    suffix = fields.pop("email_suffix", "@example.test")  # "@": a malformed address

    known = post_committed(signup_url(product), form_data(email="known" + suffix, **fields))
    unknown = post_committed(signup_url(product), form_data(email="nobody" + suffix, **fields))

    def normalised(response) -> str:
        page = response.content.decode().replace("known", "ADDRESS").replace("nobody", "ADDRESS")
        return without_csrf(page)

    assert known.status_code == unknown.status_code
    assert CHECK_INBOX not in known.content.decode()
    assert normalised(known) == normalised(unknown)
    assert mailoutbox == []
    assert not SignUp.objects.filter(email__in=["known@example.test", "nobody@example.test"])
