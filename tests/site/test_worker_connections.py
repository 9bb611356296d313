"""A Celery worker keeps its database connection from task to task (issue 20, launch burst).

By default Celery's Django fix-up closes every connection before and after each task, so each
webhook, e-mail and PDF of a launch opened a new PostgreSQL connection (a server process forked,
its caches cold). ``CELERY_DB_REUSE_MAX`` stops that; ``membership_site.celery`` still closes a
connection that is broken or older than ``CONN_MAX_AGE``, as Django does around each request.
"""

from __future__ import annotations

import time

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import connection

from billing.tasks import process_provider_event
from membership_site.celery import app

# PostgreSQL only: the test database on SQLite is in memory, and Django never closes that one.
pytestmark = pytest.mark.django_db(transaction=True)


def _run_task_hooks(fixup: DjangoWorkerFixup) -> None:
    """What a worker does around one task: the fix-up's hooks and the project's signals."""
    task = process_provider_event
    task.push_request(is_eager=False)
    try:
        fixup.on_task_prerun(sender=task)
        task_prerun.send(sender=task, task=task, task_id="t", args=(), kwargs={})
        task_postrun.send(sender=task, task=task, task_id="t", args=(), kwargs={})
        fixup.on_task_postrun(sender=task)
    finally:
        task.pop_request()


def _connected_database_session():
    connection.ensure_connection()
    return connection.connection


def test_a_worker_task_keeps_the_connection_of_the_task_before(postgres_only):
    before = _connected_database_session()

    _run_task_hooks(DjangoWorkerFixup(app))

    assert connection.connection is before


def test_without_the_setting_every_task_would_open_a_new_connection(postgres_only, monkeypatch):
    monkeypatch.setitem(app.conf, "CELERY_DB_REUSE_MAX", None)
    _connected_database_session()

    _run_task_hooks(DjangoWorkerFixup(app))

    assert connection.connection is None


def test_a_connection_older_than_conn_max_age_is_closed_around_a_task(postgres_only):
    _connected_database_session()
    connection.close_at = time.monotonic() - 1  # CONN_MAX_AGE has passed

    _run_task_hooks(DjangoWorkerFixup(app))

    assert connection.connection is None


def test_the_benchmarks_measure_the_worker_that_compose_runs():
    """bench/launch_burst.py and bench/soak.py start the worker the way docker-compose.yml
    does, so their figures are those of the shipped worker."""
    from pathlib import Path

    import yaml

    from bench._processes import WORKER_CONCURRENCY, WORKER_POOL

    compose = yaml.safe_load((Path(__file__).parents[2] / "docker-compose.yml").read_text())
    command = compose["services"]["worker"]["command"]

    assert f"--pool={WORKER_POOL}" in command
    assert f"--concurrency={WORKER_CONCURRENCY}" in command


def test_a_kept_connection_that_died_while_the_worker_waited_is_replaced(postgres_only):
    """A database restart or an idle timeout ends the worker's kept connection; the next task
    opens a new one instead of failing on its first query."""
    from django.db import connections

    _connected_database_session()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()

    _run_task_hooks(DjangoWorkerFixup(app))

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
