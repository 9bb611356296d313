"""Write, send and re-send outbox rows.

Guarantees:
* ``enqueue`` writes its rows in the caller's transaction: they exist exactly when the state
  change does, and their task is queued only after commit.
* ``deliver_message`` carries out a row at most once among live workers: it claims the row with
  ``SELECT … FOR UPDATE SKIP LOCKED`` and a state check, and keeps the lock while the handler
  runs. A second copy of the task (a broker redelivery, the periodic job) skips a row that is
  being sent and finds it done afterwards. If the worker dies mid-send, the database rolls the
  transaction back and drops the lock: the row is pending again and the periodic job sends it.
* A failure keeps its error and attempt count and is retried with backoff, up to
  ``MAX_ATTEMPTS``; a failure a retry cannot fix (an address the mail server cannot take) fails
  at once. A failed row stays visible in the admin.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string

from membership_site.email_backend import SMTPUTF8NotSupportedError
from outbox.handlers import HANDLERS
from outbox.models import OutboxMessage

logger = logging.getLogger(__name__)

State = OutboxMessage.State

# A row's own task normally sends it within seconds; after this the periodic job assumes the
# task was lost (a killed worker, a broker outage) and queues it again.
PICKUP_DELAY = timedelta(minutes=5)
MAX_ATTEMPTS = 10
MAX_BACKOFF = timedelta(hours=6)
DISPATCH_CHUNK = 50


@dataclass(frozen=True)
class Outgoing:
    """One side effect to carry out after commit: ``payload`` are its handler's arguments."""

    kind: str
    member_id: int | None
    payload: dict[str, Any] = field(default_factory=dict)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the n-th failed attempt, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


# Kinds that render a PDF (or attach one, rendering it if it is not stored yet) go to the pdf
# queue; every other kind is an e-mail and goes to the mail queue.
DOCUMENT_KINDS = frozenset(
    {
        OutboxMessage.Kind.DOCUMENT_PDF,
        OutboxMessage.Kind.DOCUMENT_EMAIL,
        OutboxMessage.Kind.DOCUMENT_RESEND,
    }
)


def enqueue(*messages: Outgoing, now: datetime) -> list[int]:
    """Write the rows in the caller's transaction; after it commits, one task per queue (mail,
    pdf) sends them.

    Call it inside the transaction that made the change the messages tell about.
    """
    if not messages:
        return []
    rows = OutboxMessage.objects.bulk_create(
        OutboxMessage(
            kind=message.kind,
            member_id=message.member_id,
            payload=message.payload,
            created_at=now,
            due_at=now + PICKUP_DELAY,
        )
        for message in messages
    )
    _dispatch_on_commit([(row.pk, row.kind) for row in rows])
    return [row.pk for row in rows]


def _dispatch_on_commit(rows: list[tuple[int, str]]) -> None:
    """After commit, queue the documents and the e-mails apart (each kind to its own queue)."""
    documents = [pk for pk, kind in rows if kind in DOCUMENT_KINDS]
    emails = [pk for pk, kind in rows if kind not in DOCUMENT_KINDS]
    if emails:
        transaction.on_commit(partial(dispatch, emails))
    if documents:
        transaction.on_commit(partial(dispatch, documents, documents=True))


def dispatch(message_pks: list[int], *, documents: bool = False) -> None:
    """Queue the sending task; if the broker refuses, the periodic job sends the rows later.

    ``documents`` rows go to the pdf queue's task, the others to the mail queue's.
    """
    from outbox import tasks

    task = tasks.render_outbox_documents if documents else tasks.send_outbox_messages
    try:
        task.delay(message_pks)
    except Exception:
        logger.exception("could not queue outbox messages %s; the periodic job will", message_pks)


def deliver_message(*, message_pk: int, now: datetime) -> str | None:
    """Carry out one pending row; returns its state afterwards, None if it was not claimable."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_pk, state=State.PENDING)
            .first()
        )
        if message is None:  # done, failed for good, or being sent by another worker
            return None
        message.attempts += 1
        message.last_attempt_at = now
        try:
            with transaction.atomic():  # the handler's writes roll back with a failed send
                handler = import_string(HANDLERS[message.kind])
                done = handler(**message.payload, now=now)
        except Exception as error:
            _record_failure(message, error, now=now)
        else:
            message.state = State.SENT if done else State.SKIPPED
            message.sent_at = now
            message.last_error = ""
        message.save(
            update_fields=[
                "state",
                "attempts",
                "last_attempt_at",
                "sent_at",
                "last_error",
                "due_at",
            ]
        )
    return message.state


def _record_failure(message: OutboxMessage, error: Exception, *, now: datetime) -> None:
    message.last_error = f"{type(error).__name__}: {error}"
    final = is_permanent(error) or message.attempts >= MAX_ATTEMPTS
    if final:
        message.state = State.FAILED
    else:
        message.due_at = now + backoff(message.attempts)
    logger.warning(
        "outbox message %s (%s) failed on attempt %s%s",
        message.pk,
        message.kind,
        message.attempts,
        "; giving up" if final else f"; next try at {message.due_at.isoformat()}",
        exc_info=error,
    )


def is_permanent(error: Exception) -> bool:
    """A failure that a retry cannot fix: the mail server cannot take the address."""
    if isinstance(error, SMTPUTF8NotSupportedError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(
            code >= 500 for code, _reply in error.recipients.values()
        )
    return False


def deliver_messages(*, message_pks: Iterable[int], now: datetime) -> int:
    """Carry out each row in turn (each in its own transaction); returns how many were sent."""
    states = [deliver_message(message_pk=pk, now=now) for pk in message_pks]
    return sum(state == State.SENT for state in states)


def dispatch_due_messages(*, now: datetime, limit: int = 500) -> list[int]:
    """Queue again the pending rows whose pick-up time has passed; returns their pks.

    One query selects them (rows being sent right now are locked and skipped), one update moves
    their pick-up time on, so a row is queued again only if this task is lost too.
    """
    with transaction.atomic():
        due = OutboxMessage.objects.filter(state=State.PENDING, due_at__lte=now)
        rows = list(
            due.order_by("due_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", "kind")[:limit]
        )
        if rows:
            OutboxMessage.objects.filter(pk__in=[pk for pk, _kind in rows]).update(
                due_at=now + PICKUP_DELAY
            )
            for start in range(0, len(rows), DISPATCH_CHUNK):
                _dispatch_on_commit(rows[start : start + DISPATCH_CHUNK])
    return [pk for pk, _kind in rows]


def retry_failed_messages(*, message_pks: Iterable[int], now: datetime) -> list[int]:
    """Support: try failed rows once more (e.g. after the member's address was corrected)."""
    with transaction.atomic():
        failed = OutboxMessage.objects.filter(pk__in=list(message_pks), state=State.FAILED)
        rows = list(failed.select_for_update(skip_locked=True).values_list("pk", "kind"))
        pks = [pk for pk, _kind in rows]
        OutboxMessage.objects.filter(pk__in=pks).update(
            state=State.PENDING, due_at=now + PICKUP_DELAY
        )
        _dispatch_on_commit(rows)
    return pks
