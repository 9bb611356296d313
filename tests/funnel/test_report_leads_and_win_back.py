"""The funnel's sign-up, confirmation and win-back figures, from the leads and sequences apps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from funnel.report import build_funnel
from leads.models import SignUp
from leads.services import SignUpRequest, confirm_signup, request_signup
from members.models import User
from sequences.models import Enrolment, Sequence, SequenceEmail, Step
from tests.factories import PriceFactory, UserFactory
from tests.funnel.helpers import paid_order
from tests.leads.helpers import free_product

pytestmark = pytest.mark.django_db

MAY = (date(2026, 5, 1), date(2026, 5, 31))


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 5, day, hour, tzinfo=UTC)


def sign_up(product, email: str, *, now: datetime) -> None:
    request_signup(
        signup=SignUpRequest(
            product=product, email=email, name="", consent_text="Yes, send it.",
            language="en", ip_address="203.0.113.9", user_agent="test",
        ),
        now=now,
    )  # fmt: skip


def confirm(email: str, *, now: datetime) -> User:
    signup = SignUp.objects.get(email=email, confirmed_at__isnull=True)
    confirm_signup(signup_pk=signup.pk, ip_address="203.0.113.9", now=now)
    return User.objects.get(email=email)


def test_sign_ups_and_confirmations_in_the_range_with_conversion():
    checklist = free_product()
    other = free_product(name="Other freebie", slug="other-freebie")
    for number in range(4):
        sign_up(checklist, f"lead{number}@x.test", now=at(3))
    sign_up(other, "other@x.test", now=at(3))
    sign_up(checklist, "april@x.test", now=at(1) - timedelta(days=2))  # before the range
    confirm("lead0@x.test", now=at(4))
    confirm("lead1@x.test", now=at(5))
    confirm("april@x.test", now=at(2))  # a sign-up of April confirmed in May
    confirm("other@x.test", now=at(3))

    report = build_funnel(start=MAY[0], end=MAY[1])
    only = build_funnel(start=MAY[0], end=MAY[1], product=checklist)

    assert (report.step("signups").count, report.step("confirmations").count) == (5, 4)
    assert (only.step("signups").count, only.step("confirmations").count) == (4, 3)
    assert only.step("confirmations").conversion == Decimal("75.0")


def test_unconfirmed_sign_ups_stay_counted_after_they_are_deleted():
    from leads.services import delete_expired_signups

    checklist = free_product()
    sign_up(checklist, "lead@x.test", now=at(3))
    delete_expired_signups(now=at(20))

    assert not SignUp.objects.exists()
    assert build_funnel(start=MAY[0], end=MAY[1]).step("signups").count == 1


def win_back_sequence(product, **fields) -> Sequence:
    sequence = Sequence.objects.create(
        name="Come back", trigger=Sequence.Trigger.SUBSCRIPTION_ENDED, product=product,
        is_active=True, enrol_from=at(1) - timedelta(days=90), **fields,
    )  # fmt: skip
    Step.objects.create(sequence=sequence, order=1, delay_days=1, subject_en="S", body_en="B")
    Step.objects.create(sequence=sequence, order=2, delay_days=7, subject_en="S", body_en="B")
    return sequence


def sent(sequence: Sequence, member, *moments: datetime, is_test: bool = False) -> None:
    enrolment = Enrolment.objects.create(
        sequence=sequence, member=member, triggered_at=moments[0] - timedelta(days=1),
        enrolled_at=moments[0] - timedelta(days=1), is_test=is_test,
    )  # fmt: skip
    for step, moment in zip(sequence.steps.order_by("order"), moments, strict=False):
        SequenceEmail.objects.create(
            enrolment=enrolment, step=step, status=SequenceEmail.Status.SENT,
            queued_at=moment, sent_at=moment,
        )  # fmt: skip


def test_win_back_e_mails_and_the_purchases_within_30_days_of_one():
    circle = PriceFactory(product__slug="circle", product__kind="membership").product
    sequence = win_back_sequence(circle)
    nurture = Sequence.objects.create(
        name="Nurture", trigger=Sequence.Trigger.LEAD_CONFIRMED, product=free_product(),
        is_active=True, enrol_from=at(1),
    )  # fmt: skip
    Step.objects.create(sequence=nurture, order=1, delay_days=1, subject_en="S", body_en="B")
    ada, bob, cy, dee, eve = (UserFactory(email=f"{n}@x.test") for n in "abcde")
    sent(sequence, ada, at(2), at(9))  # two e-mails, then bought again 20 days after the last
    paid_order(member=ada, product=circle, at=at(29))
    sent(sequence, bob, at(3))  # bought 31 days later: too late
    paid_order(member=bob, product=circle, at=at(3) + timedelta(days=31))
    sent(sequence, cy, at(4))  # bought before the e-mail: not won back by it
    paid_order(member=cy, product=circle, at=at(3))
    sent(sequence, dee, at(30))  # e-mailed on 30 May, bought on 10 June: counted for May
    paid_order(member=dee, product=circle, at=at(30) + timedelta(days=11))
    sent(nurture, eve, at(5))  # not a win-back e-mail
    paid_order(member=eve, product=circle, at=at(6))

    report = build_funnel(start=MAY[0], end=MAY[1])

    win_back = report.win_back
    assert (win_back.emails_sent, win_back.members_emailed) == (5, 4)
    assert (win_back.purchases_within_30_days, win_back.members_won_back) == (2, 2)
    assert win_back.conversion == Decimal("50.0")


def test_test_mode_win_back_e_mails_count_only_when_asked():
    circle = PriceFactory(product__slug="circle", product__kind="membership").product
    sequence = win_back_sequence(circle)
    ada = UserFactory(email="ada@x.test")
    sent(sequence, ada, at(2), is_test=True)
    paid_order(member=ada, product=circle, at=at(5), is_test=True)

    assert build_funnel(start=MAY[0], end=MAY[1]).win_back.emails_sent == 0
    with_test = build_funnel(start=MAY[0], end=MAY[1], include_test=True).win_back
    assert (with_test.emails_sent, with_test.members_won_back) == (1, 1)
