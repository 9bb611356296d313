"""Benchmark Stripe webhook intake under gunicorn on PostgreSQL, with a Celery worker on Redis.

A second process (this script) posts signed ``invoice.paid`` events (each a new membership) to
gunicorn on loopback from several client threads, then posts the same events again. It prints
accepted events per second, p50 and p99 of the 2xx answers, and the time until every event is
processed, for new and for duplicate events. Bounded: a fixed number of events per phase.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench REDIS_URL=redis://127.0.0.1:6379/1 \
        .venv/bin/python bench/webhook_intake.py [--events 1000] [--clients 8]
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR_DIR = tempfile.mkdtemp(prefix="bench-webhooks-")
SECRET = "whsec_bench_only"  # noqa: S105 - a local benchmark signing secret
ENV = {
    "DJANGO_SETTINGS_MODULE": "membership_site.settings",
    "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,
    "DJANGO_DEBUG": "0",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "VAR_DIR": VAR_DIR,
    "LOG_LEVEL": "WARNING",
    "STRIPE_WEBHOOK_SECRET": SECRET,
    "STRIPE_SECRET_KEY": "",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
}
os.environ.update(ENV)

import django  # noqa: E402

from bench._database import use_throwaway_database  # noqa: E402
from bench._processes import free_port, start, wait_for_port  # noqa: E402

PRICE_ID = "price_bench_monthly"
EVENT_PREFIX = "evt_bench_"


def prepare(count: int) -> list[str]:
    """A recurring price, no earlier bench rows, and ``count`` new invoice.paid bodies."""
    from django.core.management import call_command

    from billing.models import Order, ProviderEvent
    from products.models import Price, Product
    from tests.payloads.stripe import build_event

    call_command("migrate", verbosity=0)
    product, _created = Product.objects.get_or_create(
        slug="bench-membership",
        defaults={"name": "Bench membership", "kind": "membership", "is_published": True},
    )
    Price.objects.get_or_create(
        stripe_price_id=PRICE_ID,
        defaults={
            "product": product,
            "amount": 2900,
            "currency": "EUR",
            "billing_type": "recurring",
            "interval": "month",
        },
    )
    ProviderEvent.objects.filter(event_id__startswith=EVENT_PREFIX).delete()
    stamp = int(time.time())
    bodies = [
        build_event(
            "invoice.paid",
            event_id=f"{EVENT_PREFIX}{stamp}_{number}",
            price_id=PRICE_ID,
            subscription=f"sub_bench_{stamp}_{number}",
            invoice_id=f"in_bench_{stamp}_{number}",
            email=f"bench-{stamp}-{number}@example.test",
            customer=f"cus_bench_{stamp}_{number}",
            period_end=stamp + 30 * 86400,
        )
        for number in range(count)
    ]
    print(f"prepared {count} events ({Order.objects.count()} orders before)", flush=True)
    return bodies


def post_all(port: int, bodies: list[str], clients: int) -> tuple[float, list[float], int]:
    """Post every body once from ``clients`` threads; returns (seconds, latencies, non-2xx)."""
    from tests.payloads.stripe import sign

    signed = [(body.encode(), sign(body, SECRET)) for body in bodies]
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    chunks = [signed[index::clients] for index in range(clients)]

    def client(chunk: list[tuple[bytes, str]]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        for body, header in chunk:
            headers = {"Content-Type": "application/json", "Stripe-Signature": header}
            began = time.perf_counter()
            try:
                connection.request("POST", "/billing/webhooks/stripe/", body, headers)
                response = connection.getresponse()
                response.read()
            except (http.client.HTTPException, OSError):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                bad += 1
                continue
            mine.append(time.perf_counter() - began)
            if not 200 <= response.status < 300:
                bad += 1
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        connection.close()
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    threads = [threading.Thread(target=client, args=(chunk,)) for chunk in chunks]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, failures[0]


def wait_processed(count: int, began: float, timeout: float = 300) -> float | None:
    """Seconds from ``began`` until ``count`` bench events are processed (None on timeout)."""
    from django.db import connection

    from billing.models import ProviderEvent

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = ProviderEvent.objects.filter(
            event_id__startswith=EVENT_PREFIX, status=ProviderEvent.Status.PROCESSED
        ).count()
        if done >= count:
            return time.perf_counter() - began
        connection.close()
        time.sleep(0.1)
    return None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def report(label: str, seconds: float, latencies: list[float], failures: int, processed) -> None:
    accepted = len(latencies) - failures
    print(
        f"{label:10s} accepted {accepted}/{len(latencies)} in {seconds:.2f}s = "
        f"{accepted / seconds:.0f} events/s; p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms; non-2xx {failures}; "
        + (f"all processed after {processed:.2f}s" if processed is not None else "NOT processed"),
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=4)
    arguments = parser.parse_args()
    if not (os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL")):
        print("webhook_intake: skipped, needs REDIS_URL for the Celery broker")
        return 0
    if use_throwaway_database("webhooks") is None:
        print("webhook_intake: skipped, needs DATABASE_URL=postgres://… (and REDIS_URL)")
        return 0
    django.setup()
    from membership_site.celery import app

    bodies = prepare(arguments.events)
    app.control.purge()
    port = free_port()
    venv = ROOT / ".venv" / "bin"
    web = start(
        [
            str(venv / "gunicorn"),
            "membership_site.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(arguments.web_workers),
            "--log-level",
            "warning",
        ],
        port,
        Path(VAR_DIR, "gunicorn.log"),
    )
    worker = start(
        [
            str(venv / "celery"),
            "-A",
            "membership_site",
            "worker",
            "--pool=threads",
            "--concurrency=4",
            "--loglevel=WARNING",
        ],
        port,
        Path(VAR_DIR, "worker.log"),
    )
    print(f"logs: {VAR_DIR}/gunicorn.log, {VAR_DIR}/worker.log", flush=True)
    try:
        wait_for_port(port)
        post_all(port, bodies[:20], 2)  # warm up the web workers (20 events)
        began = time.perf_counter()
        seconds, latencies, failures = post_all(port, bodies[20:], arguments.clients)
        processed = wait_processed(len(bodies), began)
        report("new", seconds, latencies, failures, processed)
        began = time.perf_counter()
        seconds, latencies, failures = post_all(port, bodies[20:], arguments.clients)
        processed = wait_processed(len(bodies), began)
        report("duplicate", seconds, latencies, failures, processed)
        from billing.models import ProviderEvent

        stored = ProviderEvent.objects.filter(event_id__startswith=EVENT_PREFIX)
        print(
            f"stored events: {stored.count()} (expected {len(bodies)}); "
            f"max attempts: {max(stored.values_list('attempts', flat=True))}",
            flush=True,
        )
    finally:
        for process in (web, worker):
            process.terminate()
        for process in (web, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
