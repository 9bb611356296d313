"""A paused subscription pauses its grants (``members.pauses``); resuming restarts them.

Stripe pauses payment collection with ``pause_collection`` (behaviour ``mark_uncollectible``,
``keep_as_draft`` or ``void``); every ``customer.subscription.updated`` carries the current
view, so a pause is applied when the flag appears and ended when it is gone. The event ordering
guard of ``subscriptions`` drops an older view, so a pause delivered after its resume changes
nothing, and the open-pause checks make a repeated delivery change nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from billing.models import ProviderEvent, Subscription
from members.access import LIVE_STATES
from members.models import AccessGrant
from members.pauses import pause_grant, resume_grant


def _grant_pks(subscription: Subscription) -> list[int]:
    return list(
        AccessGrant.objects.filter(order_id=subscription.order_id, state__in=LIVE_STATES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def apply_pause_state(
    *,
    subscription: Subscription,
    paused: bool,
    behavior: str,
    occurred_at: datetime,
    source_event: ProviderEvent | None,
    now: datetime,
) -> None:
    """Pause or resume the subscription's grants as the provider's newer view says (the
    subscription is locked and saved by the caller)."""
    if paused and subscription.paused_since is None:
        subscription.paused_since = occurred_at
        reason = "subscription paused at the provider" + (f" ({behavior})" if behavior else "")
        for pk in _grant_pks(subscription):
            pause_grant(
                grant_pk=pk, at=occurred_at, now=now, reason=reason, source_event=source_event
            )
    elif not paused and subscription.paused_since is not None:
        subscription.paused_since = None
        for pk in _grant_pks(subscription):
            resume_grant(
                grant_pk=pk, at=occurred_at, now=now, reason="subscription resumed",
                paid_through=subscription.current_period_end, source_event=source_event,
            )  # fmt: skip
