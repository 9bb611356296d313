"""Celery beat entries of the billing app (merged into CELERY_BEAT_SCHEDULE in settings)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    # Events whose task was lost (broker down, worker died) or whose backoff has passed.
    "billing-requeue-unprocessed-events": {
        "task": "billing.tasks.requeue_unprocessed_events",
        "schedule": 60.0,
    },
    # Compare with Stripe and Digistore24's stored IPNs; the admin lists what it found.
    "billing-reconcile-providers": {
        "task": "billing.tasks.reconcile_providers",
        "schedule": crontab(hour=3, minute=17),
    },
}
