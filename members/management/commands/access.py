"""``manage.py access EMAIL [--json]``: what a member can open, and why (support's first answer).

One line per product: product, state (computed now: active, grace, expired, revoked, pending),
since, until, source, first used, test mode, and the latest audit row that explains the state.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Prefetch
from django.utils import timezone

from members.access import access_ends_at, access_until, effective_state
from members.credit import credit_balance
from members.models import AccessGrant, GrantEvent, User
from products.money import to_decimal


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def _text(moment: datetime | None, empty: str) -> str:
    return empty if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def describe(grant: AccessGrant, *, now: datetime) -> dict:
    state = effective_state(grant, now=now)
    history = [
        {
            "at": _iso(event.at),
            "kind": event.kind,
            "reason": event.reason,
            "actor": event.actor.email if event.actor else None,
            "event": event.source_event.event_id if event.source_event else None,
        }
        for event in grant.events.all()
    ]
    return {
        "product": grant.product.name,
        "slug": grant.product.slug,
        "state": state,
        "stored_state": grant.state,
        "since": _iso(grant.starts_at),
        "until": _iso(access_until(grant, state=state)),
        "paid_through": _iso(grant.paid_through),
        "access_ends_at": _iso(access_ends_at(grant)),
        "source": grant.source,
        "first_used": _iso(grant.first_used_at),
        "is_test": grant.is_test,
        "order": grant.order.provider_ref if grant.order else None,
        "end_reason": grant.end_reason,
        "opens_at": _iso(grant.withheld_until) if state == AccessGrant.State.PENDING else None,
        "withdrawal_waiver": _waiver(grant),
        "history": history,
    }


def _waiver(grant: AccessGrant) -> dict | None:
    """The order's withdrawal waiver (``billing.waiver``): version and time, or None."""
    order = grant.order
    if order is None or not order.withdrawal_waiver_version:
        return None
    return {"version": order.withdrawal_waiver_version, "at": _iso(order.withdrawal_waiver_at)}


class Command(BaseCommand):
    help = "Show a member's products: state, since, until, source, first use, and why."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="machine-readable output"
        )

    def handle(self, *args, email: str, as_json: bool, **options) -> None:
        member = User.objects.filter(email__iexact=email.strip()).first()
        if member is None:
            raise CommandError(f"no member with e-mail {email}")
        now = timezone.now()
        events = GrantEvent.objects.select_related("actor", "source_event").order_by("pk")
        grants = (
            AccessGrant.objects.filter(member=member)
            .select_related("product", "order")
            .prefetch_related(Prefetch("events", queryset=events))
            .order_by("product__name")
        )
        rows = [describe(grant, now=now) for grant in grants]
        if as_json:
            self._print_json(member, rows)
        else:
            self._print_text(member, rows)

    def _print_json(self, member: User, rows: list[dict]) -> None:
        balance = credit_balance(member=member)
        credit = {
            "balance": str(to_decimal(balance.amount, balance.currency)) if balance.currency
            else "0",
            "balance_minor": balance.amount,
            "currency": balance.currency,
        }  # fmt: skip
        data = {"member": member.email, "products": rows, "store_credit": credit}
        self.stdout.write(json.dumps(data, indent=2))

    def _print_text(self, member: User, rows: list[dict]) -> None:
        if not rows:
            self.stdout.write(f"{member.email} has no products.")
            return
        for row in rows:
            parts = [
                row["product"],
                row["state"] + (" (test)" if row["is_test"] else ""),
                "since " + _text(_parse(row["since"]), "-"),
                "until " + _text(_parse(row["until"]), "lifetime"),
                "source " + row["source"],
                "first used " + _text(_parse(row["first_used"]), "never"),
            ]
            if row["opens_at"]:
                parts.append(f"opens {_text(_parse(row['opens_at']), '-')} (no withdrawal waiver)")
            if row["history"]:
                last = row["history"][-1]
                reason = f" ({last['reason']})" if last["reason"] else ""
                parts.append(f"last: {last['kind']}{reason}")
            self.stdout.write("  |  ".join(parts))


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
