"""Soak test: two web processes and two Celery workers on one PostgreSQL and Redis, one worker
killed with SIGKILL mid-run; afterwards every record must exist exactly once.

As on several hosts: two gunicorn processes on two ports (as two replicas behind a proxy), two
Celery workers in their own process groups (as on two hosts), one beat. A load generator on
loopback sends, for ``--minutes`` (5), signed Stripe and Digistore24 events: purchases,
subscriptions with renewals, refunds, some stories in reverse order, replays of events already
sent, and 5 % of the events at the same moment to both web processes; meanwhile logged-in members
open their dashboard and lessons. Half-way through, worker A's whole process group is killed
with SIGKILL and started again. When the load stops the script waits for the queues to drain
(``--drain-timeout``), then checks the database: each event stored and processed once; each
order, payment, grant, welcome e-mail, invoice (numbers without gaps) and refund credit note
exactly once. It prints what it sent, the HTTP errors and each check; it exits 1 on any lost or
duplicated record (or a 5xx, or a drain that timed out).

Runs in its own throw-away database next to DATABASE_URL's and FLUSHES the Redis database of
REDIS_URL (give it one of its own):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/soak REDIS_URL=redis://127.0.0.1:6379/8 \
        .venv/bin/python bench/soak.py [--minutes 5 | --seconds 60] [--rate 1.0]
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import email
import http.client
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR_DIR = tempfile.mkdtemp(prefix="bench-soak-")
STRIPE_SECRET = "whsec_soak_only"  # noqa: S105 - a local benchmark signing secret
DS24_PASSPHRASE = "soak-ipn-passphrase"  # noqa: S105 - a local benchmark passphrase
ENV = {
    "DJANGO_SETTINGS_MODULE": "membership_site.settings",
    "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,  # shared by every process, as on every host
    "DJANGO_DEBUG": "0",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "VAR_DIR": VAR_DIR,
    "LOG_LEVEL": "WARNING",
    "STRIPE_WEBHOOK_SECRET": STRIPE_SECRET,
    "STRIPE_SECRET_KEY": "",
    "DIGISTORE24_IPN_PASSPHRASE": DS24_PASSPHRASE,
    # Every process writes its e-mails as files into one folder: the checks count them.
    "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
    "EMAIL_FILE_PATH": str(Path(VAR_DIR, "mail")),
}
os.environ.update(ENV)

import django  # noqa: E402

from bench._database import _drop, use_throwaway_database  # noqa: E402
from bench._processes import (  # noqa: E402
    WORKER_CONCURRENCY,
    WORKER_POOL,
    free_port,
    wait_for_port,
)

DAY = 86400
STRIPE_URL = "/billing/webhooks/stripe/"
DS24_URL = "/billing/webhooks/digistore24/"
# Product names appear in the welcome e-mail's subject (in every language): the checks find
# each order's welcome e-mail by them.
CATALOG = {
    "stripe_course": ("Soakcourse Stripe", "course"),
    "stripe_membership": ("Soakclub Stripe", "membership"),
    "ds24_course": ("Soakcourse Digistore", "course"),
    "ds24_membership": ("Soakclub Digistore", "membership"),
}


# --- the stories: what the providers send, and what must exist afterwards -----------------------


@dataclass
class Delivery:
    kind: str  # e.g. "stripe invoice.paid (renewal)"
    provider: str  # "stripe" or "digistore24"
    event_key: str  # Stripe's event id; our own unique key of a Digistore24 IPN
    body: str | dict  # Stripe: JSON (signed when sent); Digistore24: the fields (signed now)


@dataclass
class Story:
    """One buyer's purchase and what it must leave behind exactly once."""

    name: str  # a key of CATALOG
    email: str
    deliveries: list[Delivery] = field(default_factory=list)
    order_ref: str = ""
    payment_refs: list[str] = field(default_factory=list)
    refunded_refs: list[str] = field(default_factory=list)

    @property
    def provider(self) -> str:
        return "stripe" if self.name.startswith("stripe") else "digistore24"


def stripe_story(number: int, name: str, now: int, rng: random.Random) -> Story:
    from tests.payloads.stripe import build_event

    story = Story(name=name, email=f"soak-{number}@example.test")
    tag = f"soak{number}"
    customer = f"cus_{tag}"

    def add(kind: str, event_type: str, created: int, **fields) -> None:
        event_id = f"evt_{tag}_{len(story.deliveries)}"
        # Test-mode events (TEST- invoice numbers): a site without a live key ignores live ones.
        body = build_event(
            event_type, event_id=event_id, created=created, livemode=False, customer=customer,
            email=story.email, name=f"Soak Buyer {number}", **fields,
        )  # fmt: skip
        story.deliveries.append(Delivery(kind, "stripe", event_id, body))

    if name == "stripe_course":
        session, intent = f"cs_{tag}", f"pi_{tag}"
        story.order_ref = session
        story.payment_refs = [session]
        add("stripe checkout.session.completed (purchase)", "checkout.session.completed", now,
            session_id=session, price_id="price_soak_course", amount=4900,
            payment_intent=intent)  # fmt: skip
        if rng.random() < 0.3:
            add("stripe charge.refunded", "charge.refunded", now + 60, charge=f"ch_{tag}",
                payment_intent=intent, amount=4900, amount_refunded=4900)  # fmt: skip
            story.refunded_refs = [session]
        return story
    subscription = f"sub_{tag}"
    story.order_ref = subscription
    add("stripe checkout.session.completed (subscription)", "checkout.session.completed", now,
        session_id=f"cs_{tag}", mode="subscription", subscription=subscription,
        price_id="price_soak_monthly", amount=2900, payment_intent=None)  # fmt: skip
    renewals = 1 + (rng.random() < 0.5) + (rng.random() < 0.2)
    for index in range(renewals):
        invoice = f"in_{tag}_{index}"
        story.payment_refs.append(invoice)
        add("stripe invoice.paid (new)" if index == 0 else "stripe invoice.paid (renewal)",
            "invoice.paid", now - (renewals - 1 - index) * 30 * DAY, invoice_id=invoice,
            subscription=subscription, price_id="price_soak_monthly", amount=2900,
            payment_intent=f"pi_{tag}_{index}",
            billing_reason="subscription_create" if index == 0 else "subscription_cycle",
            period_end=now - (renewals - 2 - index) * 30 * DAY)  # fmt: skip
    if rng.random() < 0.2:  # the latest month refunded
        last = renewals - 1
        add("stripe charge.refunded", "charge.refunded", now + 60, charge=f"ch_{tag}",
            payment_intent=f"pi_{tag}_{last}", amount=2900, amount_refunded=2900)  # fmt: skip
        story.refunded_refs = [story.payment_refs[-1]]
    return story


def ds24_story(number: int, name: str, now: int, rng: random.Random) -> Story:
    from tests.payloads.digistore24 import build_ipn, subscription_payment

    story = Story(name=name, email=f"soak-{number}@example.test")
    order_id = f"SOAK{number:05d}"

    def moment(offset_days: float) -> dict[str, str]:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now + offset_days * DAY))
        return {"transaction_date": stamp, "order_date_time": stamp}

    def add(kind: str, fields: dict[str, str]) -> None:
        key = f"{fields['event']}:{fields['transaction_id']}"
        story.deliveries.append(Delivery(kind, "digistore24", key, fields))

    buyer = {"email": story.email, "buyer_email": story.email, "api_mode": "live"}
    if name == "ds24_course":
        transaction = f"81{number:06d}0"
        story.order_ref = f"{order_id}:610001"
        story.payment_refs = [transaction]
        add("digistore24 on_payment (purchase)", build_ipn(
            "on_payment", order_id=order_id, transaction_id=transaction, product_id="610001",
            product_name=CATALOG[name][0], **buyer, **moment(0)))  # fmt: skip
        if rng.random() < 0.3:
            add("digistore24 on_refund", build_ipn(
                "on_refund", order_id=order_id, transaction_id=f"82{number:06d}0",
                parent_transaction_id=transaction, product_id="610001",
                product_name=CATALOG[name][0], **buyer, **moment(0.01)))  # fmt: skip
            story.refunded_refs = [transaction]
        return story
    story.order_ref = f"{order_id}:610003"
    payments = 1 + (rng.random() < 0.5) + (rng.random() < 0.2)
    for sequence in range(1, payments + 1):
        transaction = f"83{number:06d}{sequence}"
        story.payment_refs.append(transaction)
        age = (payments - sequence) * 30
        next_payment = time.strftime("%Y-%m-%d", time.gmtime(now + (30 - age) * DAY))
        add("digistore24 on_payment (subscription)" if sequence == 1
            else "digistore24 on_payment (rebill)",
            subscription_payment(sequence, next_payment, order_id=order_id,
                                 transaction_id=transaction, product_id="610003",
                                 product_name=CATALOG[name][0], **buyer,
                                 **moment(-age)))  # fmt: skip
    return story


def new_story(number: int, rng: random.Random) -> Story:
    name = rng.choice(list(CATALOG))
    now = int(time.time())
    make = stripe_story if name.startswith("stripe") else ds24_story
    return make(number, name, now, rng)


# --- the load ----------------------------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: Counter[str] = Counter()  # by kind
        self.extra: Counter[str] = Counter()  # duplicates and out-of-order stories
        self.statuses: Counter[str] = Counter()  # "webhook 200", "page 500", ...
        self.stories: list[Story] = []

    def count(self, counter: str, key: str) -> None:
        with self.lock:
            getattr(self, counter)[key] += 1


def encode(delivery: Delivery) -> tuple[str, bytes, dict[str, str]]:
    """(path, body, headers), signed now as the provider signs each attempt."""
    if delivery.provider == "stripe":
        from tests.payloads.stripe import sign

        headers = {
            "Content-Type": "application/json",
            "Stripe-Signature": sign(delivery.body, STRIPE_SECRET),
        }
        return STRIPE_URL, delivery.body.encode(), headers
    from tests.payloads.digistore24 import FORM, signed

    body = urlencode(list(signed(delivery.body, DS24_PASSPHRASE).items()), encoding="utf-8")
    return DS24_URL, body.encode(), {"Content-Type": FORM}


def request(port: int, method: str, path: str, body=None, headers=None) -> str:
    """One request on a fresh connection; the answer's status, or "connection error"."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body, headers or {})
        response = connection.getresponse()
        response.read()
        return str(response.status)
    except (http.client.HTTPException, OSError):
        return "connection error"
    finally:
        connection.close()


def deliver(tally: Tally, ports: list[int], delivery: Delivery, rng: random.Random) -> None:
    path, body, headers = encode(delivery)
    port = rng.choice(ports)
    if rng.random() < 0.05:  # the same delivery at the same moment to both web processes
        tally.count("extra", "duplicates at once to both web processes")
        other = threading.Thread(
            target=lambda: tally.count("statuses", "webhook " + request(
                ports[1 - ports.index(port)], "POST", path, body, headers)),
        )  # fmt: skip
        other.start()
        tally.count("statuses", "webhook " + request(port, "POST", path, body, headers))
        other.join()
    else:
        tally.count("statuses", "webhook " + request(port, "POST", path, body, headers))
    tally.count("sent", delivery.kind)


def webhook_client(tally: Tally, ports, stories, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    replays: list[Delivery] = []
    while not stop.is_set():
        try:
            story = stories.pop()
        except IndexError:
            time.sleep(0.05)
            continue
        deliveries = list(story.deliveries)
        if len(deliveries) > 1 and rng.random() < 0.2:  # refund or renewal before the purchase
            deliveries.reverse()
            tally.count("extra", "stories sent in reverse order")
        for delivery in deliveries:
            deliver(tally, ports, delivery, rng)
            if rng.random() < 0.1:
                replays.append(delivery)
        if replays and rng.random() < 0.3:  # a provider's retry of an event delivered before
            deliver(tally, ports, replays.pop(0), rng)
            tally.count("extra", "replays of a delivered event (later, any process)")
    for delivery in replays:
        deliver(tally, ports, delivery, rng)
        tally.count("extra", "replays of a delivered event (later, any process)")


def page_client(tally: Tally, ports, pages, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        cookie, path = rng.choice(pages)
        status = request(rng.choice(ports), "GET", path, headers={"Cookie": f"sessionid={cookie}"})
        tally.count("statuses", "page " + status)
        time.sleep(rng.uniform(0.05, 0.2))


# --- setup, processes ------------------------------------------------------------------------


def prepare(members: int) -> list[tuple[str, str]]:
    """Catalog, seller, members with courses; returns [(session cookie, page path)]."""
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from invoices.models import SellerSettings
    from members.models import AccessGrant, User
    from products.models import Lesson, Module, Price, Product

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    SellerSettings.objects.create(
        legal_name="Soak GmbH", address="Hauptstraße 5\n10115 Berlin", vat_id="DE999999999",
        default_vat_rate=Decimal("19.00"), email="billing@example.test",
    )  # fmt: skip
    products = {}
    for key, (name, kind) in CATALOG.items():
        products[key] = Product.objects.create(
            slug=key.replace("_", "-"), name=name, kind=kind, is_published=True,
            digistore24_product_id={"ds24_course": "610001", "ds24_membership": "610003"}.get(
                key, ""),
        )  # fmt: skip
    Price.objects.create(
        product=products["stripe_course"], stripe_price_id="price_soak_course", amount=4900,
        currency="EUR", billing_type="one_time",
    )  # fmt: skip
    Price.objects.create(
        product=products["stripe_membership"], stripe_price_id="price_soak_monthly",
        amount=2900, currency="EUR", billing_type="recurring", interval="month",
    )  # fmt: skip
    course = Product.objects.create(
        slug="soak-reading", name="Reading course", kind="course", is_published=True
    )
    module = Module.objects.create(product=course, title="Module", position=1)
    lessons = Lesson.objects.bulk_create(
        Lesson(module=module, title=f"Lesson {i}", body="<p>Body</p>" * 20, position=i)
        for i in range(8)
    )
    now = timezone.now()
    pages = []
    for number in range(members):
        member = User.objects.create_user(f"reader-{number}@example.test", name="Reader")
        AccessGrant.objects.create(
            member=member, product=course, state="active", source="admin",
            starts_at=now - timedelta(days=30), first_used_at=now,
        )  # fmt: skip
        session = SessionStore()
        session[SESSION_KEY] = str(member.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = member.get_session_auth_hash()
        session.create()
        pages.append((session.session_key, "/members/"))
        pages += [(session.session_key, lesson.get_absolute_url()) for lesson in lessons[:3]]
    return pages


class Processes:
    """The site's processes, each in its own process group (so a kill takes its children)."""

    def __init__(self, site_url: str) -> None:
        self.env = {**os.environ, "SITE_URL": site_url}
        self.running: dict[str, subprocess.Popen] = {}
        self.venv = ROOT / ".venv" / "bin"

    def start(self, name: str, command: list[str]) -> None:
        log = Path(VAR_DIR, f"{name}.log").open("ab")  # noqa: SIM115 - closed with the process
        self.running[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def web(self, name: str, port: int, workers: int) -> None:
        self.start(name, [str(self.venv / "gunicorn"), "membership_site.wsgi",
                          "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                          "--log-level", "warning"])  # fmt: skip

    def worker(self, name: str, concurrency: int = WORKER_CONCURRENCY) -> None:
        self.start(name, [str(self.venv / "celery"), "-A", "membership_site", "worker",
                          "-n", f"{name}@%h", "-Q", "celery,mail,pdf",
                          f"--pool={WORKER_POOL}", f"--concurrency={concurrency}",
                          "--loglevel=WARNING"])  # fmt: skip

    def beat(self) -> None:
        self.start("beat", [str(self.venv / "celery"), "-A", "membership_site", "beat",
                            "--loglevel=WARNING"])  # fmt: skip

    def kill(self, name: str) -> None:
        """SIGKILL to the whole process group: the host died, nothing gets to clean up."""
        process = self.running.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.running.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.running.clear()


def drain(timeout: float) -> bool:
    """Wait until no event waits or failed and no outbox row is pending; False on timeout."""
    from django.db import connection

    from billing.models import ProviderEvent
    from outbox.models import OutboxMessage

    began = time.monotonic()
    last_print = 0.0
    while True:
        events = ProviderEvent.objects.exclude(status__in=["processed", "ignored"]).count()
        outbox = OutboxMessage.objects.filter(state="pending").count()
        connection.close()
        waited = time.monotonic() - began
        if not events and not outbox:
            print(f"drained after {waited:.0f} s", flush=True)
            return True
        if waited > timeout:
            print(f"NOT drained after {waited:.0f} s: {events} events, {outbox} outbox rows")
            return False
        if waited - last_print >= 30:
            print(f"  draining: {events} events and {outbox} outbox rows left", flush=True)
            last_print = waited
        time.sleep(2)


# --- the checks ----------------------------------------------------------------------------------


def read_mails() -> list[tuple[str, str]]:
    """(recipient, subject) of every e-mail the processes wrote."""
    from email import policy

    mails = []
    for path in sorted(Path(VAR_DIR, "mail").glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                message = email.message_from_bytes(chunk, policy=policy.default)
                mails.append((str(message["To"]), str(message["Subject"])))
    return mails


def exactly_once(expected: set, found: Counter) -> str:
    """ "" when each expected key was found once and nothing else; else what is wrong."""
    lost = sorted(expected - set(found))
    twice = sorted(key for key, count in found.items() if count > 1)
    unexpected = sorted(set(found) - expected)
    problems = [
        f"{label} {len(keys)} (e.g. {keys[:3]})"
        for label, keys in (("lost", lost), ("duplicated", twice), ("unexpected", unexpected))
        if keys
    ]
    return "; ".join(problems)


def verify(stories: list[Story]) -> tuple[list[tuple[str, int, str]], list[tuple[str, int]]]:
    """[(check, records checked, problem or "")] against the database and the e-mail files,
    and [(what was recovered after a failure or the kill, how many)]."""
    from django.db.models import F

    from billing.models import Order, Payment, ProviderEvent
    from invoices.models import Document, DocumentMail, InvoiceSeries
    from members.models import AccessGrant
    from outbox.models import OutboxMessage
    from outbox.services import PICKUP_DELAY

    results = []

    def check(name: str, expected: set, found: Counter) -> None:
        results.append((name, len(expected), exactly_once(expected, found)))

    events = {(d.provider, d.event_key) for story in stories for d in story.deliveries}
    check("events stored once", events, Counter(ProviderEvent.objects.values_list(
        "provider", "event_id")))  # fmt: skip
    not_done = Counter(ProviderEvent.objects.exclude(status="processed").values_list(
        "status", flat=True))  # fmt: skip
    results.append(("events processed", len(events), ", ".join(
        f"{count} {status}" for status, count in not_done.items())))  # fmt: skip
    check("orders once", {(s.provider, s.order_ref) for s in stories},
          Counter(Order.objects.values_list("provider", "provider_ref")))  # fmt: skip
    payments = {(s.provider, ref) for s in stories for ref in s.payment_refs}
    check("payments once", payments,
          Counter(Payment.objects.values_list("provider", "provider_ref")))  # fmt: skip
    refunded = {(s.provider, ref) for s in stories for ref in s.refunded_refs}
    check(
        "refunds recorded once",
        refunded,
        Counter(Payment.objects.filter(status="refunded").values_list("provider", "provider_ref")),
    )
    grants = {(s.email, CATALOG[s.name][0]) for s in stories}
    check(
        "grants once",
        grants,
        Counter(
            AccessGrant.objects.filter(member__email__startswith="soak-").values_list(
                "member__email", "product__name"
            )
        ),
    )
    invoiced = {ref for provider, ref in payments if provider == "stripe"}
    check("invoices once (Stripe payments)", invoiced, Counter(Document.objects.filter(
        kind="invoice").values_list("payment__provider_ref", flat=True)))  # fmt: skip
    credited = {ref for provider, ref in refunded if provider == "stripe"}
    check("credit notes once (Stripe refunds)", credited, Counter(Document.objects.filter(
        kind="credit_note").values_list("payment__provider_ref", flat=True)))  # fmt: skip
    for series in InvoiceSeries.objects.all():
        sequences = sorted(series.documents.values_list("sequence", flat=True))
        wanted = list(range(1, series.last_number + 1))
        problem = "" if sequences == wanted else (
            f"sequences {sequences[:5]}... do not run 1..{series.last_number} "
            f"(gaps {sorted(set(wanted) - set(sequences))[:5]})")  # fmt: skip
        label = f"{'TEST ' if series.is_test else ''}{series.get_kind_display()} {series.year}"
        results.append((f"numbers without gaps: {label}", len(sequences), problem))
    mails = Counter(read_mails())
    orders = Order.objects.select_related("member", "product")
    welcomes = Counter()
    for order in orders:
        welcomes[(order.provider, order.provider_ref)] += sum(
            count for (to, subject), count in mails.items()
            if to == order.member.email and order.product.name in subject
        )  # fmt: skip
    check("welcome e-mails once (mail files)", {(s.provider, s.order_ref) for s in stories},
          +welcomes)  # fmt: skip
    check("welcome outbox rows once, sent", {order.pk for order in orders}, Counter(
        OutboxMessage.objects.filter(kind="order_email", state="sent").values_list(
            "payload__order_pk", flat=True)))  # fmt: skip
    documents = Counter()
    for document in Document.objects.all():
        documents[document.number] += sum(
            count for (to, subject), count in mails.items()
            if to == document.buyer_email and subject.endswith(" " + document.number)
        )  # fmt: skip
    check("invoice and credit note e-mails once (mail files)",
          set(Document.objects.values_list("number", flat=True)), +documents)  # fmt: skip
    check("document e-mail records once", set(Document.objects.values_list("number", flat=True)),
          Counter(DocumentMail.objects.filter(reason="issued").values_list(
              "document__number", flat=True)))  # fmt: skip
    recovered = [
        ("events applied on a later attempt (a refund or rebill before its payment)",
         ProviderEvent.objects.filter(attempts__gt=1).count()),
        ("events re-queued by the periodic job", ProviderEvent.objects.filter(
            queued_at__isnull=False).count()),
        ("outbox rows sent by the periodic job (their task was lost with the killed worker)",
         OutboxMessage.objects.filter(sent_at__gte=F("created_at") + PICKUP_DELAY).count()),
    ]  # fmt: skip
    left = Counter(OutboxMessage.objects.exclude(state__in=["sent", "skipped"]).values_list(
        "state", flat=True))  # fmt: skip
    results.append(("outbox rows all done", OutboxMessage.objects.count(), ", ".join(
        f"{count} {state}" for state, count in left.items())))  # fmt: skip
    return results, recovered


# --- the run ------------------------------------------------------------------------------------


def main() -> int:  # noqa: PLR0915 - one script, read from top to bottom
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float, default=5.0)
    length.add_argument("--seconds", type=float)
    parser.add_argument("--rate", type=float, default=1.0, help="new purchase stories a second")
    parser.add_argument("--drain-timeout", type=float, default=900.0)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--keep", action="store_true", help="keep the database to study it")
    arguments = parser.parse_args()
    seconds = arguments.seconds or arguments.minutes * 60
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url or use_throwaway_database("soak") is None:
        print("soak: needs DATABASE_URL=postgres://… and REDIS_URL=redis://… (its own db)")
        return 2
    if arguments.keep:  # a fresh database all the same, left in place afterwards
        atexit.unregister(_drop)
    os.environ["CELERY_BROKER_URL"] = redis_url
    django.setup()
    import redis

    redis.Redis.from_url(redis_url).flushdb()  # no task of an earlier run, no stale cache
    pages = prepare(members=12)
    from django.db import connection

    connection.close()
    ports = [free_port(), free_port()]
    processes = Processes(site_url=f"http://127.0.0.1:{ports[0]}")
    for name, port in zip(("web-1", "web-2"), ports, strict=True):
        processes.web(name, port, workers=2)
    processes.worker("worker-a")
    processes.worker("worker-b")
    processes.beat()  # exactly one: it re-queues what the killed worker held
    print(f"logs and e-mails in {VAR_DIR}; web on ports {ports}; {seconds:.0f} s of load at "
          f"{arguments.rate} purchase stories/s", flush=True)  # fmt: skip
    rng = random.Random(arguments.seed)
    tally = Tally()
    stories: list[Story] = []
    stop = threading.Event()
    try:
        for port in ports:
            wait_for_port(port, timeout=60)
        clients = [threading.Thread(target=webhook_client,
                                    args=(tally, ports, stories, stop, arguments.seed + i))
                   for i in range(4)]  # fmt: skip
        clients += [threading.Thread(target=page_client,
                                     args=(tally, ports, pages, stop, arguments.seed + 10 + i))
                    for i in range(2)]  # fmt: skip
        for client in clients:
            client.start()
        began = time.monotonic()
        killed = False
        number = 0
        while (elapsed := time.monotonic() - began) < seconds:
            while number < elapsed * arguments.rate:
                story = new_story(number, rng)
                stories.insert(0, story)
                tally.stories.append(story)
                number += 1
            if not killed and elapsed >= seconds / 2:
                processes.kill("worker-a")
                print(f"{elapsed:.0f} s: worker-a killed (SIGKILL to its process group)",
                      flush=True)  # fmt: skip
                time.sleep(3)
                processes.worker("worker-a")
                print(f"{time.monotonic() - began:.0f} s: worker-a started again", flush=True)
                killed = True
            time.sleep(0.1)
        stop.set()
        for client in clients:
            client.join()
        unsent = len(stories)
        print(f"load stopped after {time.monotonic() - began:.0f} s ({unsent} stories not "
              f"sent); waiting for the queues", flush=True)  # fmt: skip
        drained = drain(arguments.drain_timeout)
        sent = [story for story in tally.stories if story not in stories]
        results, recovered = verify(sent)
    finally:
        stop.set()
        processes.stop_all()
    print("\ndeliveries sent (replays and copies to both processes included):")
    for kind, count in sorted(tally.sent.items()):
        print(f"  {count:6d}  {kind}")
    for kind, count in sorted(tally.extra.items()):
        print(f"  {count:6d}  of them: {kind}")
    print(f"  {len(sent):6d}  purchase stories ({Counter(s.name for s in sent)})")
    print("answers:")
    for status, count in sorted(tally.statuses.items()):
        print(f"  {count:6d}  {status}")
    errors = {status: count for status, count in tally.statuses.items()
              if not status.endswith(" 200")}  # fmt: skip
    print(f"HTTP errors: {errors or 'none'}")
    print("recovered:")
    for label, count in recovered:
        print(f"  {count:6d}  {label}")
    print("checks:")
    failed = 0
    for name, checked, problem in results:
        failed += bool(problem)
        verdict = f"FAIL  {name} ({checked}): {problem}" if problem else f"ok    {name} ({checked})"
        print("  " + verdict)
    ok = drained and not failed and not errors
    print("RESULT: " + ("zero lost, zero duplicated" if ok else "FAILED"), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
