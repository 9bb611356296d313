"""Celery beat entries of the billing app (merged into CELERY_BEAT_SCHEDULE in settings)."""

BEAT_SCHEDULE: dict[str, dict] = {
    # Events whose task was lost (broker down, worker died) or whose backoff has passed.
    "billing-requeue-unprocessed-events": {
        "task": "billing.tasks.requeue_unprocessed_events",
        "schedule": 60.0,
    },
}
