"""Why can (or can't) a member see a product or a lesson: the chain of rules, each with its
value and the audit row or provider event behind it.

The verdict is not worked out here: it comes from the functions the member pages call
(``members.access.effective_state``, ``grant_allows_access`` and ``compute_lesson_state``, with
the recorded openings from ``members.selectors``), so an explanation cannot disagree with what
the member sees. This module only reads; ``manage.py explain`` prints it, and the admin's member
page can show the same ``Explanation``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from members.access import (
    LIVE_STATES,
    access_ends_at,
    compute_lesson_state,
    effective_state,
    grant_allows_access,
    grant_for,
    lesson_opens_at,
    membership_age,
)
from members.models import AccessGrant, GrantEvent, User
from members.selectors import recorded_openings
from products.models import Lesson, Product

Kind = GrantEvent.Kind


@dataclass(frozen=True)
class Evidence:
    """The audit row (and the provider event it came from) that set a rule's value."""

    kind: str
    at: str
    reason: str
    actor: str | None
    provider_event: str | None


@dataclass(frozen=True)
class Rule:
    rule: str
    value: str
    event: Evidence | None = None


@dataclass(frozen=True)
class Explanation:
    member: str
    product: str
    lesson: int | None
    now: str
    verdict: str  # product: "access" / "no access"; lesson: "open" / "locked" / "no_access"
    rules: list[Rule] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.verdict in ("access", "open")

    def as_dict(self) -> dict:
        return {**asdict(self), "allowed": self.allowed}


def iso(moment: datetime | None) -> str:
    return "none" if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def _local(moment: datetime, member: User) -> str:
    return moment.astimezone(member.zone).isoformat(timespec="minutes") + f" ({member.time_zone})"


class _Trail:
    """The grant's audit rows, newest first, for naming the row behind each rule (one lean
    query: only the columns shown)."""

    def __init__(self, grant: AccessGrant | None) -> None:
        self.rows: list[Evidence] = []
        if grant is not None:
            rows = grant.events.order_by("-pk").values_list(
                "kind", "at", "reason", "actor__email", "source_event__event_id"
            )
            self.rows = [
                Evidence(kind, iso(at), reason, actor, event)
                for kind, at, reason, actor, event in rows
            ]

    def latest(self, *kinds: str) -> Evidence | None:
        return next((row for row in self.rows if not kinds or row.kind in kinds), None)


_SETS_PAID_THROUGH = (Kind.GRANTED, Kind.EXTENDED, Kind.REACTIVATED, Kind.NOTE)
_ENDS = (Kind.EXPIRED, Kind.REVOKED, Kind.SWAPPED)


def _grant_rules(grant: AccessGrant, trail: _Trail, *, now: datetime) -> list[Rule]:
    state = effective_state(grant, now=now)
    ends_at = access_ends_at(grant)
    rules = [
        Rule("grant", f"stored state {grant.state}, source {grant.source}, since "
             f"{iso(grant.starts_at)}", trail.latest()),
        Rule("paid through", "lifetime" if grant.paid_through is None else iso(grant.paid_through),
             trail.latest(*_SETS_PAID_THROUGH)),
        Rule("grace end", "none (lifetime)" if ends_at is None else
             f"{iso(ends_at)} ({'passed' if now > ends_at else 'not yet'})",
             trail.latest(Kind.GRACE, Kind.RESTORED)),
    ]  # fmt: skip
    if grant.state not in LIVE_STATES and grant.state != AccessGrant.State.PENDING:
        rules.append(Rule("ended", f"{iso(grant.ended_at)}: {grant.end_reason or grant.state}",
                          trail.latest(*_ENDS)))  # fmt: skip
    rules.append(_refund_rule(grant, trail))
    rules.append(_activation_rule(grant, trail, now=now))
    rules.append(_pause_rule(grant, trail, now=now))
    rules.append(_waiver_rule(grant, trail, now=now))
    rules.append(Rule("state now", state))
    return rules


def _waiver_rule(grant: AccessGrant, trail: _Trail, *, now: datetime) -> Rule:
    """The withdrawal-right waiver (``billing.waiver``): without one, access waits 14 days."""
    order = grant.order
    if order is not None and order.withdrawal_waiver_version:
        return Rule(
            "withdrawal waiver",
            f"given {iso(order.withdrawal_waiver_at)} (text {order.withdrawal_waiver_version}): "
            "access started at once",
        )
    if grant.withheld_until is None:
        return Rule("withdrawal waiver", "not needed (free, exempt, or switched off)")
    if now < grant.withheld_until:
        return Rule(
            "withdrawal waiver",
            f"none recorded: pending until {iso(grant.withheld_until)}, when the 14-day "
            "withdrawal period is over",
            trail.latest(Kind.GRANTED, Kind.REACTIVATED),
        )
    return Rule(
        "withdrawal waiver",
        f"none recorded: opened {iso(grant.withheld_until)}, after the withdrawal period",
    )


def _pause_rule(grant: AccessGrant, trail: _Trail, *, now: datetime) -> Rule:
    """A paused subscription stops the grant's clocks (``members.pauses``)."""
    earlier = grant.paused_total or timedelta(0)
    days = f"{earlier.total_seconds() / 86400:.1f} days paused before"
    if grant.paused_since is not None:
        return Rule(
            "pause",
            f"paused since {iso(grant.paused_since)}: nothing new opens, the "
            f"drip and membership clocks stand still; {days}; membership age "
            f"{membership_age(grant, now=now).days} days",
            trail.latest(Kind.PAUSED),
        )
    if earlier:
        return Rule(
            "pause",
            f"not paused; {days}: lessons open that much later; membership "
            f"age {membership_age(grant, now=now).days} days",
            trail.latest(Kind.RESUMED),
        )
    return Rule("pause", "never paused")  # fmt: skip


def _refund_rule(grant: AccessGrant, trail: _Trail) -> Rule:
    from billing.models import Payment

    order = grant.order
    if order is None:
        return Rule("refund or dispute", "no order (nothing to refund)")
    payments = Payment.objects.filter(order=order).order_by("paid_at", "pk")
    troubled = [
        f"{payment.provider_ref} {payment.status} (refunded {payment.amount_refunded} of "
        f"{payment.amount} {payment.currency})"
        for payment in payments
        if payment.status != Payment.Status.SUCCEEDED
    ]
    value = f"order {order.provider_ref} {order.status}" + (
        ": " + "; ".join(troubled) if troubled else ": no refund or dispute"
    )
    return Rule("refund or dispute", value, trail.latest(Kind.REVOKED) if troubled else None)


def _activation_rule(grant: AccessGrant, trail: _Trail, *, now: datetime) -> Rule:
    days = grant.product.activation_window_days
    used = f"first used {iso(grant.first_used_at)}" if grant.first_used_at else "never used"
    if days is None:
        return Rule("activation window", f"none; {used}", trail.latest(Kind.FIRST_USE))
    deadline = grant.starts_at + timedelta(days=days)
    if grant.activation_missed_at:
        status = f"missed (recorded {iso(grant.activation_missed_at)}, " + (
            f"action {grant.product.activation_window_action})"
        )
        evidence = trail.latest(Kind.ACTIVATION_MISSED)
    else:
        status = "met" if grant.first_used_at else ("open" if now <= deadline else "passed")
        evidence = trail.latest(Kind.FIRST_USE)
    return Rule("activation window", f"{days} days, until {iso(deadline)}: {status}; {used}",
                evidence)  # fmt: skip


def _grant_of(member: User, product: Product) -> AccessGrant | None:
    """The grant the pages read (``members.access.grant_for``), with the rows in hand."""
    grant = grant_for(member=member, product=product)
    if grant is not None:
        grant.member, grant.product = member, product
    return grant


def explain_product(*, member: User, product: Product, now: datetime) -> Explanation:
    """Why the member can or cannot open ``product`` at ``now`` (the product page's rule)."""
    grant = _grant_of(member, product)
    rules = [Rule("published", "yes" if product.is_published else "no: the page is a 404")]
    if grant is None:
        rules.append(Rule("grant", "none: never bought or given"))
    else:
        rules += _grant_rules(grant, _Trail(grant), now=now)
    allowed = product.is_published and grant_allows_access(grant, now=now)
    return Explanation(member.email, product.slug, None, iso(now),
                       "access" if allowed else "no access", rules)  # fmt: skip


def _drip_rules(
    grant: AccessGrant, lesson: Lesson, member: User, recorded: datetime | None
) -> list[Rule]:
    opens_at = lesson_opens_at(grant=grant, lesson=lesson, tz=member.zone)
    if lesson.opens_on is not None:
        schedule = f"fixed date {lesson.opens_on.isoformat()}"
    else:
        start_day = grant.starts_at.astimezone(member.zone).date()
        schedule = f"{lesson.offset_days} days after the local start day {start_day.isoformat()}"
        if grant.paused_total:
            schedule += f", later by the paused time ({grant.paused_total})"
        if grant.paused_since is not None:
            schedule += ", and not while paused"
    counted = recorded is not None and recorded >= grant.starts_at
    return [
        Rule("drip", f"{schedule} in {member.time_zone}"),
        Rule("opens at", f"{_local(opens_at, member)} = {iso(opens_at)}"),
        Rule("recorded earlier opening", "none" if recorded is None else
             f"{iso(recorded)} ({'counts' if counted else 'before this access began: ignored'})"),
    ]  # fmt: skip


def explain_lesson(*, member: User, lesson: Lesson, now: datetime) -> Explanation:
    """Why ``lesson`` is open, locked or closed to the member at ``now`` (the lesson page's
    verdict, from the same function and the same recorded openings)."""
    product = lesson.module.product
    grant = _grant_of(member, product)
    recorded = None
    if grant is not None and not lesson.is_free_preview:
        recorded = recorded_openings(member=member, lessons=[lesson.pk]).get(lesson.pk)
    state = compute_lesson_state(
        grant=grant, lesson=lesson, tz=member.zone, now=now, recorded_open_at=recorded
    )
    rules = [
        Rule("published", "yes" if product.is_published else "no: the page is a 404"),
        Rule("free preview", "yes: open to every logged-in member" if lesson.is_free_preview
             else "no"),
    ]  # fmt: skip
    if grant is None:
        rules.append(Rule("grant", "none: never bought or given"))
    else:
        rules += _grant_rules(grant, _Trail(grant), now=now)
        rules += _drip_rules(grant, lesson, member, recorded)
    verdict = state.status if product.is_published else "no_access"
    return Explanation(member.email, product.slug, lesson.pk, iso(now), verdict, rules)
