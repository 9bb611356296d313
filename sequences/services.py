"""The sequence beat job's services: set-based, batched, safe to run twice or on two workers.

Every function takes ``now``. A run enrols the members whose trigger happened, stops the
enrolments that must not go on (target bought, unsubscribed, account deactivated), then claims
the enrolments whose next step is due and writes one ``SequenceEmail`` and one outbox row per
e-mail in the claiming transaction. The unique (enrolment, step) pair and the row lock
(``SKIP LOCKED``) make each step go out at most once; the outbox sends after commit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import lru_cache, partial

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q

from billing.models import Order
from members.access import LIVE_STATES
from members.models import AccessGrant
from outbox.models import OutboxMessage
from outbox.services import PICKUP_DELAY, Outgoing, dispatch, enqueue
from sequences.models import Enrolment, MarketingPreference, Sequence, SequenceEmail, Step
from sequences.timing import step_due_at, zone
from sequences.triggers import first_per_member, trigger_queries

StopReason = Enrolment.StopReason
# Outbox rows per sending task: a few tasks per claim (workers share them), few enough that
# queuing them costs little next to the claim.
TASK_CHUNK = 500


def _steps_by_sequence() -> dict[int, list[Step]]:
    """One query: the steps of the active sequences, in order."""
    steps: dict[int, list[Step]] = defaultdict(list)
    for step in Step.objects.filter(sequence__is_active=True).order_by("sequence_id", "order"):
        steps[step.sequence_id].append(step)
    return steps


@lru_cache(maxsize=4096)
def _due_from(now: datetime, delay_days: int, tz) -> datetime:
    """``step_due_at`` from the claim's moment: the same for every member of a zone."""
    return step_due_at(base=now, delay_days=delay_days, tz=tz)


def _step_after(steps: list[Step], order: int) -> Step | None:
    return next((step for step in steps if step.order > order), None)


def enrol_members(*, now: datetime, batch_size: int = 5000) -> int:
    """Enrol every member whose trigger happened; returns the rows written (attempted).

    One query per active sequence finds the triggers of members not yet enrolled; a row another
    worker wrote first is skipped by the unique (member, sequence) constraint.
    """
    steps = _steps_by_sequence()
    written = 0
    for sequence in Sequence.objects.filter(is_active=True, pk__in=list(steps)):
        first = steps[sequence.pk][0]
        rows = (row for query in trigger_queries(sequence) for row in query.iterator(5000))
        batch: list[Enrolment] = []
        for member_pk, triggered_at, is_test, zone_name in first_per_member(rows):
            due = step_due_at(base=now, delay_days=first.delay_days, tz=zone(zone_name))
            batch.append(
                Enrolment(
                    sequence_id=sequence.pk,
                    member_id=member_pk,
                    triggered_at=triggered_at,
                    enrolled_at=now,
                    is_test=is_test,
                    next_due_at=due,
                )
            )
        for start in range(0, len(batch), batch_size):
            Enrolment.objects.bulk_create(batch[start : start + batch_size], ignore_conflicts=True)
        written += len(batch)
    return written


def _unsubscribed() -> Exists:
    return Exists(
        MarketingPreference.objects.filter(
            member_id=OuterRef("member_id"), unsubscribed_at__isnull=False
        )
    )


def _target_paid() -> Q:
    """A paid order of the target since the trigger (two separate conditions, not an OR of
    both: each becomes one semi-join, where the OR made PostgreSQL test every row)."""
    paid = Order.objects.filter(
        member_id=OuterRef("member_id"),
        product_id=OuterRef("sequence__target_product_id"),
        status=Order.Status.PAID,
        created_at__gte=OuterRef("triggered_at"),
    )
    return Q(Exists(paid), sequence__target_product__isnull=False)


def _target_owned() -> Q:
    """Live access to the target (bought before the trigger, in a bundle, or given)."""
    owned = AccessGrant.objects.filter(
        member_id=OuterRef("member_id"),
        product_id=OuterRef("sequence__target_product_id"),
        state__in=LIVE_STATES,
    )
    return Q(Exists(owned), sequence__target_product__isnull=False)


def stop_enrolments(*, now: datetime) -> dict[str, int]:
    """Stop the running enrolments of members who bought the target, unsubscribed or were
    deactivated: no further step goes out. Rows being claimed right now are skipped (the
    e-mail handler checks again before it sends); the next run stops them."""
    stopped: dict[str, int] = {}
    for reason, condition in (
        (StopReason.TARGET_BOUGHT, _target_paid()),
        (StopReason.TARGET_BOUGHT, _target_owned()),
        (StopReason.UNSUBSCRIBED, Q(_unsubscribed())),
        (StopReason.INACTIVE, Q(member__is_active=False)),
    ):
        with transaction.atomic():
            running = Enrolment.objects.filter(condition, next_due_at__isnull=False)
            pks = list(
                running.order_by("pk")
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", flat=True)
            )
            if pks:
                Enrolment.objects.filter(pk__in=pks).update(
                    next_due_at=None, stopped_at=now, stop_reason=reason
                )
        stopped[reason] = stopped.get(reason, 0) + len(pks)
    return stopped


def _due_enrolments(*, now: datetime, sequence_pks: list[int], limit: int) -> list[tuple]:
    """Due enrolments of the given (active) sequences, locked. Unsubscribed or deactivated
    members were stopped just before in the same run; one who unsubscribes in between is
    skipped by the e-mail's handler."""
    due = Enrolment.objects.filter(
        next_due_at__lte=now,
        sequence_id__in=sequence_pks,
        member__is_active=True,
    ).order_by("next_due_at", "pk")  # the partial index: rows moved on leave its range
    return list(
        due.select_for_update(skip_locked=True, of=("self",)).values_list(
            "pk",
            "sequence_id",
            "member_id",
            "last_step_order",
            "last_step_at",
            "enrolled_at",
            "member__time_zone",
        )[:limit]
    )


def send_due_steps(*, now: datetime, limit: int = 2000) -> list[int]:
    """Claim up to ``limit`` due enrolments; queue the next step's e-mail of each.

    Returns the enrolment pks handled (sent, rescheduled because a delay grew, or finished
    because the steps ran out). The e-mail of a step goes out at most once: its row is unique
    per (enrolment, step) and written in the transaction that moves the enrolment on.
    """
    steps = _steps_by_sequence()
    with transaction.atomic():
        rows = _due_enrolments(now=now, sequence_pks=list(steps), limit=limit)
        if not rows:
            return []
        emails: list[tuple[int, int, int]] = []  # (enrolment, step, member)
        # The fields each enrolment gets -> the enrolments that get them (grouped for one update)
        moves: dict[tuple, list[int]] = defaultdict(list)
        for pk, sequence_pk, member_pk, last_order, last_at, enrolled_at, zone_name in rows:
            tz = zone(zone_name)
            step = _step_after(steps[sequence_pk], last_order)
            if step is None:  # the creator removed the remaining steps
                moves[(("finished_at", now), ("next_due_at", None))].append(pk)
                continue
            due = step_due_at(base=last_at or enrolled_at, delay_days=step.delay_days, tz=tz)
            if due > now:  # the creator lengthened the delay since it was scheduled
                moves[(("next_due_at", due),)].append(pk)
                continue
            emails.append((pk, step.pk, member_pk))
            after = _step_after(steps[sequence_pk], step.order)
            next_due = None if after is None else _due_from(now, after.delay_days, tz)
            fields = (
                ("last_step_order", step.order),
                ("last_step_at", now),
                ("next_due_at", next_due),
                ("finished_at", now if after is None else None),
            )
            moves[fields].append(pk)
        _write(emails=emails, moves=moves, now=now)
    return [row[0] for row in rows]


def _write(
    *,
    emails: list[tuple[int, int, int]],
    moves: dict[tuple, list[int]],
    now: datetime,
) -> None:
    """Bulk writes of one claim: the e-mail rows, their outbox rows, and one update per group
    of enrolments that move alike (their number depends on steps and zones, not members)."""
    if emails and connection.vendor == "postgresql":
        _queue_emails_in_one_statement(emails, now=now)
    else:
        created = SequenceEmail.objects.bulk_create(
            SequenceEmail(enrolment_id=enrolment_pk, step_id=step_pk, queued_at=now)
            for enrolment_pk, step_pk, _member_pk in emails
        )
        enqueue(
            *(
                Outgoing(
                    kind=OutboxMessage.Kind.SEQUENCE_EMAIL,
                    member_id=member_pk,
                    payload={"email_pk": email.pk},
                )
                for email, (_enrolment_pk, _step_pk, member_pk) in zip(created, emails, strict=True)
            ),
            now=now,
        )
    for fields, pks in moves.items():
        Enrolment.objects.filter(pk__in=pks).update(**dict(fields))


# The same rows as ``SequenceEmail.objects.bulk_create`` plus ``outbox.services.enqueue`` (the
# outbox row's defaults and pick-up time included), written by one statement: at 50,000 e-mails
# a run, building and adapting 100,000 model instances in Python took most of the time.
_QUEUE_EMAILS_SQL = """
WITH email AS (
    INSERT INTO sequences_sequenceemail (enrolment_id, step_id, status, queued_at)
    SELECT pair.enrolment_id, pair.step_id, %(queued)s, %(now)s
    FROM unnest(%(enrolments)s::bigint[], %(steps)s::bigint[]) AS pair(enrolment_id, step_id)
    RETURNING id, enrolment_id
)
INSERT INTO outbox_outboxmessage
    (kind, payload, member_id, state, attempts, last_error, created_at, due_at)
SELECT %(kind)s, jsonb_build_object('email_pk', email.id), enrolment.member_id, %(pending)s, 0,
       '', %(now)s, %(due)s
FROM email JOIN sequences_enrolment enrolment ON enrolment.id = email.enrolment_id
RETURNING outbox_outboxmessage.id
"""


def _queue_emails_in_one_statement(emails: list[tuple[int, int, int]], *, now: datetime) -> None:
    """PostgreSQL: the e-mail rows and their outbox rows in one statement; the outbox sends
    them after commit as it sends rows from ``enqueue``."""
    with connection.cursor() as cursor:
        cursor.execute(
            _QUEUE_EMAILS_SQL,
            {
                "enrolments": [enrolment_pk for enrolment_pk, _step, _member in emails],
                "steps": [step_pk for _enrolment, step_pk, _member in emails],
                "queued": SequenceEmail.Status.QUEUED,
                "kind": OutboxMessage.Kind.SEQUENCE_EMAIL,
                "pending": OutboxMessage.State.PENDING,
                "now": now,
                "due": now + PICKUP_DELAY,
            },
        )
        pks = sorted(row[0] for row in cursor.fetchall())
    for start in range(0, len(pks), TASK_CHUNK):
        transaction.on_commit(partial(dispatch, pks[start : start + TASK_CHUNK]))


def run_sequences(*, now: datetime, max_batches: int = 100) -> dict[str, int]:
    """One beat run: enrol, stop, then send what is due (at most ``max_batches`` claims)."""
    enrolled = enrol_members(now=now)
    stopped = sum(stop_enrolments(now=now).values())
    handled = 0
    for _ in range(max_batches):
        pks = send_due_steps(now=now)
        handled += len(pks)
        if not pks:
            break
    return {"enrolled": enrolled, "stopped": stopped, "handled": handled}


@transaction.atomic
def set_marketing_emails(*, member_pk: int, subscribed: bool, now: datetime) -> bool:
    """Turn the member's marketing e-mails on or off; returns True if that changed anything.

    Off stops every sequence e-mail (the next beat run stops the enrolments, and an e-mail
    already queued is dropped by its handler). Transactional e-mails never read this.
    """
    preference, created = MarketingPreference.objects.select_for_update().get_or_create(
        member_id=member_pk,
        defaults={"unsubscribed_at": None if subscribed else now, "updated_at": now},
    )
    if created:
        return not subscribed
    if preference.is_subscribed == subscribed:
        return False
    preference.unsubscribed_at = None if subscribed else now
    preference.updated_at = now
    preference.save(update_fields=["unsubscribed_at", "updated_at"])
    return True


def marketing_emails_wanted(*, member_pk: int) -> bool:
    return not MarketingPreference.objects.filter(
        member_id=member_pk, unsubscribed_at__isnull=False
    ).exists()
