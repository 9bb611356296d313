"""Builders for the admin's member page tests: a member with a history of any length."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from billing.models import Customer, Order, Payment, ProviderEvent, Subscription
from drip.models import LessonNotice
from invoices.services import issue_invoice_for_payment
from members.models import (
    AccessGrant,
    DownloadUse,
    GrantEvent,
    MemberEvent,
    StoreCreditEntry,
)
from outbox.models import OutboxMessage
from tests.factories import (
    CourseFactory,
    DownloadFactory,
    GrantFactory,
    LessonFactory,
    ModuleFactory,
    UserFactory,
)

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def page_url(member) -> str:
    return f"/admin/members/user/{member.pk}/member/"


def action_url(member, action: str) -> str:
    return f"/admin/members/user/{member.pk}/member/{action}/"


def member_with_history(events: int, *, email: str = "ada@x.test"):
    """A member with ``events`` rows of every kind the page lists (orders, payments, invoices,
    grant events, provider events, credit entries, notices, downloads, outbox rows)."""
    member = UserFactory(email=email, name="Ada Lovelace", time_zone="Europe/Berlin")
    tag = email.split("@")[0]
    suffix = "" if tag == "ada" else f"_{tag}"
    course = CourseFactory(name="Habits", slug=f"habits-{tag}")
    module = ModuleFactory(product=course)
    lessons = [LessonFactory(module=module, drip_days=day) for day in (0, 3, 6)]
    Customer.objects.create(
        member=member, provider="stripe", provider_customer_id=f"cus_{tag.upper()}"
    )
    grant = GrantFactory(
        member=member,
        product=course,
        starts_at=NOW - timedelta(days=1),
        paid_through=NOW + timedelta(days=20),
    )
    balance = 0
    for number in range(events):
        at = NOW - timedelta(hours=events - number)
        order = Order.objects.create(
            member=member,
            product=course,
            provider="stripe",
            provider_ref=f"cs_{number}{suffix}",
            status=Order.Status.PAID,
            amount=4900,
            currency="EUR",
        )
        payment = Payment.objects.create(
            order=order,
            provider="stripe",
            provider_ref=f"in_{number}{suffix}",
            amount=4900,
            currency="EUR",
            paid_at=at,
        )
        issue_invoice_for_payment(payment=payment, now=at)
        Subscription.objects.create(
            member=member,
            order=order,
            provider="stripe",
            provider_ref=f"sub_{number}{suffix}",
            status="active",
            current_period_end=NOW + timedelta(days=20),
        )
        source = ProviderEvent.objects.create(
            provider="stripe",
            event_id=f"evt_{number}{suffix}",
            event_type="invoice.paid",
            payload={},
            received_at=at,
            status=ProviderEvent.Status.PROCESSED,
        )
        GrantEvent.objects.create(
            grant=grant,
            kind=GrantEvent.Kind.EXTENDED,
            at=at,
            reason=f"payment in_{number}{suffix}",
            source_event=source,
        )
        balance += 100
        StoreCreditEntry.objects.create(
            member=member,
            kind="credit",
            amount=100,
            currency="EUR",
            balance_after=balance,
            at=at,
            reason=f"gift {number}",
            key=f"k{number}",
        )
        MemberEvent.objects.create(
            member=member, kind=MemberEvent.Kind.LOGIN_LINK_SENT, at=at, reason=f"asked {number}"
        )
        lesson = LessonFactory(module=module, drip_days=0)
        LessonNotice.objects.create(
            member=member, lesson=lesson, status="sent", opened_at=at, created_at=at, sent_at=at
        )
        download = DownloadFactory(product=course)
        DownloadUse.objects.create(
            member=member,
            download=download,
            count=2,
            first_at=at,
            last_at=at,
            last_ip="203.0.113.9",
        )
        OutboxMessage.objects.create(
            kind=OutboxMessage.Kind.LESSON_NOTICE,
            member=member,
            payload={},
            created_at=at,
            due_at=at,
            state=OutboxMessage.State.FAILED,
            last_error="SMTP 550",
        )
    return member, grant, lessons


def grant_state(grant: AccessGrant) -> tuple:
    grant.refresh_from_db()
    return grant.state, grant.paid_through, grant.source
