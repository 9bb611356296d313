"""The Celery app: ``celery -A membership_site worker`` / ``beat``."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membership_site.settings")

app = Celery("membership_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(task=None, **_kwargs) -> None:
    """Around each task, what Django does around each request: close a connection that is
    broken or older than CONN_MAX_AGE, keep the others (``CELERY_DB_REUSE_MAX`` in settings).
    An eager task (tests, ``CELERY_TASK_ALWAYS_EAGER``) runs in its caller's connection and
    transaction: left alone, as the fix-up leaves it."""
    if task is None or getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
