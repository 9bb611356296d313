"""Beat runs of the sequence job at once send each step once (PostgreSQL only)."""

from datetime import UTC, datetime, timedelta

import pytest

from outbox.models import OutboxMessage
from sequences.models import Enrolment, SequenceEmail
from sequences.services import enrol_members, run_sequences, send_due_steps
from tests.conftest import run_concurrently
from tests.members.helpers import BOUGHT_AT, make_member
from tests.sequences.helpers import confirm_lead, make_sequence

MEMBERS = 30
MORNING = datetime(2025, 11, 2, 9, 0, tzinfo=UTC)  # step 1 is due in Berlin and Tokyo


def leads(sequence) -> None:
    for number in range(MEMBERS):
        zone = "Europe/Berlin" if number % 2 else "Asia/Tokyo"
        confirm_lead(
            make_member(time_zone=zone), sequence.product, at=BOUGHT_AT - timedelta(hours=6)
        )


@pytest.mark.django_db(transaction=True)
def test_two_beat_runs_at_once_enrol_and_send_nothing_twice(postgres_only, mailoutbox):
    sequence = make_sequence(delays=(0, 1))
    leads(sequence)

    # Both runs enrol the same members at once, then both claim the due steps. At 08:00 in
    # Berlin (16:00 in Tokyo) step 1 (delay 0) is due for Berlin only; the next morning step 1
    # for Tokyo and step 2 for Berlin: 45 e-mails in all.
    at = BOUGHT_AT - timedelta(hours=5)
    errors = run_concurrently(lambda: run_sequences(now=at), times=2)
    assert errors == []
    assert Enrolment.objects.count() == MEMBERS
    assert len(mailoutbox) == MEMBERS // 2
    errors = run_concurrently(lambda: run_sequences(now=MORNING), times=2)

    assert errors == []
    assert SequenceEmail.objects.count() == 45
    assert OutboxMessage.objects.filter(kind="sequence_email").count() == 45
    sent = [(mail.to[0], mail.subject.split(" for ")[0]) for mail in mailoutbox]
    assert len(sent) == 45
    assert len(set(sent)) == 45  # no member got a step twice


@pytest.mark.django_db(transaction=True)
def test_four_workers_claiming_small_batches_claim_each_enrolment_once(postgres_only):
    sequence = make_sequence(delays=(1, 1))
    leads(sequence)
    enrol_members(now=BOUGHT_AT)

    def worker() -> None:
        while send_due_steps(now=MORNING, limit=3):
            pass

    errors = run_concurrently(worker, times=4)

    assert errors == []
    assert SequenceEmail.objects.count() == MEMBERS
    assert set(Enrolment.objects.values_list("last_step_order", flat=True)) == {1}
