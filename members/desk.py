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
    noticed_lesson_pks: set[int] = field(default_factory=set)
    limit: int | None = None

    @property
    def is_cut(self) -> bool:
        """Some list shows only its newest ``limit`` rows: there may be more."""
        lists = (self.orders, self.payments, self.documents, self.subscriptions, self.downloads,
                 self.notices, self.undelivered, self.credit_entries, self.timeline)  # fmt: skip
        return self.limit is not None and any(len(rows) >= self.limit for rows in lists)

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


LIST_LIMIT = 25  # rows per list (and timeline entries) on the page, newest first


def _newest(queryset: QuerySet, limit: int | None) -> list:
    return list(queryset if limit is None else queryset[:limit])


def member_page(*, member: User, now: datetime, limit: int | None = LIST_LIMIT) -> MemberPage:
    """Everything on the member page in a fixed number of queries, none per row: each list and
    the timeline hold their newest ``limit`` rows (None: all), so the page costs the same for a
    member with years of history."""
    grants = list(
        AccessGrant.objects.filter(member=member)
        .select_related("product", "order")
        .order_by("product__name", "pk")
    )
    products, course_data = _product_lines(member=member, grants=grants, now=now)
    credit_entries = _newest(
        StoreCreditEntry.objects.filter(member=member)
        .select_related("actor", "order")
        .order_by("-pk"),
        limit,
    )
    latest = credit_entries[0] if credit_entries else None
    page = MemberPage(
        member=member,
        now=now,
        products=products,
        customers=list(Customer.objects.filter(member=member).order_by("pk")),
        orders=_newest(
            Order.objects.filter(member=member).select_related("product", "price").order_by("-pk"),
            limit,
        ),
        payments=_newest(
            Payment.objects.filter(order__member=member)
            .select_related("order")
            .order_by("-paid_at", "-pk"),
            limit,
        ),
        documents=_newest(
            Document.objects.filter(member=member)
            .select_related("corrects")
            .order_by("-issued_at", "-pk"),
            limit,
        ),
        subscriptions=_newest(
            Subscription.objects.filter(member=member)
            .select_related("order__product")
            .order_by("-pk"),
            limit,
        ),
        downloads=_newest(
            DownloadUse.objects.filter(member=member)
            .select_related("download__product")
            .order_by("-last_at"),
            limit,
        ),
        notices=_newest(
            LessonNotice.objects.filter(member=member)
            .select_related("lesson__module__product")
            .order_by("-opened_at", "-pk"),
            limit,
        ),
        undelivered=_newest(
            OutboxMessage.objects.filter(member=member)
            .exclude(state__in=[OutboxMessage.State.SENT, OutboxMessage.State.SKIPPED])
            .order_by("-created_at", "-pk"),
            limit,
        ),
        credit_entries=credit_entries,
        balance=Balance(latest.balance_after, latest.currency) if latest else Balance(0, ""),
        timeline=[],
        noticed_lesson_pks=set(
            LessonNotice.objects.filter(member=member).values_list("lesson_id", flat=True)
        ),
        lessons_by_product=course_data.lessons_by_product,
        recorded_open_at=course_data.recorded_open_at,
    )
    timeline = _timeline(page, limit=limit)
    page.timeline = timeline if limit is None else timeline[:limit]
    page.limit = limit
    return page


def _who(user: User | None) -> str:
    return user.email if user is not None else ""


def _timeline(page: MemberPage, *, limit: int | None) -> list[TimelineEntry]:
    """Audit rows and provider events of the member, newest first (three more queries): the
    newest ``limit`` of each kind, so the merged list's newest ``limit`` entries are exact."""
    member = page.member
    entries: list[TimelineEntry] = []
    events = _newest(
        GrantEvent.objects.filter(grant__member=member)
        .select_related("grant__product", "actor", "source_event")
        .defer("source_event__payload")  # a whole webhook body each, never shown here
        .order_by("-at", "-pk"),
        limit,
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
        for event in _newest(
            MemberEvent.objects.filter(member=member).select_related("actor").order_by("-pk"),
            limit,
        )
    )
    mails = _newest(
        DocumentMail.objects.filter(document__member=member)
        .select_related("document", "actor")
        .order_by("-sent_at", "-pk"),
        limit,
    )
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
        noticed_lesson_pks=page.noticed_lesson_pks,
        recorded_open_at=page.recorded_open_at,
        subscriptions=page.subscriptions,
        days=days,
        now=page.now,
    )
