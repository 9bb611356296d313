"""Every Celery queue a task can be routed to is consumed by the worker we ship.

A task routed to a queue that no worker listens on waits forever, silently: a buyer pays and
never gets the welcome e-mail or the invoice. The worker of `make run` (Procfile.dev through
honcho) and of docker-compose.yml must consume every queue; PDFs and e-mails go to their own
queues so that they never delay webhook processing (access) on the default queue.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from kombu import Connection, Consumer, Exchange, Producer, Queue

from membership_site.celery import app

ROOT = Path(__file__).resolve().parents[2]


def queue_of(task_name: str) -> str:
    """The queue Celery publishes ``task_name`` to, with the project's routes."""
    route = app.amqp.router.route({}, task_name)
    return route["queue"].name


def project_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def consumed_queues(command: list[str]) -> set[str]:
    """The queues a ``celery worker`` command line consumes (all of them is ``-Q``'s default:
    only the default queue)."""
    assert "worker" in command, command
    for index, word in enumerate(command):
        if word in ("-Q", "--queues"):
            return set(command[index + 1].split(","))
        if word.startswith("--queues="):
            return set(word.split("=", 1)[1].split(","))
    return {settings.CELERY_TASK_DEFAULT_QUEUE}


def procfile_worker(procfile: Path) -> list[str]:
    for line in procfile.read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == "worker":
            return shlex.split(command)
    raise AssertionError(f"{procfile.name} has no worker line")


def routed_queues() -> set[str]:
    return {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {
        settings.CELERY_TASK_DEFAULT_QUEUE
    }


def test_pdfs_and_emails_have_their_own_queues_and_webhooks_keep_the_default():
    assert queue_of("billing.tasks.process_provider_event") == "celery"
    assert queue_of("outbox.tasks.send_outbox_messages") == "mail"
    assert queue_of("outbox.tasks.render_outbox_documents") == "pdf"
    assert routed_queues() == {"celery", "mail", "pdf"}


def test_the_procfile_worker_consumes_every_queue_a_task_is_routed_to():
    consumed = consumed_queues(procfile_worker(ROOT / "Procfile.dev"))

    assert routed_queues() <= consumed
    for name in project_tasks():
        assert queue_of(name) in consumed, name


def test_the_compose_worker_consumes_every_queue_a_task_is_routed_to():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    consumed = consumed_queues(compose["services"]["worker"]["command"])

    assert routed_queues() <= consumed
    for name in project_tasks():
        assert queue_of(name) in consumed, name


def test_make_run_starts_a_worker_that_consumes_every_queue():
    dry_run = subprocess.run(
        ["make", "-n", "run", "VENV=.venv"],  # noqa: S607 - make from PATH, as a developer runs it
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    started = re.search(r"honcho -f (\S+) start", dry_run)
    assert started, dry_run
    consumed = consumed_queues(procfile_worker(ROOT / started.group(1)))

    assert routed_queues() <= consumed


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="runs when REDIS_URL is set (CI)")
def test_a_worker_on_redis_takes_tasks_from_its_first_queue_before_the_next():
    """Two PDFs are waiting when two webhooks arrive: the webhooks are taken first. (Redis'
    default, round robin, would alternate: webhook, PDF, webhook, PDF.)"""
    suffix = uuid.uuid4().hex[:8]
    exchange = Exchange(f"burst-test-{suffix}", type="direct")
    first, second = (Queue(f"{name}-{suffix}", exchange, routing_key=name) for name in ("a", "b"))
    taken: list[str] = []
    with Connection(
        settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS
    ) as connection:
        producer = Producer(connection.channel(), exchange=exchange)
        for queue in (first, second):
            queue(producer.channel).declare()
        for body, routing_key in (("pdf 1", "b"), ("pdf 2", "b"), ("hook 1", "a"), ("hook 2", "a")):
            producer.publish(body, routing_key=routing_key)
        channel = connection.channel()

        def take(body, message):
            taken.append(body)
            message.ack()

        with Consumer(channel, [first, second], callbacks=[take], prefetch_count=1):
            while len(taken) < 4:
                connection.drain_events(timeout=5)
        for queue in (first, second):
            queue(channel).delete()

    assert taken == ["hook 1", "hook 2", "pdf 1", "pdf 2"]
