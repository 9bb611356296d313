"""Benchmark one beat run of the e-mail sequences on PostgreSQL.

Builds, with set-based SQL (generate_series), one nurture sequence of three steps and:
  * 50,000 enrolled members (8 time zones) whose step 2 is due now;
  * 5,000 members who just confirmed the lead magnet (to enrol; their step 1 is not yet due);
  * 2,000 enrolled members who bought the target product (to stop) and 1,000 who unsubscribed.
Then times one beat run (``sequences.services.run_sequences``): enrol the new leads, stop the
enrolments that must stop, claim every due enrolment and write one sequence e-mail row and one
outbox row each, and queue the outbox tasks (an in-memory broker). Sending the e-mails over
SMTP is the outbox worker's job and is not measured. A second run shows that nothing is sent
twice. ``--members`` scales the due set.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/seq .venv/bin/python bench/sequences.py
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membership_site.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 40)
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-sequences-"))
os.environ["CELERY_BROKER_URL"] = "memory://"

import django  # noqa: E402

from bench._database import use_throwaway_database  # noqa: E402

if use_throwaway_database("sequences") is None:
    sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from products.models import Product  # noqa: E402
from sequences.models import Sequence, Step  # noqa: E402

ZONES = [
    "UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Tokyo",
    "Australia/Sydney", "America/New_York", "Asia/Kolkata", "Pacific/Auckland",
]  # fmt: skip
NOW = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)
NEW_LEADS = 5_000
BOUGHT = 2_000
UNSUBSCRIBED = 1_000


def build(members: int) -> None:
    lead_magnet = Product.objects.create(
        name="Checklist", slug="checklist", kind="download", is_published=True
    )
    activator = Product.objects.create(
        name="Starter kit", slug="starter-kit", kind="download", is_published=True
    )
    sequence = Sequence.objects.create(
        name="Nurture", trigger=Sequence.Trigger.LEAD_CONFIRMED, product=lead_magnet,
        target_product=activator, is_active=True, enrol_from=datetime(2025, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    for order, delay in ((1, 1), (2, 2), (3, 3)):
        Step.objects.create(
            sequence=sequence, order=order, delay_days=delay, subject_en=f"Step {order}",
            body_en="Hello {first_name}, see {link}",
        )  # fmt: skip
    enrolled = members + BOUGHT + UNSUBSCRIBED
    total = enrolled + NEW_LEADS
    zones = "ARRAY[" + ",".join(f"'{zone}'" for zone in ZONES) + "]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO members_user (password, is_superuser, email, name, time_zone, language,
                lesson_notifications, session_generation, login_link_generation, is_staff,
                is_active, date_joined)
            SELECT '!', false, 'bench' || n || '@example.test', 'Bench ' || n,
                   ({zones})[1 + n %% {len(ZONES)}], (ARRAY['', 'de', 'nl'])[1 + n %% 3],
                   true, 0, 0, false, true, %s
            FROM generate_series(1, %s) AS n
            """,  # noqa: S608 - constants only
            [NOW, total],
        )
        # Every member confirmed the lead magnet: the enrolled ones 4 days ago, the rest now.
        cursor.execute(
            """
            INSERT INTO members_accessgrant (member_id, product_id, state, source, starts_at,
                end_reason, ended_unpaid, is_test, paused_total, created_at, updated_at)
            SELECT u.id, %s, 'active', 'free',
                   CASE WHEN u.id <= %s THEN %s::timestamptz - interval '4 days'
                        ELSE %s::timestamptz - interval '10 minutes' END, '', false, false,
                   interval '0', %s, %s
            FROM members_user u
            """,
            [lead_magnet.pk, enrolled, NOW, NOW, NOW, NOW],
        )
        cursor.execute(
            """
            INSERT INTO sequences_enrolment (sequence_id, member_id, triggered_at, enrolled_at,
                is_test, last_step_order, last_step_at, next_due_at, stop_reason)
            SELECT %s, u.id, %s::timestamptz - interval '4 days',
                   %s::timestamptz - interval '4 days', false, 1,
                   %s::timestamptz - interval '3 days', %s::timestamptz - interval '1 hour', ''
            FROM members_user u WHERE u.id <= %s
            """,
            [sequence.pk, NOW, NOW, NOW, NOW, enrolled],
        )
        cursor.execute(
            """
            INSERT INTO billing_order (member_id, product_id, provider, provider_ref, status,
                amount, currency, is_test, invoice_url, rebilling_stop_url, receipt_url,
                withdrawal_waiver_version, created_at)
            SELECT u.id, %s, 'stripe', 'cs_bench_' || u.id, 'paid', 1900, 'EUR', false, '', '',
                   '', '', %s::timestamptz - interval '1 day'
            FROM members_user u WHERE u.id > %s AND u.id <= %s
            """,
            [activator.pk, NOW, members, members + BOUGHT],
        )
        cursor.execute(
            """
            INSERT INTO sequences_marketingpreference (member_id, unsubscribed_at, updated_at)
            SELECT u.id, %s::timestamptz - interval '1 day', %s
            FROM members_user u WHERE u.id > %s AND u.id <= %s
            """,
            [NOW, NOW, members + BOUGHT, enrolled],
        )
        cursor.execute("ANALYZE")
    print(
        f"data: {total:,} members; {enrolled:,} enrolled with step 2 due "
        f"({BOUGHT:,} of them bought the target, {UNSUBSCRIBED:,} unsubscribed), "
        f"{NEW_LEADS:,} new leads to enrol"
    )


def measure(label: str, func) -> None:
    """Wall time, the part spent waiting for PostgreSQL, and this process's CPU time (on a
    shared machine the wall time includes waiting for a core). BENCH_MEMORY=1 adds the Python
    heap peak (tracemalloc slows the run several times over)."""
    statements = []

    def count(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((time.perf_counter() - began, sql[:90]))

    if os.environ.get("BENCH_MEMORY"):
        tracemalloc.start()
    started = time.perf_counter()
    cpu_started = time.process_time()
    with connection.execute_wrapper(count):
        result = func()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    queries = len(statements)
    database = sum(seconds for seconds, _sql in statements)
    print(
        f"{label}: {elapsed:.2f} s ({database:.2f} s waiting for the database, "
        f"{cpu:.2f} s CPU in this process), "
        f"{queries} SQL statements, "
        f"{result}" + (f", peak Python memory {peak / 2**20:.1f} MiB" if peak else "")
    )
    if os.environ.get("BENCH_SLOW_SQL"):
        slowest(statements)


def beat_run() -> str:
    from outbox.models import OutboxMessage
    from sequences.services import run_sequences

    before = OutboxMessage.objects.count()
    result = run_sequences(now=NOW)
    queued = OutboxMessage.objects.count() - before
    return (
        f"{result['enrolled']:,} enrolled, {result['stopped']:,} stopped, "
        f"{result['handled']:,} due enrolments handled, {queued:,} e-mails queued in the outbox"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    build(args.members)
    print(f"build: {time.perf_counter() - started:.1f} s")
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx("beat_run()", globals(), locals(), sort="cumulative")
        return 0
    measure("beat run", beat_run)
    measure("beat run again (nothing due)", beat_run)
    return 0


def slowest(statements: list) -> None:
    for seconds, sql in sorted(statements, reverse=True)[:6]:
        print(f"  {seconds:.2f} s  {sql}")


if __name__ == "__main__":
    sys.exit(main())
