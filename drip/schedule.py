"""Celery beat entries of the drip app (merged into CELERY_BEAT_SCHEDULE in settings)."""

BEAT_SCHEDULE: dict[str, dict] = {}
