"""Benchmark invoices: PDFs rendered per second (with p50/p99 latency), and invoice numbers
allocated per second by 8 concurrent issuers on PostgreSQL.

It works in a throw-away database next to the one in DATABASE_URL (``<name>_bench_invoices``,
created and dropped by ``bench/_database.py``), so it never touches real documents.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/invoices.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._database import use_throwaway_database  # noqa: E402

ISSUERS = 8
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def make_payments(count: int, *, amount: int = 4900):
    from billing.models import Order, Payment
    from members.models import User
    from products.models import Product

    stamp = time.monotonic_ns()
    product = Product.objects.create(name="Bench course", slug=f"bench-{stamp}", kind="course")
    payments = []
    for index in range(count):
        member = User.objects.create_user(f"bench{stamp}-{index}@example.test", name="Bench Buyer")
        order = Order.objects.create(
            member=member,
            product=product,
            provider="stripe",
            provider_ref=f"bench_order_{stamp}_{index}",
            status="paid",
            amount=amount,
            currency="EUR",
        )
        payments.append(
            Payment.objects.create(
                order=order,
                provider="stripe",
                provider_ref=f"cs_bench_{stamp}_{index}",
                amount=amount,
                currency="EUR",
                paid_at=NOW,
            )
        )
    return payments


def bench_pdfs(*, count: int) -> None:
    from invoices.models import SellerSettings
    from invoices.pdf import render_document_pdf
    from invoices.services import issue_invoice_for_payment

    seller = SellerSettings.objects.get()
    documents = [
        issue_invoice_for_payment(payment=payment, now=NOW) for payment in make_payments(count)
    ]
    render_document_pdf(document=documents[0], seller=seller, language="en")  # warm fonts
    latencies = []
    started = time.perf_counter()
    for document in documents:
        begin = time.perf_counter()
        render_document_pdf(document=document, seller=seller, language="en")
        latencies.append(time.perf_counter() - begin)
    elapsed = time.perf_counter() - started
    print(
        f"PDF rendering (1 process, {count} invoices): {count / elapsed:.1f} PDFs/s, "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
    )


def bench_numbers(*, per_issuer: int, full_documents: bool) -> None:
    from django.db import connection, transaction

    from invoices.models import DocumentKind, InvoiceSeries, SellerSettings
    from invoices.numbering import allocate_number
    from invoices.services import issue_invoice_for_payment

    seller = SellerSettings.objects.get()
    total = ISSUERS * per_issuer
    payments = make_payments(total) if full_documents else []
    year = 2026 if full_documents else 2099
    before = InvoiceSeries.objects.filter(kind=DocumentKind.INVOICE, year=year).first()
    start_number = before.last_number if before else 0
    barrier = threading.Barrier(ISSUERS + 1)
    errors: list[Exception] = []
    latencies: list[float] = []
    lock = threading.Lock()

    def issuer(index: int) -> None:
        try:
            barrier.wait()
            for step in range(per_issuer):
                begin = time.perf_counter()
                with transaction.atomic():
                    if full_documents:
                        payment = payments[index * per_issuer + step]
                        issue_invoice_for_payment(payment=payment, now=NOW)
                    else:
                        allocate_number(kind=DocumentKind.INVOICE, year=year, seller=seller)
                with lock:
                    latencies.append(time.perf_counter() - begin)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issuer, args=(i,)) for i in range(ISSUERS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    after = InvoiceSeries.objects.get(kind=DocumentKind.INVOICE, year=year).last_number
    allocated = after - start_number
    what = "full invoices (number + document + line)" if full_documents else "bare numbers"
    print(
        f"{what}, {ISSUERS} concurrent issuers, {total} transactions: "
        f"{allocated / elapsed:.0f} numbers/s, p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, errors {len(errors)}, "
        f"gap-free {allocated == total}"
    )
    if errors or allocated != total:
        raise SystemExit(f"numbering failed: {errors[:3]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=int, default=40)
    parser.add_argument("--per-issuer", type=int, default=50)
    arguments = parser.parse_args()

    if use_throwaway_database("invoices") is None:
        sys.exit("bench/invoices.py needs PostgreSQL: set DATABASE_URL=postgres://…/yourdb")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "membership_site.settings",
            "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,
            "DJANGO_DEBUG": "0",
            "VAR_DIR": tempfile.mkdtemp(prefix="bench-invoices-"),
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    from invoices.demo import seed_demo_seller_settings
    from outbox import tasks

    # Measure numbering and rendering, not the broker: the after-commit delivery is a no-op here.
    tasks.send_outbox_messages.delay = lambda *args, **kwargs: None
    call_command("migrate", verbosity=0)
    seed_demo_seller_settings()
    bench_pdfs(count=arguments.pdfs)
    bench_numbers(per_issuer=arguments.per_issuer, full_documents=False)
    bench_numbers(per_issuer=arguments.per_issuer, full_documents=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
