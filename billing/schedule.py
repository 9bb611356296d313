"""Celery beat entries of the billing app (merged into CELERY_BEAT_SCHEDULE in settings)."""

BEAT_SCHEDULE: dict[str, dict] = {}
