"""Support sends a fresh login link or the welcome e-mail again, with an audit row."""

import re

import pytest

from billing.models import Order
from members.models import MemberEvent
from members.support import SupportError
from members.support_emails import resend_welcome_email, send_fresh_login_link
from tests.factories import ProductFactory, UserFactory
from tests.support.helpers import NOW, everything

pytestmark = pytest.mark.django_db


def test_a_fresh_login_link_is_mailed_after_commit(
    creator, mailoutbox, django_capture_on_commit_callbacks
):
    ada = UserFactory(email="ada@x.test")

    with django_capture_on_commit_callbacks(execute=True):
        send_fresh_login_link(member=ada, actor=creator, reason="link expired", now=NOW)

    assert [message.to for message in mailoutbox] == [["ada@x.test"]]
    assert re.search(r"/login/[^/\s]+/[^/\s]+/", mailoutbox[0].body)
    assert list(MemberEvent.objects.values_list("kind", "actor", "reason")) == [
        ("login_link_sent", creator.pk, "link expired")
    ]


def test_the_welcome_email_goes_out_again_for_the_latest_order(
    creator, mailoutbox, django_capture_on_commit_callbacks
):
    ada = UserFactory(email="ada@x.test", password=None)
    ada.set_unusable_password()
    ada.save()
    Order.objects.create(member=ada, product=ProductFactory(name="Habits"), provider="stripe",
                         provider_ref="cs_9", status="paid", amount=4900, currency="EUR",
                         welcome_sent_at=NOW)  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        resend_welcome_email(member=ada, actor=creator, reason="went to spam", now=NOW)

    assert len(mailoutbox) == 1
    assert "Habits" in mailoutbox[0].body
    assert MemberEvent.objects.get().reason == "order cs_9: went to spam"


def test_no_order_no_welcome_and_nothing_written(creator, mailoutbox):
    ada = UserFactory(email="ada@x.test")
    before = everything()
    with pytest.raises(SupportError, match="has no order"):
        resend_welcome_email(member=ada, actor=creator, reason="x", now=NOW)
    assert everything() == before
    assert mailoutbox == []
