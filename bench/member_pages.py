"""Benchmark member pages on PostgreSQL (and Redis, if REDIS_URL is set): per page, the CPU
milliseconds per request in process, those of the PostgreSQL server process that answered (when
it runs on this machine) and the queries the page runs, then requests/s, p50 and p99 under
gunicorn with 16 concurrent clients on loopback (wrk when installed, else Python clients), after
a 3-second warm-up at the same load. gunicorn runs sync workers, as the Dockerfile does: each
takes the next waiting connection when it is free, so the load spreads evenly. (gthread workers
keep the connections they accept: with 16 keep-alive clients one worker held 8 and another 2,
and p99 was about three times the median; with sync workers it is about one and a half times.)

Pages: the dashboard, a lesson, a course outline, the profile, a membership's issues page and
one of its posts. The member owns 10 courses of 20 lessons, with progress on half of them, and
a membership tier of a magazine with 500 posts over five years (issue 18). Production settings
(DEBUG off, collected static files); the clients send the cookies a member's browser has after
its first page: a session made beforehand and a CSRF cookie. Every response is checked (status
and content); a wrong answer makes the exit status 1.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/member_pages.py            # add --cpu-only to skip gunicorn
"""

from __future__ import annotations

import argparse
import gc
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR_DIR = tempfile.mkdtemp(prefix="bench-pages-")
ENV = {
    "DJANGO_SETTINGS_MODULE": "membership_site.settings",
    "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,
    "DJANGO_DEBUG": "0",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "VAR_DIR": VAR_DIR,
    "LOG_LEVEL": "WARNING",
}
os.environ.update(ENV)

import django  # noqa: E402

from bench._database import use_throwaway_database  # noqa: E402
from bench._processes import cpu_seconds, free_port  # noqa: E402
from bench._wsgi import wsgi_caller  # noqa: E402

CLIENTS = 16
WARM_UP_SECONDS = 3
BATCHES = 10  # in-process CPU is measured in batches (see ``in_process``)


def prepare_magazine(member, now) -> tuple[str, str]:
    """A tier the member holds, 500 posts over five years; returns (issues path, post path)."""
    from magazine.models import Magazine, Post, Tier
    from members.models import AccessGrant
    from products.models import Product

    magazine, created = Magazine.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    if created:
        product = Product.objects.create(
            slug="bench-tier", name="Bench tier", kind="membership", is_published=True
        )
        tier = Tier.objects.create(
            magazine=magazine, product=product, rank=1, visibility="back_catalogue_after",
            back_catalogue_after_months=3,
        )  # fmt: skip
        posts = Post.objects.bulk_create(
            Post(
                magazine=magazine,
                title=f"Post {i}",
                slug=f"post-{i}",
                body="<p>Body</p>" * 20,
                publish_at=now - timedelta(days=365 * 5 * i / 500, hours=1),
            )  # fmt: skip
            for i in range(500)
        )
        Post.tiers.through.objects.bulk_create(
            Post.tiers.through(post_id=post.pk, tier_id=tier.pk) for post in posts
        )
        AccessGrant.objects.create(
            member=member, product=product, state="active", source="admin",
            starts_at=now - timedelta(days=40), first_used_at=now,
        )  # fmt: skip
    return magazine.get_absolute_url(), Post.objects.get(slug="post-1").get_absolute_url()


def prepare() -> tuple[str, list[tuple[str, str]]]:
    """Data and a logged-in session; returns (Cookie header, [(page, path)]).

    The header carries what a member's browser sends once it has seen one page: the session
    and the CSRF cookie (without it, Django makes and sets a new CSRF secret on every page)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from members.models import AccessGrant, LessonProgress, User
    from products.models import Lesson, Module, Product

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    now = timezone.now()
    member, _created = User.objects.get_or_create(
        email="pages-bench@example.test", defaults={"time_zone": "America/Los_Angeles"}
    )
    lessons = []
    for number in range(10):
        course, created = Product.objects.get_or_create(
            slug=f"pages-bench-{number}",
            defaults={"name": f"Course {number}", "kind": "course", "is_published": True},
        )
        if created:
            module = Module.objects.create(product=course, title="Module", position=1)
            Lesson.objects.bulk_create(
                Lesson(
                    module=module, title=f"L{i}", body="<p>Body</p>" * 20, position=i, drip_days=i
                )  # fmt: skip
                for i in range(20)
            )
        AccessGrant.objects.get_or_create(
            member=member,
            product=course,
            defaults={
                "state": "active",
                "source": "admin",
                "starts_at": now - timedelta(days=10),
                "first_used_at": now,
            },  # fmt: skip
        )
        lessons += list(
            Lesson.objects.filter(module__product=course).select_related("module__product")
        )
    for lesson in lessons[::2]:
        LessonProgress.objects.get_or_create(
            member=member, lesson=lesson,
            defaults={"first_viewed_at": now, "last_viewed_at": now, "completed_at": now},
        )  # fmt: skip
    session = SessionStore()
    session[SESSION_KEY] = str(member.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = member.get_session_auth_hash()
    session.create()
    issues, post = prepare_magazine(member, now)
    lesson = lessons[3]
    course = lesson.module.product
    pages = [
        Page("dashboard", "/members/", {'lessons done (50%)': 10, 'class="card product-card': 11}),
        Page("lesson", lesson.get_absolute_url(), {
            f"<h1>{lesson.title}</h1>": 1, "<p>Body</p>": 20, 'class="lesson-row': 20,
            'class="lesson-row done': 10, 'class="lesson-row locked': 5,
        }),
        Page("course outline", course.get_absolute_url(), {
            'class="lesson-row': 20, 'class="lesson-row done': 10, 'class="lesson-row open': 5,
            'class="lesson-row locked': 5,
        }),
        Page("profile", "/members/profile/", {
            '<option value="America/Los_Angeles" selected>': 1, "<option ": 400,
        }),
        Page("magazine issues (500 posts)", issues, {'class="post-row': 20}),
        Page("magazine post", post, {"<p>Body</p>": 20}),
    ]  # fmt: skip
    from django.middleware.csrf import CSRF_ALLOWED_CHARS
    from django.utils.crypto import get_random_string

    csrf = get_random_string(32, CSRF_ALLOWED_CHARS)
    return f"sessionid={session.session_key}; csrftoken={csrf}", pages


class Page(NamedTuple):
    label: str
    path: str
    expect: dict[str, int]  # text -> how often the page shows it (at least, for ``<option ``)

    def wrong(self, status: int, body: str) -> str | None:
        """What is wrong with a response, or None."""
        if status != 200:
            return f"status {status}"
        for text, count in self.expect.items():
            found = len(re.findall(re.escape(text), body))
            if found != count and not (text in AT_LEAST and found >= count):
                return f"{text!r} shown {found} times, expected {count}"
        return None


AT_LEAST = {"<option ", 'class="post-row'}


def in_process(pages: list[Page], cookie: str, requests: int) -> tuple[dict, list[str]]:
    """CPU ms per request (process_time over ``requests`` calls of the WSGI handler after a
    warm-up: the median of ten batches, with the fastest and slowest batch) and queries per
    request, by page; and what was wrong with any answer."""
    from django.db import connection

    call = wsgi_caller(cookie)
    problems: list[str] = []
    # One connection for the whole run (not a new one each CONN_MAX_AGE), so that one server
    # process answers every batch of a page and its CPU time can be read.
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = None

    def backend() -> int:
        """The PostgreSQL server process on this thread's connection (a new one if Django
        closed it after an error)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    results = {}
    for page in pages:
        for _ in range(max(5, requests // 10)):
            call(page.path)
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            status, body = call(page.path)
        if wrong := page.wrong(status, body):
            problems.append(f"{page.label}: {wrong}")
        # Ten batches; the median batch is the figure. On a shared virtual machine a batch can
        # take a third longer than the next for reasons outside the process (neighbours on the
        # host): the median is what the code costs, the range shows how noisy the machine was.
        per_batch = max(1, requests // BATCHES)
        batches = []
        server = backend()
        database_before = cpu_seconds([server]).get(server)
        for _ in range(BATCHES):
            started = time.process_time()
            for _ in range(per_batch):
                call(page.path)
            batches.append((time.process_time() - started) / per_batch * 1000)
        database_ms = None
        database_after = cpu_seconds([server]).get(server)
        if None not in (database_before, database_after) and backend() == server:
            database_ms = (database_after - database_before) / (per_batch * BATCHES) * 1000
        batches.sort()
        median = (batches[BATCHES // 2 - 1] + batches[BATCHES // 2]) / 2
        results[page.label] = (median, batches[0], batches[-1], len(queries), database_ms)
    return results, problems


def reference_ms() -> float:
    """CPU ms of a fixed piece of plain Python (dicts, lists, strings): the median of ten runs.

    This machine's speed moves by half from one hour to the next (neighbours on the host, not
    this process): the same code measured 3.0 ms in one run and 4.6 ms in another. Printed next
    to the figures, it says how fast the machine was while they were taken."""

    def work() -> int:
        rows = {str(number): [number, number * 2, str(number * 3)] for number in range(20_000)}
        return sum(len(row[2]) for row in rows.values())

    times = []
    gc.disable()  # the same work whatever else the process holds
    try:
        for _ in range(10):
            started = time.process_time()
            work()
            times.append((time.process_time() - started) * 1000)
    finally:
        gc.enable()
    times.sort()
    return (times[4] + times[5]) / 2


def hammer(port: int, path: str, cookie: str, seconds: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        nonlocal failures
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            bad += response.status != 200
        conn.close()
        with lock:
            latencies.extend(mine)
            failures += bad

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures


def _ms(text: str) -> float:
    """wrk's latency ("12.34ms", "1.02s", "850.00us") in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(port: int, path: str, cookie: str, seconds: float) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, responses not 2xx/3xx) measured by wrk."""
    output = subprocess.run(
        ["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds:.0f}s", "--latency",
         "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    lines = {line.split()[0]: line.split() for line in output.splitlines() if line.split()}
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return (
        float(lines["Requests/sec:"][1]), _ms(lines["50%"][1]), _ms(lines["99%"][1]),
        int(bad.group(1)) if bad else 0,
    )  # fmt: skip


def summarise(
    latencies: list[float], failures: int, seconds: float
) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, responses not 200) of the Python clients' run."""
    ordered = sorted(latencies) or [0.0]
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return len(latencies) / seconds, p50, p99, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per page under load")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--requests", type=int, default=1000, help="in-process calls per page")
    parser.add_argument(
        "--worker-class", default="sync", choices=["sync", "gthread"],
        help="gunicorn's worker type: sync, as the Dockerfile runs it, or gthread",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--gunicorn", default="", help="more gunicorn options, e.g. '--backlog 64'")
    parser.add_argument("--pages", default="", help="only pages whose label starts so (a,b)")
    parser.add_argument("--cpu-only", action="store_true", help="no gunicorn run")
    args = parser.parse_args()
    if use_throwaway_database("pages") is None:
        print("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    django.setup()
    from django.conf import settings
    from django.db import connection

    cookie, pages = prepare()
    if args.pages:
        pages = [page for page in pages if page.label.startswith(tuple(args.pages.split(",")))]
    print(
        f"{os.cpu_count()} CPUs, load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"sessions {settings.SESSION_ENGINE.rsplit('.', 1)[-1]}, "
        f"cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}; "
        # The interpreter's build matters: Debian's python3.11 ran these pages about 12 % faster
        # than pyenv's (README, "Member pages").
        f"Python {sys.version.split()[0]} ({sys.executable})",
        flush=True,
    )
    reference_before = reference_ms()
    cpu, problems = in_process(pages, cookie, args.requests)
    reference_after = reference_ms()
    connection.close()
    load: dict[str, tuple[float, float, float, int]] = {}
    tool = "wrk" if shutil.which("wrk") else "python clients"
    if not args.cpu_only:
        load = under_load(pages, cookie, args)
        problems += [
            f"{label}: {bad} responses not 200 under load"
            for label, (_rps, _p50, _p99, bad) in load.items()
            if bad
        ]
    print()
    header = f"{'page':30} {'CPU ms/req':>10} {'(batches)':>11} {'PG ms':>6} {'queries':>7}"
    if load:
        header += f" {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}   ({tool}, {CLIENTS} connections, "
        header += f"gunicorn {args.workers} {args.worker_class} workers"
        header += f" x {args.threads} threads)" if args.worker_class == "gthread" else ")"
    print(header)
    for page in pages:
        cpu_ms, fastest, slowest, queries, database_ms = cpu[page.label]
        spread = f"{fastest:.1f}-{slowest:.1f}"
        database = "-" if database_ms is None else f"{database_ms:.2f}"
        line = f"{page.label:30} {cpu_ms:10.2f} {spread:>11} {database:>6} {queries:7d}"
        if page.label in load:
            rps, p50, p99, _bad = load[page.label]
            line += f" {rps:7.0f} {p50:7.1f} {p99:7.1f}"
        print(line)
    print(f"load average after the run: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"reference work (a fixed piece of Python, to compare runs): {reference_before:.1f} ms "
        f"before the CPU figures, {reference_after:.1f} ms after"
    )
    for problem in problems:
        print(f"WRONG ANSWER: {problem}", file=sys.stderr)
    return 1 if problems else 0


def under_load(pages: list[Page], cookie: str, args) -> dict:
    port = free_port()
    env = {**os.environ, **ENV, "SITE_URL": f"http://127.0.0.1:{port}"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "membership_site.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", str(args.workers), "-k", args.worker_class, "--log-level", "warning",
         *(["--threads", str(args.threads)] if args.worker_class == "gthread" else []),
         *args.gunicorn.split()],
        cwd=ROOT, env=env,
    )  # fmt: skip
    results = {}
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        for page in pages:
            if shutil.which("wrk"):
                # Warm-up at the same load, not measured: every worker process opens its
                # database connection, prepares its statements and fills its caches, once
                # in a server's life. Then the measured run. Python client threads would take a
                # share of the 2 cores; wrk (C) shows the server's own capacity.
                run_wrk(port, page.path, cookie, WARM_UP_SECONDS)
                results[page.label] = run_wrk(port, page.path, cookie, args.seconds)
            else:
                hammer(port, page.path, cookie, WARM_UP_SECONDS)
                latencies, failures = hammer(port, page.path, cookie, args.seconds)
                results[page.label] = summarise(latencies, failures, args.seconds)
            print(f"{page.label}: {results[page.label][0]:.0f} requests/s", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


if __name__ == "__main__":
    sys.exit(main())
