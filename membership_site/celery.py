"""The Celery app: ``celery -A membership_site worker`` / ``beat``."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membership_site.settings")

app = Celery("membership_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _eager(task) -> bool:
    return task is None or getattr(task.request, "is_eager", False)


@task_prerun.connect
def check_database_connections(task=None, **_kwargs) -> None:
    """Before each task, what Django does around each request: close a connection that is
    broken or older than CONN_MAX_AGE, keep the others (``CELERY_DB_REUSE_MAX`` in settings);
    and, since a kept connection may have died while the worker waited (a database restart or
    failover, an idle timeout), close one that no longer answers so the task opens a new one
    instead of failing on its first query. An eager task (tests, ``CELERY_TASK_ALWAYS_EAGER``)
    runs in its caller's connection and transaction: left alone, as the fix-up leaves it."""
    if _eager(task):
        return
    from django.db import close_old_connections, connections

    close_old_connections()
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.is_usable():
            connection.close()


@task_postrun.connect
def close_old_database_connections(task=None, **_kwargs) -> None:
    """After each task: a connection the task broke, or one past CONN_MAX_AGE, is closed."""
    if _eager(task):
        return
    from django.db import close_old_connections

    close_old_connections()
