"""What one purchase costs the worker, per event type: queries and CPU milliseconds, in process.

The launch burst's purchases (``bench/launch_burst.py``: Stripe one-time and subscription,
Digistore24 one-time and subscription) are posted through the real intake view (signature
checked, event stored, nothing queued), then each stored event is processed as the worker's task
does (``apply_provider_event``) and, with ``--outbox``, each outbox row it wrote is carried out
(welcome e-mail, invoice PDF and its e-mail). It prints, per event type and per outbox kind, the
queries, the CPU time of this process (median and max, the first of each left out as warm-up;
PostgreSQL's own CPU is not in it) and the wall-clock time (which includes PostgreSQL's share
and the round trips, on an idle machine). ``--sql`` lists each event type's statements,
``--profile`` adds cProfile's top functions (CPU time), and ``--close-connections`` opens a new
database connection for each event, as Celery's Django fix-up did before ``CELERY_DB_REUSE_MAX``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/event_cost.py \\
        [--purchases 80] [--outbox] [--sql] [--profile] [--close-connections]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import launch_burst  # noqa: E402 - sets the benchmark's environment first
from bench._database import use_throwaway_database  # noqa: E402

WARM_UP = 4  # the first purchase of each kind loads modules, templates and caches


def store_events(purchases: list[launch_burst.Purchase]) -> list[tuple[int, str]]:
    """Post every webhook to the intake view; returns (event pk, label) in arrival order."""
    from unittest import mock

    from django.test import Client

    from billing.models import ProviderEvent

    client = Client(SERVER_NAME="127.0.0.1")
    with mock.patch("billing.webhooks.queue_event"):
        for purchase in purchases:
            for url, body, headers in purchase.requests:
                extra = (
                    {"HTTP_STRIPE_SIGNATURE": headers["Stripe-Signature"]}
                    if ("Stripe-Signature" in headers)
                    else {}
                )
                response = client.post(url, body, content_type=headers["Content-Type"], **extra)
                assert response.status_code == 200, response.content  # noqa: S101
    labels = []
    for pk, provider, event_type, payload in ProviderEvent.objects.order_by("pk").values_list(
        "pk", "provider", "event_type", "payload"
    ):
        labels.append((pk, _label(provider, event_type, payload)))
    return labels


def _label(provider: str, event_type: str, payload: dict) -> str:
    if provider == "digistore24":
        fields = payload.get("fields", {})
        kind = "subscription" if fields.get("billing_type") == "subscription" else "one-time"
        return f"digistore24 {event_type} ({kind})"
    mode = payload.get("data", {}).get("object", {}).get("mode", "")
    return f"stripe {event_type}" + (f" ({mode})" if mode else "")


CLOSE_CONNECTIONS = False  # --close-connections


def measure(call, *, sql: list[str] | None = None) -> tuple[int, float, float]:
    """Queries, process CPU and wall-clock milliseconds of ``call()``; ``sql`` collects the
    statements. The wall-clock time includes PostgreSQL's share (on an idle machine)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if CLOSE_CONNECTIONS:  # as Celery's Django fixup does around every task by default
        connection.close()
    with CaptureQueriesContext(connection) as queries:
        began, wall = time.process_time(), time.perf_counter()
        call()
        spent = (time.process_time() - began) * 1000
        waited = (time.perf_counter() - wall) * 1000
    if sql is not None:
        sql.extend(query["sql"] for query in queries.captured_queries)
    return len(queries), spent, waited


def process_events(
    labels: list[tuple[int, str]], profiler: cProfile.Profile | None, *, show_sql: bool
) -> dict:
    from django.utils import timezone

    from billing.services import apply_provider_event

    costs: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, (pk, label) in enumerate(labels):
        if profiler and index >= WARM_UP:
            profiler.enable()
        sql: list[str] | None = [] if show_sql and len(costs[label]) == 1 else None
        queries, spent, waited = measure(
            lambda pk=pk: apply_provider_event(event_pk=pk, now=timezone.now()), sql=sql
        )
        if sql:
            print(f"\n-- {label}: {len(sql)} queries")
            for statement in sql:
                print(f"   {statement[:220]}")
        if profiler:
            profiler.disable()
        costs[label].append((queries, spent, waited))
    return costs


def deliver_outbox() -> dict:
    from django.utils import timezone

    from outbox.models import OutboxMessage
    from outbox.services import deliver_message

    costs: dict[str, list[tuple[int, float]]] = defaultdict(list)
    rows = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).order_by("pk")
    for pk, kind in rows.values_list("pk", "kind"):
        costs[kind].append(
            measure(lambda pk=pk: deliver_message(message_pk=pk, now=timezone.now()))
        )
    return costs


def print_costs(title: str, costs: dict) -> None:
    print(
        f"\n{title:48s} {'queries':>9s} {'CPU ms p50':>11s} {'CPU ms max':>11s} "
        f"{'wall ms p50':>12s} {'n':>5s}"
    )
    for label, runs in sorted(costs.items()):
        measured = runs[1:] if len(runs) > 1 else runs  # the first one warms up
        queries = sorted({count for count, _, _ in measured})
        shown = str(queries[0]) if len(queries) == 1 else f"{queries[0]}–{queries[-1]}"
        milliseconds = [spent for _, spent, _ in measured]
        wall = statistics.median(waited for _, _, waited in measured)
        print(
            f"{label:48s} {shown:>9s} {statistics.median(milliseconds):11.1f} "
            f"{max(milliseconds):11.1f} {wall:12.1f} {len(measured):5d}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--purchases", type=int, default=80)
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions")
    parser.add_argument("--outbox", action="store_true", help="also e-mails and PDFs")
    parser.add_argument("--sql", action="store_true", help="each event type's statements")
    parser.add_argument(
        "--close-connections",
        action="store_true",
        help="a new database connection for each event and row, as without CELERY_DB_REUSE_MAX",
    )
    arguments = parser.parse_args()
    global CLOSE_CONNECTIONS  # noqa: PLW0603 - a switch of this script
    CLOSE_CONNECTIONS = arguments.close_connections
    if use_throwaway_database("eventcost") is None:
        print("event_cost: skipped, needs DATABASE_URL=postgres://…")
        return 0
    launch_burst.os.environ["DIGISTORE24_IPN_PASSPHRASE"] = "ipn-passphrase-for-tests"  # noqa: S105
    # Tasks queued after commit go nowhere: the broker's cost is the worker's overhead, not the
    # event's (set here, after launch_burst's module read REDIS_URL for nothing).
    launch_burst.os.environ["CELERY_BROKER_URL"] = "memory://"
    launch_burst.django.setup()
    launch_burst.prepare_catalog()
    purchases = launch_burst.build_purchases(arguments.purchases, f"cost{int(time.time())}")
    labels = store_events(purchases)
    profiler = cProfile.Profile(time.process_time) if arguments.profile else None
    print_costs(
        "event processing (apply_provider_event)",
        process_events(labels, profiler, show_sql=arguments.sql),
    )
    if arguments.outbox:
        print_costs("outbox rows (deliver_message)", deliver_outbox())
    if profiler:
        print()
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
