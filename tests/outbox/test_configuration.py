"""The outbox's beat entry, the broker's visibility timeout, and the default SMTP backend."""

from __future__ import annotations

import ast
import sqlite3

import pytest
from django.conf import settings

from membership_site.celery import app
from outbox import services
from tests.site.test_settings import PRODUCTION, manage


def test_the_outbox_job_is_scheduled_every_minute_and_names_a_registered_task():
    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["outbox-dispatch-due-messages"]

    assert entry == {"task": "outbox.tasks.dispatch_due_outbox_messages", "schedule": 60.0}
    assert entry["task"] in app.tasks


PRINT_BROKER_OPTIONS = (
    "from django.conf import settings; print(settings.CELERY_BROKER_TRANSPORT_OPTIONS)"
)


def test_redis_redelivers_a_lost_task_only_after_the_longest_task_could_have_finished(tmp_path):
    result = manage(
        "shell",
        "-c",
        PRINT_BROKER_OPTIONS,
        env={**PRODUCTION, "REDIS_URL": "redis://127.0.0.1:6379/0"},
        tmp_path=tmp_path,
    )
    visibility = ast.literal_eval(result.stdout.strip().splitlines()[-1])["visibility_timeout"]
    longest_retry_countdown = 600  # Celery's retry_backoff_max

    assert visibility == 30 * 60
    assert visibility > settings.CELERY_TASK_TIME_LIMIT
    assert longest_retry_countdown < visibility
    assert services.PICKUP_DELAY.total_seconds() < visibility  # the outbox does not wait for it


QUEUE_A_TASK = (
    "from billing import tasks; tasks.requeue_unprocessed_events.delay(); print('queued')"
)


def test_the_embedded_broker_queues_tasks(tmp_path, monkeypatch):
    """make run's broker (SQLAlchemy on SQLite) refuses Redis' transport options: with them, every
    task, webhook processing included, failed to queue on a laptop."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)

    result = manage("shell", "-c", QUEUE_A_TASK, env={"DJANGO_DEBUG": "1"}, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "queued"
    with sqlite3.connect(tmp_path / "celery-broker.sqlite3") as broker:
        (queued,) = broker.execute("select count(*) from kombu_message").fetchone()
    assert queued == 1


PRINT_BACKEND = "from django.conf import settings; print(settings.EMAIL_BACKEND)"


@pytest.mark.parametrize(
    ("configured", "used"),
    [
        ({}, "django.core.mail.backends.filebased.EmailBackend"),  # make run: files in var/mail
        (
            {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"},  # docker compose
            "membership_site.email_backend.EmailBackend",
        ),
        ({"EMAIL_BACKEND": "smtp"}, "membership_site.email_backend.EmailBackend"),
        (
            {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
            "django.core.mail.backends.console.EmailBackend",
        ),
    ],
)
def test_smtp_means_our_smtputf8_backend_and_the_file_backend_stays_the_default(
    tmp_path, configured, used
):
    result = manage(
        "shell", "-c", PRINT_BACKEND, env={**PRODUCTION, **configured}, tmp_path=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == used
