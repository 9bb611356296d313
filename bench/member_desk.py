"""Benchmark the admin's member page on PostgreSQL: a member with 200 rows of every kind
(orders, payments, invoices, subscriptions, grant and provider events, store credit, e-mails,
downloads, undelivered outbox rows) and a course; prints the query count and the render time
(median and worst of 20 requests through Django's test client, in-process, DEBUG off).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/member_desk.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "membership_site.settings",
        "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "VAR_DIR": tempfile.mkdtemp(prefix="bench-desk-"),
        "LOG_LEVEL": "WARNING",
    }
)

import django  # noqa: E402

from bench._database import use_throwaway_database  # noqa: E402

HISTORY = 200
REQUESTS = 20


def main() -> None:
    if use_throwaway_database("member_desk") is None:
        sys.exit("set DATABASE_URL to a PostgreSQL server (the target is PostgreSQL)")
    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from django.test import Client

    from members.models import User
    from tests.desk.helpers import member_with_history, page_url
    from tests.invoices.helpers import make_seller

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    make_seller()
    member, _grant, _lessons = member_with_history(HISTORY)
    creator = User.objects.create_superuser("creator@bench.test", "bench-password-1")
    client = Client()
    client.force_login(creator)
    url = page_url(member)
    if client.get(url).status_code != 200:  # warm up
        sys.exit("the member page did not render")
    # Counted with an execute wrapper: CaptureQueriesContext reads the debug log, which the
    # request_started signal empties mid-request when DEBUG is off, and printed 0.
    queries = []
    with connections["default"].execute_wrapper(
        lambda execute, sql, params, many, context: (
            queries.append(sql) or execute(sql, params, many, context)
        )
    ):
        client.get(url)
    if os.environ.get("BENCH_QUERIES"):
        timed = []

        def timing(execute, sql, params, many, context):
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timed.append(((time.perf_counter() - start) * 1000, sql))

        with connections["default"].execute_wrapper(timing):
            client.get(url)
        for took, sql in sorted(timed, key=lambda item: item[0], reverse=True)[:12]:
            print(f"{took:7.1f} ms  {sql[:160]}")  # noqa: T201
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        client.get(url)
        profiler.disable()
        order = os.environ.get("BENCH_SORT", "cumulative")
        pstats.Stats(profiler).sort_stats(order).print_stats(40)
    wall, cpu = [], []
    for _ in range(REQUESTS):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        if response.status_code != 200:
            sys.exit(f"the member page answered {response.status_code}")
    baseline = []
    for _ in range(REQUESTS):
        start_cpu = time.process_time()
        client.get(f"/admin/members/user/{member.pk}/change/")
        baseline.append((time.process_time() - start_cpu) * 1000)
    load = os.getloadavg()[0]
    print(  # noqa: T201
        f"member page, {HISTORY} rows of each kind on PostgreSQL ({len(queries)} queries): "
        f"wall median {statistics.median(wall):.0f} ms, worst {max(wall):.0f} ms; "
        f"CPU median {statistics.median(cpu):.0f} ms ({REQUESTS} requests, "
        f"{len(response.content) // 1024} KiB, load average {load:.1f} on {os.cpu_count()} cores); "
        f"for scale, Django's own change form of that user: CPU median "
        f"{statistics.median(baseline):.0f} ms"
    )


if __name__ == "__main__":
    main()
