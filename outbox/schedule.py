"""Celery beat entries of the outbox (merged into CELERY_BEAT_SCHEDULE in settings)."""

BEAT_SCHEDULE: dict[str, dict] = {
    # Rows whose task was lost (a killed worker, a broker outage) or whose backoff has passed.
    "outbox-dispatch-due-messages": {
        "task": "outbox.tasks.dispatch_due_outbox_messages",
        "schedule": 60.0,
    },
}
