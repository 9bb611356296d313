"""Celery beat entries of the sequences app (merged into CELERY_BEAT_SCHEDULE in settings).

Every 15 minutes: a member's local morning (08:00) is met within a quarter of an hour.
"""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "sequences-send-due-steps": {
        "task": "sequences.tasks.run_sequences",
        "schedule": crontab(minute="*/15"),
    },
}
