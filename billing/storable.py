"""What the database can keep: a verified delivery is cleaned, or refused, before it is stored.

PostgreSQL refuses NUL characters and lone surrogates in text and ``jsonb``, numbers that are not
finite in ``jsonb``, and ids longer than their column; Python's JSON encoder gives up on very deep
nesting. A retry fixes none of these, so such a delivery must never be answered 5xx (a provider
retries those for days). The same rules hold on SQLite, so tests and small sites behave alike:

- text (every string and key, the event id and type) keeps its content with NUL and lone
  surrogates replaced by U+FFFD, so a correctly signed purchase is still applied;
- a body nested deeper than ``MAX_DEPTH``, a number that is not finite (``1e400``, ``NaN``) and an
  event id that is empty or longer than ``MAX_EVENT_ID_LENGTH`` are refused with 400.
"""

from __future__ import annotations

import math
from dataclasses import replace

from billing.providers.base import InvalidDelivery, VerifiedDelivery
from membership_site.text import clean_text

MAX_DEPTH = 64  # Stripe's events nest about ten levels
MAX_EVENT_ID_LENGTH = 255  # ProviderEvent.event_id
MAX_EVENT_TYPE_LENGTH = 100  # ProviderEvent.event_type


def _clean(value: object, depth: int) -> object:
    if depth > MAX_DEPTH:
        raise InvalidDelivery(f"the body is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(key)): _clean(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item, depth + 1) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidDelivery("the body holds a number out of range")
    return value


def storable(delivery: VerifiedDelivery) -> VerifiedDelivery:
    """The delivery as the database can keep it; InvalidDelivery (400) if it cannot be kept."""
    event_id = clean_text(delivery.event_id)
    if not event_id or len(event_id) > MAX_EVENT_ID_LENGTH:
        raise InvalidDelivery(
            f"the event id is empty or longer than {MAX_EVENT_ID_LENGTH} characters"
        )
    return replace(
        delivery,
        event_id=event_id,
        event_type=clean_text(delivery.event_type)[:MAX_EVENT_TYPE_LENGTH],
        payload=_clean(delivery.payload, 0),
    )
