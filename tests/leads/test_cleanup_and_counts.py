"""Pending sign-ups are deleted seven days after the last request (a beat job, one statement);
confirmed ones stay, and the daily counts for the funnel survive the deletion."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from leads import tasks
from leads.models import SignUp, SignUpTally
from leads.services import confirmed_signups, signup_counts
from tests.leads.helpers import form_data, free_product, link_path, signup_url

pytestmark = pytest.mark.django_db


def test_the_job_is_in_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["leads-delete-expired-signups"]
    assert entry["task"] == "leads.tasks.delete_expired_signups"


def test_pending_sign_ups_older_than_seven_days_are_deleted(
    client, post_committed, mailoutbox, django_assert_num_queries
):
    product = free_product()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        post_committed(signup_url(product), form_data(email="old@example.test"))
        post_committed(signup_url(product), form_data(email="confirmed@example.test"))
        client.post(link_path(mailoutbox[1]))
        client.logout()
        clock.shift(timedelta(days=3))
        post_committed(signup_url(product), form_data(email="recent@example.test"))
        clock.shift(timedelta(days=4))  # "old" is now 7 days old to the second: kept
        assert tasks.delete_expired_signups.delay().get() == 0

        clock.shift(timedelta(seconds=1))
        assert tasks.delete_expired_signups.delay().get() == 1

    assert sorted(SignUp.objects.values_list("email", flat=True)) == [
        "confirmed@example.test",
        "recent@example.test",
    ]


def test_a_repeat_sign_up_keeps_the_sign_up_for_seven_more_days(post_committed):
    product = free_product()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        post_committed(signup_url(product), form_data())
        clock.shift(timedelta(days=6))
        post_committed(signup_url(product), form_data())
        clock.shift(timedelta(days=6))
        tasks.delete_expired_signups.delay()
        assert SignUp.objects.count() == 1


def test_the_delete_is_one_statement_for_any_number(django_assert_num_queries):
    from leads.services import delete_expired_signups

    product = free_product()
    old = timezone.now() - timedelta(days=8)
    SignUp.objects.bulk_create(
        SignUp(product=product, email=f"p{n}@example.test", consent_text="t",
               consent_version="v", created_at=old, requested_at=old)
        for n in range(200)
    )  # fmt: skip
    with django_assert_num_queries(1):  # DELETE … WHERE
        assert delete_expired_signups(now=timezone.now()) == 200


def test_counts_per_product_and_day_survive_the_cleanup(client, post_committed, mailoutbox):
    product = free_product()
    other = free_product(slug="other", name="Other")
    start = timezone.now().replace(hour=10)
    with time_machine.travel(start, tick=False) as clock:
        post_committed(signup_url(product), form_data(email="a@example.test"))
        post_committed(signup_url(product), form_data(email="a@example.test"))  # a repeat
        post_committed(signup_url(product), form_data(email="b@example.test"))
        post_committed(signup_url(other), form_data(email="c@example.test"))
        client.post(link_path(mailoutbox[0]))
        clock.shift(timedelta(days=1))
        client.post(link_path(mailoutbox[1]))
        clock.shift(timedelta(days=8))
        tasks.delete_expired_signups.delay()

    assert SignUp.objects.count() == 2  # c never confirmed and was deleted
    day = timezone.localdate(start)
    counts = {(row.product_id, row.day): (row.signups, row.confirmations)
              for row in signup_counts(since=day, until=day + timedelta(days=1))}  # fmt: skip
    assert counts == {
        (product.pk, day): (2, 1),
        (other.pk, day): (1, 0),
        (product.pk, day + timedelta(days=1)): (0, 1),
    }
    assert SignUpTally.objects.count() == 3
    confirmed = confirmed_signups(since=start, until=start + timedelta(days=2))
    assert [s.email for s in confirmed] == ["a@example.test", "b@example.test"]
    assert [s.member.email for s in confirmed] == ["a@example.test", "b@example.test"]


@pytest.mark.django_db(transaction=True)  # the foreign key is checked at commit
def test_a_confirmed_sign_up_cannot_be_deleted_under_its_consent(
    client, post_committed, mailoutbox
):
    from django.db import IntegrityError, transaction

    product = free_product()
    post_committed(signup_url(product), form_data())
    client.post(link_path(mailoutbox[0]))
    with pytest.raises(IntegrityError), transaction.atomic():
        SignUp.objects.all().delete()
