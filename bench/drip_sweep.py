"""Benchmark the drip jobs on PostgreSQL: one notice sweep and one lapse sweep.

Builds 100,000 grants over 10 courses of 10 lessons (1,000,000 member-lesson pairs) with
set-based SQL (generate_series), records as already notified every lesson that opened more than
a day ago, then times:
  * the notice sweep: find the lessons that opened since, write their notice rows, claim the
    pending ones and queue their e-mails (an in-memory broker: sending is the worker's job);
  * the lapse sweep: expire every grant past paid-through plus grace, with audit rows.
Peak memory is the Python heap peak (tracemalloc) during each sweep. ``--grants`` scales the
data set, to show that memory stays flat as rows grow.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/drip_sweep.py
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
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-drip-"))
os.environ["CELERY_BROKER_URL"] = "memory://"

import django  # noqa: E402

from bench._database import use_throwaway_database  # noqa: E402

if use_throwaway_database("drip") is None:
    sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from products.models import Lesson, Module, Product  # noqa: E402

COURSES = 10
LESSONS_PER_COURSE = 10
ZONES = [
    "UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Tokyo",
    "Australia/Sydney", "America/New_York", "Asia/Kolkata", "Pacific/Auckland",
]  # fmt: skip
NOW = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)


def build(grants: int) -> None:
    courses = []  # the database is new and empty (bench/_database.py)
    for number in range(COURSES):
        course = Product.objects.create(
            name=f"Bench course {number}", slug=f"bench-course-{number}", kind="course",
            is_published=True,
        )  # fmt: skip
        module = Module.objects.create(product=course, title="Module", position=1)
        Lesson.objects.bulk_create(
            Lesson(module=module, title=f"Lesson {i}", position=i, drip_days=3 * i)
            for i in range(LESSONS_PER_COURSE)
        )
        courses.append(course.pk)
    zones = "ARRAY[" + ",".join(f"'{zone}'" for zone in ZONES) + "]"
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            f"""
            INSERT INTO members_user (password, is_superuser, email, name, time_zone, language,
                lesson_notifications, session_generation, login_link_generation, is_staff,
                is_active, date_joined)
            SELECT '!', false, 'bench' || n || '@example.test', 'Bench ' || n,
                   ({zones})[1 + n %% {len(ZONES)}], '', n %% 10 <> 0, 0, 0, false, true, %s
            FROM generate_series(1, %s) AS n
            """,  # noqa: S608 - constants only
            [NOW, grants],
        )
        cursor.execute(
            """
            INSERT INTO members_accessgrant (member_id, product_id, state, source, starts_at,
                paid_through, end_reason, ended_unpaid, is_test, paused_total, created_at,
                updated_at)
            SELECT u.id, (%s::bigint[])[1 + u.id %% %s], 'active', 'stripe', s.starts_at,
                   CASE WHEN u.id %% 3 = 0
                        THEN %s::timestamptz + (random() * 20 - 10) * interval '1 day' END,
                   '', false, false, interval '0', s.starts_at, s.starts_at
            FROM members_user u
            CROSS JOIN LATERAL (
                SELECT %s::timestamptz - random() * interval '60 days' + u.id * interval '0'
                    AS starts_at
            ) s
            WHERE u.email LIKE 'bench%%@example.test'
            """,
            [courses, COURSES, NOW, NOW],
        )
        # Every lesson that opened more than a day ago was announced by earlier runs.
        cursor.execute(
            """
            INSERT INTO drip_lessonnotice (member_id, lesson_id, status, opened_at, created_at,
                sent_at)
            SELECT g.member_id, l.id, 'sent', g.starts_at + l.drip_days * interval '1 day',
                   %s, %s
            FROM members_accessgrant g
            JOIN products_module m ON m.product_id = g.product_id
            JOIN products_lesson l ON l.module_id = m.id
            WHERE g.starts_at + l.drip_days * interval '1 day' < %s::timestamptz - interval '1 day'
            """,
            [NOW, NOW, NOW],
        )
        cursor.execute("ANALYZE")
        cursor.execute(
            "SELECT (SELECT count(*) FROM members_accessgrant),"
            " (SELECT count(*) FROM members_accessgrant g JOIN products_module m"
            "  ON m.product_id = g.product_id JOIN products_lesson l ON l.module_id = m.id),"
            " (SELECT count(*) FROM drip_lessonnotice)"
        )
        grant_count, pairs, notices = cursor.fetchone()
    print(f"data: {grant_count:,} grants, {pairs:,} member-lesson pairs, {notices:,} notices")


def measure(label: str, func) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label}: {elapsed:.2f} s, peak Python memory {peak / 2**20:.1f} MiB, {result}")


def notice_sweep() -> str:
    from drip.services import claim_pending_notices, record_opened_lessons

    recorded = record_opened_lessons(now=NOW)
    claimed = 0
    while pks := claim_pending_notices(now=NOW, limit=5000):
        claimed += len(pks)
    return f"{recorded:,} notice rows written, {claimed:,} e-mails queued"


def lapse_sweep() -> str:
    from drip.services import expire_lapsed_grants

    expired = 0
    while pks := expire_lapsed_grants(now=NOW, limit=5000):
        expired += len(pks)
    return f"{expired:,} grants expired"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grants", type=int, default=100_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    build(args.grants)
    print(f"build: {time.perf_counter() - started:.1f} s")
    measure("notice sweep", notice_sweep)
    measure("lapse sweep", lapse_sweep)
    measure("notice sweep again (nothing due)", notice_sweep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
