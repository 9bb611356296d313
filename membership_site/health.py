"""``/healthz``: 200 when the database and the broker answer (and the bucket of private files,
when one is configured), 503 naming the one that does not.

A webhook secret set to blanks (every delivery refused) fails too, named by its setting.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means "down"
        logger.exception("healthz: database check failed")
        return False


def broker_answers() -> bool:
    from membership_site.celery import app

    try:
        with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001 - any failure means "down"
        logger.exception("healthz: broker check failed")
        return False


def storage_answers() -> bool:
    """True on local disk; with a bucket configured, True when it answers to our keys."""
    from products.storage import StorageUnavailable, check_private_storage

    try:
        check_private_storage()
    except StorageUnavailable:
        logger.exception("healthz: storage check failed")
        return False
    return True


def blank_secrets() -> list[str]:
    """Webhook secrets that are set but hold nothing usable: every delivery is being refused.

    An unset secret is not listed: it is a provider the site does not use (or offline
    development), while a blank one is always a mistake that silently loses paid orders.
    """
    from billing.providers.secrets import all_configured

    return [configured.setting for configured in all_configured() if configured.is_blank]


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": database_answers(),
        "broker": broker_answers(),
        "storage": storage_answers(),
    }
    failing = [name for name, answers in checks.items() if not answers] + blank_secrets()
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    return JsonResponse({"status": "ok"})
