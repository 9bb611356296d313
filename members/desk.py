"""The admin's member page: everything support needs about one member, read in a fixed number
of queries whatever the member's history (one query per kind of row, joined here).

Product states and until-dates come from the functions ``manage.py access`` uses
(``effective_state``, ``access_until``); course progress from the member area's selectors; the
preview of the coming days from ``members.preview``. This module only reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet

from billing.models import Customer, Order, Payment, Subscription
from drip.models import LessonNotice
from invoices.models import Document, DocumentMail
from members.access import access_ends_at, access_until, effective_state
from members.credit import Balance
from members.models import (
    AccessGrant,
    DownloadUse,
    GrantEvent,
    MemberEvent,
    StoreCreditEntry,
    User,
)
from members.selectors import CourseProgress, build_course_progress, load_course_data
from outbox.models import OutboxMessage
from products.models import Lesson


@dataclass(frozen=True)
class ProductLine:
    grant: AccessGrant
    state: str
    until: datetime | None
    ends_at: datetime | None  # the last moment of access of a live grant (paid-through + grace)
    course: CourseProgress | None


@dataclass(frozen=True)
class TimelineEntry:
    """One audit row or provider event, newest first on the page."""

    at: datetime
    source: str  # "access", "credit", "member", "invoice", "payment", "provider"
    kind: str
    text: str
    actor: str = ""
    reference: str = ""


@dataclass
class MemberPage:
    member: User
    now: datetime
    products: list[ProductLine]
    customers: list[Customer]
    orders: list[Order]
    payments: list[Payment]
    documents: list[Document]
    subscriptions: list[Subscription]
    downloads: list[DownloadUse]
    notices: list[LessonNotice]
    undelivered: list[OutboxMessage]
    credit_entries: list[StoreCreditEntry]
    balance: Balance
    timeline: list[TimelineEntry]
    lessons_by_product: dict[int, list[Lesson]] = field(default_factory=dict)
    recorded_open_at: dict[int, datetime] = field(default_factory=dict)

    @property
    def grants(self) -> list[AccessGrant]:
        return [line.grant for line in self.products]


def find_members(query: str) -> QuerySet[User]:
    """Members matching an e-mail, a name, an order id (Stripe or Digistore24), a payment or
    subscription id, or a provider customer id; exact ids, parts of e-mails and names."""
    text = (query or "").strip()
    if not text:
        return User.objects.none()
    ids = (
        Q(orders__provider_ref=text)
        | Q(orders__payments__provider_ref=text)
        | Q(orders__payments__payment_intent_ref=text)
        | Q(orders__payments__charge_ref=text)
        | Q(subscriptions__provider_ref=text)
        | Q(customers__provider_customer_id=text)
    )
    people = Q(email__icontains=text) | Q(name__icontains=text)
    pks = User.objects.filter(ids | people).values("pk")
    return User.objects.filter(pk__in=pks).order_by("email")


def _product_lines(*, member: User, grants: list[AccessGrant], now: datetime):
    courses = [grant.product for grant in grants if grant.product.is_course]
    data = load_course_data(member=member, products=courses)
    lines = []
    for grant in grants:
        state = effective_state(grant, now=now)
        course = None
        if grant.product.is_course:
            course = build_course_progress(
                member=member,
                grant=grant,
                lessons=data.lessons_by_product.get(grant.product_id, []),
                data=data,
                now=now,
            )
        lines.append(
            ProductLine(
                grant, state, access_until(grant, state=state), access_ends_at(grant), course
            )  # fmt: skip
        )
    return lines, data


def member_page(*, member: User, now: datetime) -> MemberPage:
    """Everything on the member page (about 14 queries, none per row)."""
    grants = list(
        AccessGrant.objects.filter(member=member)
        .select_related("product", "order")
        .order_by("product__name", "pk")
    )
    products, course_data = _product_lines(member=member, grants=grants, now=now)
    credit_entries = list(
        StoreCreditEntry.objects.filter(member=member).select_related("actor", "order")
    )
    latest = credit_entries[-1] if credit_entries else None
    page = MemberPage(
        member=member,
        now=now,
        products=products,
        customers=list(Customer.objects.filter(member=member).order_by("pk")),
        orders=list(
            Order.objects.filter(member=member).select_related("product", "price").order_by("-pk")
        ),
        payments=list(
            Payment.objects.filter(order__member=member)
            .select_related("order")
            .order_by("-paid_at", "-pk")
        ),
        documents=list(
            Document.objects.filter(member=member)
            .select_related("corrects")
            .order_by("-issued_at", "-pk")
        ),
        subscriptions=list(
            Subscription.objects.filter(member=member)
            .select_related("order__product")
            .order_by("-pk")
        ),
        downloads=list(
            DownloadUse.objects.filter(member=member)
            .select_related("download__product")
            .order_by("-last_at")
        ),
        notices=list(
            LessonNotice.objects.filter(member=member)
            .select_related("lesson__module__product")
            .order_by("-opened_at", "-pk")
        ),
        undelivered=list(
            OutboxMessage.objects.filter(member=member)
            .exclude(state__in=[OutboxMessage.State.SENT, OutboxMessage.State.SKIPPED])
            .order_by("-created_at", "-pk")
        ),
        credit_entries=credit_entries,
        balance=Balance(latest.balance_after, latest.currency) if latest else Balance(0, ""),
        timeline=[],
        lessons_by_product=course_data.lessons_by_product,
        recorded_open_at=course_data.recorded_open_at,
    )
    page.timeline = _timeline(page)
    return page


def _who(user: User | None) -> str:
    return user.email if user is not None else ""


def _timeline(page: MemberPage) -> list[TimelineEntry]:
    """Every audit row and provider event of the member, newest first (four more queries)."""
    member = page.member
    entries: list[TimelineEntry] = []
    events = (
        GrantEvent.objects.filter(grant__member=member)
        .select_related("grant__product", "actor", "source_event")
        .order_by("pk")
    )
    provider_events = {}
    for event in events:
        source = event.source_event
        reference = source.event_id if source else ""
        entries.append(
            TimelineEntry(
                event.at,
                "access",
                event.get_kind_display(),
                f"{event.grant.product.name}: {event.reason}".rstrip(": "),
                _who(event.actor),
                reference,
            )  # fmt: skip
        )
        if source is not None:
            provider_events[source.pk] = source
    for source in provider_events.values():
        text = source.event_type + (f" ({source.get_status_display()})" if source.status else "")
        if source.error:
            text += f": {source.error[:200]}"
        entries.append(TimelineEntry(source.received_at, "provider", source.provider, text,
                                     "", source.event_id))  # fmt: skip
    entries.extend(
        TimelineEntry(
            entry.at,
            "credit",
            entry.get_kind_display(),
            f"{Balance(entry.amount, entry.currency).display}: {entry.reason}",
            _who(entry.actor),
        )
        for entry in page.credit_entries
    )
    entries.extend(
        TimelineEntry(event.at, "member", event.get_kind_display(), event.reason, _who(event.actor))
        for event in MemberEvent.objects.filter(member=member).select_related("actor")
    )
    mails = DocumentMail.objects.filter(document__member=member).select_related("document", "actor")
    entries.extend(
        TimelineEntry(
            mail.sent_at,
            "invoice",
            mail.get_reason_display(),
            f"{mail.document.number} → {mail.recipient}",
            _who(mail.actor),
        )
        for mail in mails
    )
    entries.extend(_billing_entries(page))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


def _billing_entries(page: MemberPage) -> list[TimelineEntry]:
    """Payments and documents already loaded for their own sections."""
    by_order: dict[int, Order] = {order.pk: order for order in page.orders}
    entries = []
    for payment in page.payments:
        order = by_order.get(payment.order_id)
        text = f"{payment.provider_ref} · {payment.get_status_display()}"
        if order is not None:
            text = f"{order.product.name}: {text}"
        entries.append(TimelineEntry(payment.paid_at, "payment", payment.provider, text, "",
                                     payment.provider_ref))  # fmt: skip
    entries.extend(
        TimelineEntry(document.issued_at, "invoice", document.get_kind_display(), document.number)
        for document in page.documents
    )
    return entries


def preview(page: MemberPage, *, days: int):
    """The time-travel preview from the page's rows (no query of its own)."""
    from members.preview import preview_next_days

    return preview_next_days(
        member=page.member,
        grants=page.grants,
        lessons_by_product=page.lessons_by_product,
        noticed_lesson_pks={notice.lesson_id for notice in page.notices},
        recorded_open_at=page.recorded_open_at,
        subscriptions=page.subscriptions,
        days=days,
        now=page.now,
    )
