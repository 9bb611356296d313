"""Erasure (GDPR Art. 17): the person is anonymised everywhere, their money documents stay.

What happens, in one transaction under the member's row lock:
* live and pending grants are revoked (audit rows name the erasure and its reason), and a
  ``MemberEvent`` "erased" records who erased, when and why;
* the account gets a placeholder address (``erased-<pk>@erased.invalid``), no name, no password,
  is deactivated, and every session and login link of it stops working;
* the person's address, name and IPs are removed from every other row that held them: allauth
  addresses, webhook payloads, outbox payloads, lead sign-ups and consents (kept as proof with
  the address's SHA-256), reconcile findings, invoice e-mail records, cancellation feedback,
  download records and the admin's change log; marketing sequences stop;
* orders, payments, subscriptions and the issued invoices and credit notes are kept with the
  buyer block they were issued with: German law (§ 147 AO, § 14b UStG) asks for ten years.

Erasing is refused while a subscription would still charge the member (cancel it first) and for
staff accounts (take the staff status away first). A second erasure changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from billing.models import CancellationFeedback, Order, ProviderEvent, Subscription
from billing.reconcile_models import ReconcileFinding
from invoices.models import DocumentMail, PendingDocument
from leads.services import anonymise_member_leads
from members.models import AccessGrant, DownloadUse, MemberEvent, UpgradeOffer, User
from members.services import end_grant
from members.support import SupportError, require_reason
from outbox.models import OutboxMessage
from privacy.scrub import needles, scrub_json, scrub_text
from sequences.models import Enrolment, MarketingPreference

ERASED_DOMAIN = "erased.invalid"  # RFC 2606: can never receive mail
CHARGING_STATES = (
    Subscription.Status.TRIALING,
    Subscription.Status.ACTIVE,
    Subscription.Status.PAST_DUE,
)
# Messages that still have to happen for the records: the invoice PDFs. Every e-mail is dropped.
KEPT_OUTBOX_KINDS = (OutboxMessage.Kind.DOCUMENT_PDF,)


@dataclass(frozen=True)
class Erasure:
    member: User
    changed: bool
    grants_ended: int
    summary: str


def placeholder_email(member_pk: int) -> str:
    return f"erased-{member_pk}@{ERASED_DOMAIN}"


def is_erased(member: User) -> bool:
    return member.email == placeholder_email(member.pk)


def erasure_blockers(member: User) -> list[str]:
    """Why this account cannot be erased yet (empty: it can)."""
    reasons = []
    if member.is_staff or member.is_superuser:
        reasons.append("a staff account is not erased: take its staff status away first")
    charging = member.subscriptions.filter(status__in=CHARGING_STATES, cancel_at_period_end=False)
    refs = list(charging.values_list("provider_ref", flat=True))
    if refs:
        reasons.append(
            f"the subscription {', '.join(refs)} would still charge the member: cancel it first"
        )
    return reasons


@transaction.atomic
def erase_member(*, member_pk: int, actor: User | None, reason: str, now: datetime) -> Erasure:
    """Anonymise one member (see the module docstring); raises ``SupportError`` if refused.
    Repeating the call changes nothing."""
    reason = require_reason(reason)
    member = User.objects.select_for_update().get(pk=member_pk)
    if is_erased(member):
        return Erasure(member, changed=False, grants_ended=0, summary="already erased")
    blockers = erasure_blockers(member)
    if blockers:
        raise SupportError("; ".join(blockers))
    addresses = sorted(
        {member.email, *EmailAddress.objects.filter(user=member).values_list("email", flat=True)}
    )
    identifiers = needles(*addresses, member.name)
    placeholder = placeholder_email(member.pk)
    ended = _end_grants(member=member, actor=actor, reason=reason, now=now)
    MemberEvent.objects.create(
        member=member, kind=MemberEvent.Kind.ERASED, at=now, actor=actor, reason=reason
    )
    _anonymise_account(member=member, placeholder=placeholder)
    _scrub_related(member=member, addresses=addresses, identifiers=identifiers, now=now)
    anonymise_member_leads(member=member, addresses=addresses, placeholder=placeholder, now=now)
    _end_sessions(member_pk=member.pk)
    summary = f"personal data erased; {ended} grant(s) ended; invoices and payments kept"
    return Erasure(member, changed=True, grants_ended=ended, summary=summary)


def _end_grants(*, member: User, actor: User | None, reason: str, now: datetime) -> int:
    live = AccessGrant.objects.filter(
        member=member,
        state__in=(AccessGrant.State.PENDING, AccessGrant.State.ACTIVE, AccessGrant.State.GRACE),
    )
    text = f"account erased: {reason}"
    return sum(
        end_grant(grant_pk=pk, state=AccessGrant.State.REVOKED, now=now, reason=text, actor=actor)
        for pk in live.order_by("pk").values_list("pk", flat=True)
    )


def _anonymise_account(*, member: User, placeholder: str) -> None:
    member.email = placeholder
    member.name = ""
    member.set_unusable_password()
    member.is_active = False
    member.language = ""
    member.time_zone = settings.TIME_ZONE
    member.lesson_notifications = False
    member.session_generation += 1
    member.login_link_generation += 1
    member.save()
    EmailAddress.objects.filter(user=member).delete()  # and its pending confirmations


def _scrub_related(
    *, member: User, addresses: list[str], identifiers: list[str], now: datetime
) -> None:
    placeholder = member.email
    DownloadUse.objects.filter(member=member).update(last_ip=None)
    # The waiver's text version and time stay with the order (the proof that the withdrawal
    # right ended); the address it was given from goes.
    Order.objects.filter(member=member).update(withdrawal_waiver_ip=None)
    CancellationFeedback.objects.filter(member=member).update(detail="")
    DocumentMail.objects.filter(document__member=member).update(recipient=placeholder)
    PendingDocument.objects.filter(payment__member=member, document__isnull=False).update(buyer={})
    UpgradeOffer.objects.filter(member=member, state=UpgradeOffer.State.PENDING).update(
        state=UpgradeOffer.State.CANCELLED
    )
    running = Enrolment.objects.filter(
        member=member, stopped_at__isnull=True, finished_at__isnull=True
    )
    running.update(stopped_at=now, stop_reason=Enrolment.StopReason.INACTIVE, next_due_at=None)
    MarketingPreference.objects.update_or_create(
        member=member, defaults={"unsubscribed_at": now, "updated_at": now}
    )
    pending = OutboxMessage.objects.filter(member=member, state=OutboxMessage.State.PENDING)
    pending.exclude(kind__in=KEPT_OUTBOX_KINDS).update(
        state=OutboxMessage.State.SKIPPED, last_error="account erased", sent_at=now
    )
    _scrub_json_rows(OutboxMessage.objects.filter(member=member), "payload", identifiers)
    _scrub_json_rows(_events_of(member, addresses), "payload", identifiers)
    found = ReconcileFinding.objects.filter(Q(member=member) | _any_iexact("email", addresses))
    findings = ReconcileFinding.objects.filter(pk__in=list(found.values_list("pk", flat=True)))
    findings.update(email=placeholder)
    for field in ("evidence", "fix_payload"):
        _scrub_json_rows(findings, field, identifiers)
    _scrub_admin_log(member=member, identifiers=identifiers)


def _any_iexact(field: str, values: list[str]) -> Q:
    query = Q(pk__in=[])
    for value in values:
        query |= Q(**{f"{field}__iexact": value})
    return query


def _events_of(member: User, addresses: list[str]):
    """The webhook events about this person: those that mention one of their addresses or
    provider customer ids, and those their grants' audit rows name."""
    mentions = Q(pk__in=[])
    refs = [*addresses, *member.customers.values_list("provider_customer_id", flat=True)]
    for ref in filter(None, refs):
        mentions |= Q(payload_text__icontains=ref)
    audited = Q(grant_events__grant__member=member)
    found = ProviderEvent.objects.annotate(payload_text=Cast("payload", TextField())).filter(
        mentions | audited
    )
    return ProviderEvent.objects.filter(pk__in=set(found.values_list("pk", flat=True)))


def _scrub_json_rows(rows, field: str, identifiers: list[str]) -> None:
    model = rows.model
    for pk, value in list(rows.values_list("pk", field)):
        cleaned = scrub_json(value, identifiers)
        if cleaned != value:
            model.objects.filter(pk=pk).update(**{field: cleaned})


def _scrub_admin_log(*, member: User, identifiers: list[str]) -> None:
    """The admin's change log repeats names in ``object_repr`` and change messages."""
    mentions = Q(pk__in=[])
    for identifier in identifiers:
        mentions |= Q(object_repr__icontains=identifier) | Q(change_message__icontains=identifier)
    for entry in LogEntry.objects.filter(mentions):
        LogEntry.objects.filter(pk=entry.pk).update(
            object_repr=scrub_text(entry.object_repr, identifiers),
            change_message=scrub_text(entry.change_message, identifiers),
        )


def _end_sessions(*, member_pk: int) -> None:
    """Delete the member's stored sessions (the raised session generation already refuses
    them); with a cache-only session engine the generation alone ends them."""
    engine = import_module(settings.SESSION_ENGINE)
    if "db" not in settings.SESSION_ENGINE:
        return
    store = engine.SessionStore
    for session in Session.objects.iterator():
        if session.get_decoded().get("_auth_user_id") == str(member_pk):
            store(session.session_key).delete()
