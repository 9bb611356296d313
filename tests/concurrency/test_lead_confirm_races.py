"""Lead magnets on PostgreSQL: parallel confirmations of one sign-up (a double click, a mail
scanner and the member) confirm once; parallel sign-ups of one address store one pending row
and queue one e-mail; two lead magnets confirmed at once for a new address make one member."""

from __future__ import annotations

import pytest
from django.utils import timezone

from leads.models import Consent, SignUp, SignUpTally
from leads.services import SignUpRequest, confirm_signup, request_signup
from members.models import AccessGrant, GrantEvent, User
from outbox.models import OutboxMessage
from tests.conftest import run_concurrently
from tests.leads.helpers import free_product


def pending_signup(product, email: str = "ada@example.test") -> SignUp:
    request_signup(signup=signup_request(product, email), now=timezone.now())
    return SignUp.objects.get(product=product, email=email)


def signup_request(product, email: str = "ada@example.test") -> SignUpRequest:
    return SignUpRequest(
        product=product, email=email, name="Ada", consent_text="I agree.", language="de",
        ip_address="127.0.0.1", user_agent="test",
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_five_parallel_confirmations_grant_once_and_record_one_consent(postgres_only):
    signup = pending_signup(free_product())
    results = []

    def confirm() -> None:
        results.append(
            confirm_signup(signup_pk=signup.pk, ip_address="127.0.0.1", now=timezone.now())
        )

    errors = run_concurrently(confirm)

    assert errors == []
    assert sorted(result.newly_confirmed for result in results) == [False] * 4 + [True]
    assert {result.member.pk for result in results} == {User.objects.get().pk}
    assert AccessGrant.objects.count() == 1
    assert GrantEvent.objects.count() == 1
    assert Consent.objects.count() == 1
    assert SignUpTally.objects.get().confirmations == 1


@pytest.mark.django_db(transaction=True)
def test_five_parallel_sign_ups_of_one_address_store_one_and_queue_one_e_mail(postgres_only):
    product = free_product()

    errors = run_concurrently(
        lambda: request_signup(signup=signup_request(product), now=timezone.now())
    )

    assert errors == []
    assert SignUp.objects.count() == 1
    assert OutboxMessage.objects.count() == 1
    assert SignUpTally.objects.get().signups == 1


@pytest.mark.django_db(transaction=True)
def test_two_lead_magnets_confirmed_at_once_make_one_member(postgres_only):
    first = pending_signup(free_product())
    second = pending_signup(free_product(slug="other", name="Other"))

    errors = run_concurrently(
        lambda pk: confirm_signup(signup_pk=pk, ip_address=None, now=timezone.now()),
        arguments=[(first.pk,), (second.pk,)],
    )

    assert errors == []
    member = User.objects.get()
    assert member.language == "de"
    assert AccessGrant.objects.filter(member=member).count() == 2
    assert Consent.objects.count() == 2
