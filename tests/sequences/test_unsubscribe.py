"""Unsubscribing (link, one-click, profile) stops every sequence e-mail, and only those."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from sequences.models import Enrolment, MarketingPreference, SequenceEmail
from sequences.services import set_marketing_emails
from sequences.unsubscribe import unsubscribe_token
from tests.members.helpers import BOUGHT_AT, make_member
from tests.sequences.helpers import confirm_lead, make_sequence, run_beat

pytestmark = pytest.mark.django_db

ENROLLED = BOUGHT_AT + timedelta(minutes=15)
MORNING = datetime(2025, 11, 2, 8, 0, tzinfo=UTC)


def url(member) -> str:
    return f"/email/unsubscribe/{unsubscribe_token(member.pk)}/"


def is_unsubscribed(member) -> bool:
    return MarketingPreference.objects.filter(member=member, unsubscribed_at__isnull=False).exists()


def test_opening_the_link_shows_a_button_and_changes_nothing(client):
    member = make_member()

    page = client.get(url(member))

    assert page.status_code == 200
    assert "Unsubscribe from news and offers" in page.content.decode()
    assert member.email in page.content.decode()
    assert not MarketingPreference.objects.exists()


def test_the_button_unsubscribes_without_logging_in():
    member = make_member()
    browser = Client(enforce_csrf_checks=True)
    form = browser.get(url(member))
    token = form.cookies["csrftoken"].value

    done = browser.post(url(member), {"csrfmiddlewaretoken": token})

    assert done.status_code == 200
    assert "You are unsubscribed" in done.content.decode()
    assert is_unsubscribed(member)


def test_one_click_post_from_the_mail_provider_unsubscribes():
    """RFC 8058: a POST with ``List-Unsubscribe=One-Click``, no cookie, no CSRF token."""
    member = make_member()

    answer = Client(enforce_csrf_checks=True).post(
        url(member),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert answer.status_code == 200
    assert is_unsubscribed(member)


@pytest.mark.parametrize("token", ["nonsense", "MQ:1vB3:forged", "x" * 300])
def test_a_bad_or_forged_link_changes_nothing(client, token):
    member = make_member()
    forged = unsubscribe_token(member.pk)[:-2] + "xx"

    for bad in (token, forged):
        answer = client.post(f"/email/unsubscribe/{bad}/")
        assert answer.status_code == 404
        assert "This unsubscribe link is not valid" in answer.content.decode()
    assert not MarketingPreference.objects.exists()


def test_the_page_speaks_the_members_language(client):
    member = make_member(language="de")

    page = client.get(url(member))

    assert "Von Neuigkeiten und Angeboten abmelden" in page.content.decode()


def test_an_unsubscribed_member_gets_no_step_but_still_a_login_link(
    mailoutbox, django_capture_on_commit_callbacks, post_committed
):
    sequence = make_sequence(delays=(1, 1))
    leaving = make_member(time_zone="UTC")
    staying = make_member(time_zone="UTC")
    for member in (leaving, staying):
        confirm_lead(member, sequence.product)
    run_beat(ENROLLED, django_capture_on_commit_callbacks)
    Client().post(url(leaving))

    run_beat(MORNING, django_capture_on_commit_callbacks)
    run_beat(MORNING + timedelta(days=1), django_capture_on_commit_callbacks)

    assert [mail.to for mail in mailoutbox] == [[staying.email], [staying.email]]
    enrolment = Enrolment.objects.get(member=leaving)
    assert enrolment.stop_reason == Enrolment.StopReason.UNSUBSCRIBED

    # Transactional e-mails still go: a login link asked for at /login/new/.
    post_committed("/login/new/", {"email": leaving.email})
    assert mailoutbox[-1].to == [leaving.email]
    assert "/login/" in mailoutbox[-1].body


def test_an_email_queued_before_the_unsubscribe_is_not_sent(
    mailoutbox, django_capture_on_commit_callbacks
):
    from outbox.services import deliver_messages

    sequence = make_sequence(delays=(1,))
    member = make_member(time_zone="UTC")
    confirm_lead(member, sequence.product)
    run_beat(ENROLLED, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):  # queued, not yet sent
        from sequences.services import run_sequences

        run_sequences(now=MORNING)
    set_marketing_emails(member_pk=member.pk, subscribed=False, now=MORNING)

    from outbox.models import OutboxMessage

    deliver_messages(message_pks=OutboxMessage.objects.values_list("pk", flat=True), now=MORNING)

    assert mailoutbox == []
    assert SequenceEmail.objects.get().status == SequenceEmail.Status.SKIPPED


def test_the_profile_shows_the_choice_and_turns_it_off_and_on(client):
    member = make_member()
    client.force_login(member)

    profile = client.get("/members/profile/").content.decode()
    assert "News and offers" in profile
    assert "Stop news and offers" in profile

    answer = client.post("/email/preference/", {"subscribed": "0"}, follow=True)
    assert "You get no more news and offers by e-mail." in answer.content.decode()
    assert "Get news and offers again" in answer.content.decode()
    assert is_unsubscribed(member)

    client.post("/email/preference/", {"subscribed": "1"})
    assert not is_unsubscribed(member)

    client.post("/email/preference/", {"subscribed": "maybe"})
    assert not is_unsubscribed(member)


def test_the_profile_switch_needs_a_login_and_a_post(client):
    assert client.post("/email/preference/", {"subscribed": "0"}).status_code == 302
    client.force_login(make_member())
    assert client.get("/email/preference/").status_code == 405
    assert not MarketingPreference.objects.exists()
