"""Launch-day burst: N new buyers' purchases within S seconds, on one web and one worker process.

The purchases are mixed evenly: Stripe one-time (``checkout.session.completed``, payment mode),
Stripe subscription (``checkout.session.completed`` in subscription mode, then ``invoice.paid``),
Digistore24 one-time and Digistore24 subscription (``on_payment`` IPNs), each correctly signed and
posted to gunicorn (one worker process) at an even rate from client threads. One Celery worker
process consumes every queue (``-Q celery,mail,pdf``). From the database and the sent e-mails it
prints:

* access latency (p50, p99, max): the webhook's ``received_at`` to the grant row written
  (``AccessGrant.created_at``, in the processing transaction just before it commits);
* welcome e-mails and invoice PDFs: time from the purchase's first webhook to sending / storing
  (p50, p99, max), and when the last one was done;
* that every purchase led to exactly one member, order, payment and grant, one welcome e-mail,
  and (Stripe) one invoice with one stored PDF and one invoice e-mail, (Digistore24) none of ours:
  Digistore24 invoices its buyers itself. Any lost or duplicated record: exit status 1; a
  latency target missed: exit status 2.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench REDIS_URL=redis://127.0.0.1:6379/1 \\
        .venv/bin/python bench/launch_burst.py [--purchases 2000] [--seconds 60]

It works in its own throw-away database (``<db>_bench_burst``) and purges the Celery queues of
REDIS_URL's database first: give it a Redis database of its own.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR_DIR = tempfile.mkdtemp(prefix="bench-burst-")
MAIL_DIR = Path(VAR_DIR, "mail")
STRIPE_SECRET = "whsec_bench_only"  # noqa: S105 - a local benchmark signing secret
ENV = {
    "DJANGO_SETTINGS_MODULE": "membership_site.settings",
    "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,
    "DJANGO_DEBUG": "0",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "VAR_DIR": VAR_DIR,
    "PRIVATE_MEDIA_ROOT": str(Path(VAR_DIR, "private")),
    "LOG_LEVEL": "WARNING",
    "STRIPE_WEBHOOK_SECRET": STRIPE_SECRET,
    "STRIPE_SECRET_KEY": "",
    "EMAIL_BACKEND": "bench._mail.RecordingBackend",
    "EMAIL_FILE_PATH": str(MAIL_DIR),
}
os.environ.update(ENV)

import django  # noqa: E402

from bench._database import use_throwaway_database  # noqa: E402
from bench._processes import (  # noqa: E402
    WORKER_CONCURRENCY,
    WORKER_POOL,
    cpu_seconds,
    free_port,
    process_tree,
    start,
    wait_for_port,
)

QUEUES = ("celery", "mail", "pdf")
TARGETS = {"access p99": 5.0, "welcome max": 120.0, "pdf max": 300.0}
KINDS = ("stripe one-time", "stripe subscription", "digistore24 one-time", "digistore24 subscr.")
STRIPE_URL = "/billing/webhooks/stripe/"
DIGISTORE24_URL = "/billing/webhooks/digistore24/"


@dataclass
class Purchase:
    number: int
    kind: str
    email: str
    requests: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)


def prepare_catalog() -> None:
    """A course (one-time) and a membership (monthly), sold on Stripe and Digistore24, and the
    seller settings that let invoices be issued."""
    from django.core.management import call_command

    from invoices.demo import seed_demo_seller_settings
    from products.models import Price, Product

    call_command("migrate", verbosity=0)
    course = Product.objects.create(
        slug="launch-course",
        name="Launch course",
        kind="course",
        is_published=True,
        digistore24_product_id="510001",
    )
    membership = Product.objects.create(
        slug="launch-circle",
        name="Launch circle",
        kind="membership",
        is_published=True,
        digistore24_product_id="510003",
    )
    Price.objects.create(
        product=course, amount=4900, currency="EUR", stripe_price_id="price_launch_course"
    )
    Price.objects.create(
        product=membership,
        amount=2900,
        currency="EUR",
        billing_type="recurring",
        interval="month",
        stripe_price_id="price_launch_circle",
    )
    seed_demo_seller_settings()


def _stripe(body: str) -> tuple[str, bytes, dict[str, str]]:
    from tests.payloads.stripe import sign

    headers = {"Content-Type": "application/json", "Stripe-Signature": sign(body, STRIPE_SECRET)}
    return STRIPE_URL, body.encode(), headers


def _digistore24(fields: dict[str, str]) -> tuple[str, bytes, dict[str, str]]:
    from tests.payloads.digistore24 import FORM, signed_body

    return DIGISTORE24_URL, signed_body(fields).encode(), {"Content-Type": FORM}


def build_purchases(count: int, prefix: str) -> list[Purchase]:
    """``count`` purchases by new buyers, the four kinds in turn."""
    from tests.payloads.digistore24 import build_ipn, subscription_payment
    from tests.payloads.stripe import build_event

    period_end = int(time.time()) + 30 * 86400
    next_payment = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    purchases = []
    for number in range(count):
        kind = KINDS[number % len(KINDS)]
        email = f"{prefix}-{number}@example.test"
        purchase = Purchase(number=number, kind=kind, email=email)
        ref = f"{prefix}{number:06d}"
        if kind == "stripe one-time":
            body = build_event(
                "checkout.session.completed",
                event_id=f"evt_cs_{ref}",
                session_id=f"cs_{ref}",
                price_id="price_launch_course",
                customer=f"cus_{ref}",
                payment_intent=f"pi_{ref}",
                email=email,
                name=f"Buyer {number}",
            )
            purchase.requests.append(_stripe(body))
        elif kind == "stripe subscription":
            common = {"subscription": f"sub_{ref}", "customer": f"cus_{ref}", "email": email}
            checkout = build_event(
                "checkout.session.completed",
                event_id=f"evt_cs_{ref}",
                session_id=f"cs_{ref}",
                mode="subscription",
                price_id="price_launch_circle",
                **common,
            )
            invoice = build_event(
                "invoice.paid",
                event_id=f"evt_in_{ref}",
                invoice_id=f"in_{ref}",
                price_id="price_launch_circle",
                period_end=period_end,
                name=f"Buyer {number}",
                **common,
            )
            purchase.requests += [_stripe(checkout), _stripe(invoice)]
        else:
            fields = {
                "order_id": f"B{number:07d}",
                "transaction_id": str(80_000_000 + number),
                "email": email,
                "buyer_email": email,
            }
            if kind == "digistore24 one-time":
                ipn = build_ipn("on_payment", product_id="510001", **fields)
            else:
                ipn = subscription_payment(1, next_payment, product_id="510003", **fields)
            purchase.requests.append(_digistore24(ipn))
        purchases.append(purchase)
    return purchases


def warm_up(port: int, timeout: float = 120) -> None:
    """Wait for the worker to answer a ping, and let gunicorn load its views (a refused
    signature writes nothing), so the burst does not time start-up."""
    from membership_site.celery import app

    deadline = time.monotonic() + timeout
    while not app.control.ping(timeout=1.0):
        if time.monotonic() > deadline:
            raise SystemExit("the Celery worker did not start")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for url in ("/healthz", STRIPE_URL, DIGISTORE24_URL):
        connection.request("POST" if url != "/healthz" else "GET", url, b"{}")
        connection.getresponse().read()
    connection.close()


def purge_queues() -> None:
    from membership_site.celery import app

    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in QUEUES:
            channel.queue_purge(queue)


def _post(connection, port: int, url: str, body: bytes, headers: dict[str, str]):
    """POST on the client's kept-alive connection; if gunicorn closed it meanwhile (its
    keep-alive lasts 2 s: slow runs), once more on a new one, as a provider would retry."""
    for attempt in (1, 2):
        try:
            connection.request("POST", url, body, headers)
            response = connection.getresponse()
            response.read()
        except (ConnectionError, http.client.RemoteDisconnected):
            if attempt == 2:
                raise
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        else:
            return response, connection
    raise AssertionError("unreachable")


def send_burst(port: int, purchases: list[Purchase], seconds: float, clients: int) -> dict:
    """Post each purchase's webhooks at its moment (purchase i at i * seconds / N) from
    ``clients`` threads; returns the answers' statistics and how late the senders fell."""
    answers: list[float] = []
    failures: list[str] = []
    lateness: list[float] = []
    lock = threading.Lock()
    began = time.perf_counter() + 0.2
    step = seconds / max(len(purchases), 1)

    def client(mine: list[Purchase]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        timings, bad, late = [], [], []
        for purchase in mine:
            due = began + purchase.number * step
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            late.append(max(0.0, -pause))
            for url, body, headers in purchase.requests:
                sent = time.perf_counter()
                try:
                    response, connection = _post(connection, port, url, body, headers)
                except (http.client.HTTPException, OSError) as error:
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    bad.append(f"{purchase.email}: {error!r}")
                    continue
                timings.append(time.perf_counter() - sent)
                if not 200 <= response.status < 300:
                    bad.append(f"{purchase.email}: HTTP {response.status}")
        connection.close()
        with lock:
            answers.extend(timings)
            failures.extend(bad)
            lateness.extend(late)

    threads = [
        threading.Thread(target=client, args=(purchases[index::clients],))
        for index in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "seconds": time.perf_counter() - began,
        "answers": answers,
        "failures": failures,
        "lateness": lateness,
    }


def sent_mails() -> list[dict]:
    mails = []
    for path in MAIL_DIR.glob("*.json"):
        try:
            mails.append(json.loads(path.read_text()))
        except (OSError, ValueError):  # being written right now
            continue
    return mails


def progress(prefix: str) -> dict[str, int]:
    from django.db import connection

    from invoices.models import DocumentFile
    from members.models import AccessGrant

    counts = {
        "grants": AccessGrant.objects.filter(member__email__startswith=prefix).count(),
        "pdfs": DocumentFile.objects.filter(document__buyer_email__startswith=prefix).count(),
        "mails": len(sent_mails()),
    }
    connection.close()
    return counts


def wait_done(prefix: str, expected: dict[str, int], timeout: float) -> float:
    """Poll until everything expected exists (or the timeout passes); returns the seconds."""
    began = time.perf_counter()
    last_print = 0.0
    counts = {}
    while time.perf_counter() - began < timeout:
        counts = progress(prefix)
        if all(counts[name] >= expected[name] for name in expected):
            break
        if time.perf_counter() - last_print > 10:
            print(f"  waiting: {counts} of {expected}", flush=True)
            last_print = time.perf_counter()
        time.sleep(0.5)
    time.sleep(2)  # anything duplicated late would show now
    return time.perf_counter() - began


def database_backends() -> list[int]:
    """The PostgreSQL server processes serving the benchmark's database right now."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cursor.fetchall()]
    connection.close()
    return pids


@dataclass
class CpuMeter:
    """CPU seconds the web and worker process trees and the database's server processes spend
    between ``begin`` and ``end``: unlike wall-clock latencies, these do not depend on what else
    runs on the machine, so they tell the capacity of the 2 cores even on a busy machine."""

    roots: dict[str, int]
    before: dict[str, dict[int, float]] = field(default_factory=dict)
    spent: dict[str, float] = field(default_factory=dict)

    def _sample(self) -> dict[str, dict[int, float]]:
        sample = {name: cpu_seconds(process_tree(pid)) for name, pid in self.roots.items()}
        sample["PostgreSQL"] = cpu_seconds(database_backends())
        return sample

    def begin(self) -> None:
        self.before = self._sample()

    def end(self) -> None:
        for name, after in self._sample().items():
            earlier = self.before.get(name, {})
            self.spent[name] = sum(value - earlier.get(pid, 0.0) for pid, value in after.items())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def distribution(values: list[float]) -> str:
    return (
        f"{percentile(values, 0.5):8.2f} {percentile(values, 0.99):8.2f} "
        f"{max(values, default=float('nan')):8.2f} {len(values):6d}"
    )


@dataclass
class Findings:
    access: list[float] = field(default_factory=list)
    welcome: list[float] = field(default_factory=list)
    pdf: list[float] = field(default_factory=list)
    invoice_mail: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    granted_at: list[float] = field(default_factory=list)
    first_received: float = 0.0
    last_done: dict[str, float] = field(default_factory=dict)


def examine(purchases: list[Purchase], prefix: str) -> Findings:
    """Latencies from database timestamps, and exactly-one checks for every purchase."""
    from django.contrib.auth import get_user_model

    from billing.models import Order, Payment, ProviderEvent
    from invoices.models import Document, DocumentFile
    from members.models import AccessGrant, GrantEvent

    found = Findings()
    members = {
        user.email: user for user in get_user_model().objects.filter(email__startswith=prefix)
    }
    grants: dict[int, list] = {}
    for grant in AccessGrant.objects.filter(member__email__startswith=prefix):
        grants.setdefault(grant.member_id, []).append(grant)
    granted_by = dict(
        GrantEvent.objects.filter(
            grant__member__email__startswith=prefix, kind=GrantEvent.Kind.GRANTED
        ).values_list("grant_id", "source_event__received_at")
    )
    orders: dict[int, int] = {}
    for member_id in Order.objects.filter(member__email__startswith=prefix).values_list(
        "member_id", flat=True
    ):
        orders[member_id] = orders.get(member_id, 0) + 1
    payments: dict[int, int] = {}
    for member_id in Payment.objects.filter(order__member__email__startswith=prefix).values_list(
        "order__member_id", flat=True
    ):
        payments[member_id] = payments.get(member_id, 0) + 1
    documents: dict[int, list] = {}
    for document in Document.objects.filter(member__email__startswith=prefix):
        documents.setdefault(document.member_id, []).append(document)
    files = {
        stored.document_id: Path(stored.pdf.path).stat().st_mtime
        for stored in DocumentFile.objects.filter(document__member__email__startswith=prefix)
    }
    welcome: dict[str, list[float]] = {}
    invoice_mails: dict[str, list[float]] = {}
    for mail in sent_mails():
        target = invoice_mails if mail["pdf"] else welcome
        for address in mail["to"]:
            target.setdefault(address, []).append(mail["sent_at"])
    received: dict[str, float] = {}
    for payload, at in ProviderEvent.objects.values_list("payload", "received_at"):
        email = _email_of(payload)
        if email:
            received[email] = min(received.get(email, at.timestamp()), at.timestamp())
    found.first_received = min(received.values(), default=0.0)

    from outbox.models import OutboxMessage

    pending: set[tuple[int, str]] = set(
        OutboxMessage.objects.filter(
            member__email__startswith=prefix, state=OutboxMessage.State.PENDING
        ).values_list("member_id", "kind")
    )
    waiting = {  # still queued when the bench stopped waiting: late, not lost
        "welcome e-mails": OutboxMessage.Kind.ORDER_EMAIL,
        "invoice PDFs": OutboxMessage.Kind.DOCUMENT_PDF,
        "invoice e-mails": OutboxMessage.Kind.DOCUMENT_EMAIL,
    }

    def one(label: str, count: int, purchase: Purchase, expected: int = 1) -> bool:
        if count == expected:
            return True
        member = members.get(purchase.email)
        if count < expected and member and (member.pk, waiting.get(label)) in pending:
            found.late.append(f"{purchase.email} ({purchase.kind}): {label} still queued")
        else:
            found.problems.append(f"{purchase.email} ({purchase.kind}): {count} {label}")
        return False

    for purchase in purchases:
        member = members.get(purchase.email)
        if not one("members", 1 if member else 0, purchase):
            continue
        mine = grants.get(member.pk, [])
        one("orders", orders.get(member.pk, 0), purchase)
        one("payments", payments.get(member.pk, 0), purchase)
        if one("grants", len(mine), purchase):
            grant = mine[0]
            if grant.state != AccessGrant.State.ACTIVE:
                found.problems.append(f"{purchase.email}: grant {grant.state}, not active")
            at = granted_by.get(grant.pk)
            if at is None:
                found.problems.append(f"{purchase.email}: grant without its webhook")
            else:
                found.access.append((grant.created_at - at).total_seconds())
                found.granted_at.append(grant.created_at.timestamp())
        start = received.get(purchase.email, 0.0)
        sent = welcome.get(purchase.email, [])
        if one("welcome e-mails", len(sent), purchase):
            found.welcome.append(sent[0] - start)
        stripe = purchase.kind.startswith("stripe")
        invoices = documents.get(member.pk, [])
        if one("invoices", len(invoices), purchase, expected=1 if stripe else 0) and stripe:
            rendered = files.get(invoices[0].pk)
            if one("invoice PDFs", 0 if rendered is None else 1, purchase):
                found.pdf.append(rendered - start)
        mailed = invoice_mails.get(purchase.email, [])
        if one("invoice e-mails", len(mailed), purchase, expected=1 if stripe else 0) and stripe:
            found.invoice_mail.append(mailed[0] - start)
    found.last_done = {
        "welcome": max((times[0] for times in welcome.values()), default=0.0),
        "pdf": max(files.values(), default=0.0),
    }
    return found


def _email_of(payload: dict) -> str:
    if "fields" in payload:  # a Digistore24 IPN
        return payload["fields"].get("buyer_email", "")
    data = payload.get("data", {}).get("object", {})
    return (data.get("customer_details") or {}).get("email") or data.get("customer_email") or ""


def print_cpu(meter: CpuMeter, purchases: int) -> None:
    """CPU per purchase of each part, and what that makes the machine's capacity."""
    total = sum(meter.spent.values())
    parts = ", ".join(
        f"{name} {seconds * 1000 / max(purchases, 1):.1f}" for name, seconds in meter.spent.items()
    )
    print(
        f"CPU ms per purchase (webhooks, access, e-mails, PDFs): {parts}; "
        f"total {total * 1000 / max(purchases, 1):.1f} (PostgreSQL: its server processes still "
        "connected at the end; a connection closed meanwhile, CONN_MAX_AGE, took its share along)"
    )
    if total:
        print(
            f"  = {total:.0f} CPU s for {purchases} purchases: the {os.cpu_count()} cores carry at "
            f"most {os.cpu_count() * purchases / total:.0f} purchases/s with everything included"
        )


def report(arguments, sent: dict, found: Findings, purchases: list[Purchase], load: str) -> int:
    answers = sent["answers"]
    print()
    print(
        f"launch burst: {len(purchases)} purchases ({len(answers)} webhooks) sent in "
        f"{sent['seconds']:.1f} s (planned {arguments.seconds:.0f} s); webhook answers p50 "
        f"{percentile(answers, 0.5) * 1000:.0f} ms, p99 {percentile(answers, 0.99) * 1000:.0f} ms; "
        f"senders late by up to {max(sent['lateness'], default=0):.2f} s; "
        f"non-2xx/errors {len(sent['failures'])}"
    )
    print(f"machine: {os.cpu_count()} cores, load at the end: {load}")
    print(f"worker: {' '.join(arguments.worker_command)}")
    print_cpu(arguments.cpu_meter, len(purchases))
    print()
    print(f"{'seconds from the webhook':34s} {'p50':>8s} {'p99':>8s} {'max':>8s} {'count':>6s}")
    print(f"{'access active (grant written)':34s} {distribution(found.access)}")
    print(f"{'welcome e-mail sent':34s} {distribution(found.welcome)}")
    print(f"{'invoice PDF stored (Stripe)':34s} {distribution(found.pdf)}")
    print(f"{'invoice e-mail sent (Stripe)':34s} {distribution(found.invoice_mail)}")
    if len(found.granted_at) > 1:
        span = max(found.granted_at) - found.first_received
        print(
            f"access: {len(found.granted_at) / span:.1f} purchases/s granted from the first webhook"
            f" to the last grant (arriving: {len(purchases) / arguments.seconds:.1f}/s)"
        )
    for name, at in found.last_done.items():
        if at and found.first_received:
            print(f"last {name} done {at - found.first_received:.1f} s after the first webhook")
    print()
    checks = {
        "access p99": percentile(found.access, 0.99),
        "welcome max": max(found.welcome, default=float("inf")),
        "pdf max": max(found.pdf, default=float("inf")),
    }
    missed = []
    for name, value in checks.items():
        verdict = "ok" if value <= TARGETS[name] else "MISSED"
        if verdict != "ok":
            missed.append(name)
        print(f"target {name:12s} <= {TARGETS[name]:5.0f} s: {value:8.2f} s  {verdict}")
    problems = found.problems + sent["failures"]
    print(
        f"records: {len(problems)} lost or duplicated "
        "(each purchase: 1 member, order, payment, grant, welcome e-mail; Stripe: 1 invoice, PDF "
        "and invoice e-mail; Digistore24: none of ours, it invoices its buyers)"
    )
    for problem in problems[:20]:
        print(f"  {problem}")
    if found.late:
        print(f"late: {len(found.late)} e-mails or PDFs still queued when the wait ended")
        for late in found.late[:5]:
            print(f"  {late}")
    if problems:
        return 1
    return 2 if missed or found.late else 0


def worker_command(arguments) -> list[str]:
    venv = ROOT / ".venv" / "bin"
    command = [
        str(venv / "celery"),
        "-A",
        "membership_site",
        "worker",
        "-Q",
        ",".join(QUEUES),
        f"--pool={arguments.pool}",
        f"--concurrency={arguments.concurrency}",
        "--loglevel=WARNING",
    ]
    return command + arguments.worker_option


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--purchases", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16, help="sending threads")
    parser.add_argument("--web-threads", type=int, default=8, help="gunicorn gthread threads")
    parser.add_argument("--pool", default=WORKER_POOL, help="Celery pool of the one worker")
    parser.add_argument("--concurrency", type=int, default=WORKER_CONCURRENCY)
    parser.add_argument(
        "--worker-option", action="append", default=[], help="more `celery worker` options"
    )
    parser.add_argument("--timeout", type=float, default=420, help="seconds to wait at most")
    arguments = parser.parse_args()
    if not (os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL")):
        print("launch_burst: skipped, needs REDIS_URL for the Celery broker")
        return 0
    if use_throwaway_database("burst") is None:
        print("launch_burst: skipped, needs DATABASE_URL=postgres://… (and REDIS_URL)")
        return 0
    os.environ["DIGISTORE24_IPN_PASSPHRASE"] = "ipn-passphrase-for-tests"  # noqa: S105
    django.setup()
    prepare_catalog()
    prefix = f"burst{int(time.time())}"
    purchases = build_purchases(arguments.purchases, prefix)
    purge_queues()
    port = free_port()
    arguments.worker_command = worker_command(arguments)
    web = start(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "membership_site.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            str(arguments.web_threads),
            "--log-level",
            "warning",
        ],
        port,
        Path(VAR_DIR, "gunicorn.log"),
    )
    worker = start(arguments.worker_command, port, Path(VAR_DIR, "worker.log"))
    print(f"logs: {VAR_DIR}/gunicorn.log, {VAR_DIR}/worker.log", flush=True)
    try:
        wait_for_port(port)
        warm_up(port)
        arguments.cpu_meter = CpuMeter(roots={"web": web.pid, "worker": worker.pid})
        arguments.cpu_meter.begin()
        sent = send_burst(port, purchases, arguments.seconds, arguments.clients)
        stripe = sum(purchase.kind.startswith("stripe") for purchase in purchases)
        expected = {
            "grants": len(purchases),
            "pdfs": stripe,
            "mails": len(purchases) + stripe,
        }
        wait_done(prefix, expected, arguments.timeout)
        arguments.cpu_meter.end()
        found = examine(purchases, prefix)
        load = Path("/proc/loadavg").read_text().strip()
        return report(arguments, sent, found, purchases, load)
    finally:
        for process in (web, worker):
            process.terminate()
        for process in (web, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
