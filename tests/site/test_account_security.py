"""Accounts: a buyer's purchase reaches only someone who proved the address; rate limits count
clients, not the reverse proxy; the admin login is throttled too."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from members.models import AccessGrant
from tests.factories import UserFactory
from tests.payloads.stripe import build_event
from tests.site.test_settings import PRODUCTION, manage

pytestmark = pytest.mark.django_db

VICTIM = "victim@example.test"
SQUATTER_PASSWORD = "squatter-pw-long-enough-1"
PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def course_price(db):
    from tests.factories import CourseFactory, PriceFactory

    return PriceFactory(
        product=CourseFactory(name="Habit course", slug="habit-course"),
        stripe_price_id="price_course",
        amount=4900,
        currency="EUR",
    )


def victim_buys(deliver) -> None:
    body = build_event("checkout.session.completed", price_id="price_course", email=VICTIM)
    assert deliver(body).status_code == 200


def can_open(client, product, *, login: str, password: str) -> bool:
    client.logout()
    client.post("/accounts/login/", {"login": login, "password": password})
    return client.get(f"/members/products/{product.slug}/").status_code == 200


def test_an_unverified_address_never_becomes_the_accounts_own(client, deliver, course_price):
    """An account without a verified address adds a buyer's address and tries to make it its
    own before the buyer buys: refused, and the purchase makes the buyer's own account."""
    attacker = get_user_model().objects.create_user("attacker@example.test", SQUATTER_PASSWORD)
    client.post("/accounts/login/", {"login": attacker.email, "password": SQUATTER_PASSWORD})
    client.post("/accounts/email/", {"email": VICTIM, "action_add": ""})
    client.post("/accounts/email/", {"email": VICTIM, "action_primary": ""})
    attacker.refresh_from_db()
    assert attacker.email == "attacker@example.test"

    victim_buys(deliver)

    grant = AccessGrant.objects.get(product=course_price.product)
    assert grant.member.email == VICTIM
    assert grant.member_id != attacker.pk
    assert not can_open(
        client, course_price.product, login=attacker.email, password=SQUATTER_PASSWORD
    )


def test_with_open_sign_up_a_squatter_never_reaches_the_buyers_purchase(
    client, settings, deliver, course_price, mailoutbox
):
    settings.ACCOUNT_SIGNUP_OPEN = True
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"  # what settings.py sets with open sign-up
    client.post(
        "/accounts/signup/",
        {"email": VICTIM, "password1": SQUATTER_PASSWORD, "password2": SQUATTER_PASSWORD},
    )
    victim_buys(deliver)
    assert not can_open(client, course_price.product, login=VICTIM, password=SQUATTER_PASSWORD)

    # The buyer opens the link from their purchase e-mail: the address is proven now, and the
    # squatter's password is gone with it.
    purchase_mail = next(mail for mail in mailoutbox if "login/" in mail.body)
    link = re.search(r"http://testserver(/login/\S+/)", purchase_mail.body).group(1)
    client.logout()
    assert client.post(link).url == "/login/set-password/"
    assert not can_open(client, course_price.product, login=VICTIM, password=SQUATTER_PASSWORD)


def test_open_sign_up_makes_address_verification_mandatory(tmp_path):
    show = "from django.conf import settings; print(settings.ACCOUNT_EMAIL_VERIFICATION)"
    closed = manage("shell", "-c", show, env=PRODUCTION, tmp_path=tmp_path)
    opened = manage(
        "shell", "-c", show, env={**PRODUCTION, "ACCOUNT_SIGNUP_OPEN": "1"}, tmp_path=tmp_path
    )
    last_line = [result.stdout.strip().splitlines()[-1] for result in (closed, opened)]
    assert last_line == ["optional", "mandatory"]


def test_failed_logins_of_one_client_behind_the_proxy_do_not_lock_out_others(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1  # TRUSTED_PROXY_COUNT=1 behind nginx or Caddy
    get_user_model().objects.create_user("member@example.test", "member-pw-long-enough")
    for number in range(12):
        client.post(
            "/accounts/login/",
            {"login": f"someone{number}@example.test", "password": "wrong"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        )

    response = client.post(
        "/accounts/login/",
        {"login": "member@example.test", "password": "member-pw-long-enough"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )

    assert response.status_code == 302


def test_login_link_requests_are_counted_per_client_behind_the_proxy(
    client, post_committed, settings, mailoutbox
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    members = [UserFactory() for _ in range(22)]
    for number, member in enumerate(members[:21]):
        post_committed(
            "/login/new/",
            {"email": member.email},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{number + 1}",
        )
    for member in members[:21]:  # one client asking for many links is stopped
        post_committed("/login/new/", {"email": member.email}, REMOTE_ADDR="192.0.2.9")
    sent = len(mailoutbox)

    post_committed(
        "/login/new/",
        {"email": members[21].email},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.77",
    )

    assert len(mailoutbox) == sent + 1
    assert sent == 21 + 20  # 21 clients behind the proxy, then 20 for the one busy client


def test_the_admin_login_pauses_after_repeated_failures(client, creator):
    for attempt in range(5):
        client.post("/admin/login/", {"username": creator.email, "password": f"guess-{attempt}"})

    response = client.post("/admin/login/", {"username": creator.email, "password": "pw-creator-1"})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    other = UserFactory(email="second-admin@example.test", is_staff=True, is_superuser=True)
    ok = client.post("/admin/login/", {"username": other.email, "password": "pw-member-1"})
    assert ok.status_code == 302  # another account from the same client still gets in
