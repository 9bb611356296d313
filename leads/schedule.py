"""Celery beat entries of the lead magnets (merged into CELERY_BEAT_SCHEDULE in settings)."""

BEAT_SCHEDULE: dict[str, dict] = {
    # Pending sign-ups older than seven days (never confirmed) are deleted.
    "leads-delete-expired-signups": {
        "task": "leads.tasks.delete_expired_signups",
        "schedule": 60.0 * 60,
    },
}
