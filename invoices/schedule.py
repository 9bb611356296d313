"""Celery beat entries of the invoices app (merged into CELERY_BEAT_SCHEDULE in settings)."""

BEAT_SCHEDULE: dict[str, dict] = {
    # Business buyers' VAT ids that VIES could not check yet (its registers go down for hours):
    # each is asked again when its backoff has passed, and the waiting invoice is issued.
    "invoices-retry-vat-id-checks": {
        "task": "invoices.tasks.retry_vat_id_checks",
        "schedule": 300.0,
    },
}
