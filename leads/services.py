"""Sign-ups to a lead magnet and their double opt-in.

Guarantees:
* ``request_signup`` stores a pending sign-up and nothing else (no account, no access). It
  queues a confirmation e-mail in the same transaction, at most one per address and product
  every ``RESEND_INTERVAL``; the caller answers the same whatever happened.
* ``confirm_signup`` runs once per sign-up: under the sign-up's row lock it finds or creates the
  member, grants the product (source "free") and writes one ``Consent``. A second call (a double
  click, a parallel request) finds it confirmed and changes nothing.
* ``delete_expired_signups`` deletes pending sign-ups older than ``PENDING_MAX_AGE`` in one
  statement; the daily counts (``SignUpTally``) stay.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from leads.models import Consent, LeadMagnet, SignUp, SignUpTally, consent_version
from members.login_links import mark_address_verified
from members.models import AccessGrant, User
from members.services import (
    find_or_create_member,
    grant_access,
    normalize_email,
    same_mailbox,
    site_language,
)
from outbox.models import OutboxMessage
from outbox.services import Outgoing, enqueue
from products.models import Product
from products.selectors import products_granted_by

RESEND_INTERVAL = timedelta(minutes=10)
PENDING_MAX_AGE = timedelta(days=7)


def default_consent_text() -> str:
    """The consent text when the creator set none, in the active language."""
    return gettext(
        "I agree to receive this free product and occasional e-mails about related offers. "
        "I can unsubscribe at any time."
    )


def consent_text_for(product: Product) -> str:
    """The text the visitor sees next to the checkbox: the creator's, or the default."""
    custom = LeadMagnet.objects.filter(product=product).values_list("consent_text", flat=True)
    text = (custom.first() or "").strip()
    return text or default_consent_text()


@dataclass(frozen=True)
class SignUpRequest:
    product: Product
    email: str
    name: str
    consent_text: str
    language: str
    ip_address: str | None
    user_agent: str


def _bump_tally(*, product_id: int, at: datetime, field: str) -> None:
    """Add one to today's count (the site's time zone); the unique row settles races."""
    day = timezone.localdate(at, timezone=timezone.get_default_timezone())
    rows = SignUpTally.objects.filter(product_id=product_id, day=day)
    if rows.update(**{field: F(field) + 1}):
        return
    try:
        with transaction.atomic():
            SignUpTally.objects.create(product_id=product_id, day=day, **{field: 1})
    except IntegrityError:
        rows.update(**{field: F(field) + 1})


def _pending_for_update(*, product: Product, email: str) -> SignUp | None:
    # iexact also matches look-alikes (bob@gmaıl.com for bob@gmail.com on PostgreSQL): only
    # the same mailbox may refresh a pending sign-up, or its link would go to the other one.
    rows = SignUp.objects.select_for_update().filter(
        product=product, email__iexact=email, confirmed_at__isnull=True
    )
    return next((row for row in rows if same_mailbox(row.email, email)), None)


@transaction.atomic
def request_signup(*, signup: SignUpRequest, now: datetime) -> bool:
    """Store (or refresh) the pending sign-up; True if a confirmation e-mail was queued.

    A repeat within ``RESEND_INTERVAL`` of the last e-mail updates the sign-up (name, language,
    the consent text shown) and sends nothing.
    """
    email = normalize_email(signup.email)
    fields = {
        "name": signup.name.strip()[:200],
        "language": site_language(signup.language),
        "consent_text": signup.consent_text,
        "consent_version": consent_version(signup.consent_text),
        "ip_address": signup.ip_address,
        "user_agent": signup.user_agent[:300],
        "requested_at": now,
    }
    row = _pending_for_update(product=signup.product, email=email)
    if row is None:
        try:
            with transaction.atomic():
                row = SignUp.objects.create(
                    product=signup.product, email=email, created_at=now, **fields
                )
            _bump_tally(product_id=signup.product.pk, at=now, field="signups")
        except IntegrityError:  # a parallel sign-up for the same address created it first
            row = _pending_for_update(product=signup.product, email=email)
            if row is None:  # a look-alike's pending row (Kelvin sign K lowers to k)
                return False
    for name, value in fields.items():
        setattr(row, name, value)
    send = row.last_sent_at is None or now - row.last_sent_at >= RESEND_INTERVAL
    if send:
        row.last_sent_at = now
        row.links_sent += 1
    row.save()
    if send:
        kind = OutboxMessage.Kind.LEAD_CONFIRMATION_EMAIL
        enqueue(Outgoing(kind, None, {"signup_id": row.pk}), now=now)
    return send


class ConfirmationError(Exception):
    """The sign-up cannot be confirmed (gone, or its account is deactivated)."""


@dataclass(frozen=True)
class Confirmation:
    member: User | None
    product: Product
    newly_confirmed: bool


@transaction.atomic
def confirm_signup(*, signup_pk: int, ip_address: str | None, now: datetime) -> Confirmation:
    """Confirm once: the member (found or created, address verified), the product granted
    with source "free", and one Consent with the text as shown. Repeating changes nothing."""
    # Only the sign-up's own columns: after waiting for the lock, PostgreSQL re-reads the locked
    # row but not the rows joined to it, which would still show the member as missing.
    signup = SignUp.objects.select_for_update().filter(pk=signup_pk).first()
    if signup is None:
        raise ConfirmationError("sign-up not found")
    if signup.confirmed_at is not None:
        member = User.objects.filter(pk=signup.member_id).first()
        return Confirmation(member=member, product=signup.product, newly_confirmed=False)
    try:
        member, _created = find_or_create_member(
            email=signup.email, name=signup.name, language=signup.language, now=now
        )
    except ValueError as error:  # an address that collides with another member's
        raise ConfirmationError(str(error)) from error
    if not member.is_active:
        raise ConfirmationError("the account is deactivated")
    _prove_address(member)
    for granted in products_granted_by(signup.product):  # a free bundle: each product in it
        grant_access(
            member=member,
            product=granted,
            order=None,
            paid_through=None,
            source=AccessGrant.Source.FREE,
            now=now,
            reason="lead magnet: sign-up confirmed by e-mail",
        )
    Consent.objects.create(
        member=member,
        product=signup.product,
        signup=signup,
        email=signup.email,
        text=signup.consent_text,
        version=signup.consent_version,
        language=signup.language,
        given_at=signup.requested_at,
        given_ip=signup.ip_address,
        user_agent=signup.user_agent,
        confirmed_at=now,
        confirmed_ip=ip_address,
    )
    signup.confirmed_at = now
    signup.member = member
    signup.save(update_fields=["confirmed_at", "member"])
    _bump_tally(product_id=signup.product_id, at=now, field="confirmations")
    return Confirmation(member=member, product=signup.product, newly_confirmed=True)


def _prove_address(member: User) -> None:
    """As a login link does (``members.login_links.use_link``): the link proved the address; a
    password chosen by an unproven sign-up with this address ends, with its sessions."""
    claimed_unproven = mark_address_verified(member=member)
    if claimed_unproven and member.has_usable_password() and not member.is_staff:
        member.set_unusable_password()
        member.session_generation += 1
        member.save(update_fields=["password", "session_generation"])


def delete_expired_signups(*, now: datetime) -> int:
    """Delete pending sign-ups last requested more than ``PENDING_MAX_AGE`` ago; how many."""
    expired = SignUp.objects.filter(
        confirmed_at__isnull=True, requested_at__lt=now - PENDING_MAX_AGE
    )
    deleted, _by_model = expired.delete()
    return deleted


def email_sha256(email: str) -> str:
    """The hash an anonymised consent keeps (the PostgreSQL trigger computes the same)."""
    return hashlib.sha256(email.lower().encode()).hexdigest()


def anonymise_member_leads(
    *, member: User, addresses: list[str], placeholder: str, now: datetime
) -> int:
    """Erasure (``privacy.erasure``): the member's consents keep their proof without the
    person; their sign-ups lose address, name, IP and user agent. How many consents changed.

    A consent stays because the creator must be able to show that (and to what text) the
    address agreed (GDPR Art. 7(1)); only its SHA-256 stays, so the proof is found again only
    by someone who names the address. The single permitted change of an append-only row,
    guarded on PostgreSQL by the trigger of leads migration 0002.
    """
    consents = Consent.objects.filter(member=member, anonymised_at__isnull=True)
    changed = 0
    for consent_pk, email in consents.values_list("pk", "email"):
        changed += models.QuerySet(Consent).filter(pk=consent_pk).update(
            email="", email_sha256=email_sha256(email), given_ip=None, confirmed_ip=None,
            user_agent="", anonymised_at=now,
        )  # fmt: skip
    by_address = Q()
    for address in addresses:
        by_address |= Q(email__iexact=address)
    signups = SignUp.objects.filter(Q(member=member) | by_address)
    signups.filter(confirmed_at__isnull=True).delete()  # a request only: nothing to keep
    signups.update(email=placeholder, name="", ip_address=None, user_agent="")
    return changed


# For the funnel report (issue 16 item 3): the reads live in leads.selectors.
from leads.selectors import confirmed_signups, signup_counts  # noqa: E402, F401
