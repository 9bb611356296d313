"""Support actions on access: what a creator does for one member, each with a reason and an audit
row naming who did it.

Every service here is keyword-only, atomic and takes ``actor`` (the staff user, or None from the
command line), a non-blank ``reason`` and ``now``. Each locks the grant rows it changes, re-reads
them and changes nothing when the change is already done, so repeating an action is harmless.
Bad input raises ``SupportError`` (a ``ValueError`` with a one-line message) before anything is
written. The admin and the management commands are thin callers of these functions; store credit
is in ``members.credit`` and the e-mail actions in ``members.support_emails``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import transaction

from members.access import LIVE_STATES, access_ends_at, effective_state, local_midnight
from members.locks import grants_for_update, lock_grant, lock_grants
from members.models import AccessGrant, GrantEvent, User
from members.services import _locked_grant, grant_access, record_grant_event
from products.models import Price, Product

State = AccessGrant.State
Kind = GrantEvent.Kind
COMPLIMENTARY = AccessGrant.Source.COMPLIMENTARY


class SupportError(ValueError):
    """Bad input for a support action; the message is shown to the creator as is."""


@dataclass(frozen=True)
class GrantChange:
    """What a support action did to one grant (``changed`` False: it was already so)."""

    grant: AccessGrant
    changed: bool
    summary: str


def require_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise SupportError("a reason is required")
    return text[:400]


def member_by_email(email: str) -> User:
    member = User.objects.filter(email__iexact=(email or "").strip()).first()
    if member is None:
        raise SupportError(f"no member with e-mail {email}")
    return member


def product_by_slug(slug: str) -> Product:
    product = Product.objects.filter(slug=(slug or "").strip()).first()
    if product is None:
        raise SupportError(f"no product with slug {slug}")
    return product


def end_of_day(day: date, *, member: User) -> datetime:
    """Access "until 31 March" lasts to the end of that day in the member's time zone."""
    return local_midnight(day + timedelta(days=1), member.zone)


def _when(moment: datetime | None) -> str:
    return "lifetime" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _future(until: datetime | None, *, now: datetime) -> datetime | None:
    if until is not None and until <= now:
        raise SupportError(f"the until-date {_when(until)} is not in the future")
    return until


def _later(current: datetime | None, new: datetime | None) -> datetime | None:
    return None if current is None or new is None else max(current, new)


def _reopen(grant: AccessGrant, *, paid_through: datetime | None, **fields) -> None:
    """Make an ended (or pending) grant active again; its drip clock and history stay."""
    grant.state = State.ACTIVE
    grant.paid_through = paid_through
    grant.ended_at = None
    grant.end_reason = ""
    grant.ended_unpaid = False
    for name, value in fields.items():
        setattr(grant, name, value)
    grant.save()


def _is_live(grant: AccessGrant | None, *, now: datetime) -> bool:
    return grant is not None and effective_state(grant, now=now) in LIVE_STATES


@transaction.atomic
def give_access_anyway(
    *,
    grant_pk: int,
    actor: User | None,
    reason: str,
    now: datetime,
    until: datetime | None = None,
) -> GrantChange:
    """Reopen an ended (or pending) grant, keeping its paid-through date, order and source.

    A subscriber stays a subscriber: renewals go on extending the same date, and the sweeps
    leave a grant whose activation window was missed alone. A paid-through date that has
    already passed (with its grace) would end access at once: then ``until`` (in the future)
    becomes the new paid-through date, and without it the call is refused. A grant that
    already gives access is left as it is.
    """
    reason = require_reason(reason)
    until = _future(until, now=now)
    grant = lock_grant(pk=grant_pk)
    if _is_live(grant, now=now):
        return GrantChange(grant, False, f"{grant.product.slug}: already has access")
    paid_through = grant.paid_through
    if until is not None:
        paid_through = until if paid_through is None else max(paid_through, until)
    elif paid_through is not None and access_ends_at(grant) < now:
        raise SupportError(
            f"{grant.product.slug} was paid through {_when(paid_through)}, which has passed: "
            "give an until-date (or extend) to give access anyway"
        )
    _reopen(grant, paid_through=paid_through)
    record_grant_event(grant=grant, kind=Kind.REACTIVATED, now=now, actor=actor, reason=reason)
    return GrantChange(
        grant, True, f"{grant.product.slug}: access given anyway until {_when(paid_through)}"
    )


def _grant_one_complimentary(
    *, member: User, product: Product, until: datetime | None, audit: dict, now: datetime
) -> GrantChange:
    grant, created = _locked_grant(
        member=member,
        product=product,
        defaults={"state": State.ACTIVE, "source": COMPLIMENTARY, "starts_at": now,
                  "paid_through": until},
    )  # fmt: skip
    slug = product.slug
    if created:
        record_grant_event(grant=grant, kind=Kind.GRANTED, **audit)
        return GrantChange(grant, True, f"{slug}: complimentary access until {_when(until)}")
    if not _is_live(grant, now=now):
        _reopen(grant, paid_through=until, source=COMPLIMENTARY, order=None, is_test=False)
        record_grant_event(grant=grant, kind=Kind.REACTIVATED, **audit)
        return GrantChange(grant, True, f"{slug}: complimentary access until {_when(until)}")
    if grant.source != COMPLIMENTARY:
        raise SupportError(
            f"{member.email} already has {grant.source} access to {slug} until "
            f"{_when(grant.paid_through)}: extend it instead"
        )
    paid_through = _later(grant.paid_through, until)
    if paid_through == grant.paid_through:
        return GrantChange(grant, False, f"{slug}: already complimentary until {_when(until)}")
    grant.paid_through = paid_through
    grant.state = State.ACTIVE
    grant.save(update_fields=["paid_through", "state", "updated_at"])
    record_grant_event(grant=grant, kind=Kind.EXTENDED, **audit)
    return GrantChange(grant, True, f"{slug}: complimentary access until {_when(until)}")


@transaction.atomic
def grant_complimentary(
    *,
    member: User,
    product: Product,
    until: datetime | None,
    actor: User | None,
    reason: str,
    now: datetime,
) -> list[GrantChange]:
    """Give ``product`` free of charge, for life (``until`` None) or until a moment.

    The grant's source is ``complimentary``, which the member sees; it belongs to no order, so no
    refund or subscription end takes it away. A bundle gives each product in it. A member who
    already has paid access is refused (extend that instead); a complimentary grant is only ever
    lengthened, so repeating the call changes nothing.
    """
    from products.selectors import products_granted_by

    audit = {"now": now, "actor": actor, "reason": require_reason(reason)}
    until = _future(until, now=now)
    return [
        _grant_one_complimentary(member=member, product=item, until=until, audit=audit, now=now)
        for item in products_granted_by(product)
    ]


def _extended_until(
    grant: AccessGrant, *, days: int | None, until: datetime | None, now: datetime
) -> datetime:
    if until is not None:
        if grant.paid_through is not None and until < grant.paid_through:
            raise SupportError(
                f"{grant.product.slug} is paid through {_when(grant.paid_through)}, after "
                f"{_when(until)}: extending never shortens access"
            )
        return until
    base = now if grant.paid_through is None else max(grant.paid_through, now)
    return base + timedelta(days=days or 0)


@transaction.atomic
def extend_access(
    *,
    member: User,
    product: Product,
    actor: User | None,
    reason: str,
    now: datetime,
    days: int | None = None,
    until: datetime | None = None,
) -> GrantChange:
    """Lengthen a grant by ``days`` (from its paid-through date, or from now if that has passed)
    or to ``until``; an ended grant is reopened, keeping its order and source.

    Repeating an extension by days with the same reason on the same (UTC) day extends once (a
    command run twice by mistake); on another day, or with a new reason, it extends again.
    Lifetime access cannot be extended, and a shorter until-date is refused.
    """
    reason = require_reason(reason)
    if (days is None) == (until is None):
        raise SupportError("give either a number of days or an until-date")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days <= 0):
        raise SupportError(f"days must be a whole number above 0, not {days}")
    until = _future(until, now=now)
    grant = grants_for_update().filter(member=member, product=product).first()
    slug = product.slug
    if grant is None:
        raise SupportError(f"{member.email} has no access to {slug} to extend: grant it instead")
    live = _is_live(grant, now=now)
    if live and grant.paid_through is None:
        raise SupportError(f"{member.email} has lifetime access to {slug}: nothing to extend")
    day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    same_day = {"at__gte": day_start, "at__lt": day_start + timedelta(days=1)}
    if (
        days is not None
        and grant.events.filter(kind=Kind.EXTENDED, reason=reason, **same_day).exists()
    ):
        return GrantChange(grant, False, f"{slug}: already extended ({reason})")
    paid_through = _extended_until(grant, days=days, until=until, now=now)
    if live and paid_through == grant.paid_through:
        return GrantChange(grant, False, f"{slug}: already until {_when(paid_through)}")
    if live:
        grant.paid_through = paid_through
        grant.save(update_fields=["paid_through", "updated_at"])
    else:
        _reopen(grant, paid_through=paid_through)
    record_grant_event(grant=grant, kind=Kind.EXTENDED, now=now, actor=actor, reason=reason)
    return GrantChange(grant, True, f"{slug}: access until {_when(paid_through)}")


PriceKey = tuple[int, str, str, str, int]
_FREE: PriceKey = (0, "", Price.BillingType.ONE_TIME, "", 1)


def _price_key(price: Price) -> PriceKey:
    if price.amount == 0:
        return _FREE
    return (price.amount, price.currency.upper(), price.billing_type, price.interval,
            price.interval_count)  # fmt: skip


def _price_keys(product: Product) -> dict[PriceKey, Price | None]:
    prices = {_price_key(price): price for price in product.prices.filter(is_active=True)}
    return prices or {_FREE: None}


def _describe_price(prices: dict[PriceKey, Price | None]) -> str:
    shown = [price.display_amount for price in prices.values() if price is not None]
    return " or ".join(sorted(shown)) or "nothing"


def _check_same_price(grant: AccessGrant, to_product: Product) -> None:
    """The price the member paid (the order's), or the product's prices, must be offered for the
    new product: same amount, currency and billing."""
    order = grant.order
    if order is not None and order.price is not None and order.price.is_recurring:
        raise SupportError(
            f"{grant.product.slug} is paid by a subscription: change its plan at the provider"
        )
    paid = (
        {_price_key(order.price): order.price}
        if order is not None and order.price is not None
        else _price_keys(grant.product)
    )
    offered = _price_keys(to_product)
    if not paid.keys() & offered.keys():
        raise SupportError(
            f"{grant.product.slug} costs {_describe_price(paid)} but {to_product.slug} costs "
            f"{_describe_price(offered)}: a swap needs the same price"
        )


def _already_swapped(old: AccessGrant, new: AccessGrant | None, *, now: datetime) -> bool:
    if _is_live(old, now=now) or not _is_live(new, now=now):
        return False
    last = old.events.order_by("-pk").first()
    return last is not None and last.kind == Kind.SWAPPED and old.end_reason == _swap_note(new)


def _swap_note(new: AccessGrant | Product) -> str:
    product = new.product if isinstance(new, AccessGrant) else new
    return f"swapped for {product.slug}"


@transaction.atomic
def swap_product(
    *,
    member: User,
    from_product: Product,
    to_product: Product,
    actor: User | None,
    reason: str,
    now: datetime,
) -> list[GrantChange]:
    """End the member's access to ``from_product`` and give ``to_product`` instead, for the same
    price: the new grant belongs to the same order (a refund of it ends the new access), keeps
    the source and the paid-through date. A repeated swap changes nothing.

    Refused: products of different prices, bundles, a subscription (its plan changes at the
    provider), a product the member cannot use now, or one they already have.
    """
    reason = require_reason(reason)
    if from_product.pk == to_product.pk:
        raise SupportError("a swap needs two different products")
    if Product.Kind.BUNDLE in (from_product.kind, to_product.kind):
        raise SupportError("swap the products inside a bundle, not the bundle")
    grants = {
        grant.product_id: grant
        for grant in lock_grants(
            pks=AccessGrant.objects.filter(
                member=member, product__in=[from_product, to_product]
            ).values_list("pk", flat=True)
        )
    }
    old, new = grants.get(from_product.pk), grants.get(to_product.pk)
    if old is not None and _already_swapped(old, new, now=now):
        return [GrantChange(old, False, f"{from_product.slug}: already {_swap_note(new)}")]
    if not _is_live(old, now=now):
        state = effective_state(old, now=now) if old else "never granted"
        raise SupportError(f"{member.email} cannot use {from_product.slug} ({state}): no swap")
    if _is_live(new, now=now):
        raise SupportError(f"{member.email} already has access to {to_product.slug}")
    _check_same_price(old, to_product)
    return _do_swap(old=old, to_product=to_product, actor=actor, reason=reason, now=now)


def _do_swap(
    *,
    old: AccessGrant,
    to_product: Product,
    actor: User | None,
    reason: str,
    now: datetime,
    order=None,
) -> list[GrantChange]:
    """The new grant belongs to ``order`` (an upgrade's own order) or else to the old one's."""
    old.state = State.REVOKED
    old.ended_at = now
    old.end_reason = _swap_note(to_product)
    old.save(update_fields=["state", "ended_at", "end_reason", "updated_at"])
    record_grant_event(grant=old, kind=Kind.SWAPPED, now=now, actor=actor,
                       reason=f"{_swap_note(to_product)}: {reason}")  # fmt: skip
    new = grant_access(
        member=old.member, product=to_product, order=order or old.order,
        paid_through=old.paid_through,
        source=old.source, now=now, is_test=old.is_test, actor=actor,
        reason=f"swapped from {old.product.slug}: {reason}",
    )  # fmt: skip
    if not _is_live(new, now=now):
        raise SupportError(f"{to_product.slug} could not be given (its paid time has passed)")
    return [
        GrantChange(old, True, f"{old.product.slug}: ended, {_swap_note(to_product)}"),
        GrantChange(new, True, f"{to_product.slug}: access until {_when(new.paid_through)}"),
    ]
