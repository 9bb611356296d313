"""Benchmark the funnel report on PostgreSQL: the selector over a year of data, and page views.

Builds 50,000 members with 100,000 paid orders and payments (two currencies, some test mode)
over 20 products, and a year of daily page-visit rows for each product, then prints the query
count and the time of ``build_funnel`` for one month, a whole year and one product, and the
time of 2,000 page-view UPSERTs in a row on one (product, day) row.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/funnel_report.py
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membership_site.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 40)
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-funnel-"))
os.environ["CELERY_BROKER_URL"] = "memory://"

import django  # noqa: E402

from bench._database import use_throwaway_database  # noqa: E402

if use_throwaway_database("funnel") is None:
    sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from products.models import Product  # noqa: E402

PRODUCTS = 20
NOW = datetime(2025, 12, 31, 12, tzinfo=UTC)


def build(members: int) -> None:
    products = [
        Product.objects.create(
            name=f"Bench product {n}", slug=f"bench-{n}", kind="download", is_published=True
        ).pk
        for n in range(PRODUCTS)
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            """
            INSERT INTO members_user (password, is_superuser, email, name, time_zone, language,
                lesson_notifications, session_generation, login_link_generation, is_staff,
                is_active, date_joined)
            SELECT '!', false, 'bench' || n || '@example.test', 'Bench ' || n, 'UTC', '',
                   true, 0, 0, false, true, %s
            FROM generate_series(1, %s) AS n
            """,
            [NOW, members],
        )
        # Two orders per member within the year, 1 in 10 in USD, 1 in 50 in test mode.
        cursor.execute(
            """
            INSERT INTO billing_order (member_id, product_id, provider, provider_ref, status,
                amount, currency, is_test, invoice_url, rebilling_stop_url, receipt_url,
                withdrawal_waiver_version, created_at)
            SELECT u.id, (%s::bigint[])[1 + (u.id + k) %% %s], 'stripe',
                   'cs_bench_' || u.id || '_' || k, 'paid', 1900 + 100 * (u.id %% 50),
                   CASE WHEN u.id %% 10 = 0 THEN 'USD' ELSE 'EUR' END, u.id %% 50 = 0,
                   '', '', '', '',
                   %s::timestamptz - random() * interval '365 days'
            FROM members_user u CROSS JOIN generate_series(1, 2) AS k
            """,
            [products, PRODUCTS, NOW],
        )
        cursor.execute(
            """
            INSERT INTO billing_payment (order_id, member_id, product_id, provider,
                provider_ref, payment_intent_ref, charge_ref, amount, amount_refunded, currency,
                status, is_test, paid_at, created_at)
            SELECT o.id, o.member_id, o.product_id, 'stripe', 'in_' || o.provider_ref, '', '',
                   o.amount, 0, o.currency, 'succeeded', o.is_test, o.created_at, o.created_at
            FROM billing_order o
            """
        )
        cursor.execute(
            """
            INSERT INTO funnel_pagevisitday (product_id, day, count)
            SELECT p, %s::date - d, (random() * 500)::int
            FROM unnest(%s::bigint[]) AS p CROSS JOIN generate_series(0, 364) AS d
            """,
            [NOW.date(), products],
        )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM billing_order")
        print(f"data: {members:,} members, {cursor.fetchone()[0]:,} orders and payments, "
              f"{PRODUCTS * 365:,} page-visit rows")  # fmt: skip


def measure(label: str, **arguments) -> None:
    from funnel.report import build_funnel

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = build_funnel(**arguments)
        elapsed = time.perf_counter() - started
    counts = ", ".join(f"{step.key} {step.count:,}" for step in report.steps)
    print(f"{label}: {elapsed * 1000:.0f} ms, {len(queries)} queries ({counts})")


def page_views(count: int) -> None:
    from funnel.visits import count_page_view

    product = Product.objects.first()
    started = time.perf_counter()
    for _ in range(count):
        count_page_view(product_id=product.pk, now=NOW)
    elapsed = time.perf_counter() - started
    print(f"{count:,} page views counted: {elapsed * 1000 / count:.2f} ms each")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    build(args.members)
    print(f"build: {time.perf_counter() - started:.1f} s")
    end = NOW.date()
    measure("one month", start=end - timedelta(days=29), end=end)
    measure("one year", start=end - timedelta(days=364), end=end)
    measure("one year, test orders too", start=end - timedelta(days=364), end=end,
            include_test=True)  # fmt: skip
    product = Product.objects.get(slug="bench-3")
    measure("one year, one product", start=date(2025, 1, 1), end=end, product=product)
    page_views(2000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
