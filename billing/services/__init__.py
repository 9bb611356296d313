"""Billing services: processing provider events into orders, payments, subscriptions and access.

``apply_provider_event`` is the entry point of the processing task; ``reprocess_events`` serves
the admin action and ``manage.py reprocess_events``; ``requeue_unprocessed_events`` the beat job.
"""

from billing.services.events import (
    apply_provider_event,
    reprocess_events,
    requeue_unprocessed_events,
)

__all__ = ["apply_provider_event", "reprocess_events", "requeue_unprocessed_events"]
