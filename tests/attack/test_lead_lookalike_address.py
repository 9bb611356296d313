"""A lead sign-up must not log anyone into a member whose address only *looks* the same.

PostgreSQL's UPPER() (behind ``email__iexact``) folds the dotless ı to I and the long ſ to S,
so ``bob@gmaıl.com`` (a domain an attacker can register) matched ``bob@gmail.com``: the
confirmation e-mail went to the attacker's mailbox and its button logged the attacker in as
Bob. Only the case of ASCII letters may differ between the typed and the stored address.
"""

from __future__ import annotations

import pytest

from members.models import AccessGrant, User
from tests.factories import UserFactory
from tests.leads.helpers import form_data, free_product, link_path, signup_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("lookalike", ["bob@gmaıl.com", "ſam@example.com"])
def test_a_lookalike_address_confirms_its_own_account_not_the_members(
    client, post_committed, mailoutbox, postgres_only, lookalike
):
    real = lookalike.replace("ı", "i").replace("ſ", "s")
    victim = UserFactory(email=real)
    product = free_product()
    post_committed(signup_url(product), form_data(email=lookalike))
    (message,) = mailoutbox
    assert message.to == [lookalike]

    client.post(link_path(message))

    session_user = client.session.get("_auth_user_id")
    assert session_user != str(victim.pk)
    assert not AccessGrant.objects.filter(member=victim).exists()
    victim.refresh_from_db()
    assert victim.email == real


def test_only_ascii_case_differs_for_the_same_member(client, post_committed, mailoutbox):
    member = UserFactory(email="bob@gmail.com")
    product = free_product()
    post_committed(signup_url(product), form_data(email="BOB@Gmail.com"))
    (message,) = mailoutbox

    client.post(link_path(message))

    assert client.session.get("_auth_user_id") == str(member.pk)
    assert User.objects.count() == 1


def test_a_kelvin_sign_lookalike_gets_no_5xx_and_no_member(client, post_committed, mailoutbox):
    """ "Kim@…" with the Kelvin sign K lowers to another member's "kim@…" on PostgreSQL: the
    unique LOWER() constraint refuses the new account; the link is refused, not a 500."""
    victim = UserFactory(email="kim@example.com")
    product = free_product()
    post_committed(signup_url(product), form_data(email="\u212aim@example.com"))
    (message,) = mailoutbox

    response = client.post(link_path(message))

    assert response.status_code < 500
    assert client.session.get("_auth_user_id") != str(victim.pk)
    assert not AccessGrant.objects.filter(member=victim).exists()


def test_a_pending_lookalike_does_not_capture_the_members_sign_up(
    client, post_committed, mailoutbox, postgres_only
):
    """The attacker's pending bob@gmaıl.com must not take Bob's later sign-up: Bob's link goes
    to Bob, and Bob's name is not mailed to the attacker."""
    product = free_product()
    post_committed(signup_url(product), form_data(email="bob@gmaıl.com", name="Mallory"))
    mailoutbox.clear()

    post_committed(signup_url(product), form_data(email="bob@gmail.com", name="Bob"))

    (message,) = mailoutbox
    assert message.to == ["bob@gmail.com"]
    assert "Bob" in message.body


def test_a_pending_kelvin_lookalike_gets_no_5xx(client, post_committed, mailoutbox):
    product = free_product()
    post_committed(signup_url(product), form_data(email="kim@example.com"))

    response = post_committed(signup_url(product), form_data(email="\u212aim@example.com"))

    assert response.status_code == 200
