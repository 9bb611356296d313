"""Benchmark the creator dashboard's figures on PostgreSQL (target: under 500 ms).

Builds 100,000 orders, 300,000 payments (some refunded, some charged back, with their ledger
rows), 20,000 subscriptions with their MRR movements and 5,000 members over two years in two
currencies, then times ``build_report`` (12 months) as the page and ``revenue_report`` call
it, and the whole page (``GET /admin/`` as a superuser, through Django's request cycle): median
of several runs after a warm-up, with the query count (which does not grow with the
data: tests/dashboard/test_report_rules.py guards it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/dashboard.py

``--keep`` leaves the database (``<name>_bench_dashboard``) in place and reuses it on the next
run with ``--keep`` without building the data again, e.g. to EXPLAIN the report's queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membership_site.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 40)
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-dashboard-"))
os.environ["DJANGO_DEBUG"] = "0"
os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
os.environ["CELERY_BROKER_URL"] = "memory://"
os.environ["LOG_LEVEL"] = "WARNING"

import django  # noqa: E402

from bench._database import use_throwaway_database  # noqa: E402

KEEP = "--keep" in sys.argv
if use_throwaway_database("dashboard", keep=KEEP) is None:
    sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from billing.models import (  # noqa: E402
    Order,
    Payment,
    PaymentReversal,
    Subscription,
    SubscriptionMovement,
)
from dashboard.report import build_report  # noqa: E402
from members.models import AccessGrant, User  # noqa: E402
from products.models import Price, Product  # noqa: E402

TARGET_MS = 500
NOW = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)
START = NOW - timedelta(days=730)
BATCH = 5_000
UNUSABLE = "!"  # an unusable password hash: the members never log in


def _minutes(n: int, spread: int) -> datetime:
    return START + timedelta(minutes=(n * 7919) % spread)


def build(*, orders: int, payments: int, subscriptions: int, members: int) -> None:
    spread = 730 * 24 * 60
    products = Product.objects.bulk_create(
        Product(name=f"Bench product {n}", slug=f"bench-{n}", kind=("course", "membership")[n % 2])
        for n in range(20)
    )
    prices = Price.objects.bulk_create(
        Price(
            product=product,
            amount=2900 + 1000 * (n % 3),
            currency=("EUR", "USD")[n % 4 == 3],
            billing_type="recurring" if product.kind == "membership" else "one_time",
            interval="month" if product.kind == "membership" else "",
        )
        for n, product in enumerate(products)
    )
    people = User.objects.bulk_create(
        (User(email=f"m{n}@bench.test", password=UNUSABLE) for n in range(members)),
        batch_size=BATCH,
    )
    order_rows = Order.objects.bulk_create(
        (
            Order(
                member=people[n % members],
                product=prices[n % 20].product,
                price=prices[n % 20],
                provider=("stripe", "digistore24")[n % 5 == 0],
                provider_ref=f"o{n}",
                status="paid",
                amount=prices[n % 20].amount,
                currency=prices[n % 20].currency,
                is_test=n % 50 == 0,
            )
            for n in range(orders)
        ),
        batch_size=BATCH,
    )
    payment_rows = Payment.objects.bulk_create(
        (
            Payment(
                order=order_rows[n % orders],
                member=order_rows[n % orders].member,
                product=order_rows[n % orders].product,
                is_test=order_rows[n % orders].is_test,
                provider=order_rows[n % orders].provider,
                provider_ref=f"p{n}",
                amount=order_rows[n % orders].amount,
                amount_refunded=order_rows[n % orders].amount if n % 40 == 0 else 0,
                currency=order_rows[n % orders].currency,
                status="refunded" if n % 40 == 0 else "succeeded",
                paid_at=_minutes(n, spread),
            )
            for n in range(payments)
        ),
        batch_size=BATCH,
    )
    PaymentReversal.objects.bulk_create(
        (
            PaymentReversal(
                payment=payment,
                order_id=payment.order_id,
                product_id=payment.product_id,
                provider=payment.provider,
                kind="refund" if n % 400 else "chargeback",
                amount=payment.amount,
                currency=payment.currency,
                is_test=False,
                occurred_at=payment.paid_at + timedelta(days=5),
            )
            for n, payment in enumerate(payment_rows)
            if n % 40 == 0
        ),
        batch_size=BATCH,
    )
    membership_orders = [order for order in order_rows if order.price.interval]
    subs = Subscription.objects.bulk_create(
        (
            Subscription(
                member=order.member,
                order=order,
                provider=order.provider,
                provider_ref=f"s{n}",
                status=("active", "active", "trialing", "canceled")[n % 4],
                cancel_at_period_end=n % 10 == 1,
                current_period_end=NOW + timedelta(days=n % 40 - 5),
                price=order.price,
                mrr=order.price.amount,
                paying_mrr=order.price.amount if n % 4 in (0, 1) else 0,
            )
            for n, order in enumerate(membership_orders[:subscriptions])
        ),
        batch_size=BATCH,
    )
    movements = []
    for n, sub in enumerate(subs):
        started = _minutes(n, spread)
        if sub.status != "trialing":
            movements.append(("new", sub.mrr, started, sub))
        if sub.status == "canceled":
            movements.append(("churn", -sub.mrr, started + timedelta(days=60), sub))
    SubscriptionMovement.objects.bulk_create(
        (
            SubscriptionMovement(
                subscription=sub,
                kind=kind,
                mrr_delta=delta,
                currency=sub.order.currency,
                occurred_at=at,
            )
            for kind, delta, at, sub in movements
        ),  # fmt: skip
        batch_size=BATCH,
    )
    AccessGrant.objects.bulk_create(
        (
            AccessGrant(
                member=order.member,
                product=order.product,
                order=order,
                state="active",
                source="stripe",
                starts_at=START,
            )
            for order in order_rows[:members]
        ),
        batch_size=BATCH,
    )


def time_report(*, repeats: int) -> dict:
    build_report(now=NOW)  # warm-up
    wall, cpu = [], []
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            report = build_report(now=NOW)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
    database = sum(float(query["time"]) for query in queries.captured_queries) * 1000
    return {
        "median": statistics.median(wall),
        "worst": max(wall),
        "cpu": statistics.median(cpu),
        "database": database,
        "queries": len(queries),
        "report": report,
    }


def time_page(*, repeats: int) -> dict:
    """The admin home (``/admin/``) as a superuser sees it: report, tables, charts and template,
    through Django's whole request cycle (test client, production settings)."""
    import time_machine

    warnings.filterwarnings("ignore", "No directory at", UserWarning)  # static files not collected
    from django.test import Client, override_settings

    creator = User.objects.filter(email="bench-creator@example.com").first()
    if creator is None:
        creator = User.objects.create_superuser(email="bench-creator@example.com", password=None)
    client = Client()
    client.force_login(creator)
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    storages = {**settings.STORAGES, "staticfiles": static}  # no manifest to collect
    wall, executed = [], []

    def count(execute, sql, params, many, context):
        # Not CaptureQueriesContext: it reads the debug log, which each request empties when
        # DEBUG is off (bench/member_desk.py found it printing 0 queries).
        executed.append(sql)
        return execute(sql, params, many, context)

    with (
        time_machine.travel(NOW, tick=True),
        override_settings(STORAGES=storages, ALLOWED_HOSTS=["testserver"]),
    ):
        client.get("/admin/", secure=True)  # warm-up
        for _ in range(repeats):
            executed.clear()
            with connection.execute_wrapper(count):
                started = time.perf_counter()
                response = client.get("/admin/", secure=True)
                wall.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"/admin/ answered {response.status_code}")
    return {"median": statistics.median(wall), "worst": max(wall), "queries": len(executed)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--payments", type=int, default=300_000)
    parser.add_argument("--subscriptions", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--keep", action="store_true", help="keep the database; reuse its data if it has some"
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if not (args.keep and Order.objects.exists()):
        build(
            orders=args.orders,
            payments=args.payments,
            subscriptions=args.subscriptions,
            members=args.members,
        )
    with connection.cursor() as cursor:  # as autovacuum leaves a table that has settled: the
        cursor.execute("VACUUM ANALYZE")  # visibility map lets index-only scans skip the rows
    print(
        f"dashboard figures: {Order.objects.count():,} orders, {Payment.objects.count():,} "
        f"payments, {Subscription.objects.count():,} subscriptions, PostgreSQL "
        f"(built in {time.perf_counter() - started:.0f} s)"
    )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    figures = time_report(repeats=args.repeats)
    report = figures["report"]
    print(
        f"  build_report, 12 months  median {figures['median']:6.1f} ms (CPU "
        f"{figures['cpu']:5.1f} ms, SQL {figures['database']:5.1f} ms)   worst "
        f"{figures['worst']:6.1f} ms   {figures['queries']} queries"
    )
    page = time_page(repeats=args.repeats)
    print(
        f"  the page, GET /admin/    median {page['median']:6.1f} ms{'':33}worst "
        f"{page['worst']:6.1f} ms   {page['queries']} queries"
    )
    print(f"  MRR now {report.now.mrr}, members {report.now.active_members}")
    print(f"  last month {report.months[-2].month}: net {report.months[-2].revenue.net}")
    verdict = "ok" if page["median"] < TARGET_MS else "OVER TARGET"
    print(f"page median {page['median']:.1f} ms (target < {TARGET_MS} ms): {verdict}")
    return 0 if page["median"] < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
